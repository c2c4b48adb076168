// SPDX-License-Identifier: Apache-2.0
// Format detection, multi-file loading and the label helpers shared by the Prometheus readers.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "base/byte_source.h"
#include "base/utf8.h"
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
  if (name.ends_with("_total") || name.ends_with("_TOTAL") || name.ends_with("_COUNTER") ||
      name.ends_with("_CONSUMPTION") || name.ends_with("_pause")) {
    return true;
  }
  // Lower-cased DCGM names (`dcgm_fi_dev_pcie_replay_counter`); only under the dcgm_ prefix, as
  // `_counter`/`_consumption` are gauges elsewhere.
  return name.starts_with("dcgm_") && (name.ends_with("_counter") || name.ends_with("_consumption"));
}

std::string MachineFromPath(std::string_view path) {
  size_t slash = path.find_last_of('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = base.find('.');
  return std::string(dot == std::string_view::npos || dot == 0 ? base : base.substr(0, dot));
}

std::string MetricNameFromPath(std::string_view path) {
  size_t slash = path.find_last_of('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (base.ends_with(".gz")) base.remove_suffix(3);
  if (base.ends_with(".json")) base.remove_suffix(5);
  return std::string(base.empty() ? std::string_view("value") : base);
}

namespace {

// Labels naming the machine, in order of preference. `node` and `exported_instance` come before
// `instance`: under Kubernetes `instance` is the scrape address of the exporter pod, and when the
// exporter exposes an `instance` of its own (federation, Pushgateway) Prometheus renames that one
// `exported_instance`.
constexpr std::string_view kMachineLabels[] = {"Hostname", "hostname", "node",
                                               "exported_instance", "instance", "host"};
// Identity and info labels: never part of a metric key (nor are their `exported_` forms, which
// kube-prometheus creates when the exporter's own `pod`/`namespace`/... collide with the scrape
// target's). Without this a metric splits into one series per pod that used the GPU.
constexpr std::string_view kIdentityLabels[] = {
    "Hostname", "hostname", "node",      "instance",       "host",          "job",
    "pod",      "namespace", "container", "service",       "endpoint",      "monitor",
    "prometheus", "prometheus_replica",   "pod_name",      "pod_namespace", "container_name",
    "gpu",      "UUID",      "uuid",      "modelName",     "modelname",     "pci_bus_id"};

bool IsIdentityLabel(std::string_view key) {
  if (key.starts_with("exported_")) key.remove_prefix(9);
  if (key.starts_with("DCGM_") || key.starts_with("dcgm_")) return true;  // driver version, ...
  return std::find(std::begin(kIdentityLabels), std::end(kIdentityLabels), key) !=
         std::end(kIdentityLabels);
}

}  // namespace

SeriesIdentity IdentifySeries(std::string_view name,
                              const std::vector<std::pair<std::string, std::string>>& labels,
                              std::string_view fallback_machine, std::string_view group_label) {
  SeriesIdentity id;
  auto label = [&labels](std::string_view key) -> const std::string* {
    for (const auto& [k, v] : labels) {
      if (k == key && !v.empty()) return &v;  // an empty label value is an absent label
    }
    return nullptr;
  };
  for (std::string_view want : kMachineLabels) {
    if (const std::string* v = label(want)) {
      id.machine = *v;
      break;
    }
  }
  if (id.machine.empty()) id.machine = std::string(fallback_machine);
  // Device: `gpu`, else `nic`, else `interface`, else node_exporter's per-link `device`.
  const bool node_link = name.starts_with("node_network_") || name.starts_with("node_infiniband_");
  std::string_view device_label;
  for (std::string_view want : {"gpu", "nic", "interface", "device"}) {
    if (want == "device" && !node_link) break;
    if (const std::string* v = label(want)) {
      id.device = *v;
      id.device_kind = *model::DeviceKindFromName(want);
      device_label = want;
      break;
    }
  }
  const bool has_gpu = id.device_kind == model::DeviceKind::kGpu && !id.device.empty();
  std::vector<std::pair<std::string, std::string>> kept;
  for (const auto& [k, v] : labels) {
    if (!group_label.empty() && k == group_label) {
      id.group = v;
      continue;
    }
    bool drop = IsIdentityLabel(k) || k == device_label || (has_gpu && k == "device");
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
// samples are sorted into time order and duplicates replaced by their mean. The last time of each
// series is kept in a dense array when the series are few enough to number (metric x machine x
// device index), else in a hash map.
void CheckTimeOrder(const model::MetricTable& t, size_t first, std::string_view origin,
                    Diagnostics* diags) {
  if (diags == nullptr) return;
  auto where = [&](size_t row) {
    return fmt::format("machine {} metric {} at {} s", t.machines().Name(t.machine()[row]),
                       t.metrics().Name(t.metric()[row]),
                       static_cast<double>(t.ts()[row]) / static_cast<double>(model::kNanosPerSecond));
  };
  // Compares row `row` with the series' last time `*last` (nullopt: its first sample).
  auto check = [&](size_t row, std::optional<int64_t>* last) {
    const int64_t ts = t.ts()[row];
    if (last->has_value()) {
      if (ts == **last) {
        diags->Add("duplicate_timestamp", origin, where(row),
                   "several samples of one series at one timestamp; their mean is used");
      } else if (ts < **last) {
        diags->Add("non_monotonic_time", origin, where(row),
                   "samples of one series go back in time; they are sorted into time order");
      }
      *last = std::max(**last, ts);
    } else {
      *last = ts;
    }
  };
  int lowest = model::kNoGpu, highest = model::kNoGpu;
  for (size_t row = first; row < t.size(); ++row) {
    lowest = std::min<int>(lowest, t.gpu()[row]);
    highest = std::max<int>(highest, t.gpu()[row]);
  }
  const size_t machines = static_cast<size_t>(t.machines().size());
  const size_t devices = static_cast<size_t>(highest) + 2;  // kNoGpu and 0..highest
  const size_t series = static_cast<size_t>(t.metrics().size()) * machines * devices;
  if (lowest >= model::kNoGpu && series <= (size_t{1} << 20)) {
    std::vector<std::optional<int64_t>> last(series);
    for (size_t row = first; row < t.size(); ++row) {
      check(row, &last[(static_cast<size_t>(t.metric()[row]) * machines +
                        static_cast<size_t>(t.machine()[row])) * devices +
                       static_cast<size_t>(t.gpu()[row] + 1)]);
    }
    return;
  }
  std::unordered_map<SeriesKey, std::optional<int64_t>, SeriesKeyHash> last;
  for (size_t row = first; row < t.size(); ++row) {
    check(row, &last[SeriesKey{t.metric()[row], t.machine()[row], t.gpu()[row]}]);
  }
}

// Machine and metric names a file brought in that are not valid UTF-8: invalid_utf8_name at the
// line of each (the outputs escape the bytes; the user is told why the name looks different).
void CheckNameEncoding(const model::MetricTable& t, int32_t machines_before,
                       int32_t metrics_before, std::string_view text, const std::string& path,
                       Diagnostics* diags) {
  if (diags == nullptr) return;
  auto check = [&](const model::NamePool& pool, int32_t first, const char* what) {
    for (int32_t id = first; id < pool.size(); ++id) {
      const std::string& name = pool.Name(id);
      const size_t bad = FirstInvalidUtf8(name);
      if (bad == std::string_view::npos) continue;
      const size_t at = text.find(name);
      std::string place;
      if (at != std::string_view::npos) {
        place = fmt::format("line {}", std::count(text.begin(), text.begin() + at, '\n') + 1);
      }
      diags->Add("invalid_utf8_name", path, place,
                 fmt::format("{} name '{}' is not valid UTF-8 (byte {} of the name); written with "
                             "\\xnn escapes",
                             what, PrintableText(name), bad));
    }
  };
  check(t.machines(), machines_before, "machine");
  check(t.metrics(), metrics_before, "metric");
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
  if (!options.unnamed_metrics.empty() && options.unnamed_metrics.size() != paths.size()) {
    return InvalidArgumentError("{} name(s) for series without __name__ (--metric) for {} file(s): "
                                "give one name per file, in file order",
                                options.unnamed_metrics.size(), paths.size());
  }
  model::MetricTable table;
  for (size_t file_idx = 0; file_idx < paths.size(); ++file_idx) {
    const std::string& path = paths[file_idx];
    TS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
    MetricFormat format = options.format == MetricFormat::kAuto ? DetectMetricFormat(text, path)
                                                                : options.format;
    const size_t first_row = table.size();
    const int32_t machines_before = table.machines().size();
    const int32_t metrics_before = table.metrics().size();
    switch (format) {
      case MetricFormat::kCsv:
        if (!options.group_label.empty()) {
          return InvalidArgumentError("{}: --group-label {}: long CSV carries no labels; give the groups "
                                      "with --groups FILE (machine,group lines)", path, options.group_label);
        }
        TS_RETURN_IF_ERROR(ReadLongCsv(text, path, &table, diags));
        break;
      case MetricFormat::kPromJson:
        TS_RETURN_IF_ERROR(ReadPromQueryRange(
            text, path, &table, diags,
            options.unnamed_metrics.empty() ? std::string_view() : options.unnamed_metrics[file_idx],
            options.group_label));
        break;
      case MetricFormat::kPromText:
      case MetricFormat::kAuto:
        TS_RETURN_IF_ERROR(ReadPromText(text, path, 0, options.text_interval_ns, &table, diags,
                                         options.group_label));
        break;
    }
    CheckTimeOrder(table, first_row, path, diags);
    CheckNameEncoding(table, machines_before, metrics_before, text, path, diags);
  }
  if (table.size() == 0) {
    return FailedPreconditionError("{}: no samples (an empty pull)",
                                   paths.empty() ? std::string("<no input>") : paths.front());
  }
  if (options.counters_to_rates) return model::CountersToRates(std::move(table), diags);
  return table;
}

}  // namespace trainscope::ingest
