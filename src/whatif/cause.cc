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

double ForwardBackwardCorrelation(const ReplayModel& m) {
  if (!m.has_microbatches() || !m.has_stages()) return std::numeric_limits<double>::quiet_NaN();
  // Key: (step index, dp, stage, chunk, microbatch); value: forward and backward durations.
  struct Pair {
    double fwd = -1, bwd = -1;
    int32_t group = 0;  // (dp, stage, chunk) for the mean removal
  };
  std::unordered_map<uint64_t, Pair> pairs;
  std::unordered_map<uint64_t, int32_t> group_of;
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    if (m.phase[i] == Phase::kNone || m.microbatch[i] < 0) continue;
    const int32_t w = m.worker[i];
    uint64_t g = (static_cast<uint64_t>(m.dp_rank_of(w)) << 40) |
                 (static_cast<uint64_t>(m.stage_of(w)) << 20) |
                 static_cast<uint64_t>(static_cast<int64_t>(m.chunk[i]) + 1);
    auto [git, inserted] = group_of.emplace(g, static_cast<int32_t>(group_of.size()));
    uint64_t key = (g * 1315423911ULL) ^ (static_cast<uint64_t>(m.step_index[i]) << 32) ^
                   static_cast<uint64_t>(m.microbatch[i]);
    Pair& p = pairs[key];
    p.group = git->second;
    (m.phase[i] == Phase::kForward ? p.fwd : p.bwd) = static_cast<double>(m.dur_ns[i]);
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

namespace {

double MedianOf(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// CPU-side stalls: launch delays, with the workers that hold most of them.
void FindCpuStalls(const ReplayModel& m, const WhatIfResult& r, const CauseThresholds& th,
                   Cause& c, std::vector<Finding>& found) {
  const int32_t workers = m.num_workers(), num_steps = m.num_steps();
  const double launch_excess = r.launch_slowdown - 1;
  std::vector<double> per_worker(workers, 0);
  double gc_ns = 0;
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    per_worker[m.worker[i]] += static_cast<double>(std::max<int64_t>(0, m.launch_delay_ns[i]));
    if (m.input == InputKind::kOpTable && m.op_names[m.op_name[i]] == "gc")
      gc_ns += static_cast<double>(m.dur_ns[i]);
  }
  const double total = std::accumulate(per_worker.begin(), per_worker.end(), 0.0);
  std::vector<int32_t> order(workers);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int32_t a, int32_t b) { return per_worker[a] > per_worker[b]; });
  const int32_t quarter = std::max(1, (workers + 3) / 4);
  double top = 0;
  std::string ranks;
  for (int32_t k = 0; k < quarter; ++k) {
    const int32_t w = order[k];
    top += per_worker[w];
    ranks += fmt::format("{}rank {} ({:.3f} ms/step, {:.3f}x alone)", k ? ", " : "",
                         m.worker_rank[w], per_worker[w] / num_steps * 1e-6,
                         r.worker_launch_slowdown[w]);
  }
  const double share = total > 0 ? top / total : 0;
  c.metrics.emplace_back("launch_delay_top_quarter_share", share);
  c.metrics.emplace_back("launch_wait_share", r.launch_wait_share);
  if (launch_excess < th.launch_excess) return;
  std::string extra;
  if (m.input == InputKind::kKineto) {
    extra = fmt::format("; {:.0f}% of the gap time is GPU ops waiting for their CPU launch call",
                        100 * r.launch_wait_share);
  } else {
    extra = fmt::format("; gc ops take {:.1f} ms per step in total", gc_ns / num_steps * 1e-6);
  }
  found.push_back(
      {Pattern::kCpuStalls, launch_excess,
       fmt::format("launch gaps (GPU idle while the CPU had not issued the next op) add {:.1f}% "
                   "to the step time (launch slowdown {:.3f}, threshold {:.2f}); the top quarter "
                   "of workers hold {:.0f}% of the gap time: {}{}",
                   launch_excess * 100, r.launch_slowdown, 1 + th.launch_excess, share * 100,
                   ranks, extra)});
}

// Attributed excess (S_X - 1) by op class role.
struct Excess {
  double all = 0, comm = 0, compute = 0;
};

