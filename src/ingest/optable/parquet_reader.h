// SPDX-License-Identifier: Apache-2.0
// A reader of flat Parquet files, for the op tables the what-if artifact of Lin et al. (OSDI'25,
// ByteDance-Seed/StragglerAnalysis) ships as `trace-<name>.parquet` (pandas/pyarrow output).
//
// Debian 12 has no Arrow C++ package, so this reads the subset those files use, after
// apache/parquet-format (parquet.thrift, Encodings.md):
// - a flat schema: a root and leaf columns, REQUIRED or OPTIONAL (no groups, no REPEATED);
// - physical types BOOLEAN, INT32, INT64, FLOAT, DOUBLE, BYTE_ARRAY (strings),
//   FIXED_LEN_BYTE_ARRAY (as strings); INT96 is refused;
// - encodings PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY (RLE / bit-packed indices) and RLE for
//   booleans; DELTA_* and BYTE_STREAM_SPLIT are refused;
// - data pages v1 and v2, definition levels (RLE) for optional columns, a dictionary page first;
// - codecs UNCOMPRESSED, SNAPPY (libsnappy) and GZIP (zlib); others are refused.
// Anything else is an error that names the file, the byte offset, the column and row group, and
// the conversion a user can run instead (pandas to CSV). Malformed input never crashes and never
// yields silently wrong values: every size, offset, count and index is checked against the file.
//
// Values come back one vector per column, one entry per row: integers widen to int64, FLOAT
// widens (exactly) to double, strings are interned per column (`strings` + `string_ids`). The
// whole file is read into memory (the artifact's tables are a few MB).
// Thread safety: functions are reentrant; results are plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace trainscope::ingest {

enum class ParquetValueKind { kInt, kReal, kString };

struct ParquetColumn {
  std::string name;
  std::string_view physical_type;  // "INT32", "DOUBLE", ... (for messages)
  ParquetValueKind kind = ParquetValueKind::kInt;
  bool optional = false;
  std::vector<int64_t> ints;         // kInt: BOOLEAN (0/1), INT32, INT64
  std::vector<double> reals;         // kReal: FLOAT (widened exactly), DOUBLE
  std::vector<std::string> strings;  // kString: distinct values, in order of first appearance
  std::vector<int32_t> string_ids;   // kString: index into `strings` per row
  // Per row: 1 value, 0 null (its slot holds 0, NaN or id -1). Empty when the column has no null.
  std::vector<uint8_t> present;
  // Row group and row within it of the first null, for messages (valid when `present` is set).
  int64_t first_null_row = -1;
};

struct ParquetTable {
  std::string source;  // file name, for messages
  int64_t num_rows = 0;
  int64_t num_row_groups = 0;
  std::string created_by;
  std::vector<ParquetColumn> columns;  // the selected columns, in schema order
  // The column named `name`, or null.
  const ParquetColumn* Find(std::string_view name) const;
  // Row group of file row `row` (for messages).
  std::vector<int64_t> row_group_starts;
  int64_t RowGroupOf(int64_t row) const;
};

struct ParquetReadOptions {
  // Columns to decode (by name); empty: all. Columns not selected are never decoded, so their
  // types and encodings do not matter. Selected names absent from the file are not an error
  // (the caller checks what it needs).
  std::vector<std::string> columns;
  // Upper bound on num_rows in the footer (memory guard for untrusted input).
  int64_t max_rows = int64_t{1} << 31;
  // Threads decoding the columns of a row group side by side (columns are independent); the
  // result and the error reported (the first column's, in schema order) do not depend on it.
  int threads = 1;
};

// The one-line hint errors end with: how to turn the file into the CSV trainscope also reads.
std::string ParquetConversionHint(const std::string& name);

// Parses a whole Parquet file held in `bytes`; `name` names it in messages.
Result<ParquetTable> ParseParquet(std::string_view bytes, const std::string& name,
                                  const ParquetReadOptions& options = {});
// Reads `path` into memory and parses it.
Result<ParquetTable> ReadParquetFile(const std::string& path,
                                     const ParquetReadOptions& options = {});

}  // namespace trainscope::ingest
