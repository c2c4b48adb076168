// SPDX-License-Identifier: Apache-2.0
// MetricTable storage and device tables, the DCGM blank test and counter-to-rate conversion.
#include "model/metric_table.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/core.h>

#include "base/parallel.h"

namespace trainscope::model {

int32_t NamePool::Intern(std::string_view name) {
  auto it = ids_.find(std::string(name));
  if (it != ids_.end()) return it->second;
  auto id = static_cast<int32_t>(names_.size());
  names_.emplace_back(name);
  ids_.emplace(names_.back(), id);
  return id;
}

std::optional<int32_t> NamePool::Find(std::string_view name) const {
  auto it = ids_.find(std::string(name));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::string_view DeviceKindName(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kGpu: return "gpu";
    case DeviceKind::kNic: return "nic";
    case DeviceKind::kDevice: return "device";
    case DeviceKind::kInterface: return "interface";
  }
  return "gpu";
}

std::optional<DeviceKind> DeviceKindFromName(std::string_view name) {
  if (name == "gpu") return DeviceKind::kGpu;
  if (name == "nic") return DeviceKind::kNic;
  if (name == "device") return DeviceKind::kDevice;
  if (name == "interface") return DeviceKind::kInterface;
  return std::nullopt;
}

namespace {

// The number of a canonical decimal name ("0", "7", "31"; not "07", "+1", "-1"), else -1.
int DecimalIndex(std::string_view name) {
  if (name.empty() || name.size() > 5 || (name.size() > 1 && name[0] == '0')) return -1;
  int value = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value <= kMaxDevicesPerMachine ? value : -1;
}

}  // namespace

Result<int16_t> MetricTable::InternDevice(int32_t machine, std::string_view name, DeviceKind kind) {
  if (devices_.size() <= static_cast<size_t>(machine)) devices_.resize(static_cast<size_t>(machine) + 1);
  DeviceTable& table = devices_[static_cast<size_t>(machine)];
  auto& by_name = table.by_name[static_cast<size_t>(kind)];
  if (auto it = by_name.find(name); it != by_name.end()) return it->second;
  if (table.by_index.size() >= static_cast<size_t>(kMaxDevicesPerMachine)) {
    return OutOfRangeError("machine '{}' has more than {} devices (at {} '{}')",
                           machines_.Name(machine), kMaxDevicesPerMachine, DeviceKindName(kind), name);
  }
  int index = DecimalIndex(name);
  if (index < 0 || table.by_index.count(static_cast<int16_t>(index)) != 0) {
    while (table.by_index.count(static_cast<int16_t>(table.next_free)) != 0) ++table.next_free;
    index = table.next_free;
  }
  const auto id = static_cast<int16_t>(index);
  table.by_index.emplace(id, Device{std::string(name), kind});
  by_name.emplace(std::string(name), id);
  return id;
}

Status MetricTable::SetMachineGroup(int32_t machine, std::string_view group) {
  if (group.empty()) return OkStatus();
  const size_t m = static_cast<size_t>(machine);
  if (machine_group_.size() <= m) machine_group_.resize(m + 1);
  std::string& have = machine_group_[m];
  if (have.empty()) {
    have = std::string(group);
  } else if (have != group) {
    return InvalidArgumentError("machine {} carries two groups, '{}' and '{}'", machines_.Name(machine), have,
                                group);
  }
  return OkStatus();
}

std::map<std::string, std::string> MetricTable::MachineGroups() const {
  std::map<std::string, std::string> out;
  for (size_t m = 0; m < machine_group_.size(); ++m) {
    if (!machine_group_[m].empty()) out.emplace(machines_.Name(static_cast<int32_t>(m)), machine_group_[m]);
  }
  return out;
}

Device MetricTable::DeviceOf(int32_t machine, int16_t index) const {
  if (index < 0) return Device{};
  if (static_cast<size_t>(machine) < devices_.size()) {
    const auto& by_index = devices_[static_cast<size_t>(machine)].by_index;
    if (auto it = by_index.find(index); it != by_index.end()) return it->second;
  }
  return Device{std::to_string(index), DeviceKind::kGpu};
}

const std::map<int16_t, Device>& MetricTable::Devices(int32_t machine) const {
  static const std::map<int16_t, Device> kNone;
  if (static_cast<size_t>(machine) >= devices_.size()) return kNone;
  return devices_[static_cast<size_t>(machine)].by_index;
}

int32_t MetricTable::InternMetric(std::string_view name) {
  int32_t id = metrics_.Intern(name);
  if (is_counter_.size() <= static_cast<size_t>(id)) is_counter_.resize(static_cast<size_t>(id) + 1, 0);
  return id;
}

void MetricTable::Append(int64_t ts, int32_t machine, int32_t metric, int16_t gpu, double value) {
  ts_.push_back(ts);
  machine_.push_back(machine);
  metric_.push_back(metric);
  gpu_.push_back(gpu);
  value_.push_back(value);
}

void MetricTable::Reserve(size_t rows) {
  ts_.reserve(rows);
  machine_.reserve(rows);
  metric_.reserve(rows);
  gpu_.reserve(rows);
  value_.reserve(rows);
}

MetricTable::RowPointers MetricTable::AppendRows(size_t rows) {
  const size_t first = size();
  // The columns' fresh pages are faulted in (and zeroed) by as many threads as there are columns
  // to grow when the growth is large: first touches cost more than the bytes written into them.
  auto grow = [&](size_t column) {
    switch (column) {
      case 0: ts_.resize(first + rows); break;
      case 1: value_.resize(first + rows); break;
      case 2: machine_.resize(first + rows); break;
      case 3: metric_.resize(first + rows); break;
      default: gpu_.resize(first + rows); break;
    }
  };
  ParallelFor(5, rows >= (size_t{1} << 20) ? 0 : 1, grow);
  return RowPointers{ts_.data() + first, machine_.data() + first, metric_.data() + first,
                     gpu_.data() + first, value_.data() + first};
}

void MetricTable::Truncate(size_t rows) {
  if (rows >= size()) return;
  ts_.resize(rows);
  machine_.resize(rows);
  metric_.resize(rows);
  gpu_.resize(rows);
  value_.resize(rows);
}

void MetricTable::RenumberMetrics(const std::vector<int32_t>& new_id,
                                  const std::vector<std::string>& names) {
  bool identity = true;
  for (size_t id = 0; id < new_id.size(); ++id) {
    identity = identity && (new_id[id] < 0 || new_id[id] == static_cast<int32_t>(id));
  }
  if (!identity) {
    for (int32_t& metric : metric_) metric = new_id[static_cast<size_t>(metric)];
  }
  metrics_ = NamePool();
  for (const std::string& name : names) metrics_.Intern(name);
  is_counter_.assign(names.size(), 0);
}

void MetricTable::SetCounter(int32_t metric, bool counter) {
  if (is_counter_.size() <= static_cast<size_t>(metric)) {
    is_counter_.resize(static_cast<size_t>(metric) + 1, 0);
  }
  is_counter_[static_cast<size_t>(metric)] = counter ? 1 : 0;
}

bool IsDcgmBlank(double value) {
  // DCGM_INT64_BLANK = 0x7ffffffffffffff0 and its neighbours (NOT_FOUND, NOT_SUPPORTED, ...),
  // DCGM_INT32_BLANK = 0x7ffffff0; exporters print them as huge integers.
  constexpr double kInt64Blank = 9223372036854775792.0;
  constexpr double kInt32Blank = 2147483632.0;
  if (std::fabs(value - kInt64Blank) < 1048576.0) return true;
  if (value >= kInt32Blank && value <= 2147483647.0) return true;
  return false;
}

namespace {

// True when every (metric, machine, device) series of `t` is in strictly increasing time order,
// row by row: no duplicate to merge and nothing to sort. False also when the series are too many
// to number densely (the caller then takes the general path).
bool SeriesStrictlyIncreasing(const MetricTable& t) {
  const size_t rows = t.size();
  int lowest = kNoGpu, highest = kNoGpu;
  for (size_t row = 0; row < rows; ++row) {
    lowest = std::min<int>(lowest, t.gpu()[row]);
    highest = std::max<int>(highest, t.gpu()[row]);
  }
  const size_t machines = static_cast<size_t>(t.machines().size());
  const size_t devices = static_cast<size_t>(highest) + 2;  // kNoGpu and 0..highest
  const size_t series = static_cast<size_t>(t.metrics().size()) * machines * devices;
  if (lowest < kNoGpu || series > (size_t{1} << 20)) return false;
  std::vector<int64_t> last(series, std::numeric_limits<int64_t>::min());
  for (size_t row = 0; row < rows; ++row) {
    const size_t key = (static_cast<size_t>(t.metric()[row]) * machines +
                        static_cast<size_t>(t.machine()[row])) * devices +
                       static_cast<size_t>(t.gpu()[row] + 1);
    if (t.ts()[row] <= last[key]) return false;
    last[key] = t.ts()[row];
  }
  return true;
}

}  // namespace

MetricTable CountersToRates(MetricTable&& in, Diagnostics* diags) {
  bool counters = false;
  for (int32_t id = 0; id < in.metrics().size(); ++id) counters = counters || in.IsCounter(id);
  if (!counters && SeriesStrictlyIncreasing(in)) return std::move(in);
  return CountersToRates(static_cast<const MetricTable&>(in), diags);
}

MetricTable CountersToRates(const MetricTable& in, Diagnostics* diags) {
  MetricTable out;
  for (const std::string& m : in.machines().names()) out.InternMachine(m);
  for (int32_t id = 0; id < in.metrics().size(); ++id) out.InternMetric(in.metrics().Name(id));
  out.CopyDevices(in);
  out.Reserve(in.size());
  // Row order: series by series, time-sorted, so differences are between neighbours in time.
  std::vector<size_t> order(in.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&in](size_t a, size_t b) {
    if (in.metric()[a] != in.metric()[b]) return in.metric()[a] < in.metric()[b];
    if (in.machine()[a] != in.machine()[b]) return in.machine()[a] < in.machine()[b];
    if (in.gpu()[a] != in.gpu()[b]) return in.gpu()[a] < in.gpu()[b];
    return in.ts()[a] < in.ts()[b];
  });
  auto same_series = [&in](size_t a, size_t b) {
    return in.metric()[a] == in.metric()[b] && in.machine()[a] == in.machine()[b] &&
           in.gpu()[a] == in.gpu()[b];
  };
  size_t prev = 0;  // first row of the previous group
  double prev_value = 0;
  bool have_prev = false;
  for (size_t k = 0; k < order.size();) {
    // A group: the samples of one series at one timestamp (duplicates merge into their mean).
    const size_t row = order[k];
    size_t end = k + 1;
    double sum = in.value()[row];
    while (end < order.size() && same_series(order[end], row) && in.ts()[order[end]] == in.ts()[row]) {
      sum += in.value()[order[end]];
      ++end;
    }
    const double value = sum / static_cast<double>(end - k);
    k = end;
    const int32_t metric = in.metric()[row];
    const bool continues = have_prev && same_series(prev, row);
    const size_t before = prev;
    const double before_value = prev_value;
    prev = row;
    prev_value = value;
    have_prev = true;
    if (!in.IsCounter(metric)) {
      out.Append(in.ts()[row], in.machine()[row], metric, in.gpu()[row], value);
      continue;
    }
    if (!continues) continue;  // first sample of a counter series: no rate
    const int64_t dt = in.ts()[row] - in.ts()[before];
    double dt_s = static_cast<double>(dt) / static_cast<double>(kNanosPerSecond);
    double diff = value - before_value;
    if (diff < 0) {
      diff = value;
      if (diags != nullptr) {
        const int32_t machine = in.machine()[row];
        const std::string device = in.DeviceOf(machine, in.gpu()[row]).name;
        diags->Add("counter_reset", in.metrics().Name(metric),
                   fmt::format("machine {}{} ts {} s", in.machines().Name(machine),
                               device.empty() ? "" : " device " + device,
                               in.ts()[row] / kNanosPerSecond),
                   "counter decreased (exporter restart); rate taken from the new value");
      }
    }
    out.Append(in.ts()[row], in.machine()[row], metric, in.gpu()[row], diff / dt_s);
  }
  return out;
}

std::pair<std::string_view, std::string_view> SplitMetricKey(std::string_view key) {
  size_t brace = key.find('{');
  if (brace == std::string_view::npos) return {key, {}};
  std::string_view labels = key.substr(brace + 1);
  if (!labels.empty() && labels.back() == '}') labels.remove_suffix(1);
  return {key.substr(0, brace), labels};
}

}  // namespace trainscope::model
