// SPDX-License-Identifier: Apache-2.0
// Long-CSV rows in chunks on several threads, and the plain-decimal fast path (see csv_rows.h).
#include "ingest/metrics/csv_rows.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>

#include "base/line_reader.h"
#include "base/parallel.h"
#include "ingest/metrics/metric_readers.h"

namespace trainscope::ingest::internal {

bool ParsePlainDecimal(const char* begin, const char* end, double* value) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  constexpr uint64_t kMaxMantissa = uint64_t{1} << 53;
  auto digit = [](char c) { return static_cast<unsigned>(c - '0') < 10; };
  const char* p = begin;
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  uint64_t m = 0;
  int exponent = 0;
  auto add_digit = [&m](char c) {
    const auto d = static_cast<uint64_t>(c - '0');
    if (m > (kMaxMantissa - d) / 10) return false;
    m = m * 10 + d;
    return true;
  };
  const char* integer = p;
  for (; p < end && digit(*p); ++p) {
    if (!add_digit(*p)) return false;
  }
  if (p == integer) return false;
  if (p < end && *p == '.') {
    const char* fraction = ++p;
    for (; p < end && digit(*p); ++p, --exponent) {
      if (!add_digit(*p)) return false;
    }
    if (p == fraction) return false;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool negative_exponent = p < end && *p == '-';
    if (p < end && (*p == '+' || *p == '-')) ++p;
    const char* digits = p;
    int e = 0;
    for (; p < end && digit(*p) && p - digits < 4; ++p) e = e * 10 + (*p - '0');
    if (p == digits) return false;
    exponent += negative_exponent ? -e : e;
  }
  if (p != end || exponent < -22 || exponent > 22) return false;
  // m and 10^|exponent| are exact doubles: one correctly rounded operation.
  const double v = exponent < 0 ? static_cast<double>(m) / kPow10[-exponent]
                                : static_cast<double>(m) * kPow10[exponent];
  *value = negative ? -v : v;
  return true;
}

namespace {

// A plain decimal from `p` to the next ',' (or `end`) in one pass, as ParsePlainDecimal reads
// it: same form, same exact operation. Up to 19 digits are accumulated without overflow checks,
// and the mantissa is checked against 2^53 once (it only grows digit by digit, so that is the
// same test). Sets *value and *stop (the ',' or `end`); false for anything else, including forms
// ParsePlainDecimal would take with more than 19 digits (leading zeros): the caller falls back.
inline __attribute__((always_inline)) bool ParsePlainField(const char* p, const char* end,
                                                           double* value, const char** stop) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  auto digit = [](char c) { return static_cast<unsigned>(c - '0') < 10; };
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  uint64_t m = 0;
  int digits = 0, exponent = 0;
  const char* integer = p;
  for (; p < end && digit(*p); ++p, ++digits) m = m * 10 + static_cast<uint64_t>(*p - '0');
  if (p == integer) return false;
  if (p < end && *p == '.') {
    const char* fraction = ++p;
    for (; p < end && digit(*p); ++p, ++digits, --exponent) {
      m = m * 10 + static_cast<uint64_t>(*p - '0');
    }
    if (p == fraction) return false;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool negative_exponent = p < end && *p == '-';
    if (p < end && (*p == '+' || *p == '-')) ++p;
    const char* exponent_digits = p;
    int e = 0;
    for (; p < end && digit(*p) && p - exponent_digits < 4; ++p) e = e * 10 + (*p - '0');
    if (p == exponent_digits) return false;
    exponent += negative_exponent ? -e : e;
  }
  if ((p < end && *p != ',') || digits > 19 || m > (uint64_t{1} << 53) || exponent < -22 ||
      exponent > 22) {
    return false;
  }
  const double v = exponent < 0 ? static_cast<double>(m) / kPow10[-exponent]
                                : static_cast<double>(m) * kPow10[exponent];
  *value = negative ? -v : v;
  *stop = p;
  return true;
}

// DCGM blanks are all >= 2^31 - 16 (model::IsDcgmBlank): most values need no call.
inline bool DcgmBlank(double v) { return v >= 2147483632.0 && model::IsDcgmBlank(v); }

