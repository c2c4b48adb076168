// SPDX-License-Identifier: Apache-2.0
// JSON and text rendering of the Kineto what-if analysis (kineto_output.h).
#include "whatif/kineto_output.h"

#include <fmt/format.h>

#include <algorithm>

#include "whatif/internal/shared_output.h"

namespace trainscope::whatif {
namespace {

void TextTable(std::string& out, const char* title, const std::vector<Attribution>& rows,
               size_t top) {
  out += fmt::format("\n{:<28} {:>9}\n", title, "S_X");
  std::vector<const Attribution*> sorted;
  for (const Attribution& a : rows) sorted.push_back(&a);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](auto* a, auto* b) { return a->slowdown > b->slowdown; });
  for (size_t k = 0; k < sorted.size() && k < top; ++k)
    out += fmt::format("{:<28} {:>9.3f}\n", sorted[k]->label, sorted[k]->slowdown);
  if (sorted.size() > top) out += fmt::format("({} more)\n", sorted.size() - top);
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

void WriteKinetoWhatIfJson(const KinetoJobModel& m, const KinetoWhatIfResult& r, const Cause& cause,
                           const Diagnostics& diagnostics, JsonWriter& w,
                           const std::vector<ScenarioResult>& scenarios) {
  w.BeginObject();
  internal::WriteHeadline(r, cause, kKinetoNotApplicable, w);

  w.Field("input", "kineto");
  w.Key("job").BeginObject();
  w.Field("name", m.name).Field("ops", r.ops).Field("steps", static_cast<int64_t>(r.steps.size()));
  w.Field("world_size", m.world_size).Field("gpus", r.gpus);
  w.Key("ranks").BeginArray();
  for (int32_t rank : m.ranks) w.Int(rank);
  w.EndArray();
  w.Key("absent_ranks").BeginArray();
  for (int32_t rank : m.absent_ranks) w.Int(rank);
  w.EndArray();
  w.Key("dropped_steps").BeginArray();
  for (int64_t s : m.dropped_steps) w.Int(s);
  w.EndArray();
  w.Field("traced_gpu_hours", r.traced_gpu_hours);
  w.Field("simulations", r.simulations);
  w.EndObject();
  const KinetoModelStats& st = m.stats;
  w.Key("graph").BeginObject();
  w.Field("stream_edges", st.stream_edges).Field("event_wait_edges", st.event_wait_edges);
  w.Field("event_waits_unresolved", st.event_waits_unresolved);
  w.Field("nccl_sync_edges", st.nccl_sync_edges);
  w.Field("nccl_syncs_unresolved", st.nccl_syncs_unresolved);
  w.Field("collectives_complete", st.collectives_complete);
  w.Field("collectives_partial", st.collectives_partial);
  w.Field("collective_ops_unmatched", st.collective_ops_unmatched);
  w.Field("ops_outside_steps", st.ops_outside_steps);
  w.Field("disconnected_parts", st.disconnected_parts);
  w.EndObject();
  w.Field("launch_slowdown", r.launch_slowdown);
  w.Field("slowdown_with_launch_gaps", r.slowdown_with_gaps);
  w.Field("launch_wait_share", r.launch_wait_share);
  w.Field("straggling_threshold", 1.1);
  w.Key("steps").BeginArray();
  for (size_t s = 0; s < r.steps.size(); ++s) {
    w.BeginObject().Field("step", r.steps[s]);
    w.Field("measured_s", r.step_time_s[s]).Field("replay_s", r.step_replay_s[s]);
    w.Field("no_delay_s", r.step_nodelay_s[s]).Field("ideal_s", r.step_ideal_s[s]);
    w.Field("slowdown", r.step_slowdown[s]).Field("launch_slowdown", r.step_launch_slowdown[s]);
    w.Field("error", r.step_error[s]).EndObject();
  }
  w.EndArray();
  internal::WriteAttribution("by_op_class", r.by_op_class, r.steps, w);
  internal::WriteAttribution("by_rank", r.by_rank, r.steps, w);
  internal::WriteAttribution("by_step", r.by_step, r.steps, w);
  w.Key("m_w").BeginObject().Key("ranks").BeginArray();
  for (int32_t rank : r.m_w.selected) w.Int(rank);
  w.EndArray().Field("rem", r.m_w.rem).Field("add", r.m_w.add);
  w.Field("t_ori_s", r.m_w.t_ori_s).Field("t_ideal_s", r.m_w.t_ideal_s);
  w.Field("t_rem_s", r.m_w.t_rem_s).Field("t_add_s", r.m_w.t_add_s).EndObject();
  w.Key("rank_table").BeginArray();
  for (int32_t k = 0; k < m.num_workers(); ++k) {
    w.BeginObject().Field("rank", m.ranks[k]).Field("alone", r.by_rank[k].slowdown);
    w.Field("launch_alone", r.rank_launch_slowdown[k]);
    w.Field("compute_s_per_step", r.rank_compute_s[k]).EndObject();
  }
  w.EndArray();
  w.Key("scenarios").BeginArray();
  for (const ScenarioResult& sc : scenarios) {
    w.BeginObject().Field("name", sc.name).Field("baseline_s", sc.baseline_s);
    w.Field("scenario_s", sc.scenario_s).Field("speedup", sc.speedup).EndObject();
  }
  w.EndArray();
  w.Key("diagnostics").BeginArray();
  for (const Diagnostic& d : diagnostics.items()) {
    w.BeginObject().Field("name", d.name).Field("severity", SeverityName(d.severity));
    w.Field("source", d.source).Field("count", d.count).Field("location", d.first_location);
    w.Field("message", d.message).EndObject();
  }
  w.EndArray();
  w.EndObject();
}

std::string RenderKinetoWhatIfText(const KinetoJobModel& m, const KinetoWhatIfResult& r,
                                   const Cause& cause, const Diagnostics& diagnostics, int top,
                                   const std::vector<ScenarioResult>& scenarios) {
  std::string out;
  out += fmt::format("what-if analysis of {} (Kineto): {} GPU ops, {} steps, {} of {} ranks\n",
                     m.name, r.ops, r.steps.size(), m.num_workers(), m.world_size);
  if (!m.absent_ranks.empty()) {
    out += fmt::format("  absent ranks        {} (not simulated, nothing invented for them)\n",
                       FormatRankRanges(m.absent_ranks));
  }
  out += fmt::format("  slowdown S          {:.3f}  ({})\n", r.slowdown,
                     r.straggling ? "straggling: S >= 1.1" : "not straggling: S < 1.1");
  out += fmt::format(
      "  waste               {:.1f}% of GPU time, {:.6f} GPU-hours over the traced steps "
      "({} GPUs)\n",
      r.waste_fraction * 100, r.wasted_gpu_hours, r.gpus);
  out += fmt::format(
      "  launch slowdown     {:.3f}  (CPU launch gaps, separate from S; {:.0f}% of the gap time "
      "before the CPU launch call)\n",
      r.launch_slowdown, 100 * r.launch_wait_share);
  out +=
      fmt::format("  S with gaps kept    {:.3f}  (actual / ideal, both replayed with the gaps)\n",
                  r.slowdown_with_gaps);
  out += internal::ErrorAndCauseLines(r.error_median, r.error_max, cause);
  out += fmt::format("  M_W (fix top ranks)  {}: rem {:.3f}  add {:.3f}\n",
                     FormatRankRanges(r.m_w.selected), r.m_w.rem, r.m_w.add);
  for (const ScenarioResult& sc : scenarios) {
    out += fmt::format("  scenario {:<24} step {:.6f} s -> {:.6f} s  (speedup {:.3f}x)\n", sc.name,
                       sc.baseline_s, sc.scenario_s, sc.speedup);
  }
  const KinetoModelStats& st = m.stats;
  out += fmt::format(
      "  graph               {} stream-order + {} event-wait + {} implied NCCL-sync edges ({} "
      "unresolved); {} collectives shared, {} over incomplete groups, {} NCCL ops unmatched\n",
      st.stream_edges, st.event_wait_edges, st.nccl_sync_edges,
      st.event_waits_unresolved + st.nccl_syncs_unresolved, st.collectives_complete,
      st.collectives_partial, st.collective_ops_unmatched);
  const size_t rows = static_cast<size_t>(std::max(top, 1));
  TextTable(out, "op class (only it real)", r.by_op_class, rows);
  out += fmt::format("\n{:<10} {:>9} {:>16} {:>14}\n", "rank", "S_alone", "compute_ms/step",
                     "gaps_alone");
  std::vector<size_t> order(r.by_rank.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return r.by_rank[a].slowdown > r.by_rank[b].slowdown;
  });
  for (size_t k = 0; k < order.size() && k < rows; ++k) {
    const size_t w = order[k];
    out += fmt::format("{:<10} {:>9.3f} {:>16.3f} {:>14.3f}\n", m.ranks[w], r.by_rank[w].slowdown,
                       r.rank_compute_s[w] * 1e3, r.rank_launch_slowdown[w]);
  }
  if (order.size() > rows) out += fmt::format("({} more)\n", order.size() - rows);
  out += fmt::format("\n{:>8} {:>11} {:>11} {:>11} {:>11} {:>8} {:>7}\n", "step", "measured_s",
                     "replay_s", "no_delay_s", "ideal_s", "S", "err%");
  for (size_t s = 0; s < r.steps.size(); ++s) {
    out += fmt::format("{:>8} {:>11.6f} {:>11.6f} {:>11.6f} {:>11.6f} {:>8.3f} {:>7.2f}\n",
                       r.steps[s], r.step_time_s[s], r.step_replay_s[s], r.step_nodelay_s[s],
                       r.step_ideal_s[s], r.step_slowdown[s], r.step_error[s] * 100);
  }
  for (const Diagnostic& d : diagnostics.items())
    out += fmt::format("note [{}] {}: {}\n", SeverityName(d.severity), d.name, d.message);
  out += fmt::format("Not applicable to Kineto input: {}.\n", kKinetoNotApplicable);
  return out;
}

}  // namespace trainscope::whatif
