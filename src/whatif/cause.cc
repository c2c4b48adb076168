// SPDX-License-Identifier: Apache-2.0
// ClassifyCause: worker-cell replays, pattern tests and evidence strings (thresholds in cause.h).
#include "whatif/cause.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "base/parallel.h"
#include "graph/simulator.h"

namespace trainscope::whatif {

std::string_view PatternName(Pattern p) {
  switch (p) {
    case Pattern::kNone: return "none";
    case Pattern::kOneSlowWorker: return "one_slow_worker";
    case Pattern::kStageImbalance: return "stage_imbalance";
    case Pattern::kSequenceLength: return "sequence_length_imbalance";
    case Pattern::kCpuStalls: return "cpu_stalls";
    case Pattern::kSlowCommunication: return "slow_communication";
  }
  return "none";
}

bool Cause::Names(Pattern p) const {
  if (pattern == p) return true;
  return std::any_of(secondary.begin(), secondary.end(), [p](const Finding& f) { return f.pattern == p; });
}

double ForwardBackwardCorrelation(const OpJob& job, const JobModel& model) {
  // Key: (step index, dp, stage, chunk, microbatch); value: forward and backward durations.
  struct Pair {
    double fwd = -1, bwd = -1;
    int32_t group = 0;  // (dp, stage, chunk) for the mean removal
  };
  std::unordered_map<uint64_t, Pair> pairs;
  std::unordered_map<uint64_t, int32_t> group_of;
  for (size_t i = 0; i < job.size(); ++i) {
    if (!IsComputeKind(job.kind[i]) || job.mb_id[i] < 0) continue;
    uint64_t g = (static_cast<uint64_t>(job.dp_rank[i]) << 40) | (static_cast<uint64_t>(job.stage[i]) << 20) |
                 static_cast<uint64_t>(job.mc[i] + 1);
    auto [git, inserted] = group_of.emplace(g, static_cast<int32_t>(group_of.size()));
    uint64_t key = (g * 1315423911ULL) ^ (static_cast<uint64_t>(model.step_index[i]) << 32) ^
                   static_cast<uint64_t>(job.mb_id[i]);
    Pair& p = pairs[key];
    p.group = git->second;
    (job.kind[i] == OpKind::kForwardCompute ? p.fwd : p.bwd) = static_cast<double>(job.dur_ns[i]);
  }
  const size_t groups = group_of.size();
  std::vector<double> fsum(groups, 0), bsum(groups, 0), cnt(groups, 0);
  for (const auto& [key, p] : pairs) {
    if (p.fwd < 0 || p.bwd < 0) continue;
    fsum[p.group] += p.fwd;
    bsum[p.group] += p.bwd;
    cnt[p.group] += 1;
  }
  double sxx = 0, syy = 0, sxy = 0;
  size_t n = 0;
  for (const auto& [key, p] : pairs) {
    if (p.fwd < 0 || p.bwd < 0) continue;
    double x = p.fwd - fsum[p.group] / cnt[p.group];
    double y = p.bwd - bsum[p.group] / cnt[p.group];
    sxx += x * x;
    syy += y * y;
    sxy += x * y;
    ++n;
  }
  if (n < 3 || sxx <= 0 || syy <= 0) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

Cause ClassifyCause(const OpJob& job, const JobModel& model, const WhatIfResult& r, int threads,
                    const CauseThresholds& th) {
  Cause c;
  const int32_t workers = model.num_workers(), pp = model.pp, dp = model.dp;
  const int32_t num_steps = model.num_steps();
  // Per-worker "add" replays: only that worker's ops at actual durations.
  const std::vector<int64_t> actual = model.ActualDurations(job);
  const std::vector<int64_t> ideal = IdealDurations(job, model);
  std::vector<std::vector<int32_t>> rows(workers);
  for (size_t i = 0; i < job.size(); ++i) rows[model.worker[i]].push_back(static_cast<int32_t>(i));
  std::vector<std::vector<int64_t>> cell_steps(workers);
  ParallelFor(workers, threads, [&](size_t w) {
    std::vector<int64_t> dur = ideal;
    for (int32_t i : rows[w]) dur[i] = actual[i];
    graph::Simulator sim(model.graph);
    cell_steps[w].resize(num_steps);
    sim.Run(dur, {}, cell_steps[w]);
  });
  double ideal_mean = 0;
  for (double t : r.step_ideal_s) ideal_mean += t;
  ideal_mean /= static_cast<double>(r.step_ideal_s.size());
  c.cell_slowdown.resize(workers);
  for (int32_t w = 0; w < workers; ++w) c.cell_slowdown[w] = MeanSeconds(cell_steps[w]) / ideal_mean;

  std::vector<Finding> found;
  const double excess = r.slowdown - 1;
  const double launch_excess = r.launch_slowdown - 1;
  c.metrics.emplace_back("slowdown", r.slowdown);
  c.metrics.emplace_back("launch_slowdown", r.launch_slowdown);

  // CPU-side stalls: launch delays, concentrated on some ranks.
  {
    std::vector<double> per_worker(workers, 0);
    double gc_ns = 0;
    for (size_t i = 0; i < job.size(); ++i) {
      per_worker[model.worker[i]] += static_cast<double>(std::max<int64_t>(0, model.launch_delay_ns[i]));
      if (job.kind[i] == OpKind::kGc) gc_ns += static_cast<double>(job.dur_ns[i]);
    }
    double total = std::accumulate(per_worker.begin(), per_worker.end(), 0.0);
    std::vector<int32_t> order(workers);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return per_worker[a] > per_worker[b]; });
    const int32_t quarter = std::max(1, (workers + 3) / 4);
    double top = 0;
    std::string ranks;
    for (int32_t k = 0; k < quarter; ++k) {
      top += per_worker[order[k]];
      ranks += fmt::format("{}rank {} ({:.0f} ms/step)", k ? ", " : "", model.worker_rank[order[k]],
                           per_worker[order[k]] / num_steps * 1e-6);
    }
    const double share = total > 0 ? top / total : 0;
    c.metrics.emplace_back("launch_delay_top_quarter_share", share);
    if (launch_excess >= th.launch_excess) {
      found.push_back({Pattern::kCpuStalls, launch_excess,
                       fmt::format("launch delays (GPU idle while the CPU had not issued the next op) add {:.1f}% "
                                   "to the step time (launch slowdown {:.3f}); the top quarter of workers hold "
                                   "{:.0f}% of the delay: {}; gc ops take {:.1f} ms per step in total",
                                   launch_excess * 100, r.launch_slowdown, share * 100, ranks,
                                   gc_ns / num_steps * 1e-6)});
    }
  }
  // Attributed excess by op kind.
  // Attributed excess (S_X - 1) by op kind: compute, communication (optimizer and gc in neither).
  double comm_excess = 0, all_excess = 0, compute_excess = 0;
  for (const Attribution& a : r.by_optype) {
    double e = std::max(0.0, a.slowdown - 1);
    all_excess += e;
    std::optional<OpKind> kind = ParseOpKind(a.label);
    bool is_comm = !kind || IsCommKind(*kind);  // merged pp-comm labels are comm
    if (kind && IsComputeKind(*kind)) compute_excess += e;
    else if (is_comm) comm_excess += e;
  }
  const double comm_share = all_excess > 0 ? comm_excess / all_excess : 0;
  c.metrics.emplace_back("comm_share_of_excess", comm_share);
  if (excess >= th.min_excess && comm_share >= th.comm_share && comm_excess >= th.min_excess) {
    found.push_back({Pattern::kSlowCommunication, comm_excess,
                     fmt::format("communication op kinds carry {:.0f}% of the attributed slowdown (sum of S-1 over "
                                 "comm kinds {:.3f})",
                                 comm_share * 100, comm_excess)});
  }
  // Sequence-length imbalance.
  const double corr = ForwardBackwardCorrelation(job, model);
  c.metrics.emplace_back("forward_backward_correlation", corr);
  int32_t top_dp_changes = 0;
  for (int32_t s = 1; s < num_steps; ++s) {
    auto top_of = [&](int32_t step) {
      int32_t best = 0;
      for (int32_t d = 1; d < dp; ++d)
        if (r.by_dp_rank[d].per_step[step] > r.by_dp_rank[best].per_step[step]) best = d;
      return best;
    };
    top_dp_changes += top_of(s) != top_of(s - 1);
  }
  if (std::isfinite(corr) && corr >= th.fb_correlation && compute_excess >= th.min_excess) {
    found.push_back({Pattern::kSequenceLength, compute_excess,
                     fmt::format("forward and backward compute of the same microbatch vary together (correlation "
                                 "{:.2f} >= {:.1f}), as sequence-length cost does; compute carries S-1 = {:.3f}; the "
                                 "slowest DP rank changes in {} of {} step transitions",
                                 corr, th.fb_correlation, compute_excess, top_dp_changes, std::max(0, num_steps - 1))});
  }
  // Heatmap: isolated hot cell (one worker) and stripes (stages).
  int32_t hot = static_cast<int32_t>(std::max_element(c.cell_slowdown.begin(), c.cell_slowdown.end()) -
                                     c.cell_slowdown.begin());
  const double hot_excess = c.cell_slowdown[hot] - 1;
  {
    const int32_t hd = hot / pp, hs = hot % pp;
    double peer_max = 0;
    for (int32_t d = 0; d < dp; ++d)
      if (d != hd) peer_max = std::max(peer_max, c.cell_slowdown[d * pp + hs] - 1);
    for (int32_t s = 0; s < pp; ++s)
      if (s != hs) peer_max = std::max(peer_max, c.cell_slowdown[hd * pp + s] - 1);
    c.metrics.emplace_back("hot_cell_excess", hot_excess);
    c.metrics.emplace_back("hot_cell_peer_excess", peer_max);
    if (hot_excess >= th.min_excess && peer_max <= th.peer_ratio * hot_excess && workers > 1) {
      int32_t same = 0;
      for (int32_t s = 0; s < num_steps; ++s) {
        int32_t best = 0;
        for (int32_t w = 1; w < workers; ++w)
          if (cell_steps[w][s] > cell_steps[best][s]) best = w;
        same += best == hot;
      }
      found.push_back({Pattern::kOneSlowWorker, hot_excess,
                       fmt::format("worker rank {} (dp_rank {}, stage {}) alone slows the job to {:.3f}x while every "
                                   "other worker of its stage and DP rank stays within {:.3f}x; it is the hottest "
                                   "worker in {} of {} steps; fixing the top {} worker(s) removes {:.0f}% of the "
                                   "slowdown (M_W)",
                                   model.worker_rank[hot], hd, hs, c.cell_slowdown[hot], 1 + peer_max, same, num_steps,
                                   r.m_w.selected.size(), r.m_w.rem * 100)});
      c.metrics.emplace_back("hot_cell_steps_fraction", static_cast<double>(same) / num_steps);
    }
  }
  for (int32_t s = 0; s < pp; ++s) {
    double lo = std::numeric_limits<double>::infinity(), hi = -1;
    for (int32_t d = 0; d < dp; ++d) {
      lo = std::min(lo, c.cell_slowdown[d * pp + s] - 1);
      hi = std::max(hi, c.cell_slowdown[d * pp + s] - 1);
    }
    if (hi < th.min_excess || lo < th.min_excess || lo < th.peer_ratio * hi) continue;
    if (dp == 1 && pp == 1) continue;
    std::string which = s == pp - 1 ? "last stage" : s == 0 ? "first stage" : fmt::format("stage {}", s);
    int32_t top_steps = 0;
    for (int32_t step = 0; step < num_steps; ++step) {
      int32_t best = 0;
      for (int32_t t = 1; t < pp; ++t)
        if (r.by_stage[t].per_step[step] > r.by_stage[best].per_step[step]) best = t;
      top_steps += best == s;
    }
    double ms = s == pp - 1 ? r.m_s.rem : std::numeric_limits<double>::quiet_NaN();
    found.push_back({Pattern::kStageImbalance, r.by_stage[s].slowdown - 1,
                     fmt::format("{} is slow on every DP rank (workers of stage {} alone slow the job {:.3f}x to "
                                 "{:.3f}x; stage {} alone {:.3f}x); slowest stage in {} of {} steps{}",
                                 which, s, 1 + lo, 1 + hi, s, r.by_stage[s].slowdown, top_steps, num_steps,
                                 std::isfinite(ms) ? fmt::format("; fixing the last stage removes {:.0f}% of the "
                                                                 "slowdown (M_S)", ms * 100)
                                                   : std::string())});
  }

  std::stable_sort(found.begin(), found.end(), [](const Finding& a, const Finding& b) { return a.impact > b.impact; });
  if (found.empty() || (excess < 0.1 && launch_excess < th.launch_excess)) {
    c.pattern = Pattern::kNone;
    c.evidence = fmt::format("no straggler pattern: S = {:.3f} (< 1.1 is not straggling), launch slowdown {:.3f}; "
                             "hottest worker alone {:.3f}x",
                             r.slowdown, r.launch_slowdown, c.cell_slowdown[hot]);
    c.secondary = found;
  } else {
    c.pattern = found[0].pattern;
    c.evidence = found[0].evidence;
    c.secondary.assign(found.begin() + 1, found.end());
  }
  // Persistence: per-step S normalised by the job's S stays within 10%.
  double max_dev = 0;
  for (double s : r.step_slowdown) max_dev = std::max(max_dev, std::abs(s / r.slowdown - 1));
  c.persistent = max_dev <= 0.1;
  c.metrics.emplace_back("step_slowdown_max_deviation", max_dev);
  return c;
}

}  // namespace trainscope::whatif
