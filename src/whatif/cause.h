// SPDX-License-Identifier: Apache-2.0
// Cause classifier: names the likely straggler pattern of a job only with the evidence behind it
// (Lin et al., OSDI'25, sections 5-6). Patterns and the documented thresholds (kThresholds):
//  - cpu_stalls: launch-delay effect (measured / no-delay replay) >= 1.05; evidence: the ranks
//    whose launch delays dominate and the gc time.
//  - slow_communication: comm op kinds carry >= 50% of the attributed excess (sum of S_X - 1 over
//    kinds) and that excess is >= 0.05.
//  - sequence_length_imbalance: per-microbatch forward/backward compute durations correlate >= 0.9
//    (Pearson, after removing each worker's and chunk's mean), compute carries the slowdown
//    (compute excess >= 0.05); evidence includes how often the hottest DP rank changes per step.
//  - one_slow_worker: an isolated hot cell: a worker's compute time per step is >= 1.15x the
//    median of the other workers of its stage (DP > 1), and keeping only that worker real slows
//    the job by >= 1% (impact = that "alone" slowdown - 1).
//  - stage_imbalance: a stripe: a stage's mean forward (or backward) compute is >= 1.1x the
//    median of the other stages' on every DP rank, and keeping only that stage real slows the job
//    by >= 1% (named first/last stage when it is one of those).
//  - none: no pattern fires (or S < 1.1 and no launch effect).
// Each detected pattern gets an impact (its excess); the largest is the primary `pattern`, the
// others are listed in `secondary`. `persistent`: the primary's hot spot is the same in >= 80% of
// steps. Thread safety: reentrant.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "whatif/analysis.h"
#include "whatif/replay_batch.h"

namespace trainscope::whatif {

enum class Pattern {
  kNone,
  kOneSlowWorker,
  kStageImbalance,
  kSequenceLength,
  kCpuStalls,
  kSlowCommunication,
};
std::string_view PatternName(Pattern p);

struct CauseThresholds {
  double launch_excess = 0.05;
  double comm_share = 0.5;
  double min_excess = 0.05;
  double fb_correlation = 0.9;
  double worker_ratio = 1.15;
  double stage_ratio = 1.1;
  double min_impact = 0.01;
  double persistent_fraction = 0.8;
};
inline constexpr CauseThresholds kThresholds{};

struct Finding {
  Pattern pattern = Pattern::kNone;
  double impact = 0;
  std::string evidence;
};

struct Cause {
  Pattern pattern = Pattern::kNone;
  std::string evidence;
  bool persistent = false;
  std::vector<Finding> secondary;
  std::vector<std::pair<std::string, double>> metrics;
  std::vector<double> cell_slowdown;  // per worker (dp-major): only that worker real / ideal

  bool Names(Pattern p) const;  // primary or secondary
};

// Runs the per-worker "add" replays (in parallel) and classifies.
Cause ClassifyCause(const OpJob& job, const JobModel& model, const WhatIfResult& result,
                    int threads, const CauseThresholds& thresholds = kThresholds);
// Same, with the replays split over cooperating processes when `distributor` is non-null
// (collective then: every process calls it; results are bitwise those of one process).
Result<Cause> ClassifyCause(const OpJob& job, const JobModel& model, const WhatIfResult& result,
                            int threads, TaskDistributor* distributor,
                            const CauseThresholds& thresholds = kThresholds);

// Pearson correlation of forward vs backward compute duration per microbatch, after removing the
// mean of each (dp_rank, stage, chunk); NaN when fewer than 3 pairs.
double ForwardBackwardCorrelation(const OpJob& job, const JobModel& model);

}  // namespace trainscope::whatif
