// SPDX-License-Identifier: Apache-2.0
// AnalyzeWhatIf: validation, launch effect, ideal replay, attribution and the M_W / M_S
// explanations on a ReplayModel.
#include "whatif/analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/stats.h"
#include "graph/simulator.h"
#include "whatif/internal/shared_output.h"
#include "whatif/replay_batch.h"

namespace trainscope::whatif {
namespace {

// One attribution group: the rows kept at actual durations, and where its row goes.
struct Group {
  std::vector<Attribution>* out;
  std::string label;
  int32_t key;
  std::vector<int32_t> rows;
};

Attribution MakeAttribution(std::string label, int32_t key, const std::vector<int64_t>& steps_ns,
                            const std::vector<int64_t>& ideal_steps, double t_ideal) {
  Attribution a{std::move(label), key, MeanSeconds(steps_ns) / t_ideal, {}};
  for (size_t s = 0; s < steps_ns.size(); ++s)
    a.per_step.push_back(static_cast<double>(steps_ns[s]) / static_cast<double>(ideal_steps[s]));
  return a;
}

// The launch-gap replays: S with the gaps kept, the share of gaps before the launch call, the
// start skew (gaps before a rank entered the step, i.e. before its traced window), the in-window
// gap effect, and per worker the effect of its in-window gaps alone (one replay per worker).
Status AnalyzeLaunchGaps(const ReplayModel& m, const AnalysisOptions& options,
                         const std::vector<int64_t>& replay, const std::vector<int64_t>& nodelay,
                         WhatIfResult& r) {
  const int32_t num_steps = m.num_steps(), num_workers = m.num_workers();
  std::vector<int64_t> in_window(m.launch_delay_ns);
  for (int32_t i = 0; i < m.num_nodes(); ++i) in_window[i] -= m.entry_delay_ns[i];
  std::vector<int64_t> ideal_gaps(num_steps), replay_in_window(num_steps);
  std::vector<std::vector<int32_t>> worker_rows(num_workers);
  for (int32_t i = 0; i < m.num_nodes(); ++i) worker_rows[m.worker[i]].push_back(i);
  std::vector<std::vector<int64_t>> steps(num_workers);
  // One batch: the ideal with every launch gap, the actual with the in-window gaps, and the
  // actual with one worker's in-window gaps per worker.
  std::vector<ReplayTask> tasks;
  tasks.push_back({&r.ideal_ns, nullptr, nullptr, &ideal_gaps, nullptr, &m.launch_delay_ns});
  tasks.push_back({&r.actual_ns, nullptr, nullptr, &replay_in_window, nullptr, &in_window});
  for (int32_t w = 0; w < num_workers; ++w)
    tasks.push_back({&r.actual_ns, &r.actual_ns, &worker_rows[w], &steps[w], &in_window});
  TS_RETURN_IF_ERROR(RunReplays(m.graph, tasks, options.threads, options.distributor));
  r.simulations += 2 + num_workers;
  r.slowdown_with_gaps = MeanSeconds(replay) / MeanSeconds(ideal_gaps);
  r.start_skew_s = std::max(0.0, MeanSeconds(replay) - MeanSeconds(replay_in_window));
  r.host_slowdown = MeanSeconds(replay_in_window) / MeanSeconds(nodelay);
  double gaps = 0, waits = 0;
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    gaps += static_cast<double>(std::max<int64_t>(m.launch_delay_ns[i], 0));
    waits += static_cast<double>(m.launch_wait_ns[i]);
  }
  r.launch_wait_share = gaps > 0 ? waits / gaps : 0;
  const double t_ori = MeanSeconds(nodelay);
  for (int32_t w = 0; w < num_workers; ++w)
    r.worker_launch_slowdown.push_back(MeanSeconds(steps[w]) / t_ori);
  return OkStatus();
}

// Attribution by op class, stage, DP rank and worker (one "add" replay each); by step from the
// no-delay and ideal replays (steps share no op, so keeping one step real changes only it).
Status Attribute(const ReplayModel& m, const AnalysisOptions& options,
                 const std::vector<int64_t>& nodelay, const std::vector<int64_t>& ideal_steps,
                 double t_ideal, WhatIfResult& r) {
  std::vector<Group> groups;
  for (size_t c = 0; c < m.group_names.size(); ++c)
    groups.push_back({&r.by_op_class, m.group_names[c], static_cast<int32_t>(c), {}});
  const size_t first_stage = groups.size();
  for (int32_t s = 0; s < m.pp; ++s) groups.push_back({&r.by_stage, std::to_string(s), s, {}});
  const size_t first_dp = groups.size();
  for (int32_t d = 0; d < m.dp && m.has_stages(); ++d)
    groups.push_back({&r.by_dp_rank, std::to_string(d), d, {}});
  const size_t first_worker = groups.size();
  for (int32_t w = 0; w < m.num_workers(); ++w)
    groups.push_back({&r.by_worker, std::to_string(m.worker_rank[w]), m.worker_rank[w], {}});
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    if (m.group[i] >= 0) groups[m.group[i]].rows.push_back(i);
    if (m.has_stages()) {
      groups[first_stage + m.stage_of(m.worker[i])].rows.push_back(i);
      groups[first_dp + m.dp_rank_of(m.worker[i])].rows.push_back(i);
    }
    groups[first_worker + m.worker[i]].rows.push_back(i);
  }
  std::vector<std::vector<int64_t>> group_steps(groups.size());
  std::vector<ReplayTask> tasks;
  for (size_t k = 0; k < groups.size(); ++k)
    tasks.push_back({&r.ideal_ns, &r.actual_ns, &groups[k].rows, &group_steps[k]});
  TS_RETURN_IF_ERROR(RunReplays(m.graph, tasks, options.threads, options.distributor));
  r.simulations += static_cast<int64_t>(groups.size());
  for (size_t k = 0; k < groups.size(); ++k) {
    groups[k].out->push_back(
        MakeAttribution(groups[k].label, groups[k].key, group_steps[k], ideal_steps, t_ideal));
  }
  for (int32_t s = 0; s < m.num_steps(); ++s) {
    std::vector<int64_t> steps_ns = ideal_steps;
    steps_ns[s] = nodelay[s];
    r.by_step.push_back(MakeAttribution(std::to_string(m.steps[s]),
                                        static_cast<int32_t>(m.steps[s]), steps_ns, ideal_steps,
                                        t_ideal));
  }
  return OkStatus();
}

