// SPDX-License-Identifier: Apache-2.0
// MetricTable: the columnar store of monitoring samples (timestamp, machine, metric, value,
// device).
//
// Readers (ingest/metrics/) append rows; analyses (minder/) read a const table. Time `ts` is
// int64 nanoseconds since the Unix epoch (or a relative origin for data without real clocks).
// A metric name may carry the labels that tell its series apart, Prometheus style
// (`node_cpu_seconds_total{cpu="0",mode="idle"}`); machine and device labels are never part of it.
// Values are doubles; missing samples are simply absent rows (readers never append NaN).
// Devices: a row's `gpu` column is the index of a device on its machine (kNoGpu for machine-level
// data). Each machine has its own device table, index -> name and kind (GPU, NIC, ...): a GPU
// numbered `3` keeps index 3, a NIC `ens11np0` takes the lowest free index of its machine. Rows
// appended with an index that was never interned are GPUs named by their number.
// Ownership: the table owns its columns and names. Thread safety: none (build, then share const).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/diagnostics.h"
#include "base/huge_buffer.h"
#include "base/status.h"

namespace trainscope::model {

inline constexpr int16_t kNoGpu = -1;
inline constexpr int64_t kNanosPerSecond = 1'000'000'000;
inline constexpr int kMaxDevicesPerMachine = 32767;

// What the device dimension of a row is; named after the CSV column / Prometheus label it came
// from (`gpu`, `nic`, `device`, `interface`).
enum class DeviceKind : uint8_t { kGpu, kNic, kDevice, kInterface };
inline constexpr int kDeviceKinds = 4;
std::string_view DeviceKindName(DeviceKind kind);
// The kind a column or label name stands for; nullopt for other names.
std::optional<DeviceKind> DeviceKindFromName(std::string_view name);

struct Device {
  std::string name;  // "3", "ens11np0", "mlx5_0", "unknown"
  DeviceKind kind = DeviceKind::kGpu;
};

// Interns names into dense ids 0..size()-1.
class NamePool {
 public:
  int32_t Intern(std::string_view name);
  std::optional<int32_t> Find(std::string_view name) const;
  const std::string& Name(int32_t id) const { return names_[static_cast<size_t>(id)]; }
  const std::vector<std::string>& names() const { return names_; }
  int32_t size() const { return static_cast<int32_t>(names_.size()); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, int32_t> ids_;
};

class MetricTable {
 public:
  int32_t InternMachine(std::string_view name) { return machines_.Intern(name); }
  int32_t InternMetric(std::string_view name);

  // Interns device `name` (not empty) of `kind` on `machine` (an id from InternMachine) and
  // returns its index on that machine. A decimal name 0..32767 without sign or leading zero keeps
  // its number as index unless another device holds it; other names take the machine's lowest
  // free index. kOutOfRange error (no place: the caller adds it) past kMaxDevicesPerMachine.
  Result<int16_t> InternDevice(int32_t machine, std::string_view name, DeviceKind kind);
  // Name and kind of device `index` of `machine`: the interned one, else (a row appended with a
  // bare index) a GPU named by its number; an empty name for kNoGpu.
  Device DeviceOf(int32_t machine, int16_t index) const;
  // The interned devices of `machine`, by index (empty for machine-level data).
  const std::map<int16_t, Device>& Devices(int32_t machine) const;
  // Takes the device tables (and the machines' groups) of `from`, whose machine ids must be this
  // table's (CountersToRates, MapMetricNames intern the machines of their input in order).
  void CopyDevices(const MetricTable& from) {
    devices_ = from.devices_;
    machine_group_ = from.machine_group_;
  }

  // The peer group a machine's series carry (a label such as `role` or `stage`, read with
  // `--group-label`): set once per machine; a different value for the same machine is a
  // kInvalidArgument error (no place: the caller adds it). An empty `group` is no group.
  Status SetMachineGroup(int32_t machine, std::string_view group);
  // Machine name -> group, for the machines that carry one.
  std::map<std::string, std::string> MachineGroups() const;

  // Appends one sample. `gpu` is the device index on the machine (InternDevice, or a bare GPU
  // number) or kNoGpu for machine-level data.
  void Append(int64_t ts, int32_t machine, int32_t metric, int16_t gpu, double value);
  void Reserve(size_t rows);
  // Bulk appends for readers that fill rows from several threads: AppendRows grows every column
  // by `rows` rows (zero until written) and returns where the first new row of each column is;
  // Truncate(n) keeps the first n rows.
  struct RowPointers {
    int64_t* ts;
    int32_t* machine;
    int32_t* metric;
    int16_t* gpu;
    double* value;
  };
  RowPointers AppendRows(size_t rows);
  void Truncate(size_t rows);

  size_t size() const { return ts_.size(); }
  const Column<int64_t>& ts() const { return ts_; }
  const Column<int32_t>& machine() const { return machine_; }
  const Column<int32_t>& metric() const { return metric_; }
  const Column<int16_t>& gpu() const { return gpu_; }
  const Column<double>& value() const { return value_; }

  const NamePool& machines() const { return machines_; }
  const NamePool& metrics() const { return metrics_; }

  // Renames the metrics in place: row ids go through `new_id` (old id -> new id; every id that
  // has rows must map to one) and the names become `names` (by new id), none a counter.
  void RenumberMetrics(const std::vector<int32_t>& new_id, const std::vector<std::string>& names);

  // Counters (Prometheus `# TYPE x counter`, `*_total`) must become rates before windowing.
  void SetCounter(int32_t metric, bool counter);
  bool IsCounter(int32_t metric) const { return is_counter_[static_cast<size_t>(metric)] != 0; }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct DeviceTable {
    std::map<int16_t, Device> by_index;
    // Per kind: name -> index (heterogeneous lookup: no string built per row).
    std::unordered_map<std::string, int16_t, StringHash, std::equal_to<>> by_name[kDeviceKinds];
    int next_free = 0;  // no index below it is free
  };
  NamePool machines_;
  NamePool metrics_;
  std::vector<DeviceTable> devices_;  // per machine id; shorter when machines have no devices
  std::vector<std::string> machine_group_;  // per machine id ("" none); shorter when none
  std::vector<uint8_t> is_counter_;
  Column<int64_t> ts_;
  Column<int32_t> machine_;
  Column<int32_t> metric_;
  Column<int16_t> gpu_;
  Column<double> value_;
};

// True for values DCGM uses as "blank" sentinels (within 2^20 of 2^63 or of 2^31/2^32 blanks).
bool IsDcgmBlank(double value);

// Returns a table where every counter metric is turned into a per-second rate per
// (machine, metric, gpu) series: (v[i]-v[i-1])/(t[i]-t[i-1]). A negative difference is a counter
// reset (exporter restart): the rate is v[i]/(t[i]-t[i-1]) and a `counter_reset` diagnostic is
// recorded. The first sample of each series has no rate and is dropped. Gauges are copied.
// The output is time-sorted per series, and samples of one series with the same timestamp
// (duplicates) become one sample with their mean value, for gauges and counters alike.
MetricTable CountersToRates(const MetricTable& in, Diagnostics* diags);
// The same, taking `in`: when no metric is a counter and every series is already in strictly
// increasing time order (nothing to convert, merge or sort), `in` itself comes back, its rows in
// their order (no copy of the table).
MetricTable CountersToRates(MetricTable&& in, Diagnostics* diags);

// Splits `name{a="1",b="2"}` into the base name and the label text inside the braces.
std::pair<std::string_view, std::string_view> SplitMetricKey(std::string_view key);

}  // namespace trainscope::model