// The common line in one pass: a plain-decimal timestamp within range, an unquoted machine name,
// then one plain decimal or empty cell per metric column and nothing more. Fills `ts`, `machine`
// and `values` (NaN: empty cell) and returns true; returns false for anything else (quotes, NaN,
// exponents past the fast path, a DCGM blank, a field count that differs, malformed text), and
// the line then goes through the general loop, which decides it exactly as before.
bool ParsePlainLine(std::string_view line, size_t metric_columns, int64_t* ts,
                    std::string_view* machine, double* values) {
  const char* p = line.data();
  const char* const end = p + line.size();
  double t = 0;
  if (!ParsePlainField(p, end, &t, &p) || p == end || !(std::fabs(t) <= 9e9)) return false;
  const char* field = ++p;
  while (p < end && *p != ',') ++p;
  if (p == field || *field == '"') return false;
  *machine = std::string_view(field, static_cast<size_t>(p - field));
  for (size_t k = 0; k < metric_columns; ++k) {
    if (p == end) return false;  // fewer fields than the header
    ++p;
    if (p == end || *p == ',') {
      values[k] = std::numeric_limits<double>::quiet_NaN();
    } else if (!ParsePlainField(p, end, &values[k], &p) || DcgmBlank(values[k])) {
      return false;
    }
  }
  if (p != end) return false;  // more fields than the header
  *ts = std::llround(t * 1e9);
  return true;
}

struct Chunk {
  size_t begin = 0, end = 0;               // bytes of the text: whole lines
  int64_t first_line = 0;                  // line number of its first line
  size_t first_row = 0;                    // its first row slot, from the table's first new row
  size_t capacity = 0;                     // lines x metric columns
  size_t rows = 0;                         // rows written from first_row on
  std::vector<std::string_view> machines;  // chunk-local machine id -> name
  Diagnostics diags;
  Status error;  // the chunk's first error, with `failed`
  bool failed = false;
};

// Chunk-local machine ids, in order of first appearance. Exports list the machines in the
// same order every second, so the machine after local id i is usually i + 1: that guess is
// tried before the hash map.
class ChunkMachines {
 public:
  explicit ChunkMachines(std::vector<std::string_view>* names) : names_(*names) {}

  int32_t Id(std::string_view name) {
    const size_t next = static_cast<size_t>(last_ + 1);
    if (next < names_.size() && names_[next] == name) return last_ = static_cast<int32_t>(next);
    auto [it, inserted] = ids_.try_emplace(name, static_cast<int32_t>(names_.size()));
    if (inserted) names_.push_back(name);
    return last_ = it->second;
  }

 private:
  std::vector<std::string_view>& names_;
  std::unordered_map<std::string_view, int32_t> ids_;
  int32_t last_ = -1;
};