// Worker scores: min(S_dp, S_stage) where stages are known, else the worker's alone S.
void ScoreWorkers(const ReplayModel& m, WhatIfResult& r) {
  for (int32_t w = 0; w < m.num_workers(); ++w) {
    WorkerScore ws{w, m.worker_rank[w], -1, -1, r.by_worker[w].slowdown};
    if (m.has_stages()) {
      ws.dp_rank = m.dp_rank_of(w);
      ws.stage = m.stage_of(w);
      ws.score = std::min(r.by_dp_rank[ws.dp_rank].slowdown, r.by_stage[ws.stage].slowdown);
    }
    r.workers.push_back(ws);
  }
  r.worker_compute_s.assign(m.num_workers(), 0);
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    if (m.role_of(i) == GroupRole::kCompute)
      r.worker_compute_s[m.worker[i]] += static_cast<double>(m.dur_ns[i]) * 1e-9 / m.num_steps();
  }
}

void Explain(double t_ori, double t_ideal, double t_rem, double t_add, Explanation& e) {
  e.t_ori_s = t_ori;
  e.t_ideal_s = t_ideal;
  e.t_rem_s = t_rem;
  e.t_add_s = t_add;
  // Without a slowdown to explain the shares divide by (almost) nothing: 0, and not meaningful.
  const double excess = t_ori - t_ideal;
  e.meaningful = excess >= kMinExplainedExcess * t_ideal && excess > 0;
  e.rem = e.meaningful ? (t_ori - t_rem) / excess : 0;
  e.add = e.meaningful ? (t_add - t_ideal) / excess : 0;
}

