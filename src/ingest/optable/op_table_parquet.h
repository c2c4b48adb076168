// SPDX-License-Identifier: Apache-2.0
// The what-if artifact's op table as Parquet (`trace-<name>.parquet`, written by pandas/pyarrow
// beside `trace-<name>.csv.gz`) into the same OpTable the CSV reader produces.
//
// Columns as in the CSV (any order, extra columns ignored, never decoded): dp_rank, stage, rank,
// step, seq_id, mc, mb_id, gmc (INT32 or INT64, values within int32); optype (BYTE_ARRAY
// strings); start_ts, duration (FLOAT, DOUBLE or an integer type; seconds). FLOAT widens exactly
// to double, so the artifact's float32 times give the very numbers its CSV prints. The row checks
// are the CSV reader's (finite times within 1e6 s, duration >= 0, dp_rank/stage/rank/seq_id >= 0,
// a non-empty optype, at most 256 optypes); a null in a used column is an error. Errors name the
// file, the column and the row (with its row group). Meta YAML is not read here (ReadOpTable).
// Thread safety: reentrant; the table is a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ingest/optable/op_table_reader.h"

namespace trainscope::ingest {

// Parses a whole Parquet op table held in `bytes` into `table` (meta untouched); `name` names it
// in messages. `max_rows` bounds the rows the footer may claim (memory guard for fuzzing).
Status ParseOpTableParquet(std::string_view bytes, const std::string& name, OpTable& table,
                           int64_t max_rows = int64_t{1} << 31);
// Reads the Parquet op table at `path` into `table` (meta untouched), decoding columns on up to
// `threads` threads.
Status ReadOpTableParquet(const std::string& path, OpTable& table, int threads = 1);
// True if `path` names a Parquet file by its extension (.parquet).
bool IsParquetPath(std::string_view path);

}  // namespace trainscope::ingest
