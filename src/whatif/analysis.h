// SPDX-License-Identifier: Apache-2.0
// The what-if analyses of Lin et al., OSDI'25 (section 4 and the artifact's wia.py,
// compute_ms.py, compute_mw.py) on a ReplayModel, for op tables and Kineto traces alike:
//  - validation: replay with actual durations and launch delays vs measured step times;
//  - launch slowdown: measured / replay without launch delays (the CPU-side effect), split into
//    the start skew (gaps before a rank entered the step: before its traced window) and the
//    in-window host effect (replay with the in-window gaps / no-gap replay); per worker: replay
//    with only its in-window gaps / no-gap replay; the share of the gap time that ops spent before
//    their CPU launch call (Kineto: launch -> kernel);
//  - ideal: an op at the mean simulated duration of its ideal class (compute: same kernel or op
//    kind = same work) or the median (communication: transfer time of its collective type and
//    size); ops kept measured (`fixed`) keep their duration. The compute mean leaves out values
//    above 10x the class's (lower) median, so one corrupt duration cannot move every op's ideal;
//    without such values it is the paper's mean;
//  - slowdown S = mean no-delay step time / mean ideal step time, per step too; S with the gaps
//    kept in both replays (what fixing the GPU side alone gives a launch-bound job);
//  - attribution ("add" view): keep only group X at actual durations, X = each op class, each
//    PP stage and DP rank (op tables), each worker and each step; S_X = mean step time / ideal;
//  - worker score: min(S_dp, S_stage) where stages are known, else the worker's alone S; M_W fixes
//    the top ceil(3% of workers) by score, M_S the last stage (op tables), both in the "rem" and
//    "add" views: rem = (T_ori - T_rem) / (T_ori - T_ideal), add = (T_add - T_ideal) / (T_ori -
//    T_ideal), reported only when T_ori exceeds T_ideal by >= 1% (`meaningful`);
//  - waste = 1 - 1/S, never below 0 (S < 1: the measured steps beat the ideal's class means);
//  - user scenarios (scenario.h) reuse the same machinery.
// Simulations of independent groups run in parallel (ParallelFor), one Simulator per task, and
// across processes when AnalysisOptions::distributor is set (results are bitwise identical).
// Units: seconds in results (double). Thread safety: functions are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "whatif/replay_model.h"

