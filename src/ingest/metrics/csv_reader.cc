// SPDX-License-Identifier: Apache-2.0
// Long-CSV metric reader: `timestamp,machine[,gpu|nic|device|interface],<metrics...>`, empty
// cell = missing.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "base/line_reader.h"
#include "base/utf8.h"
#include "ingest/metrics/csv_rows.h"
#include "ingest/metrics/metric_readers.h"

namespace trainscope::ingest {
namespace {

using internal::NextCsvField;

// Whether the values of one metric column on one machine come per device or per machine; a
// metric must be one or the other (Minder's `[min]` channel takes the min over devices).
struct Level {
  enum : uint8_t { kUnknown, kMachine, kDevice } level = kUnknown;
  int64_t line = 0;  // the row that decided
};

// The header: column names, the device column, the metric columns interned in `out`.
Result<internal::CsvHeader> ParseHeader(std::string_view text, std::string_view origin,
                                        model::MetricTable* out) {
  if (text.empty()) return DataLossError("{}: empty file (no CSV header)", origin);
  internal::CsvHeader h;
  LineReader lines(text);
  const std::optional<TextLine> first = lines.Next();  // none when the file is only a BOM
  if (!first) return DataLossError("{}: empty file (a UTF-8 byte-order mark, no CSV header)", origin);
  const std::string_view header = first->text;
  std::vector<std::string_view>& columns = h.columns;
  for (size_t pos = 0; pos <= header.size();) columns.push_back(NextCsvField(header, &pos));
  // The column that is wrong, where it starts.
  constexpr std::string_view kWant = "expected header 'timestamp,machine,<metrics...>'";
  if (columns[0] != "timestamp") {
    return InvalidArgumentError("{}:1:1: column 1 is '{}', not 'timestamp' ({})", origin,
                                PrintableText(columns[0]), kWant);
  }
  if (columns.size() < 2 || columns[1] != "machine") {
    return InvalidArgumentError("{}:1:{}: column 2 is {}, not 'machine' ({})", origin,
                                columns[0].size() + 2,
                                columns.size() < 2
                                    ? std::string("missing")
                                    : fmt::format("'{}'", PrintableText(columns[1])),
                                kWant);
  }
  if (columns.size() < 3) {
    return InvalidArgumentError("{}:1:{}: no metric column ({})", origin, header.size() + 1,
                                kWant);
  }
  h.device_kind = model::DeviceKindFromName(columns[2]);
  if (h.device_kind.has_value()) h.first_metric = 3;
  if (h.first_metric >= columns.size()) {
    return InvalidArgumentError("{}:1: header names no metric column", origin);
  }
  size_t column_at = 1;  // 1-based byte column of columns[c]
  for (size_t c = 0; c < h.first_metric; ++c) column_at += columns[c].size() + 1;
  for (size_t c = h.first_metric; c < columns.size(); ++c) {
    if (columns[c].empty()) {
      return InvalidArgumentError("{}:1:{}: empty metric name in header (column {})", origin,
                                  header.find(",,") + 2, c + 1);
    }
    // A metric named twice would merge both columns into one series, reported as duplicate
    // timestamps of its rows (the wrong cause and place).
    for (size_t prev = h.first_metric; prev < c; ++prev) {
      if (columns[prev] == columns[c]) {
        return InvalidArgumentError("{}:1:{}: metric '{}' named twice in the header (columns {} and {})",
                                    origin, column_at, PrintableText(columns[c]), prev + 1, c + 1);
      }
    }
    h.metric_ids.push_back(out->InternMetric(columns[c]));
    column_at += columns[c].size() + 1;
  }
  h.body = lines.position();
  return h;
}

// The rows one line at a time (any file; the only loop for files with a device column).
Status ReadRowsByLine(std::string_view text, const internal::CsvHeader& h, std::string_view origin,
                      model::MetricTable* out, Diagnostics* diags) {
  const std::vector<std::string_view>& columns = h.columns;
  const size_t first_metric = h.first_metric;
  const std::vector<int32_t>& metric_ids = h.metric_ids;
  const std::optional<model::DeviceKind>& device_kind = h.device_kind;
  const bool has_device = device_kind.has_value();
  const std::string_view kind_name = has_device ? columns[2] : std::string_view();
  std::vector<std::vector<Level>> levels;  // [machine][metric column], with a device column only
  LineReader lines(text, h.body, /*first_number=*/2);
  while (std::optional<TextLine> text_line = lines.Next()) {
    const int64_t line_no = text_line->number;
    const bool last_unterminated = !text_line->terminated;
    const std::string_view line = text_line->text;
    if (line.empty()) continue;
    const size_t fields = static_cast<size_t>(std::count(line.begin(), line.end(), ',')) + 1;
    if (last_unterminated && fields < columns.size()) {
      return DataLossError("{}:{}: truncated last line ({} of {} fields, no newline)", origin,
                           line_no, fields, columns.size());
    }
    size_t fpos = 0;
    size_t field_idx = 0;
    int64_t ts = 0;
    int32_t machine = -1;
    int16_t gpu = model::kNoGpu;
    size_t device_col = 0;
    std::string_view device_name;
    while (fpos <= line.size()) {
      size_t col = fpos + 1;
      std::string_view f = NextCsvField(line, &fpos);
      if (field_idx >= columns.size()) {
        return InvalidArgumentError("{}:{}:{}: more fields than the {} header columns", origin,
                                    line_no, col, columns.size());
      }
      if (field_idx == 0) {
        double t = 0;
        auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), t);
        if (ec != std::errc() || p != f.data() + f.size() || !std::isfinite(t) ||
            std::fabs(t) > 9e9) {
          return InvalidArgumentError("{}:{}:{}: bad timestamp '{}' (want Unix seconds)", origin,
                                      line_no, col, f);
        }
        ts = std::llround(t * 1e9);
      } else if (field_idx == 1) {
        if (f.empty()) return InvalidArgumentError("{}:{}:{}: empty machine name", origin, line_no, col);
        machine = out->InternMachine(f);
      } else if (has_device && field_idx == 2) {
        device_col = col;
        device_name = f;
        if (!f.empty()) {
          Result<int16_t> index = out->InternDevice(machine, f, *device_kind);
          if (!index.has_value()) {
            return index.error().WithPrefix(fmt::format("{}:{}:{}", origin, line_no, col));
          }
          gpu = *index;
        }
      } else if (!f.empty()) {
        double v = 0;
        if (!internal::ParseSampleValue(f, &v)) {
          return InvalidArgumentError("{}:{}:{}: bad number '{}' in column '{}'", origin, line_no,
                                      col, f, columns[field_idx]);
        }
        const size_t metric_idx = field_idx - first_metric;
        int32_t metric = metric_ids[metric_idx];
        if (has_device) {
          const auto m = static_cast<size_t>(machine);
          if (levels.size() <= m) levels.resize(m + 1);
          auto& of_machine = levels[m];
          if (of_machine.empty()) of_machine.resize(metric_ids.size());
          Level& level = of_machine[metric_idx];
          const auto want = gpu == model::kNoGpu ? Level::kMachine : Level::kDevice;
          if (level.level == Level::kUnknown) {
            level.level = want;
            level.line = line_no;
          } else if (level.level != want && want == Level::kMachine) {
            return InvalidArgumentError(
                "{}:{}:{}: empty {} cell, but machine '{}' has per-{} values of '{}' (line {}); "
                "name the {} or leave the value empty", origin, line_no, device_col, kind_name,
                out->machines().Name(machine), kind_name, columns[field_idx], level.line, kind_name);
          } else if (level.level != want) {
            return InvalidArgumentError(
                "{}:{}:{}: {} '{}' given, but machine '{}' has values of '{}' without a {} "
                "(line {}); one metric is either per {} or per machine", origin, line_no,
                device_col, kind_name, device_name, out->machines().Name(machine),
                columns[field_idx], kind_name, level.line, kind_name);
          }
        }
        if (!std::isfinite(v)) {
          if (diags) diags->Add("non_finite_value", origin,
                                fmt::format("line {} column {}", line_no, col),
                                "NaN/Inf sample read as missing");
        } else if (model::IsDcgmBlank(v)) {
          if (diags) diags->Add("dcgm_blank", origin,
                                fmt::format("line {} column {}", line_no, col),
                                "DCGM blank sentinel (~2^63) read as missing");
        } else {
          out->Append(ts, machine, metric, gpu, v);
        }
      }
      ++field_idx;
    }
    if (field_idx != columns.size()) {
      if (last_unterminated) {
        return DataLossError("{}:{}: truncated last line ({} of {} fields, no newline)", origin,
                             line_no, field_idx, columns.size());
      }
      return InvalidArgumentError("{}:{}:{}: {} fields, header has {}", origin, line_no,
                                  line.size() + 1, field_idx, columns.size());
    }
  }
  return OkStatus();
}

// Files from this size on are read in chunks (below it threads cost more than they save).
constexpr size_t kChunkedFrom = size_t{4} << 20;
constexpr size_t kChunkBytes = size_t{1} << 20;

}  // namespace

namespace internal {

Status ReadLongCsvRows(std::string_view text, std::string_view origin, model::MetricTable* out,
                       Diagnostics* diags, size_t chunk_bytes, int threads) {
  TS_ASSIGN_OR_RETURN(CsvHeader header, ParseHeader(text, origin, out));
  if (chunk_bytes == 0 || header.device_kind.has_value()) {
    return ReadRowsByLine(text, header, origin, out, diags);
  }
  return ReadCsvRowsChunked(text, header, origin, out, diags, chunk_bytes, threads);
}

}  // namespace internal

Status ReadLongCsv(std::string_view text, std::string_view origin, model::MetricTable* out,
                   Diagnostics* diags) {
  return internal::ReadLongCsvRows(text, origin, out, diags,
                                   text.size() >= kChunkedFrom ? kChunkBytes : 0, 0);
}

}  // namespace trainscope::ingest