Excess AttributedExcess(const ReplayModel& m, const WhatIfResult& r) {
  Excess e;
  for (const Attribution& a : r.by_op_class) {
    const double x = std::max(0.0, a.slowdown - 1);
    e.all += x;
    const GroupRole role = m.group_roles[static_cast<size_t>(a.key)];
    if (role == GroupRole::kComm) e.comm += x;
    if (role == GroupRole::kCompute) e.compute += x;
  }
  return e;
}

void FindSlowCommunication(const WhatIfResult& r, const Excess& e, const CauseThresholds& th,
                           Cause& c, std::vector<Finding>& found) {
  const double comm_share = e.all > 0 ? e.comm / e.all : 0;
  c.metrics.emplace_back("comm_share_of_excess", comm_share);
  c.metrics.emplace_back("comm_excess", e.comm);
  c.metrics.emplace_back("total_excess", e.all);
  if (r.slowdown - 1 >= th.min_excess && comm_share >= th.comm_share && e.comm >= th.min_excess) {
    found.push_back({Pattern::kSlowCommunication, e.comm,
                     fmt::format("communication op classes carry {:.0f}% of the attributed "
                                 "excess ({:.3f} of {:.3f}; threshold {:.0f}%)",
                                 comm_share * 100, e.comm, e.all, 100 * th.comm_share)});
  }
}

void FindSequenceLength(const ReplayModel& m, const WhatIfResult& r, const Excess& e,
                        const CauseThresholds& th, Cause& c, std::vector<Finding>& found) {
  const double corr = ForwardBackwardCorrelation(m);
  c.metrics.emplace_back("forward_backward_correlation", corr);
  const int32_t num_steps = m.num_steps();
  int32_t top_dp_changes = 0;
  auto top_of = [&](int32_t step) {
    int32_t best = 0;
    for (int32_t d = 1; d < static_cast<int32_t>(r.by_dp_rank.size()); ++d)
      if (r.by_dp_rank[d].per_step[step] > r.by_dp_rank[best].per_step[step]) best = d;
    return best;
  };
  for (int32_t s = 1; s < num_steps && !r.by_dp_rank.empty(); ++s)
    top_dp_changes += top_of(s) != top_of(s - 1);
  if (std::isfinite(corr) && corr >= th.fb_correlation && e.compute >= th.min_excess) {
    found.push_back(
        {Pattern::kSequenceLength, e.compute,
         fmt::format(
             "forward and backward compute of the same microbatch vary together (correlation "
             "{:.2f} >= {:.1f}), as sequence-length cost does; compute carries S-1 = {:.3f}; the "
             "slowest DP rank changes in {} of {} step transitions",
             corr, th.fb_correlation, e.compute, top_dp_changes, std::max(0, num_steps - 1))});
  }
}

// A heatmap candidate: one slow worker (a hot cell) or one slow stage (a stripe).
struct Candidate {
  Pattern pattern;
  int32_t worker = -1, stage = -1, phase = -1;  // phase: 0 forward, 1 backward (stripes)
  double ratio = 1;                             // evidence
  std::vector<double> scale;      // per worker: divide its forward (or all) compute by it
  std::vector<double> scale_bwd;  // per worker: the same for backward compute
  std::vector<int32_t> impact_rows;  // rows kept real for the impact replay
};

// Compute time per worker, forward (or phase-less) and backward, with op counts.
struct ComputeSums {
  std::vector<double> fwd, bwd, fwd_n, bwd_n;
};

ComputeSums SumCompute(const ReplayModel& m) {
  const int32_t workers = m.num_workers();
  ComputeSums c{std::vector<double>(workers, 0), std::vector<double>(workers, 0),
                std::vector<double>(workers, 0), std::vector<double>(workers, 0)};
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    if (m.role_of(i) != GroupRole::kCompute) continue;
    const int32_t w = m.worker[i];
    const bool bwd = m.phase[i] == Phase::kBackward;
    (bwd ? c.bwd : c.fwd)[w] += static_cast<double>(m.dur_ns[i]);
    (bwd ? c.bwd_n : c.fwd_n)[w] += 1;
  }
  return c;
}