// A line the plain fast path did not take, field by field with the line-by-line reader's
// checks and messages; its samples go to `out` from row `*row` on.
Status ParseFieldsLine(const TextLine& text_line, const CsvHeader& h, std::string_view origin,
                       const model::MetricTable::RowPointers& out, ChunkMachines& machines,
                       Diagnostics& diags, size_t* row) {
  const std::vector<std::string_view>& columns = h.columns;
  const std::string_view line = text_line.text;
  const int64_t line_no = text_line.number;
  if (!text_line.terminated) {
    const size_t fields = static_cast<size_t>(std::count(line.begin(), line.end(), ',')) + 1;
    if (fields < columns.size()) {
      return DataLossError("{}:{}: truncated last line ({} of {} fields, no newline)", origin,
                           line_no, fields, columns.size());
    }
  }
  size_t fpos = 0;
  size_t field_idx = 0;
  int64_t ts = 0;
  int32_t machine = -1;
  while (fpos <= line.size()) {
    const size_t col = fpos + 1;
    const std::string_view f = NextCsvField(line, &fpos);
    if (field_idx >= columns.size()) {
      return InvalidArgumentError("{}:{}:{}: more fields than the {} header columns", origin,
                                  line_no, col, columns.size());
    }
    if (field_idx == 0) {
      double t = 0;
      bool ok = ParsePlainDecimal(f.data(), f.data() + f.size(), &t);
      if (!ok) {
        auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), t);
        ok = ec == std::errc() && p == f.data() + f.size();
      }
      if (!ok || !std::isfinite(t) || std::fabs(t) > 9e9) {
        return InvalidArgumentError("{}:{}:{}: bad timestamp '{}' (want Unix seconds)", origin,
                                    line_no, col, f);
      }
      ts = std::llround(t * 1e9);
    } else if (field_idx == 1) {
      if (f.empty()) {
        return InvalidArgumentError("{}:{}:{}: empty machine name", origin, line_no, col);
      }
      machine = machines.Id(f);
    } else if (!f.empty()) {
      double v = 0;
      if (!ParsePlainDecimal(f.data(), f.data() + f.size(), &v) && !ParseSampleValue(f, &v)) {
        return InvalidArgumentError("{}:{}:{}: bad number '{}' in column '{}'", origin, line_no,
                                    col, f, columns[field_idx]);
      }
      if (!std::isfinite(v)) {
        diags.Add("non_finite_value", origin, fmt::format("line {} column {}", line_no, col),
                  "NaN/Inf sample read as missing");
      } else if (model::IsDcgmBlank(v)) {
        diags.Add("dcgm_blank", origin, fmt::format("line {} column {}", line_no, col),
                  "DCGM blank sentinel (~2^63) read as missing");
      } else {
        out.ts[*row] = ts;
        out.machine[*row] = machine;
        out.metric[*row] = h.metric_ids[field_idx - h.first_metric];
        out.gpu[*row] = model::kNoGpu;
        out.value[*row] = v;
        ++*row;
      }
    }
    ++field_idx;
  }
  if (field_idx != columns.size()) {
    if (!text_line.terminated) {
      return DataLossError("{}:{}: truncated last line ({} of {} fields, no newline)", origin,
                           line_no, field_idx, columns.size());
    }
    return InvalidArgumentError("{}:{}:{}: {} fields, header has {}", origin, line_no,
                                line.size() + 1, field_idx, columns.size());
  }
  return OkStatus();
}

// Parses the lines of `chunk` into rows from its first slot; machine ids are chunk-local. The
// same checks, messages and diagnostics as the line-by-line loop (csv_reader.cc).
void ParseChunk(std::string_view text, const CsvHeader& h, std::string_view origin,
                const model::MetricTable::RowPointers& out, Chunk* chunk) {
  ChunkMachines machines(&chunk->machines);
  const size_t metric_columns = h.metric_ids.size();
  std::vector<double> values(metric_columns);
  size_t row = chunk->first_row;
  LineReader lines(text.substr(0, chunk->end), chunk->begin, chunk->first_line);
  while (std::optional<TextLine> text_line = lines.Next()) {
    if (text_line->text.empty()) continue;
    int64_t plain_ts = 0;
    std::string_view plain_machine;
    if (ParsePlainLine(text_line->text, metric_columns, &plain_ts, &plain_machine,
                       values.data())) {
      const int32_t machine = machines.Id(plain_machine);
      for (size_t k = 0; k < metric_columns; ++k) {
        if (std::isnan(values[k])) continue;
        out.ts[row] = plain_ts;
        out.machine[row] = machine;
        out.metric[row] = h.metric_ids[k];
        out.gpu[row] = model::kNoGpu;
        out.value[row] = values[k];
        ++row;
      }
      continue;
    }
    Status status = ParseFieldsLine(*text_line, h, origin, out, machines, chunk->diags, &row);
    if (!status.ok()) {
      chunk->error = std::move(status);
      chunk->failed = true;
      break;
    }
  }
  chunk->rows = row - chunk->first_row;
}