namespace trainscope::whatif {

class TaskDistributor;  // whatif/replay_batch.h

struct AnalysisOptions {
  int threads = 1;                    // <= 0: all cores
  double worker_top_percent = 3.0;    // M_W selects ceil(percent * workers / 100) workers
  double straggling_threshold = 1.1;  // S at or above this: the job straggles
  // Above this median replay error (faithful replay vs the measured step times) the graph does
  // not reproduce the job, so neither S nor a cause is trusted: the result is inconclusive. The
  // authors' jobs and the shared real traces replay within 0.01%; 10% leaves room for traces
  // whose dependencies are partly guessed, and catches units or missing ops (a start column in ms
  // against durations in s replays 112% off).
  double max_replay_error = 0.10;
  // Not owned; null = this process only. When set, AnalyzeWhatIf is collective: every process
  // calls it with the same job and options and gets the full result (attribution replays are
  // split over the processes; validation and ideal replays run everywhere).
  TaskDistributor* distributor = nullptr;
};

struct Attribution {
  std::string label;             // op class label, stage, DP rank, rank or step as text
  int32_t key = -1;              // group index / stage / DP rank / rank / step number
  double slowdown = 0;           // mean step time with only this group real / ideal
  std::vector<double> per_step;  // same, per step
};

struct WorkerScore {
  int32_t worker = 0, rank = 0;
  int32_t dp_rank = -1, stage = -1;  // -1 where the input has no stages
  double score = 0;                  // min(S_dp, S_stage), or the worker's alone S
};

// Workers by score, highest first (M_W takes the top ones). With stages, equal scores go by
// max(S_dp, S_stage), then by rank; without, by rank.
std::vector<WorkerScore> RankWorkers(const std::vector<WorkerScore>& workers,
                                     const std::vector<Attribution>& by_dp_rank,
                                     const std::vector<Attribution>& by_stage);

struct Explanation {
  std::vector<int32_t> selected;  // global ranks (M_W) or stages (M_S)
  double t_ori_s = 0, t_ideal_s = 0, t_rem_s = 0, t_add_s = 0;
  double rem = 0, add = 0;
  // False when T_ori is within kMinExplainedExcess of T_ideal: the shares divide by almost
  // nothing (S near 1 gives "removes 550% of the slowdown"), so they are not reported.
  bool meaningful = false;
};
inline constexpr double kMinExplainedExcess = 0.01;

struct WhatIfResult {
  std::vector<int64_t> steps;
  std::vector<double> step_time_s;           // measured
  std::vector<double> step_replay_s;         // replay with actual durations and launch delays
  std::vector<double> step_nodelay_s;        // replay without launch delays
  std::vector<double> step_ideal_s;          // ideal replay
  std::vector<double> step_slowdown;         // nodelay / ideal
  std::vector<double> step_launch_slowdown;  // measured / nodelay
  std::vector<double> step_error;            // |replay - measured| / measured
  double slowdown = 1, launch_slowdown = 1;
  double slowdown_with_gaps = 1;  // (actual + gaps) / (ideal + gaps)
  // Mean step time the gaps before ranks entered the step add (start skew: it happened before
  // those ranks' traced window, so no op inside the trace caused it).
  double start_skew_s = 0;
  double host_slowdown = 1;      // in-window gap effect: replay with in-window gaps / no gaps
  double launch_wait_share = 0;  // share of the gap time spent before the op's CPU launch call
  double error_median = 0, error_max = 0;
  double waste_fraction = 0;                          // max(0, 1 - 1/S)
  int32_t gpus = 0;                                   // GPUs the traced steps stand for
  double traced_gpu_hours = 0, wasted_gpu_hours = 0;  // over the traced steps
  bool straggling = false;                            // never set when inconclusive
  double straggling_threshold = 1.1;
  // Why the input cannot support a verdict (empty: it can); see max_replay_error.
  std::string inconclusive;
  // by_stage / by_dp_rank only where the input has stages; by_worker in worker order.
  std::vector<Attribution> by_op_class, by_stage, by_dp_rank, by_worker, by_step;
  std::vector<WorkerScore> workers;            // worker order
  std::vector<double> worker_launch_slowdown;  // per worker: only its delays / no delay
  std::vector<double> worker_compute_s;        // per worker: compute time per step
  Explanation m_w, m_s;                        // m_s only where the input has stages
  int64_t simulations = 0;
  int64_t ops = 0;
  std::vector<int64_t> actual_ns;  // per node: simulated durations under the trace
  std::vector<int64_t> ideal_ns;   // per node: ideal simulated durations
};

Result<WhatIfResult> AnalyzeWhatIf(const ReplayModel& model, const AnalysisOptions& options);

// Ideal simulated duration of every node (see above), in ns.
std::vector<int64_t> IdealDurations(const ReplayModel& model);
// The same ideal computed from other simulated durations (e.g. a job with one cause removed).
std::vector<int64_t> IdealDurationsFrom(const ReplayModel& model,
                                        const std::vector<int64_t>& sim_dur_ns);

// The analysis' own findings about its input as diagnostics: `simulation_error_high` (replay
// error median > 2% or max > 5%: the dependency model misses something).
void AddResultDiagnostics(const ReplayModel& model, const WhatIfResult& result,
                          const std::string& source, Diagnostics& diagnostics);

// "inconclusive", "straggling" or "not_straggling" (the --json `verdict`).
std::string_view Verdict(const WhatIfResult& r);

// Mean over steps of `step_ns` in seconds.
double MeanSeconds(const std::vector<int64_t>& step_ns);

}  // namespace trainscope::whatif
