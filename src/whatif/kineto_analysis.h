// SPDX-License-Identifier: Apache-2.0
// The what-if analyses of Lin et al., OSDI'25 on a Kineto job model (kineto_model.h):
//  - validation: replay with actual durations (collectives: transfer times) and launch delays vs
//    the measured step times; error per step, median and max;
//  - launch slowdown: mean measured / mean replay without launch delays (the CPU-side effect),
//    and per rank: replay with only that rank's launch delays / no-delay replay; the share of the
//    gap time that GPU ops spent waiting for their CPU launch call (launch -> kernel);
//  - ideal: a compute op (kernel, memcpy, memset) at the mean duration of ops with its name
//    (same kernel = same work), a synchronised collective at the median transfer time of its
//    (type, element count, dtype); ops kept measured (collectives over incomplete groups,
//    unmatched NCCL ops) keep their measured duration;
//  - S = mean no-delay step time / mean ideal step time, per step too; waste = 1 - 1/S;
//    wasted GPU-hours = present ranks x traced step time x waste; straggling if S >= threshold;
//  - attribution ("add" view): only group X at actual durations, X = each op class (compute,
//    memcpy, memset, comm <Coll>), each rank, each step; M_W with ranks as workers (score = the
//    rank's alone S; top ceil(3%) ranks, ties to the lower rank), rem and add views as for op
//    tables (M_S needs pipeline stages: not applicable).
// The cause classifier for Kineto input applies the patterns that per-kernel traces can show
// (cpu_stalls, slow_communication, one_slow_worker = one slow rank); stage_imbalance and
// sequence_length_imbalance need pipeline stages and microbatch ids that Kineto traces do not
// carry, so they are reported as not applicable.
// Units: seconds in results. Thread safety: reentrant; replays run on `options.threads`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/kineto_model.h"

namespace trainscope::whatif {

struct KinetoWhatIfResult {
  std::vector<int64_t> steps;          // ProfilerStep numbers
  std::vector<double> step_time_s;     // measured
  std::vector<double> step_replay_s;   // actual durations + launch delays
  std::vector<double> step_nodelay_s;  // actual durations, no launch delays
  std::vector<double> step_ideal_s;
  std::vector<double> step_slowdown;         // nodelay / ideal
  std::vector<double> step_launch_slowdown;  // measured / nodelay
  std::vector<double> step_error;            // |replay - measured| / measured
  double slowdown = 1, launch_slowdown = 1;
  // S with the launch gaps kept in both replays (actual + gaps / ideal + gaps): what fixing the
  // GPU-side stragglers alone would give a launch-bound job.
  double slowdown_with_gaps = 1;
  double launch_wait_share = 0;  // share of the gap time spent before the op's CPU launch call
  double error_median = 0, error_max = 0;
  double waste_fraction = 0;
  bool straggling = false;
  int32_t gpus = 0;  // present ranks
  double traced_gpu_hours = 0, wasted_gpu_hours = 0;
  std::vector<Attribution> by_op_class, by_rank, by_step;  // key: group / rank / step number
  Explanation m_w;  // M_W over ranks: fix the top ceil(3%) ranks by alone S (rem / add views)
  std::vector<double> rank_launch_slowdown;  // per worker: only its delays / no delay
  std::vector<double> rank_compute_s;        // per worker: compute kernel time per step
  int64_t simulations = 0;
  int64_t ops = 0;
  std::vector<int64_t> actual_ns;  // per node: simulated duration under the trace
  std::vector<int64_t> ideal_ns;   // per node: ideal duration
};

// Ideal duration of every node (see above), ns.
std::vector<int64_t> KinetoIdealDurations(const KinetoJobModel& model);

Result<KinetoWhatIfResult> AnalyzeKinetoWhatIf(const KinetoJobModel& model,
                                               const AnalysisOptions& options);

// Patterns a Kineto trace can show (see above), with evidence; `metrics` carry the numbers.
Cause ClassifyKinetoCause(const KinetoJobModel& model, const KinetoWhatIfResult& result,
                          const CauseThresholds& thresholds = kThresholds);

// Why the Megatron-only patterns are not applied to Kineto input.
inline constexpr const char* kKinetoNotApplicable =
    "stage_imbalance and sequence_length_imbalance need pipeline stages and microbatch ids, "
    "which Kineto traces do not carry";

}  // namespace trainscope::whatif
