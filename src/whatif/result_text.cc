// SPDX-License-Identifier: Apache-2.0
// RenderWhatIfText: summary, cause, tables by op class / stage / DP rank / worker / step.
#include "whatif/result_text.h"

#include <fmt/format.h>

#include <algorithm>

#include "whatif/internal/shared_output.h"

namespace trainscope::whatif {
namespace {

void Table(std::string& out, const char* title, const std::vector<Attribution>& rows, size_t top) {
  out += fmt::format("\n{:<28} {:>9}\n", title, "S_X");
  std::vector<const Attribution*> sorted;
  for (const Attribution& a : rows) sorted.push_back(&a);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](auto* a, auto* b) { return a->slowdown > b->slowdown; });
  for (size_t k = 0; k < sorted.size() && k < top; ++k)
    out += fmt::format("{:<28} {:>9.3f}\n", sorted[k]->label, sorted[k]->slowdown);
  if (sorted.size() > top) out += fmt::format("({} more)\n", sorted.size() - top);
}

std::string Header(const ReplayModel& m, const WhatIfResult& r) {
  if (m.input == InputKind::kOpTable) {
    return fmt::format(
        "what-if analysis of {}: {} ops, {} steps, DP {} x PP {} (TP {}, world {})\n", m.name,
        r.ops, r.steps.size(), m.dp, m.pp, m.tp, m.world_size);
  }
  std::string out =
      fmt::format("what-if analysis of {} (Kineto): {} GPU ops, {} steps, {} of {} ranks\n", m.name,
                  r.ops, r.steps.size(), m.num_workers(), m.world_size);
  if (!m.absent_ranks.empty()) {
    out += fmt::format("  absent ranks        {} (not simulated, nothing invented for them)\n",
                       FormatRankRanges(m.absent_ranks));
  }
  return out;
}

std::string Summary(const ReplayModel& m, const WhatIfResult& r) {
  const std::string verdict =
      !r.inconclusive.empty() ? std::string("inconclusive: the replay misses the job, see cause")
      : r.straggling          ? fmt::format("straggling: S >= {:.1f}", r.straggling_threshold)
                              : fmt::format("not straggling: S < {:.1f}", r.straggling_threshold);
  std::string out = fmt::format("  slowdown S          {:.3f}  ({})\n", r.slowdown, verdict);
  out += fmt::format(
      "  waste               {:.1f}% of GPU time, {:.{}f} GPU-hours over the traced steps ({} "
      "GPUs)\n",
      r.waste_fraction * 100, r.wasted_gpu_hours, r.traced_gpu_hours >= 0.1 ? 3 : 6, r.gpus);
  out += fmt::format("  launch slowdown     {:.3f}  (CPU launch gaps, separate from S",
                     r.launch_slowdown);
  if (m.input == InputKind::kKineto) {
    out += fmt::format("; {:.0f}% of the gap time before the CPU launch call",
                       100 * r.launch_wait_share);
  }
  out += ")\n";
  out +=
      fmt::format("  S with gaps kept    {:.3f}  (actual / ideal, both replayed with the gaps)\n",
                  r.slowdown_with_gaps);
  return out;
}

std::string Shares(const Explanation& e) {
  if (!e.meaningful) return "n/a (S within 1% of 1: no slowdown to explain)";
  return fmt::format("rem {:.3f}  add {:.3f}", e.rem, e.add);
}

std::string Explanations(const ReplayModel& m, const WhatIfResult& r) {
  std::string out = fmt::format("  M_W (fix top workers)  ranks {}: {}\n",
                                FormatRankRanges(r.m_w.selected), Shares(r.m_w));
  if (m.has_stages()) out += fmt::format("  M_S (fix last stage)   {}\n", Shares(r.m_s));
  return out;
}

std::string GraphLine(const ReplayModel& m) {
  if (m.input != InputKind::kKineto) return "";
  const ModelStats& st = m.stats;
  return fmt::format(
      "  graph               {} stream-order + {} event-wait{} + {} implied NCCL-sync edges ({} "
      "unresolved); {} collectives shared, {} over incomplete groups, {} NCCL ops unmatched\n",
      st.stream_edges, st.event_wait_edges,
      st.exact_event_waits > 0 ? fmt::format(" ({} of named events)", st.exact_event_waits) : "",
      st.nccl_sync_edges, st.event_waits_unresolved + st.nccl_syncs_unresolved,
      st.collectives_complete, st.collectives_partial, st.collective_ops_unmatched);
}

