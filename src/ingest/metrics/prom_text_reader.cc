// SPDX-License-Identifier: Apache-2.0
// Prometheus text exposition reader: `# TYPE`, `name{labels} value [timestamp_ms]`, many scrapes.
#include <charconv>
#include <cmath>
#include <unordered_set>

#include "base/line_reader.h"
#include "ingest/metrics/metric_readers.h"

namespace trainscope::ingest {
namespace {

bool IsNameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

// Parses `{k="v",...}` starting at line[*pos] == '{'; handles \" \\ \n escapes.
Status ParseLabels(std::string_view line, size_t* pos, std::string_view origin, int64_t line_no,
                   std::vector<std::pair<std::string, std::string>>* labels) {
  size_t i = *pos + 1;
  auto err = [&](const char* what) {
    return InvalidArgumentError("{}:{}:{}: {}", origin, line_no, i + 1, what);
  };
  while (true) {
    while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
    if (i >= line.size()) return err("unterminated label set");
    if (line[i] == '}') break;
    size_t k0 = i;
    while (i < line.size() && IsNameChar(line[i], i == k0)) ++i;
    if (i == k0) return err("bad label name");
    std::string key(line.substr(k0, i - k0));
    if (i >= line.size() || line[i] != '=') return err("expected '=' after label name");
    ++i;
    if (i >= line.size() || line[i] != '"') return err("expected '\"' to open a label value");
    ++i;
    std::string value;
    while (i < line.size() && line[i] != '"') {
      if (line[i] == '\\' && i + 1 < line.size()) {
        ++i;
        value.push_back(line[i] == 'n' ? '\n' : line[i]);
      } else {
        value.push_back(line[i]);
      }
      ++i;
    }
    if (i >= line.size()) return err("unterminated label value");
    ++i;
    labels->emplace_back(std::move(key), std::move(value));
  }
  *pos = i + 1;
  return OkStatus();
}

}  // namespace

Status ReadPromText(std::string_view text, std::string_view origin, int64_t start_ns,
                    int64_t interval_ns, model::MetricTable* out, Diagnostics* diags,
                    std::string_view group_label) {
  std::unordered_set<std::string> counters;
  std::unordered_set<std::string> seen_in_scrape;
  int64_t scrape = 0;
  std::string fallback = internal::MachineFromPath(origin);
  std::vector<std::pair<std::string, std::string>> labels;
  LineReader lines(text);
  while (std::optional<TextLine> text_line = lines.Next()) {
    const int64_t line_no = text_line->number;
    std::string_view line = text_line->text;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    if (line.front() == '#') {
      if (line.starts_with("# TYPE ")) {
        std::string_view rest = line.substr(7);
        size_t sp = rest.find(' ');
        if (sp != std::string_view::npos && rest.substr(sp + 1).starts_with("counter")) {
          counters.emplace(rest.substr(0, sp));
        }
      } else if (line.starts_with("# SCRAPE")) {
        if (!seen_in_scrape.empty()) ++scrape;
        seen_in_scrape.clear();
      }
      continue;  // HELP, NOTE and other comments
    }
    size_t i = 0;
    while (i < line.size() && IsNameChar(line[i], i == 0)) ++i;
    if (i == 0) {
      return InvalidArgumentError("{}:{}:1: expected a metric name", origin, line_no);
    }
    std::string_view name = line.substr(0, i);
    const size_t labels_col = i + 1;
    labels.clear();
    if (i < line.size() && line[i] == '{') {
      TS_RETURN_IF_ERROR(ParseLabels(line, &i, origin, line_no, &labels));
    }
    while (i < line.size() && line[i] == ' ') ++i;
    size_t v0 = i;
    while (i < line.size() && line[i] != ' ') ++i;
    std::string_view value_text = line.substr(v0, i - v0);
    double value = 0;
    if (value_text.empty()) {
      return InvalidArgumentError("{}:{}:{}: the sample has no value", origin, line_no, v0 + 1);
    }
    if (!internal::ParseSampleValue(value_text, &value)) {
      return InvalidArgumentError("{}:{}:{}: bad sample value '{}'", origin, line_no, v0 + 1,
                                  value_text);
    }
    while (i < line.size() && line[i] == ' ') ++i;
    int64_t ts = 0;
    bool has_ts = i < line.size();
    if (has_ts) {
      std::string_view ts_text = line.substr(i);
      int64_t ms = 0;
      auto [p, ec] = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ms);
      if (ec != std::errc() || p != ts_text.data() + ts_text.size() || std::llabs(ms) > 9'000'000'000'000) {
        return InvalidArgumentError("{}:{}:{}: bad timestamp '{}' (want integer ms)", origin,
                                    line_no, i + 1, ts_text);
      }
      // Seconds where milliseconds belong: 1.7e9 read as ms is 1970-01-20, and a day of
      // per-second scrapes shrinks to 86 s. Unix seconds of 1973-2286 fall in this range.
      if (ms >= 100'000'000 && ms < 100'000'000'000) {
        return InvalidArgumentError(
            "{}:{}:{}: timestamp {} read as milliseconds is {:.1f} days after 1970-01-01; the "
            "exposition format's timestamps are milliseconds since the epoch, and this looks like "
            "Unix seconds (multiply by 1000)",
            origin, line_no, i + 1, ms, static_cast<double>(ms) / 86'400'000.0);
      }
      ts = ms * 1'000'000;
    }
    internal::SeriesIdentity id = internal::IdentifySeries(name, labels, fallback, group_label);
    std::string series_key = id.machine + '\x1f' + id.device + '\x1f' + id.metric_key;
    if (!seen_in_scrape.insert(series_key).second) {
      ++scrape;  // the series repeats: the next scrape has begun
      seen_in_scrape.clear();
      seen_in_scrape.insert(series_key);
    }
    if (!has_ts) ts = start_ns + scrape * interval_ns;
    int32_t machine = out->InternMachine(id.machine);
    if (Status s = out->SetMachineGroup(machine, id.group); !s.ok()) {
      return s.WithPrefix(fmt::format("{}:{}:{}: label {}", origin, line_no, labels_col, group_label));
    }
    int32_t metric = out->InternMetric(id.metric_key);
    int16_t device = model::kNoGpu;
    if (!id.device.empty()) {
      Result<int16_t> index = out->InternDevice(machine, id.device, id.device_kind);
      if (!index.has_value()) {
        return index.error().WithPrefix(fmt::format("{}:{}:{}", origin, line_no, labels_col));
      }
      device = *index;
    }
    if (counters.count(std::string(name)) != 0 || internal::LooksLikeCounter(name)) {
      out->SetCounter(metric, true);
    }
    if (!std::isfinite(value)) {
      if (diags) diags->Add("non_finite_value", origin,
                            fmt::format("line {}", line_no), "NaN/Inf sample read as missing");
    } else if (model::IsDcgmBlank(value)) {
      if (diags) diags->Add("dcgm_blank", origin, fmt::format("line {}", line_no),
                            "DCGM blank sentinel (~2^63) read as missing");
    } else {
      out->Append(ts, machine, metric, device, value);
    }
  }
  return OkStatus();
}

}  // namespace trainscope::ingest
