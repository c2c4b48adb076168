// SPDX-License-Identifier: Apache-2.0
// AnalyzeWhatIf: validation, ideal replay, attribution and the M_W / M_S explanations.
#include "whatif/analysis.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "graph/simulator.h"
#include "whatif/internal/shared_output.h"
#include "whatif/replay_batch.h"

namespace trainscope::whatif {
double MeanSeconds(const std::vector<int64_t>& step_ns) {
  if (step_ns.empty()) return 0;
  long double sum = 0;
  for (int64_t v : step_ns) sum += static_cast<long double>(v);
  return static_cast<double>(sum / static_cast<long double>(step_ns.size()) * 1e-9L);
}

std::vector<int64_t> IdealDurations(const OpJob& job, const JobModel& model) {
  return IdealDurationsFrom(job, model.ActualDurations(job));
}

std::vector<int64_t> IdealDurationsFrom(const OpJob& job, const std::vector<int64_t>& sim_dur_ns) {
  const size_t n = job.size();
  std::vector<std::vector<double>> values(kOpKindCount);
  for (size_t i = 0; i < n; ++i)
    values[static_cast<size_t>(job.kind[i])].push_back(static_cast<double>(sim_dur_ns[i]));
  std::vector<int64_t> ideal_of_kind(kOpKindCount, 0);
  for (int k = 0; k < kOpKindCount; ++k) {
    auto& v = values[k];
    if (v.empty()) continue;
    double ideal = IsCommKind(static_cast<OpKind>(k))
                       ? internal::Median(std::move(v))
                       : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    ideal_of_kind[k] = std::llround(ideal);
  }
  std::vector<int64_t> ideal(n);
  for (size_t i = 0; i < n; ++i) ideal[i] = ideal_of_kind[static_cast<size_t>(job.kind[i])];
  return ideal;
}

std::vector<WorkerScore> RankWorkers(const std::vector<WorkerScore>& workers,
                                     const std::vector<Attribution>& by_dp_rank,
                                     const std::vector<Attribution>& by_stage) {
  // Ties on the score are common: every worker of a slow stage scores that stage's S when each
  // DP rank is slower still (each carries the other stages' stragglers). Among them the worker
  // whose other dimension is slower goes first (max(S_dp, S_stage): a lone slow worker's DP
  // rank), then the lower rank.
  auto other = [&](const WorkerScore& w) {
    return std::max(by_dp_rank[static_cast<size_t>(w.dp_rank)].slowdown,
                    by_stage[static_cast<size_t>(w.stage)].slowdown);
  };
  std::vector<WorkerScore> ranked = workers;
  std::stable_sort(ranked.begin(), ranked.end(), [&other](const WorkerScore& a, const WorkerScore& b) {
    if (a.score != b.score) return a.score > b.score;
    const double oa = other(a), ob = other(b);
    return oa != ob ? oa > ob : a.rank < b.rank;
  });
  return ranked;
}

Result<WhatIfResult> AnalyzeWhatIf(const OpJob& job, const JobModel& model,
                                   const AnalysisOptions& options) {
  const graph::DepGraph& g = model.graph;
  const int32_t num_steps = model.num_steps();
  WhatIfResult r;
  r.steps = model.steps;
  r.ops = static_cast<int64_t>(job.size());
  r.gpus = job.world_size;
  r.actual_ns = model.ActualDurations(job);
  r.ideal_ns = IdealDurationsFrom(job, r.actual_ns);
  const std::vector<int64_t>& actual = r.actual_ns;
  const std::vector<int64_t>& ideal = r.ideal_ns;

  std::vector<int64_t> replay(num_steps), nodelay(num_steps), ideal_steps(num_steps);
  {
    graph::Simulator sim(g);
    sim.Run(actual, model.launch_delay_ns, replay);
    sim.Run(actual, {}, nodelay);
    sim.Run(ideal, {}, ideal_steps);
    r.simulations += 3;
  }
  internal::FillStepTimes(model.step_time_ns, replay, nodelay, ideal_steps, &r);
  const double t_ori = MeanSeconds(nodelay), t_ideal = MeanSeconds(ideal_steps);
  r.waste_fraction = 1 - 1 / r.slowdown;
  r.straggling = r.slowdown >= options.straggling_threshold;
  double traced_s = 0;
  for (double t : r.step_time_s) traced_s += t;
  r.traced_gpu_hours = traced_s * job.world_size / 3600.0;
  r.wasted_gpu_hours = r.traced_gpu_hours * r.waste_fraction;

  // Attribution groups: op kind labels, stages, DP ranks.
  struct Group {
    std::vector<Attribution>* out;
    std::string label;
    int32_t key;
    std::vector<int32_t> rows;
  };
  std::vector<Group> groups;
  {
    // Group of each kind's label, in order of first appearance (kinds sharing a label share it).
    std::vector<int32_t> group_of_kind(kOpKindCount, -1);
    for (size_t i = 0; i < job.size(); ++i) {
      int32_t& g_idx = group_of_kind[static_cast<size_t>(job.kind[i])];
      if (g_idx < 0) {
        const std::string_view label = AttributionLabel(job.kind[i]);
        for (size_t k = 0; k < groups.size() && g_idx < 0; ++k)
          if (groups[k].label == label) g_idx = static_cast<int32_t>(k);
        if (g_idx < 0) {
          g_idx = static_cast<int32_t>(groups.size());
          groups.push_back({&r.by_optype, std::string(label), -1, {}});
        }
      }
      groups[g_idx].rows.push_back(static_cast<int32_t>(i));
    }
  }
  const size_t first_stage = groups.size();
  for (int32_t s = 0; s < model.pp; ++s) groups.push_back({&r.by_stage, std::to_string(s), s, {}});
  const size_t first_dp = groups.size();
  for (int32_t d = 0; d < model.dp; ++d)
    groups.push_back({&r.by_dp_rank, std::to_string(d), d, {}});
  for (size_t i = 0; i < job.size(); ++i) {
    groups[first_stage + job.stage[i]].rows.push_back(static_cast<int32_t>(i));
    groups[first_dp + job.dp_rank[i]].rows.push_back(static_cast<int32_t>(i));
  }
  std::vector<std::vector<int64_t>> group_steps(groups.size());
  std::vector<ReplayTask> tasks;
  for (size_t k = 0; k < groups.size(); ++k)
    tasks.push_back({&ideal, &actual, &groups[k].rows, &group_steps[k]});
  TS_RETURN_IF_ERROR(RunReplays(g, tasks, options.threads, options.distributor));
  r.simulations += static_cast<int64_t>(groups.size());
  for (size_t k = 0; k < groups.size(); ++k) {
    Attribution a{groups[k].label, groups[k].key, MeanSeconds(group_steps[k]) / t_ideal, {}};
    for (int32_t s = 0; s < num_steps; ++s)
      a.per_step.push_back(static_cast<double>(group_steps[k][s]) /
                           static_cast<double>(ideal_steps[s]));
    groups[k].out->push_back(std::move(a));
  }

  // Worker scores and the M_W / M_S selections.
  for (int32_t d = 0; d < model.dp; ++d) {
    for (int32_t s = 0; s < model.pp; ++s) {
      r.workers.push_back({d, s, model.worker_rank[d * model.pp + s],
                           std::min(r.by_dp_rank[d].slowdown, r.by_stage[s].slowdown)});
    }
  }
  std::vector<WorkerScore> ranked = RankWorkers(r.workers, r.by_dp_rank, r.by_stage);
  const size_t top = static_cast<size_t>(
      std::ceil(static_cast<double>(ranked.size()) * options.worker_top_percent / 100.0 - 1e-9));
  std::vector<uint8_t> w_sel(model.num_workers(), 0);
  for (size_t k = 0; k < top && k < ranked.size(); ++k) {
    w_sel[ranked[k].dp_rank * model.pp + ranked[k].stage] = 1;
    r.m_w.selected.push_back(ranked[k].rank);
  }
  r.m_s.selected.push_back(model.pp - 1);
  std::vector<int32_t> w_rows, s_rows;
  for (size_t i = 0; i < job.size(); ++i) {
    if (w_sel[model.worker[i]]) w_rows.push_back(static_cast<int32_t>(i));
    if (job.stage[i] == model.pp - 1) s_rows.push_back(static_cast<int32_t>(i));
  }
  // Remove views (actual with the selection ideal) first, then add views (ideal with it actual).
  std::vector<std::vector<int64_t>> explain_steps(4);
  TS_RETURN_IF_ERROR(RunReplays(g,
                                {{&actual, &ideal, &w_rows, &explain_steps[0]},
                                 {&actual, &ideal, &s_rows, &explain_steps[2]},
                                 {&ideal, &actual, &w_rows, &explain_steps[1]},
                                 {&ideal, &actual, &s_rows, &explain_steps[3]}},
                                options.threads, options.distributor));
  std::vector<double> t(4);
  for (int k = 0; k < 4; ++k) t[k] = MeanSeconds(explain_steps[k]);
  r.simulations += 4;
  for (int k = 0; k < 2; ++k) {
    Explanation& e = k == 0 ? r.m_w : r.m_s;
    e.t_ori_s = t_ori;
    e.t_ideal_s = t_ideal;
    e.t_rem_s = t[2 * k];
    e.t_add_s = t[2 * k + 1];
    e.rem = (t_ori - e.t_rem_s) / (t_ori - t_ideal);
    e.add = (e.t_add_s - t_ideal) / (t_ori - t_ideal);
  }
  return r;
}

}  // namespace trainscope::whatif
