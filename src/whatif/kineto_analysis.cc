// SPDX-License-Identifier: Apache-2.0
// AnalyzeKinetoWhatIf: validation, launch effect, ideal replay and attribution on a Kineto job.
#include "whatif/kineto_analysis.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "base/parallel.h"
#include "graph/simulator.h"
#include "whatif/internal/shared_output.h"
#include "whatif/replay_batch.h"

namespace trainscope::whatif {
std::vector<int64_t> KinetoIdealDurations(const KinetoJobModel& m) {
  std::vector<std::vector<double>> values(m.class_names.size());
  const size_t n = m.worker.size();
  for (size_t i = 0; i < n; ++i) {
    if (m.fixed[i] || m.ideal_class[i] < 0) continue;
    values[m.ideal_class[i]].push_back(static_cast<double>(m.transfer_ns[i]));
  }
  std::vector<int64_t> of_class(values.size(), 0);
  for (size_t c = 0; c < values.size(); ++c) {
    const auto& v = values[c];
    if (v.empty()) continue;
    of_class[c] = std::llround(m.class_is_comm[c] ? internal::Median(v)
                                                  : std::accumulate(v.begin(), v.end(), 0.0) /
                                                        static_cast<double>(v.size()));
  }
  std::vector<int64_t> ideal(n);
  for (size_t i = 0; i < n; ++i) {
    ideal[i] = m.fixed[i] || m.ideal_class[i] < 0 ? m.transfer_ns[i] : of_class[m.ideal_class[i]];
  }
  return ideal;
}

Result<KinetoWhatIfResult> AnalyzeKinetoWhatIf(const KinetoJobModel& m,
                                               const AnalysisOptions& options) {
  const graph::DepGraph& g = m.graph;
  const int32_t num_steps = m.num_steps();
  const int32_t num_workers = m.num_workers();
  KinetoWhatIfResult r;
  r.steps = m.steps;
  r.ops = m.num_nodes();
  r.gpus = num_workers;
  r.actual_ns = m.transfer_ns;
  r.ideal_ns = KinetoIdealDurations(m);
  const std::vector<int64_t>& actual = r.actual_ns;
  const std::vector<int64_t>& ideal = r.ideal_ns;

  std::vector<int64_t> replay(num_steps), nodelay(num_steps), ideal_steps(num_steps);
  graph::Simulator sim(g);
  sim.Run(actual, m.launch_delay_ns, replay);
  sim.Run(actual, {}, nodelay);
  sim.Run(ideal, {}, ideal_steps);
  r.simulations += 3;
  for (int32_t s = 0; s < num_steps; ++s) {
    if (m.step_time_ns[s] <= 0 || nodelay[s] <= 0 || ideal_steps[s] <= 0) {
      return InvalidArgumentError("{}: step {} has no GPU time (measured {} ns); cannot simulate",
                                  m.name, m.steps[s], m.step_time_ns[s]);
    }
  }
  internal::FillStepTimes(m.step_time_ns, replay, nodelay, ideal_steps, &r);
  const double t_ori = MeanSeconds(nodelay), t_ideal = MeanSeconds(ideal_steps);
  {
    std::vector<int64_t> ideal_gaps(num_steps);
    sim.Run(ideal, m.launch_delay_ns, ideal_gaps);
    ++r.simulations;
    r.slowdown_with_gaps = MeanSeconds(replay) / MeanSeconds(ideal_gaps);
    double gaps = 0, waits = 0;
    for (int32_t i = 0; i < m.num_nodes(); ++i) {
      gaps += static_cast<double>(std::max<int64_t>(m.launch_delay_ns[i], 0));
      waits += static_cast<double>(m.launch_wait_ns[i]);
    }
    r.launch_wait_share = gaps > 0 ? waits / gaps : 0;
  }
  r.waste_fraction = 1 - 1 / r.slowdown;
  r.straggling = r.slowdown >= options.straggling_threshold;
  double traced_s = 0;
  for (double t : r.step_time_s) traced_s += t;
  r.traced_gpu_hours = traced_s * num_workers / 3600.0;
  r.wasted_gpu_hours = r.traced_gpu_hours * r.waste_fraction;

  // Per rank: launch effect of its delays alone (one replay per rank, split over threads; each
  // chunk sets and resets only that rank's delays), and its compute kernel time.
  {
    std::vector<std::vector<int32_t>> rank_rows(num_workers);
    for (int32_t i = 0; i < m.num_nodes(); ++i) rank_rows[m.worker[i]].push_back(i);
    r.rank_launch_slowdown.assign(num_workers, 0);
    const int threads = options.threads <= 0 ? DefaultThreadCount() : options.threads;
    const size_t chunks = std::min<size_t>(static_cast<size_t>(threads), rank_rows.size());
    ParallelFor(chunks, static_cast<int>(chunks), [&](size_t chunk) {
      graph::Simulator chunk_sim(g);
      std::vector<int64_t> delay(m.num_nodes(), 0), steps(num_steps);
      const size_t begin = rank_rows.size() * chunk / chunks;
      const size_t end = rank_rows.size() * (chunk + 1) / chunks;
      for (size_t w = begin; w < end; ++w) {
        for (int32_t i : rank_rows[w]) delay[i] = m.launch_delay_ns[i];
        chunk_sim.Run(actual, delay, steps);
        r.rank_launch_slowdown[w] = MeanSeconds(steps) / t_ori;
        for (int32_t i : rank_rows[w]) delay[i] = 0;
      }
    });
    r.simulations += num_workers;
    r.rank_compute_s.assign(num_workers, 0);
    for (int32_t i = 0; i < m.num_nodes(); ++i) {
      if (m.group[i] >= 0 && m.group_names[m.group[i]] == "compute")
        r.rank_compute_s[m.worker[i]] += static_cast<double>(m.dur_ns[i]) * 1e-9 / num_steps;
    }
  }

  // Attribution groups: op classes, ranks, steps.
  struct Group {
    std::vector<Attribution>* out;
    std::string label;
    int32_t key;
    std::vector<int32_t> rows;
  };
  std::vector<Group> groups;
  for (size_t c = 0; c < m.group_names.size(); ++c)
    groups.push_back({&r.by_op_class, m.group_names[c], static_cast<int32_t>(c), {}});
  const size_t first_rank = groups.size();
  for (int32_t w = 0; w < num_workers; ++w)
    groups.push_back({&r.by_rank, std::to_string(m.ranks[w]), m.ranks[w], {}});
  const size_t first_step = groups.size();
  for (int32_t s = 0; s < num_steps; ++s)
    groups.push_back(
        {&r.by_step, std::to_string(m.steps[s]), static_cast<int32_t>(m.steps[s]), {}});
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    if (m.group[i] >= 0) groups[m.group[i]].rows.push_back(i);
    groups[first_rank + m.worker[i]].rows.push_back(i);
    groups[first_step + m.step_index[i]].rows.push_back(i);
  }
  std::vector<std::vector<int64_t>> group_steps(groups.size());
  std::vector<ReplayTask> tasks;
  for (size_t k = 0; k < groups.size(); ++k)
    tasks.push_back({&ideal, &actual, &groups[k].rows, &group_steps[k]});
  TS_RETURN_IF_ERROR(RunReplays(g, tasks, options.threads, options.distributor));
  r.simulations += static_cast<int64_t>(groups.size());
  for (size_t k = 0; k < groups.size(); ++k) {
    Attribution a{groups[k].label, groups[k].key, MeanSeconds(group_steps[k]) / t_ideal, {}};
    for (int32_t s = 0; s < num_steps; ++s) {
      a.per_step.push_back(static_cast<double>(group_steps[k][s]) /
                           static_cast<double>(ideal_steps[s]));
    }
    groups[k].out->push_back(std::move(a));
  }

