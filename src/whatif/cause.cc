// SPDX-License-Identifier: Apache-2.0
// ClassifyCause: worker-cell replays, pattern tests and evidence strings (thresholds in cause.h).
#include "whatif/cause.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

#include <fmt/format.h>

#include "base/check.h"
#include "whatif/replay_batch.h"

namespace trainscope::whatif {

std::string_view PatternName(Pattern p) {
  switch (p) {
    case Pattern::kNone:
      return "none";
    case Pattern::kOneSlowWorker:
      return "one_slow_worker";
    case Pattern::kStageImbalance:
      return "stage_imbalance";
    case Pattern::kSequenceLength:
      return "sequence_length_imbalance";
    case Pattern::kCpuStalls:
      return "cpu_stalls";
    case Pattern::kSlowCommunication:
      return "slow_communication";
  }
  return "none";
}

bool Cause::Names(Pattern p) const {
  if (pattern == p) return true;
  return std::any_of(secondary.begin(), secondary.end(),
                     [p](const Finding& f) { return f.pattern == p; });
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
    uint64_t g = (static_cast<uint64_t>(job.dp_rank[i]) << 40) |
                 (static_cast<uint64_t>(job.stage[i]) << 20) |
                 static_cast<uint64_t>(static_cast<int64_t>(job.mc[i]) + 1);
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
  // Without a distributor the replays cannot fail.
  Result<Cause> cause = ClassifyCause(job, model, r, threads, nullptr, th);
  TS_CHECK(cause.ok(), "{}", cause.status().ToString());
  return *std::move(cause);
}

Result<Cause> ClassifyCause(const OpJob& job, const JobModel& model, const WhatIfResult& r,
                            int threads, TaskDistributor* distributor,
                            const CauseThresholds& th) {
  Cause c;
  const int32_t workers = model.num_workers(), pp = model.pp, dp = model.dp;
  const int32_t num_steps = model.num_steps();
  // Per-worker "add" replays: only that worker's ops at actual durations.
  const std::vector<int64_t>& actual = r.actual_ns;
  const std::vector<int64_t>& ideal = r.ideal_ns;
  std::vector<std::vector<int32_t>> rows(workers);
  for (size_t i = 0; i < job.size(); ++i) rows[model.worker[i]].push_back(static_cast<int32_t>(i));
  std::vector<std::vector<int64_t>> cell_steps(workers);
  std::vector<ReplayTask> tasks;
  for (int32_t w = 0; w < workers; ++w)
    tasks.push_back({&ideal, &actual, &rows[w], &cell_steps[w]});
  TS_RETURN_IF_ERROR(RunReplays(model.graph, tasks, threads, distributor));
  double ideal_mean = 0;
  for (double t : r.step_ideal_s) ideal_mean += t;
  ideal_mean /= static_cast<double>(r.step_ideal_s.size());
  c.cell_slowdown.resize(workers);
  for (int32_t w = 0; w < workers; ++w)
    c.cell_slowdown[w] = MeanSeconds(cell_steps[w]) / ideal_mean;

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
      per_worker[model.worker[i]] +=
          static_cast<double>(std::max<int64_t>(0, model.launch_delay_ns[i]));
      if (job.kind[i] == OpKind::kGc) gc_ns += static_cast<double>(job.dur_ns[i]);
    }
    double total = std::accumulate(per_worker.begin(), per_worker.end(), 0.0);
    std::vector<int32_t> order(workers);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](int32_t a, int32_t b) { return per_worker[a] > per_worker[b]; });
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
      found.push_back(
          {Pattern::kCpuStalls, launch_excess,
           fmt::format(
               "launch delays (GPU idle while the CPU had not issued the next op) add {:.1f}% "
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
    if (kind && IsComputeKind(*kind))
      compute_excess += e;
    else if (is_comm)
      comm_excess += e;
  }
  const double comm_share = all_excess > 0 ? comm_excess / all_excess : 0;
  c.metrics.emplace_back("comm_share_of_excess", comm_share);
  if (excess >= th.min_excess && comm_share >= th.comm_share && comm_excess >= th.min_excess) {
    found.push_back(
        {Pattern::kSlowCommunication, comm_excess,
         fmt::format(
             "communication op kinds carry {:.0f}% of the attributed slowdown (sum of S-1 over "
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
    found.push_back(
        {Pattern::kSequenceLength, compute_excess,
         fmt::format(
             "forward and backward compute of the same microbatch vary together (correlation "
             "{:.2f} >= {:.1f}), as sequence-length cost does; compute carries S-1 = {:.3f}; the "
             "slowest DP rank changes in {} of {} step transitions",
             corr, th.fb_correlation, compute_excess, top_dp_changes, std::max(0, num_steps - 1))});
  }
  // Heatmap patterns. Evidence comes from compute durations: a worker whose compute per step is
  // >= worker_ratio x its stage peers' median (one slow worker), or a stage whose forward/backward
  // compute is >= stage_ratio x the other stages' median on every DP rank (a stripe). Impact comes
  // from replays: keeping only that worker / stage real, in the residual job where every *other*
  // candidate is brought to its peers' speed (outliers inflate the mean-based ideal and would
  // otherwise hide each other).
  std::vector<double> fwd_sum(workers, 0), bwd_sum(workers, 0), fwd_n(workers, 0),
      bwd_n(workers, 0);
  for (size_t i = 0; i < job.size(); ++i) {
    const int32_t w = model.worker[i];
    if (job.kind[i] == OpKind::kForwardCompute)
      fwd_sum[w] += static_cast<double>(job.dur_ns[i]), fwd_n[w] += 1;
    if (job.kind[i] == OpKind::kBackwardCompute)
      bwd_sum[w] += static_cast<double>(job.dur_ns[i]), bwd_n[w] += 1;
  }
  auto median_of = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  };
  struct Candidate {
    Pattern pattern;
    int32_t worker = -1, stage = -1, kind = -1;  // kind: 0 forward, 1 backward (stripes)
    double ratio = 1;                            // evidence
    std::vector<double>
        scale;  // per worker: divide this candidate's forward (or all) compute by it
    std::vector<double> scale_bwd;     // stripes: per worker, for backward compute
    std::vector<int32_t> impact_rows;  // rows kept real for the impact replay
  };
  std::vector<Candidate> cands;
  if (dp > 1) {
    for (int32_t w = 0; w < workers; ++w) {
      std::vector<double> others;
      for (int32_t d = 0; d < dp; ++d)
        if (d != w / pp) others.push_back(fwd_sum[d * pp + w % pp] + bwd_sum[d * pp + w % pp]);
      const double base = median_of(others);
      const double ratio = base > 0 ? (fwd_sum[w] + bwd_sum[w]) / base : 0;
      if (ratio < th.worker_ratio) continue;
      Candidate cand{Pattern::kOneSlowWorker,           w,  w % pp, -1, ratio,
                     std::vector<double>(workers, 1.0), {}, rows[w]};
      cand.scale[w] = ratio;
      cand.scale_bwd = cand.scale;
      cands.push_back(std::move(cand));
    }
  }
  if (pp > 1) {
    for (int32_t s = 0; s < pp; ++s) {
      Candidate cand{Pattern::kStageImbalance,          -1, s, -1, 0,
                     std::vector<double>(workers, 1.0), {}, {}};
      cand.scale_bwd.assign(workers, 1.0);
      for (int kind = 0; kind < 2; ++kind) {
        const std::vector<double>& sum = kind == 0 ? fwd_sum : bwd_sum;
        const std::vector<double>& cnt = kind == 0 ? fwd_n : bwd_n;
        std::vector<double>& scale = kind == 0 ? cand.scale : cand.scale_bwd;
        double min_ratio = std::numeric_limits<double>::infinity();
        for (int32_t d = 0; d < dp; ++d) {
          std::vector<double> others;
          for (int32_t t = 0; t < pp; ++t)
            if (t != s && cnt[d * pp + t] > 0) others.push_back(sum[d * pp + t] / cnt[d * pp + t]);
          const int32_t w = d * pp + s;
          const double base = others.empty() ? 0 : median_of(others);
          const double ratio = base > 0 && cnt[w] > 0 ? sum[w] / cnt[w] / base : 0;
          min_ratio = std::min(min_ratio, ratio);
          scale[w] = std::max(1.0, ratio);
        }
        if (min_ratio > cand.ratio) {
          cand.ratio = min_ratio;
          cand.kind = kind;
        }
      }
      if (cand.ratio < th.stage_ratio) continue;
      for (size_t i = 0; i < job.size(); ++i)
        if (job.stage[i] == s) cand.impact_rows.push_back(static_cast<int32_t>(i));
      cands.push_back(std::move(cand));
    }
  }
  // Residual replays: 2 per candidate (residual ideal; candidate real on the residual ideal).
  std::vector<std::vector<int64_t>> residual(cands.size()), residual_ideal(cands.size());
  std::vector<std::vector<int64_t>> cand_steps(2 * cands.size());
  std::vector<ReplayTask> cand_tasks;
  for (size_t k = 0; k < cands.size(); ++k) {
    residual[k] = actual;
    for (size_t j = 0; j < cands.size(); ++j) {
      if (j == k) continue;
      const Candidate& o = cands[j];
      for (size_t i = 0; i < job.size(); ++i) {
        if (!IsComputeKind(job.kind[i])) continue;
        if (o.pattern == Pattern::kOneSlowWorker ? model.worker[i] != o.worker
                                                 : job.stage[i] != o.stage)
          continue;
        const double scale =
            (job.kind[i] == OpKind::kForwardCompute ? o.scale : o.scale_bwd)[model.worker[i]];
        residual[k][i] = std::llround(static_cast<double>(residual[k][i]) / scale);
      }
    }
    residual_ideal[k] = IdealDurationsFrom(job, residual[k]);
  }
  for (size_t k = 0; k < cands.size(); ++k) {
    cand_tasks.push_back({&residual_ideal[k], nullptr, nullptr, &cand_steps[2 * k]});
    cand_tasks.push_back(
        {&residual_ideal[k], &residual[k], &cands[k].impact_rows, &cand_steps[2 * k + 1]});
  }
  TS_RETURN_IF_ERROR(RunReplays(model.graph, cand_tasks, threads, distributor));
  for (size_t k = 0; k < cands.size(); ++k) {
    const Candidate& cand = cands[k];
    const double alone = MeanSeconds(cand_steps[2 * k + 1]) / MeanSeconds(cand_steps[2 * k]);
    const double impact = alone - 1;
    if (impact < th.min_impact) continue;
    const std::string others =
        cands.size() > 1 ? " (other outliers brought to their peers' speed)" : "";
    if (cand.pattern == Pattern::kOneSlowWorker) {
      const int32_t w = cand.worker;
      int32_t same = 0;
      for (int32_t s = 0; s < num_steps; ++s) {
        int32_t best = 0;
        for (int32_t v = 1; v < workers; ++v)
          if (cell_steps[v][s] > cell_steps[best][s]) best = v;
        same += best == w;
      }
      // M_W fixes the top workers by min(S_dp, S_stage) with everything else left as traced: say
      // which, and that another pattern on the critical path can leave that fix at ~0%.
      const bool in_mw = std::find(r.m_w.selected.begin(), r.m_w.selected.end(), model.worker_rank[w]) !=
                         r.m_w.selected.end();
      const std::string mw_note =
          r.m_w.rem < 0.05 && cands.size() > 1
              ? " (the other outliers keep the step time while they remain)"
              : "";
      found.push_back(
          {Pattern::kOneSlowWorker, impact,
           fmt::format(
               "worker rank {} (dp_rank {}, stage {}) computes {:.2f}x as long as the other "
               "workers of its stage; alone it slows the job to {:.3f}x{}; hottest worker in {} "
               "of {} steps; fixing the top {} worker(s) by score (ranks {}{}) with the rest as "
               "traced removes {:.0f}% of the slowdown (M_W){}",
               model.worker_rank[w], w / pp, w % pp, cand.ratio, alone, others, same, num_steps,
               r.m_w.selected.size(), fmt::join(r.m_w.selected, ", "),
               in_mw ? "" : fmt::format("; not rank {}", model.worker_rank[w]), r.m_w.rem * 100,
               mw_note)});
    } else {
      const int32_t s = cand.stage;
      std::string which = s == pp - 1 ? "last stage"
                          : s == 0    ? "first stage"
                                      : fmt::format("stage {}", s);
      int32_t top_steps = 0;
      for (int32_t step = 0; step < num_steps; ++step) {
        int32_t best = 0;
        for (int32_t t = 1; t < pp; ++t)
          if (r.by_stage[t].per_step[step] > r.by_stage[best].per_step[step]) best = t;
        top_steps += best == s;
      }
      found.push_back(
          {Pattern::kStageImbalance, impact,
           fmt::format(
               "{} (stage {}): its {} compute takes >= {:.2f}x the other stages' on every DP "
               "rank; that stage alone slows the job to {:.3f}x{}; slowest stage in {} of {} "
               "steps{}",
               which, s, cand.kind == 0 ? "forward" : "backward", cand.ratio, alone, others,
               top_steps, num_steps,
               s == pp - 1 ? fmt::format("; fixing the last stage removes {:.0f}% of the "
                                         "slowdown (M_S)",
                                         r.m_s.rem * 100)
                           : std::string())});
    }
  }
  c.metrics.emplace_back("heatmap_candidates", static_cast<double>(cands.size()));

  std::stable_sort(found.begin(), found.end(),
                   [](const Finding& a, const Finding& b) { return a.impact > b.impact; });
  if (found.empty() || (excess < 0.1 && launch_excess < th.launch_excess)) {
    c.pattern = Pattern::kNone;
    c.evidence = fmt::format(
        "no straggler pattern: S = {:.3f} (< 1.1 is not straggling), launch slowdown {:.3f}; "
        "hottest worker alone {:.3f}x",
        r.slowdown, r.launch_slowdown,
        *std::max_element(c.cell_slowdown.begin(), c.cell_slowdown.end()));
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
