// SPDX-License-Identifier: Apache-2.0
// ClassifyKinetoCause: the straggler patterns a per-kernel Kineto trace can show
// (kineto_analysis.h).
#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "whatif/kineto_analysis.h"

namespace trainscope::whatif {
namespace {

double MedianOf(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

}  // namespace

Cause ClassifyKinetoCause(const KinetoJobModel& m, const KinetoWhatIfResult& r,
                          const CauseThresholds& th) {
  Cause cause;
  std::vector<Finding> findings;
  const int32_t workers = m.num_workers();

  // CPU-side stalls: the launch-delay effect, with the ranks whose delays alone cost the most.
  cause.metrics.emplace_back("launch_slowdown", r.launch_slowdown);
  cause.metrics.emplace_back("launch_wait_share", r.launch_wait_share);
  if (r.launch_slowdown >= 1 + th.launch_excess) {
    std::vector<int32_t> order(workers);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return r.rank_launch_slowdown[a] > r.rank_launch_slowdown[b];
    });
    std::string ranks;
    const size_t shown = std::max<size_t>(1, (order.size() + 3) / 4);
    for (size_t k = 0; k < shown && k < order.size(); ++k) {
      ranks += fmt::format("{}rank {} ({:.3f}x alone)", k ? ", " : "", m.ranks[order[k]],
                           r.rank_launch_slowdown[order[k]]);
    }
    findings.push_back(
        {Pattern::kCpuStalls, r.launch_slowdown - 1,
         fmt::format("measured steps are {:.3f}x the replay without launch gaps (threshold "
                     "{:.2f}); {:.0f}% of the gap time is GPU ops waiting for their CPU launch "
                     "call; ranks whose gaps alone cost most: {}",
                     r.launch_slowdown, 1 + th.launch_excess, 100 * r.launch_wait_share, ranks)});
  }

  // Slow communication: comm classes carry most of the attributed excess.
  double comm_excess = 0, total_excess = 0;
  for (const Attribution& a : r.by_op_class) {
    const double excess = std::max(0.0, a.slowdown - 1);
    total_excess += excess;
    if (a.label.rfind("comm ", 0) == 0) comm_excess += excess;
  }
  cause.metrics.emplace_back("comm_excess", comm_excess);
  cause.metrics.emplace_back("total_excess", total_excess);
  if (r.straggling && comm_excess >= th.min_excess && comm_excess >= th.comm_share * total_excess) {
    findings.push_back({Pattern::kSlowCommunication, comm_excess,
                        fmt::format("communication classes carry {:.0f}% of the attributed "
                                    "excess ({:.3f} of {:.3f}; threshold {:.0f}%)",
                                    100 * comm_excess / total_excess, comm_excess, total_excess,
                                    100 * th.comm_share)});
  }

  // One slow rank: its compute time per step well above its peers' median, and keeping only
  // it real slows the job.
  if (workers >= 2) {
    int32_t worst = -1;
    double worst_ratio = 0;
    for (int32_t w = 0; w < workers; ++w) {
      std::vector<double> others;
      for (int32_t o = 0; o < workers; ++o)
        if (o != w) others.push_back(r.rank_compute_s[o]);
      const double median = MedianOf(others);
      const double ratio = median > 0 ? r.rank_compute_s[w] / median : 0;
      if (ratio > worst_ratio) {
        worst_ratio = ratio;
        worst = w;
      }
    }
    cause.metrics.emplace_back("max_rank_compute_ratio", worst_ratio);
    const double impact = worst >= 0 ? r.by_rank[worst].slowdown - 1 : 0;
    if (r.straggling && worst >= 0 && worst_ratio >= th.worker_ratio && impact >= th.min_impact) {
      findings.push_back(
          {Pattern::kOneSlowWorker, impact,
           fmt::format("rank {}: compute kernel time {:.3f} ms per step, {:.2f}x the median of "
                       "the other ranks (threshold {:.2f}); keeping only it real gives S {:.3f}",
                       m.ranks[worst], r.rank_compute_s[worst] * 1e3, worst_ratio, th.worker_ratio,
                       r.by_rank[worst].slowdown)});
    }
  }

  std::stable_sort(findings.begin(), findings.end(),
                   [](const Finding& a, const Finding& b) { return a.impact > b.impact; });
  if (findings.empty()) {
    cause.pattern = Pattern::kNone;
    cause.evidence = fmt::format(
        "no pattern fires: S {:.3f} (straggling at >= 1.1), launch slowdown {:.3f}; {} (not "
        "applicable here)",
        r.slowdown, r.launch_slowdown, kKinetoNotApplicable);
  } else {
    cause.pattern = findings[0].pattern;
    cause.evidence = findings[0].evidence;
    cause.secondary.assign(findings.begin() + 1, findings.end());
  }
  bool persistent = !r.step_slowdown.empty();
  for (double s : r.step_slowdown) persistent = persistent && std::abs(s / r.slowdown - 1) <= 0.1;
  cause.persistent = persistent;
  return cause;
}

}  // namespace trainscope::whatif
