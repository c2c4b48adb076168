// SPDX-License-Identifier: Apache-2.0
// Layout sweep: the cartesian product of layout knobs (layout.h: tp, pp, vpp, cp, ep, mb, gpus,
// fsdp_shard, recompute_layers, sp, tp_overlap, ep_overlap, dp_overlap, recompute, dp_mode,
// cp_kind) applied to the main block of a job, each predicted, the layouts that fit ranked by
// step time, GPU-hours or cost; those that do not fit are counted and listed with the memory
// they need against the GPU's.
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
  std::vector<int> values;          // as SetLayoutKnob takes them
  std::vector<std::string> labels;  // as written ("selective"); empty: the integers
};

// Parses "tp=1,2,4,8" or "recompute=none,full".
Result<SweepAxis> ParseSweepAxis(std::string_view text);

enum class SweepRank { kStepTime, kGpuHours, kCost };
Result<SweepRank> ParseSweepRank(std::string_view text);  // step_time | gpu_hours | cost
std::string_view Name(SweepRank rank);

struct SweepOptions {
  int threads = 1;  // <= 0: all cores; 1: the caller's thread only
  SweepRank rank_by = SweepRank::kStepTime;
  double usd_per_gpu_hour = 0;  // > 0 needed for kCost
};

struct SweepEntry {
  std::string layout;  // "tp=8 pp=8 vpp=3"
  bool valid = false;  // false: the layout does not apply (reason says why)
  std::string reason;  // invalid: why; valid but not fitting: memory needed vs available
  double step_time_s = 0, mfu = 0, memory_per_gpu_bytes = 0, hbm_bytes = 0;
  bool fits = false;
  bool step_time_lower_bound = false;  // Prediction's: the model leaves out costs of this job
  int gpus = 0;
  // GPU-hours of the job's token budget (has_budget) or of 1e9 tokens (no budget given).
  double gpu_hours = 0;
  double cost_usd = 0;  // gpu_hours x usd_per_gpu_hour (0 without a price)
};

struct SweepResult {
  std::vector<SweepEntry> entries;  // fitting ones ranked; then those that do not fit (by memory
                                    // needed); then the invalid ones
  int evaluated = 0;
  int fitting = 0;
  int infeasible = 0;  // valid layouts that need more memory than the GPU has
  SweepRank rank_by = SweepRank::kStepTime;
  bool has_budget = false;  // gpu_hours are of the job's token budget, else per 1e9 tokens
  double usd_per_gpu_hour = 0;
};

// Predicts every layout of the product. Layouts are grouped by pipeline shape (pp, vpp) and each
// group goes to one worker with its own Planner (the first uses `planner`), so no step graph is
// built twice and each group's graphs are dropped when it is done. Entries are ranked the same
// whatever the thread count.
Result<SweepResult> Sweep(const JobConfig& base, const std::vector<SweepAxis>& axes,
                          Planner& planner, const SweepOptions& options);
// Step-time ranking on `threads` threads (the interface before SweepOptions).
Result<SweepResult> Sweep(const JobConfig& base, const std::vector<SweepAxis>& axes,
                          Planner& planner, int threads = 1);

}  // namespace trainscope::workload