// Workers whose compute per step is >= worker_ratio x their peers' median: the other workers of
// their stage where stages are known and DP > 1, else every other worker.
void SlowWorkerCandidates(const ReplayModel& m, const ComputeSums& sums,
                          const std::vector<std::vector<int32_t>>& rows, const CauseThresholds& th,
                          Cause& c, std::vector<Candidate>& cands) {
  const int32_t workers = m.num_workers();
  const bool by_stage = m.has_stages();
  if (by_stage ? m.dp < 2 : workers < 2) return;
  double max_ratio = 0;
  for (int32_t w = 0; w < workers; ++w) {
    std::vector<double> others;
    for (int32_t o = 0; o < workers; ++o) {
      if (o == w || (by_stage && m.stage_of(o) != m.stage_of(w))) continue;
      others.push_back(sums.fwd[o] + sums.bwd[o]);
    }
    const double base = MedianOf(others);
    const double ratio = base > 0 ? (sums.fwd[w] + sums.bwd[w]) / base : 0;
    max_ratio = std::max(max_ratio, ratio);
    if (ratio < th.worker_ratio) continue;
    Candidate cand{Pattern::kOneSlowWorker, w, by_stage ? m.stage_of(w) : -1, -1, ratio,
                   std::vector<double>(workers, 1.0), {}, rows[w]};
    cand.scale[w] = ratio;
    cand.scale_bwd = cand.scale;
    cands.push_back(std::move(cand));
  }
  c.metrics.emplace_back("max_rank_compute_ratio", max_ratio);
}

// Stages whose mean forward (or backward) compute is >= stage_ratio x the other stages' median
// on every DP rank.
void SlowStageCandidates(const ReplayModel& m, const ComputeSums& sums, const CauseThresholds& th,
                         std::vector<Candidate>& cands) {
  if (!m.has_stages() || m.pp < 2) return;
  const int32_t workers = m.num_workers(), pp = m.pp, dp = m.dp;
  for (int32_t s = 0; s < pp; ++s) {
    Candidate cand{Pattern::kStageImbalance, -1, s, -1, 0, std::vector<double>(workers, 1.0),
                   std::vector<double>(workers, 1.0), {}};
    for (int phase = 0; phase < 2; ++phase) {
      const std::vector<double>& sum = phase == 0 ? sums.fwd : sums.bwd;
      const std::vector<double>& cnt = phase == 0 ? sums.fwd_n : sums.bwd_n;
      std::vector<double>& scale = phase == 0 ? cand.scale : cand.scale_bwd;
      double min_ratio = std::numeric_limits<double>::infinity();
      for (int32_t d = 0; d < dp; ++d) {
        std::vector<double> others;
        for (int32_t t = 0; t < pp; ++t)
          if (t != s && cnt[d * pp + t] > 0) others.push_back(sum[d * pp + t] / cnt[d * pp + t]);
        const int32_t w = d * pp + s;
        const double base = others.empty() ? 0 : MedianOf(others);
        const double ratio = base > 0 && cnt[w] > 0 ? sum[w] / cnt[w] / base : 0;
        min_ratio = std::min(min_ratio, ratio);
        scale[w] = std::max(1.0, ratio);
      }
      if (min_ratio > cand.ratio) {
        cand.ratio = min_ratio;
        cand.phase = phase;
      }
    }
    if (cand.ratio < th.stage_ratio) continue;
    for (int32_t i = 0; i < m.num_nodes(); ++i)
      if (m.stage_of(m.worker[i]) == s) cand.impact_rows.push_back(i);
    cands.push_back(std::move(cand));
  }
}

// Impact of each candidate: keeping only it real, in the residual job where every *other*
// candidate is brought to its peers' speed (outliers inflate the mean-based ideal and would
// otherwise hide each other). Two replays per candidate: residual ideal, candidate real on it.
Result<std::vector<double>> CandidateImpacts(const ReplayModel& m, const WhatIfResult& r,
                                             const std::vector<Candidate>& cands, int threads,
                                             TaskDistributor* distributor) {
  std::vector<std::vector<int64_t>> residual(cands.size()), residual_ideal(cands.size());
  std::vector<std::vector<int64_t>> cand_steps(2 * cands.size());
  for (size_t k = 0; k < cands.size(); ++k) {
    residual[k] = r.actual_ns;
    for (size_t j = 0; j < cands.size(); ++j) {
      if (j == k) continue;
      const Candidate& o = cands[j];
      for (int32_t i = 0; i < m.num_nodes(); ++i) {
        if (m.role_of(i) != GroupRole::kCompute) continue;
        const int32_t w = m.worker[i];
        if (o.pattern == Pattern::kOneSlowWorker ? w != o.worker : m.stage_of(w) != o.stage)
          continue;
        const double scale = (m.phase[i] == Phase::kBackward ? o.scale_bwd : o.scale)[w];
        residual[k][i] = std::llround(static_cast<double>(residual[k][i]) / scale);
      }
    }
    residual_ideal[k] = IdealDurationsFrom(m, residual[k]);
  }
  std::vector<ReplayTask> tasks;
  for (size_t k = 0; k < cands.size(); ++k) {
    tasks.push_back({&residual_ideal[k], nullptr, nullptr, &cand_steps[2 * k]});
    tasks.push_back(
        {&residual_ideal[k], &residual[k], &cands[k].impact_rows, &cand_steps[2 * k + 1]});
  }
  TS_RETURN_IF_ERROR(RunReplays(m.graph, tasks, threads, distributor));
  std::vector<double> alone(cands.size());
  for (size_t k = 0; k < cands.size(); ++k)
    alone[k] = MeanSeconds(cand_steps[2 * k + 1]) / MeanSeconds(cand_steps[2 * k]);
  return alone;
}