// M_W: the top workers by score; M_S: the last stage. Remove views (actual with the selection
// ideal) and add views (ideal with it actual).
Status ExplainTopWorkersAndLastStage(const ReplayModel& m, const AnalysisOptions& options,
                                     double t_ori, double t_ideal, WhatIfResult& r) {
  const std::vector<WorkerScore> ranked = RankWorkers(r.workers, r.by_dp_rank, r.by_stage);
  const auto top = static_cast<size_t>(
      std::ceil(static_cast<double>(ranked.size()) * options.worker_top_percent / 100.0 - 1e-9));
  std::vector<uint8_t> selected(m.num_workers(), 0);
  for (size_t k = 0; k < top && k < ranked.size(); ++k) {
    selected[ranked[k].worker] = 1;
    r.m_w.selected.push_back(ranked[k].rank);
  }
  std::vector<int32_t> w_rows, s_rows;
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    if (selected[m.worker[i]]) w_rows.push_back(i);
    if (m.has_stages() && m.stage_of(m.worker[i]) == m.pp - 1) s_rows.push_back(i);
  }
  std::vector<std::vector<int64_t>> steps(4);
  std::vector<ReplayTask> tasks = {{&r.actual_ns, &r.ideal_ns, &w_rows, &steps[0]},
                                   {&r.ideal_ns, &r.actual_ns, &w_rows, &steps[1]}};
  if (m.has_stages()) {
    tasks.push_back({&r.actual_ns, &r.ideal_ns, &s_rows, &steps[2]});
    tasks.push_back({&r.ideal_ns, &r.actual_ns, &s_rows, &steps[3]});
  }
  TS_RETURN_IF_ERROR(RunReplays(m.graph, tasks, options.threads, options.distributor));
  r.simulations += static_cast<int64_t>(tasks.size());
  Explain(t_ori, t_ideal, MeanSeconds(steps[0]), MeanSeconds(steps[1]), r.m_w);
  if (m.has_stages()) {
    r.m_s.selected.push_back(m.pp - 1);
    Explain(t_ori, t_ideal, MeanSeconds(steps[2]), MeanSeconds(steps[3]), r.m_s);
  }
  return OkStatus();
}

}  // namespace

double MeanSeconds(const std::vector<int64_t>& step_ns) {
  if (step_ns.empty()) return 0;
  long double sum = 0;
  for (int64_t v : step_ns) sum += static_cast<long double>(v);
  return static_cast<double>(sum / static_cast<long double>(step_ns.size()) * 1e-9L);
}

std::vector<int64_t> IdealDurations(const ReplayModel& model) {
  return IdealDurationsFrom(model, model.transfer_ns);
}

namespace {

// Mean of a compute class without its implausible outliers: values above kOutlierFactor x the
// class median are left out (a corrupt kernel of days must not move every op's ideal). On data
// without such outliers this is the paper's mean exactly.
constexpr double kOutlierFactor = 10.0;

double RobustMean(const std::vector<double>& v) {
  // The lower median, so that of two values one corrupt cannot set the cap.
  const size_t mid = (v.size() - 1) / 2;
  std::vector<double> order = v;
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(mid), order.end());
  const double cap = kOutlierFactor * order[mid];
  double sum = 0;
  size_t kept = 0;
  for (double x : v) {
    if (cap > 0 && x > cap) continue;
    sum += x;
    ++kept;
  }
  if (kept == v.size())
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return sum / static_cast<double>(kept);
}

}  // namespace

std::vector<int64_t> IdealDurationsFrom(const ReplayModel& m,
                                        const std::vector<int64_t>& sim_dur_ns) {
  std::vector<std::vector<double>> values(m.class_names.size());
  const size_t n = m.worker.size();
  for (size_t i = 0; i < n; ++i) {
    if (m.fixed[i] || m.ideal_class[i] < 0) continue;
    values[m.ideal_class[i]].push_back(static_cast<double>(sim_dur_ns[i]));
  }
  std::vector<int64_t> of_class(values.size(), 0);
  for (size_t c = 0; c < values.size(); ++c) {
    auto& v = values[c];
    if (v.empty()) continue;
    of_class[c] =
        std::llround(m.class_is_comm[c] ? (v.empty() ? 0 : Median(std::move(v))) : RobustMean(v));
  }
  std::vector<int64_t> ideal(n);
  for (size_t i = 0; i < n; ++i)
    ideal[i] = m.fixed[i] || m.ideal_class[i] < 0 ? sim_dur_ns[i] : of_class[m.ideal_class[i]];
  return ideal;
}

