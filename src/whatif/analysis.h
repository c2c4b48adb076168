// SPDX-License-Identifier: Apache-2.0
// The what-if analyses of Lin et al., OSDI'25 (section 4 and the artifact's wia.py,
// compute_ms.py, compute_mw.py) on a JobModel:
//  - validation: replay with actual durations and launch delays vs measured step times;
//  - launch slowdown: measured / replay without launch delays;
//  - ideal: compute ops at the mean duration of their kind, comm ops at the median transfer time
//    (layernorm all-reduce, not a synchronised collective, at its median duration);
//  - slowdown S = mean no-delay step time / mean ideal step time, per step too;
//  - attribution ("add" view): keep only group X at actual durations, X = each op kind (PP p2p
//    merged per direction), each PP stage, each DP rank; S_X = mean step time / ideal;
//  - worker score = min(S_dp, S_stage); M_W fixes the top ceil(3% of workers) by score, M_S the
//    last stage, both in the "rem" and "add" views: rem = (T_ori - T_rem) / (T_ori - T_ideal),
//    add = (T_add - T_ideal) / (T_ori - T_ideal).
//  - user scenarios (scenario.h) reuse the same machinery.
// Simulations of independent groups run in parallel (ParallelFor), one Simulator per task, and
// across processes when AnalysisOptions::distributor is set (results are bitwise identical).
// Units: seconds in results (double). Thread safety: functions are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "whatif/megatron_model.h"
#include "whatif/op_job.h"

namespace trainscope::whatif {

class TaskDistributor;  // whatif/replay_batch.h

struct AnalysisOptions {
  int threads = 1;                    // <= 0: all cores
  double worker_top_percent = 3.0;    // M_W selects ceil(percent * workers / 100) workers
  double straggling_threshold = 1.1;  // S at or above this: the job straggles
  // Not owned; null = this process only. When set, AnalyzeWhatIf is collective: every process
  // calls it with the same job and options and gets the full result (attribution replays are
  // split over the processes; validation and ideal replays run everywhere).
  TaskDistributor* distributor = nullptr;
};

struct Attribution {
  std::string label;             // op kind label, stage or DP rank as text
  int32_t key = -1;              // stage / DP rank (-1 for op kinds)
  double slowdown = 0;           // mean step time with only this group real / ideal
  std::vector<double> per_step;  // same, per step
};

struct WorkerScore {
  int32_t dp_rank = 0, stage = 0, rank = 0;
  double score = 0;  // min(S_dp, S_stage)
};

// Workers by score, highest first (M_W takes the top ones); equal scores by max(S_dp, S_stage),
// then by rank. `by_dp_rank` / `by_stage` are indexed by DP rank / stage.
std::vector<WorkerScore> RankWorkers(const std::vector<WorkerScore>& workers,
                                     const std::vector<Attribution>& by_dp_rank,
                                     const std::vector<Attribution>& by_stage);

struct Explanation {
  std::vector<int32_t> selected;  // global ranks (M_W) or stages (M_S)
  double t_ori_s = 0, t_ideal_s = 0, t_rem_s = 0, t_add_s = 0;
  double rem = 0, add = 0;
};

struct WhatIfResult {
  std::vector<int32_t> steps;
  std::vector<double> step_time_s;           // measured
  std::vector<double> step_replay_s;         // replay with actual durations and launch delays
  std::vector<double> step_nodelay_s;        // replay without launch delays
  std::vector<double> step_ideal_s;          // ideal replay
  std::vector<double> step_slowdown;         // nodelay / ideal
  std::vector<double> step_launch_slowdown;  // measured / nodelay
  std::vector<double> step_error;            // |replay - measured| / measured
  double slowdown = 1, launch_slowdown = 1;
  double error_median = 0, error_max = 0;
  double waste_fraction = 0;
  int32_t gpus = 0;                                   // world size
  double traced_gpu_hours = 0, wasted_gpu_hours = 0;  // over the traced steps
  bool straggling = false;
  std::vector<Attribution> by_optype, by_stage, by_dp_rank;
  std::vector<WorkerScore> workers;  // dp-major
  Explanation m_w, m_s;
  int64_t simulations = 0;
  int64_t ops = 0;
  std::vector<int64_t> actual_ns;  // per row: simulated durations under the trace
  std::vector<int64_t> ideal_ns;   // per row: ideal simulated durations
};

Result<WhatIfResult> AnalyzeWhatIf(const OpJob& job, const JobModel& model,
                                   const AnalysisOptions& options);

// Ideal simulated duration of every op (see above), in ns, indexed by row.
std::vector<int64_t> IdealDurations(const OpJob& job, const JobModel& model);
// The same ideal computed from other simulated durations (e.g. a job with one cause removed).
std::vector<int64_t> IdealDurationsFrom(const OpJob& job, const std::vector<int64_t>& sim_dur_ns);

// Mean over steps of `step_ns` in seconds.
double MeanSeconds(const std::vector<int64_t>& step_ns);

}  // namespace trainscope::whatif