// Chunks of about `bytes` from `begin` on, each ending just after a newline (the last one at the
// end of the text), with their line numbers and row slots.
std::vector<Chunk> SplitIntoChunks(std::string_view text, size_t begin, size_t bytes,
                                   size_t metric_columns, int threads) {
  std::vector<Chunk> chunks;
  while (begin < text.size()) {
    size_t end = std::min(text.size(), begin + std::max<size_t>(bytes, 1));
    if (end < text.size()) {
      const void* nl = std::memchr(text.data() + end - 1, '\n', text.size() - (end - 1));
      end = nl == nullptr ? text.size()
                          : static_cast<size_t>(static_cast<const char*>(nl) - text.data()) + 1;
    }
    Chunk chunk;
    chunk.begin = begin;
    chunk.end = end;
    chunks.push_back(std::move(chunk));
    begin = end;
  }
  std::vector<size_t> newlines(chunks.size());
  ParallelFor(chunks.size(), threads, [&](size_t k) {
    // memchr from line to line: several times std::count's speed on ~70-byte lines.
    const char* p = text.data() + chunks[k].begin;
    const char* const end = text.data() + chunks[k].end;
    size_t n = 0;
    while (const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p))) {
      ++n;
      p = static_cast<const char*>(nl) + 1;
    }
    newlines[k] = n;
  });
  int64_t line = 2;  // the header is line 1
  size_t slot = 0;
  for (size_t k = 0; k < chunks.size(); ++k) {
    const bool tail = k + 1 == chunks.size() && text.back() != '\n';  // an unterminated last line
    chunks[k].first_line = line;
    chunks[k].first_row = slot;
    chunks[k].capacity = (newlines[k] + (tail ? 1 : 0)) * metric_columns;
    line += static_cast<int64_t>(newlines[k]);
    slot += chunks[k].capacity;
  }
  return chunks;
}

}  // namespace

Status ReadCsvRowsChunked(std::string_view text, const CsvHeader& header, std::string_view origin,
                          model::MetricTable* out, Diagnostics* diags, size_t chunk_bytes,
                          int threads) {
  std::vector<Chunk> chunks =
      SplitIntoChunks(text, header.body, chunk_bytes, header.metric_ids.size(), threads);
  if (chunks.empty()) return OkStatus();
  const size_t base = out->size();
  const model::MetricTable::RowPointers rows =
      out->AppendRows(chunks.back().first_row + chunks.back().capacity);
  ParallelFor(chunks.size(), threads,
              [&](size_t k) { ParseChunk(text, header, origin, rows, &chunks[k]); });
  // In file order: intern the chunk's machines, move its rows down over empty slots, give them
  // the table's machine ids; the first chunk with an error ends the file there.
  std::vector<std::vector<int32_t>> global(chunks.size());
  std::vector<size_t> to(chunks.size());
  size_t kept = 0, used = chunks.size();
  bool moved = false;
  for (size_t k = 0; k < chunks.size(); ++k) {
    for (std::string_view name : chunks[k].machines) global[k].push_back(out->InternMachine(name));
    to[k] = kept;
    moved = moved || kept != chunks[k].first_row;
    kept += chunks[k].rows;
    if (chunks[k].failed) {
      used = k + 1;
      break;
    }
  }
  auto place = [&](size_t k) {
    const size_t from = chunks[k].first_row, n = chunks[k].rows, dst = to[k];
    if (dst != from) {
      std::memmove(rows.ts + dst, rows.ts + from, n * sizeof(int64_t));
      std::memmove(rows.machine + dst, rows.machine + from, n * sizeof(int32_t));
      std::memmove(rows.metric + dst, rows.metric + from, n * sizeof(int32_t));
      std::memmove(rows.gpu + dst, rows.gpu + from, n * sizeof(int16_t));
      std::memmove(rows.value + dst, rows.value + from, n * sizeof(double));
    }
    for (size_t r = dst; r < dst + n; ++r) {
      rows.machine[r] = global[k][static_cast<size_t>(rows.machine[r])];
    }
  };
  if (moved) {
    for (size_t k = 0; k < used; ++k) place(k);  // in order: a chunk moves into freed slots
  } else {
    ParallelFor(used, threads, place);
  }
  out->Truncate(base + kept);
  for (size_t k = 0; k < used; ++k) {
    if (diags != nullptr) diags->Merge(chunks[k].diags);
    if (chunks[k].failed) return chunks[k].error;
  }
  return OkStatus();
}

}  // namespace trainscope::ingest::internal