std::string WorkerTable(const ReplayModel& m, const WhatIfResult& r, size_t top) {
  std::string out = fmt::format("\n{:<10} {:>5} {:>6} {:>9} {:>9} {:>16} {:>11}\n", "rank", "dp",
                                "stage", "score", "S_alone", "compute_ms/step", "gaps_alone");
  std::vector<size_t> order(r.workers.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return r.workers[a].score > r.workers[b].score; });
  for (size_t k = 0; k < order.size() && k < top; ++k) {
    const WorkerScore& w = r.workers[order[k]];
    const std::string dp = m.has_stages() ? std::to_string(w.dp_rank) : "-";
    const std::string stage = m.has_stages() ? std::to_string(w.stage) : "-";
    out += fmt::format("{:<10} {:>5} {:>6} {:>9.3f} {:>9.3f} {:>16.3f} {:>11.3f}\n", w.rank, dp,
                       stage, w.score, r.by_worker[w.worker].slowdown,
                       r.worker_compute_s[w.worker] * 1e3, r.worker_launch_slowdown[w.worker]);
  }
  if (order.size() > top) out += fmt::format("({} more)\n", order.size() - top);
  return out;
}

std::string StepTable(const WhatIfResult& r) {
  std::string out = fmt::format("\n{:>8} {:>11} {:>11} {:>11} {:>11} {:>8} {:>7}\n", "step",
                                "measured_s", "replay_s", "no_delay_s", "ideal_s", "S", "err%");
  for (size_t s = 0; s < r.steps.size(); ++s) {
    out += fmt::format("{:>8} {:>11.6f} {:>11.6f} {:>11.6f} {:>11.6f} {:>8.3f} {:>7.2f}\n",
                       r.steps[s], r.step_time_s[s], r.step_replay_s[s], r.step_nodelay_s[s],
                       r.step_ideal_s[s], r.step_slowdown[s], r.step_error[s] * 100);
  }
  return out;
}

}  // namespace

std::string FormatRankRanges(const std::vector<int32_t>& ranks) {
  std::string out;
  for (size_t i = 0; i < ranks.size();) {
    size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    out += (out.empty() ? "" : ", ") +
           (j == i ? std::to_string(ranks[i]) : fmt::format("{}-{}", ranks[i], ranks[j]));
    i = j + 1;
  }
  return out;
}

std::string RenderWhatIfText(const ReplayModel& m, const WhatIfResult& r, const Cause& cause,
                             const Diagnostics& diagnostics, int top,
                             const std::vector<ScenarioResult>& scenarios) {
  const size_t rows = static_cast<size_t>(std::max(top, 1));
  std::string out = Header(m, r) + Summary(m, r);
  out += internal::ErrorAndCauseLines(r.error_median, r.error_max, cause);
  out += Explanations(m, r);
  for (const ScenarioResult& sc : scenarios) {
    out += fmt::format("  scenario {:<24} step {:.6f} s -> {:.6f} s  (speedup {:.3f}x)\n", sc.name,
                       sc.baseline_s, sc.scenario_s, sc.speedup);
  }
  out += GraphLine(m);
  Table(out, "op class (only it real)", r.by_op_class, rows);
  if (m.has_stages()) {
    Table(out, "PP stage", r.by_stage, rows);
    Table(out, "DP rank", r.by_dp_rank, rows);
  }
  out += WorkerTable(m, r, rows);
  out += StepTable(r);
  for (const Diagnostic& d : diagnostics.items()) out += "note: " + FormatDiagnostic(d) + "\n";
  if (!cause.not_applicable.empty())
    out += fmt::format("Not applicable to this input: {}.\n", cause.not_applicable);
  if (m.input == InputKind::kOpTable)
    out += "TP/CP inside a microbatch is not visible at op-table granularity.\n";
  return out;
}

}  // namespace trainscope::whatif
