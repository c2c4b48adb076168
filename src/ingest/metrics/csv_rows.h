// SPDX-License-Identifier: Apache-2.0
// The long-CSV reader's row loops (private to ingest/metrics). ReadLongCsv parses the header, then
// the rows either line by line (files with a device column, small files) or in chunks on several
// threads (ReadCsvRowsChunked): a 62 MB export of 1,024 machines x 900 s is 921,600 lines and 6.4
// million values, and one thread with std::from_chars per value took 0.35-0.6 s of a 1 s budget.
//
// The chunked loop gives the same table, diagnostics and error as the line-by-line one:
//  - chunks end at a newline; a first pass counts each chunk's lines, so every chunk knows its
//    line numbers and may write lines x metrics rows from its own first slot, in the table grown
//    once (MetricTable::AppendRows, no copy of earlier rows on growth);
//  - machines are interned per chunk in order of first appearance, then into the table chunk by
//    chunk, which numbers them as one pass over the file would; rows are then moved down over
//    the slots of empty cells and their machine ids rewritten, chunk by chunk;
//  - each chunk stops at its first error; the first chunk with one decides, with the rows and
//    diagnostics of the lines before it, as in the line-by-line loop;
//  - values and timestamps of the plain form `[-]digits[.digits][e[+-]digits]` with a mantissa
//    below 2^53 and a decimal exponent within +-22 are read by one exact multiplication or
//    division (Clinger's fast path, the correctly rounded value that std::from_chars gives);
//    everything else (NaN, Inf, `+1`, long mantissas, malformed text) goes through
//    ParseSampleValue / std::from_chars as before.
// csv_rows_test reads tricky files (quotes, CRLF, empty cells and lines, exponents, NaN, DCGM
// blanks, errors at every place, chunk boundaries everywhere) both ways and compares.
// Thread safety: each call is independent; ReadCsvRowsChunked uses ParallelFor inside.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "model/metric_table.h"

namespace trainscope::ingest::internal {

// Next field of a CSV line starting at `pos`; strips one pair of surrounding double quotes.
inline std::string_view NextCsvField(std::string_view line, size_t* pos) {
  const size_t start = *pos;
  const size_t comma = line.find(',', start);
  const size_t end = comma == std::string_view::npos ? line.size() : comma;
  *pos = comma == std::string_view::npos ? line.size() + 1 : comma + 1;
  std::string_view f = line.substr(start, end - start);
  if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
  return f;
}

struct CsvHeader {
  std::vector<std::string_view> columns;         // names, quotes stripped
  size_t first_metric = 2;                       // column of the first metric
  std::optional<model::DeviceKind> device_kind;  // the device column's kind, if any
  std::vector<int32_t> metric_ids;               // per metric column, interned in the table
  size_t body = 0;                               // offset of the first row in the text
};

// `[-]digits[.digits][(e|E)[+-]digits]` with a mantissa m < 2^53 and |exponent| <= 22 as the
// correctly rounded double; false for any other text (the caller then uses the full parser).
bool ParsePlainDecimal(const char* begin, const char* end, double* value);

// The rows of `text` after `header` (which has no device column), in chunks of about
// `chunk_bytes` on up to `threads` threads (<= 0: all), appended to `out`.
Status ReadCsvRowsChunked(std::string_view text, const CsvHeader& header, std::string_view origin,
                          model::MetricTable* out, Diagnostics* diags, size_t chunk_bytes,
                          int threads);

}  // namespace trainscope::ingest::internal
