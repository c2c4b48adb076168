// SPDX-License-Identifier: Apache-2.0
// Cause classifier: names the likely straggler pattern of a job only with the evidence behind it
// (Lin et al., OSDI'25, sections 5-6), one driver for op tables and Kineto traces; a pattern the
// input cannot show is listed in `not_applicable` with the reason. Patterns and the documented
// thresholds (kThresholds):
//  - host_bound: the in-window gaps between GPU ops (replay with them / without) add >= 5%;
//    evidence (Kineto): the GPU idle share of the ranks' traced windows split into data loading,
//    blocking syncs, CPU launch and Python/framework time, with the ranks and CPU ops behind
//    each; (op tables) the workers holding most of the gap time and the gc time.
//  - start_skew (Kineto): ranks entered the traced step at different times, and the gaps before
//    their entry add >= 5% of the measured step; it happened before their traced window, so it is
//    named for what it is and no rank is blamed.
//  - work_imbalance (Kineto): ranks run >= 5% (and >= 10) more GPU ops per step than the median
//    rank; impact: their extra compute over the median rank's, as a share of the no-gap step.
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
//  - none: no pattern fires as the main cause (what fired is then listed as secondary).
// The main cause: the GPU-side finding with the largest impact when the job straggles (S >= the
// analysis' straggling threshold) or, for
// one_slow_worker / stage_imbalance, when alone it slows the job by >=
// `primary_impact` (so one rank slowed 1.2x is named though S < 1.1; not with a single peer, where
// which of two ranks deviates cannot be told); else the largest of the host-side findings and
// work_imbalance (not in S: its ops are at their own ideal; impact = the extra compute's share of
// the no-gap step); else none. `trainscope whatif --worker-ratio/--min-impact/
// --primary-impact/--straggling-threshold` lower the gates.
// Each detected pattern gets an impact (its excess over the no-gap step); the main cause is
// `pattern`, the others are listed in `secondary`, largest impact first. `persistence`: persistent
// when every step's S is within 10% of the job's S, varies otherwise, unknown with one traced step.
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
  kHostBound,
  kSlowCommunication,
  kWorkImbalance,
  kStartSkew,
  kGcPause,       // Python garbage-collection pauses (op tables' gc ops)
  kInconclusive,  // the replay does not reproduce the job (WhatIfResult::inconclusive)
};
std::string_view PatternName(Pattern p);
// GPU-side patterns explain S (the replay without gaps); host-side ones (host_bound, start_skew)
// explain the gaps between the GPU ops.
bool IsGpuSide(Pattern p);

struct CauseThresholds {
  double launch_excess = 0.05;  // host_bound: in-window gaps add >= 5% to the no-gap step
  double comm_share = 0.5;
  double min_excess = 0.05;
  double fb_correlation = 0.9;
  double worker_ratio = 1.15;  // one_slow_worker: compute >= 1.15x the peers' median
  double stage_ratio = 1.1;
  double min_impact = 0.01;      // a worker / stage finding: alone it slows the job >= 1%
  double primary_impact = 0.03;  // ... and it is the main cause below the straggling threshold
                                 // when alone it slows the job >= 3%
  double work_ratio = 1.05;      // work_imbalance: >= 5% (and >= 10) more GPU ops than the median
  double min_extra_ops = 10;
  double start_skew_share = 0.05;  // start_skew: >= 5% of the measured step
};
inline constexpr CauseThresholds kThresholds{};

struct Finding {
  Pattern pattern = Pattern::kNone;
  double impact = 0;
  std::string evidence;
  // One peer only (two ranks): which one deviates cannot be told, so the finding is the main
  // cause only when the job straggles.
  bool single_peer = false;
  int32_t rank = -1;  // one_slow_worker: the worker's global rank
  // one_slow_worker whose worker is the hottest in fewer than half of 3+ steps: never the main
  // cause (the slowest rank moves between steps).
  bool transient = false;
};

// Whether the slowdown is the same in every traced step; at least 2 steps are needed to tell.
enum class Persistence { kUnknown, kPersistent, kVaries };
std::string_view PersistenceName(Persistence p);

struct Cause {
  Pattern pattern = Pattern::kNone;
  std::string evidence;
  Persistence persistence = Persistence::kUnknown;
  bool persistent = false;  // persistence == kPersistent
  std::vector<Finding> secondary;
  std::vector<std::pair<std::string, double>> metrics;
  std::string not_applicable;  // patterns the input cannot show, and why (empty: none)
  int32_t rank = -1;           // one_slow_worker as the main cause: the worker's global rank

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
