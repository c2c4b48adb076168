// SPDX-License-Identifier: Apache-2.0
// Minder pre-processing (NSDI'25 section 4.1; Minder brief sections 2-3): align machines on a
// 1 s grid, estimate and remove clock skew of up to 2 s per machine, fill a missing second from
// the nearest sample within 3 s (longer gaps stay missing), report machines absent from the whole
// pull, and normalise each channel with robust min-max bounds (1st-99th percentile, recorded).
//
// A Channel is one metric on the grid for every machine (machine-major, M x T floats, NaN =
// missing). Per-device metrics (GPUs, NICs, ...) give two channels: `name` (mean over the
// machine's devices) and `name[min]` (minimum over devices, with the device index giving it, so a
// single bad GPU or NIC shows); Grid::DeviceOf names the device.
// Thread safety: pure functions on values.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "model/metric_table.h"

namespace trainscope::minder {

struct GridOptions {
  int64_t step_ns = model::kNanosPerSecond;  // grid step (1 s; 60 s for minute data like SMD)
  int fill_seconds = 3;           // nearest-sample fill reach, in grid steps
  int device_smooth_seconds = 8;  // [min] of NICs and other non-GPU devices: over trailing means
  int max_skew_seconds = 2;       // clock skew searched per machine
  bool align_skew = true;
  std::vector<std::string> metrics;            // empty: every metric except `label`
  std::vector<std::string> expected_machines;  // reported absent when they have no sample
  int64_t start_ns = std::numeric_limits<int64_t>::min();  // time slice [start, end)
  int64_t end_ns = std::numeric_limits<int64_t>::max();
};

struct Channel {
  std::string name;    // "cpu", "gpu_util[min]"
  std::string metric;  // the metric it comes from ("gpu_util")
  bool is_min = false;
  std::vector<float> values;  // M x T, machine-major, NaN = missing
  std::vector<int16_t> gpu;   // min channels: device index giving the min (M x T); else empty
  double lo = 0, hi = 1;      // normalisation bounds in raw units (after Normalise)
};

struct Grid {
  int64_t t0_ns = 0;  // time of column 0
  int steps = 0;      // T (seconds)
  std::vector<std::string> machines;
  std::vector<Channel> channels;
  std::vector<int> skew_seconds;    // per machine, the shift removed (+ = machine clock ahead)
  std::vector<std::string> absent;  // expected machines without any sample (not in `machines`)
  // Per machine: device index -> name and kind, from the table (empty for machine-level data).
  std::vector<std::map<int16_t, model::Device>> devices;
  // Name and kind ("gpu", "nic", "device", "interface") of device `index` of `machine`; an index
  // not in `devices` is a GPU named by its number; {"", ""} for index < 0.
  std::pair<std::string, std::string> DeviceOf(int machine, int index) const;
  float At(size_t channel, size_t machine, size_t t) const {
    return channels[channel].values[machine * static_cast<size_t>(steps) + t];
  }
};

// Builds the grid. Errors: no samples in the slice (kFailedPrecondition), span > 30 days.
// Diagnostics: duplicate_timestamp, non_monotonic_time, clock_skew, machine_absent, gap_unfilled.
Result<Grid> BuildGrid(const model::MetricTable& table, const GridOptions& options,
                       Diagnostics* diags);

// Robust bounds of a channel: 1st and 99th percentile of its present values, within Tukey's far
// fences (3 IQR beyond the quartiles) when the quartiles differ (lo < hi enforced).
void FitBounds(Channel* channel);
// x -> (x - lo) / (hi - lo), clipped to [-0.5, 1.5] so a fault far outside stays bounded.
void Normalise(Channel* channel);
// The same for `n` values in place, with bounds given (NaN stays NaN).
void NormaliseValues(float* values, size_t n, double lo, double hi);

}  // namespace trainscope::minder
