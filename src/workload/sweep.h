// SPDX-License-Identifier: Apache-2.0
// Layout sweep: the cartesian product of parallel sizes applied to the main block of a job, each
// predicted (graphs shared through one Planner), layouts that fit ranked by step time.
// Axis names: tp, pp, vpp, cp, ep, mb (micro_batch), gpus.
// Thread safety: Sweep is not thread-safe with respect to its Planner argument; it runs its own
// worker threads, one Planner each.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "workload/predictor.h"

namespace trainscope::workload {

struct SweepAxis {
  std::string name;
  std::vector<int> values;
};

// Parses "tp=1,2,4,8".
Result<SweepAxis> ParseSweepAxis(std::string_view text);

struct SweepEntry {
  std::string layout;  // "tp=8 pp=8 vpp=3"
  bool valid = false;  // false: the layout does not apply (reason says why)
  std::string reason;
  double step_time_s = 0, mfu = 0, memory_per_gpu_bytes = 0;
  bool fits = false;
};

struct SweepResult {
  std::vector<SweepEntry> entries;  // valid+fitting first, by step time; then the rest
  int evaluated = 0;
  int fitting = 0;
};

// Predicts every layout of the product on `threads` threads (<= 0: all cores; 1: the caller's
// thread only), each with its own Planner (the first uses `planner`). Entries are ranked the
// same whatever the thread count.
Result<SweepResult> Sweep(const JobConfig& base, const std::vector<SweepAxis>& axes,
                          Planner& planner, int threads = 1);

}  // namespace trainscope::workload
