// SPDX-License-Identifier: Apache-2.0
// Fault injection into healthy metric recordings (Minder brief section 7). Fault types follow
// the paper's production mix (Table 1); each type is an editable profile of effects on metrics
// matched by name substring. One machine at a time, 5-20 min each, random start; plus realism
// (1-3 s gaps, per-machine clock skew up to 2 s, spikes under 1 min) and a few many-machine
// events as negative controls. Labels are (machine, type, start, end). Deterministic per seed.
//
// Profile text, one effect per line: `type,weight,metric_substring,effect,value`, where effect is
//   scale    x -> x * value
//   toward   x -> x + (value_target - x) * 0.9 with value = target (e.g. idle CPU 100 %)
//   add      x -> x + value
//   missing  the sample is removed (value ignored)
//   peers    the same scale applied to every other machine after a 10-60 s lag (NIC dropout)
// A type whose metrics are absent from the data is not drawn.
// Victims: a fault whose every effect only lowers activity (`scale` below 1, `flap`: a stall,
// a link going quiet) is invisible on a machine that has no such activity to lose (an idle
// Exathlon node); such a fault is placed on a machine carrying at least `active_share` of the
// busiest machine's mean of one of those metrics over the fault interval (in a training job,
// every machine qualifies). `uniform_victims` draws any machine (the older, harder-to-read mix).
// Thread safety: pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/metric_table.h"

namespace trainscope::minder {

struct FaultEffect {
  std::string type;
  double weight = 0;  // share in the mix (first line of a type sets it)
  std::string metric_substring;
  std::string effect;
  double value = 0;
};

struct FaultLabel {
  std::string machine;
  std::string type;
  int64_t start_ns = 0, end_ns = 0;
  bool control = false;  // many-machine negative control (no machine is "the" faulty one)
};

struct InjectOptions {
  uint64_t seed = 1;
  int64_t from_ns = 0;             // faults start at or after this time (e.g. after a reference)
  int min_fault_s = 300, max_fault_s = 1200;
  int min_gap_s = 300;             // healthy time between faults
  int max_faults = 1000;
  bool realism = true;             // gaps, skew, spikes
  int controls = 1;                // many-machine events per recording (0 = none)
  bool uniform_victims = false;    // true: any machine, even one the fault cannot change
  double active_share = 0.25;
};

// The default profiles (Exathlon OS metric names and Minder's seven names).
const std::vector<FaultEffect>& DefaultFaultProfiles();
Result<std::vector<FaultEffect>> ParseFaultProfiles(std::string_view text, std::string_view origin);

// Returns the recording with faults (labels appended to `labels`, time-ordered).
model::MetricTable InjectFaults(const model::MetricTable& in, const std::vector<FaultEffect>& profiles,
                                const InjectOptions& options, std::vector<FaultLabel>* labels);

}  // namespace trainscope::minder
