// SPDX-License-Identifier: Apache-2.0
// Reader of the what-if op tables of Lin et al. (OSDI'25 artifact, ByteDance-Seed/
// StragglerAnalysis): `trace-<name>.csv[.gz]` (one row per traced op) + `meta-<name>.yaml`,
// or the artifact's `trace-<name>.parquet` copy of the table (op_table_parquet.h).
//
// CSV columns (any order, extra columns ignored): dp_rank, stage, rank, step, optype,
// start_ts, duration (seconds, start relative to its step start), seq_id, mc, mb_id, gmc.
// Times are converted to int64 nanoseconds (rounded). Optype strings are interned in
// `optype_names`. The CSV is streamed through a ByteSource (gzip-transparent); errors name
// file:line:column. Thread safety: functions are reentrant; the table is a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/byte_source.h"
#include "base/status.h"

namespace trainscope::ingest {

struct OpTableMeta {
  std::string trial_name;
  int64_t run_id = 0;
  int32_t dp_size = 1, pp_size = 1, tp_size = 1, dsp_size = 1, vpp_size = 1, world_size = 1;
  // The size keys the meta file gave ("dp_size", "world_size", ...); the others are defaults, so
  // the analysis can tell a thin meta from a job of one GPU.
  std::vector<std::string> size_keys;
  bool Has(std::string_view key) const;
};

struct OpTable {
  std::string source;  // CSV or Parquet path (for messages)
  OpTableMeta meta;
  bool meta_found = true;  // false: no meta YAML beside the CSV; sizes derived from the rows
  // Set when a folder held both copies and its Parquet file could not be read: why, and the CSV
  // copy was read instead (the caller records parquet_copy_unreadable).
  std::string parquet_fallback;
  std::vector<std::string> optype_names;  // optype column values, interned
  // One entry per row.
  std::vector<int32_t> dp_rank, stage, rank, step, seq_id, mc, mb_id, gmc;
  std::vector<int16_t> optype;            // index into optype_names
  std::vector<int64_t> start_ns, dur_ns;  // start relative to its step's start
  // CSV only: for each blank line skipped, the number of rows before it, so that a row's line is
  // row + 2 + (blank lines before it) (RowPlace); nearly always empty.
  std::vector<int64_t> blank_line_rows;
  size_t size() const { return step.size(); }
};

// Parses the CSV from `source` into `table` (meta untouched).
Status ParseOpTableCsv(ByteSource& source, OpTable& table);
// Parses meta YAML text; `name` is used in messages. Unknown keys are an error naming the line (a
// misspelled `world_sise` must not pass as a world of 1).
Result<OpTableMeta> ParseOpTableMeta(const std::string& text, const std::string& name);
// `path` is a folder holding exactly one op table, trace-*.csv[.gz] or trace-*.parquet (+ its
// meta-*.yaml), or such a file (its meta is the sibling meta-<name>.yaml for trace-<name>.csv /
// .csv.gz / .parquet, else <stem>.yaml). A folder holding trace-<name>.csv[.gz] and
// trace-<name>.parquet (the artifact ships both copies of one table) reads the Parquet file, a
// third faster, and the CSV when the Parquet file cannot be read (parquet_fallback says why);
// tables of two different names are an error. Without a meta file, dp/pp sizes come from the rows
// (tp = 1, world = dp * pp) and meta_found is false.
// `threads`: for decoding a Parquet file's columns side by side (0: all cores).
Result<OpTable> ReadOpTable(const std::string& path, int threads = 1);
// True if `path` is an op-table folder or a .csv / .csv.gz / .parquet file (used by the CLI to
// pick a reader).
bool LooksLikeOpTable(const std::string& path);

}  // namespace trainscope::ingest
