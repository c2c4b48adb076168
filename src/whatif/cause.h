// SPDX-License-Identifier: Apache-2.0
// Cause classifier: names the likely straggler pattern of a job only with the evidence behind it
// (Lin et al., OSDI'25, sections 5-6), one driver for op tables and Kineto traces; a pattern the
// input cannot show is listed in `not_applicable` with the reason. Patterns and the documented
// thresholds (kThresholds):
//  - cpu_stalls: launch-delay effect (measured / no-delay replay) >= 1.05; evidence: the workers
//    holding most of the gap time, the cost of each one's gaps alone, the share of the gaps
//    before the CPU launch call (Kineto) and the gc time (op tables).
//  - slow_communication: comm op classes carry >= 50% of the attributed excess (sum of S_X - 1
//    over op classes) and that excess is >= 0.05.
//  - sequence_length_imbalance: per-microbatch forward/backward compute durations correlate >= 0.9
//    (Pearson, after removing each worker's and chunk's mean), compute carries the slowdown
//    (compute excess >= 0.05); evidence includes how often the hottest DP rank changes per step.
//  - one_slow_worker: an isolated hot cell: a worker's compute time per step is >= 1.15x the
//    median of its peers (the other workers of its stage where stages are known and DP > 1, else
//    every other worker), and keeping only that worker real slows the job by >= 1% (impact = that
//    "alone" slowdown - 1, with the other candidates brought to their peers' speed).
//  - stage_imbalance (op tables): a stripe: a stage's mean forward (or backward) compute is >=
//    1.1x the median of the other stages' on every DP rank, and keeping only that stage real
//    slows the job by >= 1% (named first/last stage when it is one of those).
//  - none: no pattern fires (or S < 1.1 and no launch effect; what fired is then listed as
//    secondary).
// Each detected pattern gets an impact (its excess); the largest is the primary `pattern`, the
// others are listed in `secondary`. `persistent`: every step's S is within 10% of the job's S.
// Thread safety: reentrant.
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
  std::string not_applicable;  // patterns the input cannot show, and why (empty: none)

  bool Names(Pattern p) const;  // primary or secondary
};

// Classifies the analysed job; the impact replays of the heatmap candidates run on `threads`.
Cause ClassifyCause(const ReplayModel& model, const WhatIfResult& result, int threads,
                    const CauseThresholds& thresholds = kThresholds);
// Same, with the replays split over cooperating processes when `distributor` is non-null
// (collective then: every process calls it; results are bitwise those of one process).
Result<Cause> ClassifyCause(const ReplayModel& model, const WhatIfResult& result, int threads,
                            TaskDistributor* distributor,
                            const CauseThresholds& thresholds = kThresholds);

// Pearson correlation of forward vs backward compute duration per microbatch, after removing the
// mean of each (dp_rank, stage, chunk); NaN when fewer than 3 pairs or no microbatch ids.
double ForwardBackwardCorrelation(const ReplayModel& model);

}  // namespace trainscope::whatif