  // M_W with ranks as the workers.
  std::vector<int32_t> order(num_workers);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return r.by_rank[a].slowdown != r.by_rank[b].slowdown
               ? r.by_rank[a].slowdown > r.by_rank[b].slowdown
               : m.ranks[a] < m.ranks[b];
  });
  const auto top = static_cast<size_t>(
      std::ceil(static_cast<double>(num_workers) * options.worker_top_percent / 100.0 - 1e-9));
  std::vector<uint8_t> selected(num_workers, 0);
  for (size_t k = 0; k < top && k < order.size(); ++k) {
    selected[order[k]] = 1;
    r.m_w.selected.push_back(m.ranks[order[k]]);
  }
  std::vector<int32_t> rows;
  for (int32_t i = 0; i < m.num_nodes(); ++i)
    if (selected[m.worker[i]]) rows.push_back(i);
  std::vector<int64_t> rem_steps, add_steps;
  TS_RETURN_IF_ERROR(RunReplays(
      g, {{&actual, &ideal, &rows, &rem_steps}, {&ideal, &actual, &rows, &add_steps}},
      options.threads, options.distributor));
  r.simulations += 2;
  r.m_w.t_ori_s = t_ori;
  r.m_w.t_ideal_s = t_ideal;
  r.m_w.t_rem_s = MeanSeconds(rem_steps);
  r.m_w.t_add_s = MeanSeconds(add_steps);
  // Without any slowdown to explain (T_ori == T_ideal) both shares are 0, not 0/0.
  const double excess = t_ori - t_ideal;
  r.m_w.rem = excess != 0 ? (t_ori - r.m_w.t_rem_s) / excess : 0;
  r.m_w.add = excess != 0 ? (r.m_w.t_add_s - t_ideal) / excess : 0;
  return r;
}

}  // namespace trainscope::whatif