std::string SlowWorkerEvidence(const ReplayModel& m, const WhatIfResult& r, const Candidate& cand,
                               double alone, size_t candidates) {
  const int32_t w = cand.worker, num_steps = m.num_steps();
  int32_t same = 0;
  for (int32_t s = 0; s < num_steps; ++s) {
    int32_t best = 0;
    for (int32_t v = 1; v < m.num_workers(); ++v)
      if (r.by_worker[v].per_step[s] > r.by_worker[best].per_step[s]) best = v;
    same += best == w;
  }
  const std::string others = candidates > 1 ? " (other outliers brought to their peers' speed)" : "";
  // M_W fixes the top workers by score with everything else left as traced: say which, and that
  // another pattern on the critical path can leave that fix at ~0%.
  const int32_t rank = m.worker_rank[w];
  const bool in_mw =
      std::find(r.m_w.selected.begin(), r.m_w.selected.end(), rank) != r.m_w.selected.end();
  const std::string mw_note = r.m_w.rem < 0.05 && candidates > 1
                                  ? " (the other outliers keep the step time while they remain)"
                                  : "";
  const std::string who =
      m.has_stages() ? fmt::format("worker rank {} (dp_rank {}, stage {})", rank, m.dp_rank_of(w),
                                   m.stage_of(w))
                     : fmt::format("rank {}", rank);
  const char* peers = m.has_stages() ? "the other workers of its stage" : "the other ranks";
  return fmt::format(
      "{} computes {:.2f}x as long as {} ({:.3f} ms per step); alone it slows the job to "
      "{:.3f}x{}; hottest worker in {} of {} steps; fixing the top {} worker(s) by score (ranks "
      "{}{}) with the rest as traced removes {:.0f}% of the slowdown (M_W){}",
      who, cand.ratio, peers, r.worker_compute_s[w] * 1e3, alone, others, same, num_steps,
      r.m_w.selected.size(), fmt::join(r.m_w.selected, ", "),
      in_mw ? "" : fmt::format("; not rank {}", rank), r.m_w.rem * 100, mw_note);
}

std::string SlowStageEvidence(const ReplayModel& m, const WhatIfResult& r, const Candidate& cand,
                              double alone, size_t candidates) {
  const int32_t s = cand.stage, pp = m.pp, num_steps = m.num_steps();
  const std::string which = s == pp - 1 ? "last stage"
                            : s == 0    ? "first stage"
                                        : fmt::format("stage {}", s);
  int32_t top_steps = 0;
  for (int32_t step = 0; step < num_steps; ++step) {
    int32_t best = 0;
    for (int32_t t = 1; t < pp; ++t)
      if (r.by_stage[t].per_step[step] > r.by_stage[best].per_step[step]) best = t;
    top_steps += best == s;
  }
  const std::string others = candidates > 1 ? " (other outliers brought to their peers' speed)" : "";
  return fmt::format(
      "{} (stage {}): its {} compute takes >= {:.2f}x the other stages' on every DP rank; that "
      "stage alone slows the job to {:.3f}x{}; slowest stage in {} of {} steps{}",
      which, s, cand.phase == 0 ? "forward" : "backward", cand.ratio, alone, others, top_steps,
      num_steps,
      s == pp - 1 ? fmt::format("; fixing the last stage removes {:.0f}% of the slowdown (M_S)",
                                r.m_s.rem * 100)
                  : std::string());
}