std::vector<WorkerScore> RankWorkers(const std::vector<WorkerScore>& workers,
                                     const std::vector<Attribution>& by_dp_rank,
                                     const std::vector<Attribution>& by_stage) {
  // Ties on the score are common with stages: every worker of a slow stage scores that stage's
  // S when each DP rank is slower still (each carries the other stages' stragglers). Among them
  // the worker whose other dimension is slower goes first (max(S_dp, S_stage): a lone slow
  // worker's DP rank), then the lower rank.
  auto other = [&](const WorkerScore& w) {
    if (w.stage < 0) return 0.0;
    return std::max(by_dp_rank[static_cast<size_t>(w.dp_rank)].slowdown,
                    by_stage[static_cast<size_t>(w.stage)].slowdown);
  };
  std::vector<WorkerScore> ranked = workers;
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&other](const WorkerScore& a, const WorkerScore& b) {
                     if (a.score != b.score) return a.score > b.score;
                     const double oa = other(a), ob = other(b);
                     return oa != ob ? oa > ob : a.rank < b.rank;
                   });
  return ranked;
}

void AddResultDiagnostics(const ReplayModel& /*model*/, const WhatIfResult& r,
                          const std::string& source, Diagnostics& diagnostics) {
  if (r.error_median > 0.02 || r.error_max > 0.05) {
    diagnostics.Add("simulation_error_high", source, "",
                    fmt::format("replay error median {:.2f}% / max {:.2f}% exceeds 2% / 5%",
                                r.error_median * 100, r.error_max * 100));
  }
}

std::string_view Verdict(const WhatIfResult& r) {
  if (!r.inconclusive.empty()) return "inconclusive";
  return r.straggling ? "straggling" : "not_straggling";
}

Result<WhatIfResult> AnalyzeWhatIf(const ReplayModel& m, const AnalysisOptions& options) {
  const int32_t num_steps = m.num_steps();
  WhatIfResult r;
  r.steps = m.steps;
  r.ops = m.num_nodes();
  r.gpus = m.gpus;
  r.straggling_threshold = options.straggling_threshold;
  r.actual_ns = m.transfer_ns;
  r.ideal_ns = IdealDurations(m);

  std::vector<int64_t> replay(num_steps), nodelay(num_steps), ideal_steps(num_steps);
  {
    const std::vector<ReplayTask> tasks = {
        {&r.actual_ns, nullptr, nullptr, &replay, nullptr, &m.launch_delay_ns},
        {&r.actual_ns, nullptr, nullptr, &nodelay},
        {&r.ideal_ns, nullptr, nullptr, &ideal_steps}};
    TS_RETURN_IF_ERROR(RunReplays(m.graph, tasks, options.threads, options.distributor));
    r.simulations += 3;
  }
  for (int32_t s = 0; s < num_steps; ++s) {
    if (m.step_time_ns[s] <= 0 || nodelay[s] <= 0 || ideal_steps[s] <= 0) {
      return InvalidArgumentError("{}: step {} has no GPU time (measured {} ns); cannot simulate",
                                  m.name, m.steps[s], m.step_time_ns[s]);
    }
  }
  internal::FillStepTimes(m.step_time_ns, replay, nodelay, ideal_steps, &r);
  const double t_ori = MeanSeconds(nodelay), t_ideal = MeanSeconds(ideal_steps);
  r.waste_fraction = std::max(0.0, 1 - 1 / r.slowdown);
  r.straggling = r.slowdown >= options.straggling_threshold;
  if (r.error_median > options.max_replay_error) {
    r.inconclusive = fmt::format(
        "the faithful replay misses the measured step times by a median {:.1f}% (max {:.1f}%), "
        "more than {:.0f}%: the dependency graph does not reproduce this job (ops missing from "
        "the trace, or start times and durations in different units), so neither S nor a cause "
        "is trusted",
        r.error_median * 100, r.error_max * 100, options.max_replay_error * 100);
    r.straggling = false;
  }
  double traced_s = 0;
  for (double t : r.step_time_s) traced_s += t;
  r.traced_gpu_hours = traced_s * m.gpus / 3600.0;
  r.wasted_gpu_hours = r.traced_gpu_hours * r.waste_fraction;

  TS_RETURN_IF_ERROR(AnalyzeLaunchGaps(m, options, replay, nodelay, r));
  TS_RETURN_IF_ERROR(Attribute(m, options, nodelay, ideal_steps, t_ideal, r));
  ScoreWorkers(m, r);
  TS_RETURN_IF_ERROR(ExplainTopWorkersAndLastStage(m, options, t_ori, t_ideal, r));
  return r;
}

}  // namespace trainscope::whatif
