// SPDX-License-Identifier: Apache-2.0
// RenderWhatIfText: summary, cause, tables by op kind / stage / DP rank / worker / step.
#include "whatif/result_text.h"

#include <fmt/format.h>

#include <algorithm>

#include "whatif/internal/shared_output.h"

namespace trainscope::whatif {
namespace {

void Table(std::string& out, const char* title, const std::vector<Attribution>& rows) {
  out += fmt::format("\n{:<28} {:>9}\n", title, "S_X");
  std::vector<const Attribution*> sorted;
  for (const Attribution& a : rows) sorted.push_back(&a);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](auto* a, auto* b) { return a->slowdown > b->slowdown; });
  for (const Attribution* a : sorted)
    out += fmt::format("{:<28} {:>9.3f}\n", a->label, a->slowdown);
}

}  // namespace

std::string RenderWhatIfText(const OpJob& job, const JobModel& model, const WhatIfResult& r,
                             const Cause& cause, const Diagnostics& diagnostics, int top,
                             const std::vector<ScenarioResult>& scenarios) {
  std::string out;
  out +=
      fmt::format("what-if analysis of {}: {} ops, {} steps, DP {} x PP {} (TP {}, world {})\n",
                  job.name, r.ops, r.steps.size(), model.dp, model.pp, job.tp_size, job.world_size);
  out += fmt::format("  slowdown S          {:.3f}  ({})\n", r.slowdown,
                     r.straggling ? "straggling: S >= 1.1" : "not straggling: S < 1.1");
  out += fmt::format(
      "  waste               {:.1f}% of GPU time, {:.3f} GPU-hours over the traced steps\n",
      r.waste_fraction * 100, r.wasted_gpu_hours);
  out += fmt::format("  launch slowdown     {:.3f}  (CPU-side launch delays, separate from S)\n",
                     r.launch_slowdown);
  out += internal::ErrorAndCauseLines(r.error_median, r.error_max, cause);
  out += fmt::format("  M_W (fix top workers)  rem {:.3f}  add {:.3f}\n", r.m_w.rem, r.m_w.add);
  out += fmt::format("  M_S (fix last stage)   rem {:.3f}  add {:.3f}\n", r.m_s.rem, r.m_s.add);
  for (const ScenarioResult& sc : scenarios) {
    out += fmt::format("  scenario {:<24} step {:.4f} s -> {:.4f} s  (speedup {:.3f}x)\n", sc.name,
                       sc.baseline_s, sc.scenario_s, sc.speedup);
  }
  Table(out, "op type (only it real)", r.by_optype);
  Table(out, "PP stage", r.by_stage);
  Table(out, "DP rank", r.by_dp_rank);
  out +=
      fmt::format("\n{:<8} {:>7} {:>6} {:>9} {:>9}\n", "worker", "dp", "stage", "score", "alone");
  std::vector<size_t> order(r.workers.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return r.workers[a].score > r.workers[b].score; });
  for (size_t k = 0; k < order.size() && k < static_cast<size_t>(top); ++k) {
    const WorkerScore& w = r.workers[order[k]];
    double alone = cause.cell_slowdown.empty() ? 0 : cause.cell_slowdown[order[k]];
    out += fmt::format("rank {:<3} {:>7} {:>6} {:>9.3f} {:>9.3f}\n", w.rank, w.dp_rank, w.stage,
                       w.score, alone);
  }
  out += fmt::format("\n{:>6} {:>11} {:>11} {:>11} {:>8} {:>7}\n", "step", "measured_s", "replay_s",
                     "ideal_s", "S", "err%");
  for (size_t s = 0; s < r.steps.size(); ++s) {
    out += fmt::format("{:>6} {:>11.4f} {:>11.4f} {:>11.4f} {:>8.3f} {:>7.2f}\n", r.steps[s],
                       r.step_time_s[s], r.step_replay_s[s], r.step_ideal_s[s], r.step_slowdown[s],
                       r.step_error[s] * 100);
  }
  for (const Diagnostic& d : diagnostics.items()) {
    out += fmt::format("note [{}] {}: {}\n", SeverityName(d.severity), d.name, d.message);
  }
  out += "TP/CP inside a microbatch is not visible at op-table granularity.\n";
  return out;
}

}  // namespace trainscope::whatif