// Heatmap patterns. Evidence comes from compute durations, impact from residual replays.
Status FindHeatmapPatterns(const ReplayModel& m, const WhatIfResult& r, int threads,
                           TaskDistributor* distributor, const CauseThresholds& th, Cause& c,
                           std::vector<Finding>& found) {
  std::vector<std::vector<int32_t>> rows(m.num_workers());
  for (int32_t i = 0; i < m.num_nodes(); ++i) rows[m.worker[i]].push_back(i);
  const ComputeSums sums = SumCompute(m);
  std::vector<Candidate> cands;
  SlowWorkerCandidates(m, sums, rows, th, c, cands);
  SlowStageCandidates(m, sums, th, cands);
  TS_ASSIGN_OR_RETURN(std::vector<double> alone,
                      CandidateImpacts(m, r, cands, threads, distributor));
  for (size_t k = 0; k < cands.size(); ++k) {
    const double impact = alone[k] - 1;
    if (impact < th.min_impact) continue;
    const bool worker = cands[k].pattern == Pattern::kOneSlowWorker;
    found.push_back({cands[k].pattern, impact,
                     worker ? SlowWorkerEvidence(m, r, cands[k], alone[k], cands.size())
                            : SlowStageEvidence(m, r, cands[k], alone[k], cands.size())});
  }
  c.metrics.emplace_back("heatmap_candidates", static_cast<double>(cands.size()));
  return OkStatus();
}

// Patterns the input cannot show, and why.
std::string NotApplicable(const ReplayModel& m) {
  if (m.has_stages() && m.has_microbatches()) return "";
  if (m.input == InputKind::kKineto) {
    return "stage_imbalance and sequence_length_imbalance need pipeline stages and microbatch "
           "ids, which Kineto traces do not carry";
  }
  return "sequence_length_imbalance needs microbatch ids, which this op table does not carry";
}

}  // namespace

Cause ClassifyCause(const ReplayModel& m, const WhatIfResult& r, int threads,
                    const CauseThresholds& th) {
  // Without a distributor the replays cannot fail.
  Result<Cause> cause = ClassifyCause(m, r, threads, nullptr, th);
  TS_CHECK(cause.ok(), "{}", cause.status().ToString());
  return *std::move(cause);
}

Result<Cause> ClassifyCause(const ReplayModel& m, const WhatIfResult& r, int threads,
                            TaskDistributor* distributor, const CauseThresholds& th) {
  Cause c;
  c.not_applicable = NotApplicable(m);
  std::vector<Finding> found;
  const double excess = r.slowdown - 1;
  const double launch_excess = r.launch_slowdown - 1;
  c.metrics.emplace_back("slowdown", r.slowdown);
  c.metrics.emplace_back("launch_slowdown", r.launch_slowdown);
  FindCpuStalls(m, r, th, c, found);
  const Excess attributed = AttributedExcess(m, r);
  FindSlowCommunication(r, attributed, th, c, found);
  if (m.has_microbatches()) FindSequenceLength(m, r, attributed, th, c, found);
  TS_RETURN_IF_ERROR(FindHeatmapPatterns(m, r, threads, distributor, th, c, found));

  std::stable_sort(found.begin(), found.end(),
                   [](const Finding& a, const Finding& b) { return a.impact > b.impact; });
  if (found.empty() ||
      (excess < r.straggling_threshold - 1 && launch_excess < th.launch_excess)) {
    double hottest = 0;
    for (const Attribution& a : r.by_worker) hottest = std::max(hottest, a.slowdown);
    c.pattern = Pattern::kNone;
    c.evidence = fmt::format(
        "no straggler pattern: S = {:.3f} (< {:.1f} is not straggling), launch slowdown {:.3f}; "
        "hottest worker alone {:.3f}x",
        r.slowdown, r.straggling_threshold, r.launch_slowdown, hottest);
    c.secondary = found;
  } else {
    c.pattern = found[0].pattern;
    c.evidence = found[0].evidence;
    c.secondary.assign(found.begin() + 1, found.end());
  }
  // Persistence: per-step S normalised by the job's S stays within 10%.
  double max_dev = 0;
  for (double s : r.step_slowdown) max_dev = std::max(max_dev, std::abs(s / r.slowdown - 1));
  c.persistent = !r.step_slowdown.empty() && max_dev <= 0.1;
  c.metrics.emplace_back("step_slowdown_max_deviation", max_dev);
  return c;
}

}  // namespace trainscope::whatif
