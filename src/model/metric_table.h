// SPDX-License-Identifier: Apache-2.0
// MetricTable: the columnar store of monitoring samples (timestamp, machine, metric, value, GPU).
//
// Readers (ingest/metrics/) append rows; analyses (minder/) read a const table. Time `ts` is
// int64 nanoseconds since the Unix epoch (or a relative origin for data without real clocks).
// A metric name may carry the labels that tell its series apart, Prometheus style
// (`node_cpu_seconds_total{cpu="0",mode="idle"}`); machine and GPU labels are never part of it.
// Values are doubles; missing samples are simply absent rows (readers never append NaN).
// Ownership: the table owns its columns and names. Thread safety: none (build, then share const).
#pragma once

#include <cstdint>
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

  // Appends one sample. `gpu` is the GPU index on the machine or kNoGpu for machine-level data.
  void Append(int64_t ts, int32_t machine, int32_t metric, int16_t gpu, double value);
  void Reserve(size_t rows);

  size_t size() const { return ts_.size(); }
  const Column<int64_t>& ts() const { return ts_; }
  const Column<int32_t>& machine() const { return machine_; }
  const Column<int32_t>& metric() const { return metric_; }
  const Column<int16_t>& gpu() const { return gpu_; }
  const Column<double>& value() const { return value_; }

  const NamePool& machines() const { return machines_; }
  const NamePool& metrics() const { return metrics_; }

  // Counters (Prometheus `# TYPE x counter`, `*_total`) must become rates before windowing.
  void SetCounter(int32_t metric, bool counter);
  bool IsCounter(int32_t metric) const { return is_counter_[static_cast<size_t>(metric)] != 0; }

 private:
  NamePool machines_;
  NamePool metrics_;
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

// Splits `name{a="1",b="2"}` into the base name and the label text inside the braces.
std::pair<std::string_view, std::string_view> SplitMetricKey(std::string_view key);

}  // namespace trainscope::model
