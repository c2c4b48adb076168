// SPDX-License-Identifier: Apache-2.0
// Format detection, multi-file loading and the label helpers shared by the Prometheus readers.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "base/byte_source.h"
#include "ingest/metrics/metric_readers.h"

namespace trainscope::ingest {
namespace internal {

bool ParseSampleValue(std::string_view text, double* value) {
  if (text == "NaN" || text == "nan") {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "+Inf" || text == "Inf" || text == "inf") {
    *value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf" || text == "-inf") {
    *value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  if (ec == std::errc::result_out_of_range) {
    *value = std::numeric_limits<double>::infinity();
    return true;
  }
  return ec == std::errc() && p == text.data() + text.size() && !text.empty();
}

bool LooksLikeCounter(std::string_view name) {
  return name.ends_with("_total") || name.ends_with("_TOTAL") || name.ends_with("_COUNTER") ||
         name.ends_with("_CONSUMPTION") || name.ends_with("_pause");
}

std::string MachineFromPath(std::string_view path) {
  size_t slash = path.find_last_of('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = base.find('.');
  return std::string(dot == std::string_view::npos || dot == 0 ? base : base.substr(0, dot));
}

SeriesIdentity IdentifySeries(std::string_view name,
                              const std::vector<std::pair<std::string, std::string>>& labels,
                              std::string_view fallback_machine) {
  SeriesIdentity id;
  // Machine: the first of these labels present, in this order of preference.
  static constexpr std::string_view kMachineLabels[] = {"Hostname", "hostname", "instance",
                                                        "host", "node"};
  for (std::string_view want : kMachineLabels) {
    for (const auto& [k, v] : labels) {
      if (k == want && id.machine.empty()) id.machine = v;
    }
  }
  if (id.machine.empty()) id.machine = std::string(fallback_machine);
  bool has_gpu = false;
  for (const auto& [k, v] : labels) {
    if (k != "gpu") continue;
    int g = -1;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), g);
    if (ec == std::errc() && g >= 0 && g < 4096) {
      id.gpu = static_cast<int16_t>(g);
      has_gpu = true;
    }
  }
  // Identity and info labels never split a metric.
  static constexpr std::string_view kDropped[] = {
      "Hostname", "hostname", "instance", "host",  "node",   "job",       "gpu",
      "UUID",     "modelName", "pci_bus_id", "pod", "namespace", "container", "monitor",
      "endpoint", "service"};
  std::vector<std::pair<std::string, std::string>> kept;
  for (const auto& [k, v] : labels) {
    bool drop = std::find(std::begin(kDropped), std::end(kDropped), k) != std::end(kDropped) ||
                k.starts_with("DCGM_") || (has_gpu && k == "device");
    if (!drop) kept.emplace_back(k, v);
  }
  std::sort(kept.begin(), kept.end());
  id.metric_key = std::string(name);
  if (!kept.empty()) {
    id.metric_key += '{';
    for (size_t i = 0; i < kept.size(); ++i) {
      if (i > 0) id.metric_key += ',';
      id.metric_key += kept[i].first + "=\"" + kept[i].second + "\"";
    }
    id.metric_key += '}';
  }
  return id;
}

}  // namespace internal

namespace {

struct SeriesKey {
  int32_t metric, machine;
  int16_t gpu;
  bool operator==(const SeriesKey&) const = default;
};
struct SeriesKeyHash {
  size_t operator()(const SeriesKey& k) const {
    uint64_t h = (static_cast<uint64_t>(static_cast<uint32_t>(k.metric)) << 32) ^
                 static_cast<uint32_t>(k.machine) ^ (static_cast<uint64_t>(static_cast<uint16_t>(k.gpu)) << 48);
    return static_cast<size_t>(h * 0x9E3779B97F4A7C15ULL);
  }
};

// Records samples of one series (metric, machine, GPU) in the rows [first, end) read from one
// file that repeat a timestamp or go back in time. Recovery (CountersToRates, BuildGrid): the
// samples are sorted into time order and duplicates replaced by their mean.
void CheckTimeOrder(const model::MetricTable& t, size_t first, std::string_view origin,
                    Diagnostics* diags) {
  if (diags == nullptr) return;
  std::unordered_map<SeriesKey, int64_t, SeriesKeyHash> last;
  auto where = [&](size_t row) {
    return fmt::format("machine {} metric {} at {} s", t.machines().Name(t.machine()[row]),
                       t.metrics().Name(t.metric()[row]),
                       static_cast<double>(t.ts()[row]) / static_cast<double>(model::kNanosPerSecond));
  };
  for (size_t row = first; row < t.size(); ++row) {
    auto [it, inserted] = last.try_emplace(SeriesKey{t.metric()[row], t.machine()[row], t.gpu()[row]},
                                           t.ts()[row]);
    if (inserted) continue;
    if (t.ts()[row] == it->second) {
      diags->Add("duplicate_timestamp", Severity::kWarning, origin, where(row),
                 "several samples of one series at one timestamp; their mean is used");
    } else if (t.ts()[row] < it->second) {
      diags->Add("non_monotonic_time", Severity::kWarning, origin, where(row),
                 "samples of one series go back in time; they are sorted into time order");
    }
    it->second = std::max(it->second, t.ts()[row]);
  }
}

}  // namespace

MetricFormat DetectMetricFormat(std::string_view text, std::string_view path) {
  if (path.ends_with(".json") || path.ends_with(".json.gz")) return MetricFormat::kPromJson;
  if (path.ends_with(".csv") || path.ends_with(".csv.gz")) return MetricFormat::kCsv;
  size_t i = text.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos) return MetricFormat::kCsv;
  if (text[i] == '{' || text[i] == '[') return MetricFormat::kPromJson;
  if (text[i] == '#') return MetricFormat::kPromText;
  if (text.substr(i).starts_with("timestamp,")) return MetricFormat::kCsv;
  return MetricFormat::kPromText;
}

Result<model::MetricTable> LoadMetrics(const std::vector<std::string>& paths,
                                       const LoadOptions& options, Diagnostics* diags) {
  model::MetricTable table;
  for (const std::string& path : paths) {
    TS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
    MetricFormat format = options.format == MetricFormat::kAuto ? DetectMetricFormat(text, path)
                                                                : options.format;
    const size_t first_row = table.size();
    switch (format) {
      case MetricFormat::kCsv:
        TS_RETURN_IF_ERROR(ReadLongCsv(text, path, &table, diags));
        break;
      case MetricFormat::kPromJson:
        TS_RETURN_IF_ERROR(ReadPromQueryRange(text, path, &table, diags));
        break;
      case MetricFormat::kPromText:
      case MetricFormat::kAuto:
        TS_RETURN_IF_ERROR(ReadPromText(text, path, 0, options.text_interval_ns, &table, diags));
        break;
    }
    CheckTimeOrder(table, first_row, path, diags);
  }
  if (table.size() == 0) {
    return FailedPreconditionError("{}: no samples (an empty pull)",
                                   paths.empty() ? std::string("<no input>") : paths.front());
  }
  if (options.counters_to_rates) return model::CountersToRates(table, diags);
  return table;
}

}  // namespace trainscope::ingest
