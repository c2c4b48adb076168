// SPDX-License-Identifier: Apache-2.0
// WriteWhatIfJson: the --json document of `trainscope whatif`.
#include "whatif/result_json.h"

#include <string>

#include "whatif/internal/shared_output.h"

namespace trainscope::whatif {
namespace {

void WriteInts(const char* key, const std::vector<int32_t>& values, JsonWriter& w) {
  w.Key(key).BeginArray();
  for (int32_t v : values) w.Int(v);
  w.EndArray();
}

void WriteExplanation(const char* key, const char* selected_key, const Explanation& e,
                      JsonWriter& w) {
  w.Key(key).BeginObject();
  WriteInts(selected_key, e.selected, w);
  w.Field("meaningful", e.meaningful);
  if (e.meaningful) {
    w.Field("rem", e.rem).Field("add", e.add);
  } else {  // S within 1% of 1: the shares would divide by almost nothing
    w.Key("rem").Null().Key("add").Null();
  }
  w.Field("t_ori_s", e.t_ori_s).Field("t_ideal_s", e.t_ideal_s);
  w.Field("t_rem_s", e.t_rem_s).Field("t_add_s", e.t_add_s);
  w.EndObject();
}

void WriteJob(const ReplayModel& m, const WhatIfResult& r, JsonWriter& w) {
  w.Key("job").BeginObject();
  w.Field("name", m.name).Field("ops", r.ops).Field("steps", static_cast<int64_t>(r.steps.size()));
  if (m.has_stages()) w.Field("dp_size", m.dp).Field("pp_size", m.pp).Field("tp_size", m.tp);
  w.Field("world_size", m.world_size).Field("workers", m.num_workers()).Field("gpus", r.gpus);
  WriteInts("ranks", m.worker_rank, w);
  WriteInts("absent_ranks", m.absent_ranks, w);
  w.Key("dropped_steps").BeginArray();
  for (int64_t s : m.dropped_steps) w.Int(s);
  w.EndArray();
  w.Field("traced_gpu_hours", r.traced_gpu_hours);
  w.Field("simulations", r.simulations);
  w.EndObject();
}

void WriteGraphStats(const ModelStats& st, JsonWriter& w) {
  w.Key("graph").BeginObject();
  w.Field("stream_edges", st.stream_edges).Field("event_wait_edges", st.event_wait_edges);
  w.Field("event_waits_unresolved", st.event_waits_unresolved);
  w.Field("event_waits_exact", st.exact_event_waits);
  w.Field("nccl_sync_edges", st.nccl_sync_edges);
  w.Field("nccl_syncs_unresolved", st.nccl_syncs_unresolved);
  w.Field("collectives_complete", st.collectives_complete);
  w.Field("collectives_partial", st.collectives_partial);
  w.Field("collective_ops_unmatched", st.collective_ops_unmatched);
  w.Field("ops_outside_steps", st.ops_outside_steps);
  w.Field("disconnected_parts", st.disconnected_parts);
  w.Field("clipped_transfers", st.clipped_transfers);
  w.Field("negative_transfers", st.negative_transfers);
  w.Field("clipped_delays", st.clipped_delays);
  w.Field("implausible_ops", st.implausible_ops);
  w.EndObject();
}

void WriteSteps(const WhatIfResult& r, JsonWriter& w) {
  w.Key("steps").BeginArray();
  for (size_t s = 0; s < r.steps.size(); ++s) {
    w.BeginObject().Field("step", r.steps[s]);
    w.Field("measured_s", r.step_time_s[s]).Field("replay_s", r.step_replay_s[s]);
    w.Field("no_delay_s", r.step_nodelay_s[s]).Field("ideal_s", r.step_ideal_s[s]);
    w.Field("slowdown", r.step_slowdown[s]).Field("launch_slowdown", r.step_launch_slowdown[s]);
    w.Field("error", r.step_error[s]).EndObject();
  }
  w.EndArray();
}

// Per worker: score (min(S_dp, S_stage) or alone S), alone S, launch gaps alone, compute time.
void WriteWorkers(const ReplayModel& m, const WhatIfResult& r, JsonWriter& w) {
  w.Key("workers").BeginArray();
  for (const WorkerScore& ws : r.workers) {
    w.BeginObject().Field("rank", ws.rank);
    if (m.has_stages()) w.Field("dp_rank", ws.dp_rank).Field("stage", ws.stage);
    w.Field("score", ws.score).Field("cell_slowdown", r.by_worker[ws.worker].slowdown);
    w.EndObject();
  }
  w.EndArray();
  if (m.has_stages()) {
    w.Key("heatmap").BeginArray();  // rows = DP ranks, columns = stages (worker scores)
    for (int32_t d = 0; d < m.dp; ++d) {
      w.BeginArray();
      for (int32_t s = 0; s < m.pp; ++s) w.Double(r.workers[d * m.pp + s].score);
      w.EndArray();
    }
    w.EndArray();
  }
  w.Key("rank_table").BeginArray();
  for (int32_t k = 0; k < m.num_workers(); ++k) {
    w.BeginObject().Field("rank", m.worker_rank[k]).Field("alone", r.by_worker[k].slowdown);
    w.Field("launch_alone", r.worker_launch_slowdown[k]);
    w.Field("compute_s_per_step", r.worker_compute_s[k]).EndObject();
  }
  w.EndArray();
}

void WriteScenarios(const std::vector<ScenarioResult>& scenarios, JsonWriter& w) {
  w.Key("scenarios").BeginArray();
  for (const ScenarioResult& sc : scenarios) {
    w.BeginObject().Field("name", sc.name).Field("baseline_s", sc.baseline_s);
    w.Field("scenario_s", sc.scenario_s).Field("speedup", sc.speedup).EndObject();
  }
  w.EndArray();
}

}  // namespace

void WriteWhatIfJson(const ReplayModel& m, const WhatIfResult& r, const Cause& cause,
                     const Diagnostics& diagnostics, JsonWriter& w,
                     const std::vector<ScenarioResult>& scenarios) {
  w.BeginObject();
  internal::WriteHeadline(r, cause, w);
  w.Field("input", m.input == InputKind::kKineto ? "kineto" : "op_table");
  WriteJob(m, r, w);
  WriteGraphStats(m.stats, w);
  w.Field("launch_slowdown", r.launch_slowdown);
  w.Field("slowdown_with_launch_gaps", r.slowdown_with_gaps);
  w.Field("launch_wait_share", r.launch_wait_share);
  w.Field("straggling_threshold", r.straggling_threshold);
  WriteSteps(r, w);
  internal::WriteAttribution("by_op_class", r.by_op_class, r.steps, w);
  if (m.input == InputKind::kOpTable) {  // the op-table name of the same table (stable key)
    internal::WriteAttribution("by_optype", r.by_op_class, r.steps, w);
  }
  if (m.has_stages()) {
    internal::WriteAttribution("by_stage", r.by_stage, r.steps, w);
    internal::WriteAttribution("by_dp_rank", r.by_dp_rank, r.steps, w);
  }
  internal::WriteAttribution("by_rank", r.by_worker, r.steps, w);
  internal::WriteAttribution("by_step", r.by_step, r.steps, w);
  WriteWorkers(m, r, w);
  WriteExplanation("m_w", "ranks", r.m_w, w);
  if (m.has_stages()) WriteExplanation("m_s", "stages", r.m_s, w);
  WriteScenarios(scenarios, w);
  w.Key("diagnostics");
  WriteDiagnosticsJson(diagnostics, w);
  w.EndObject();
}

}  // namespace trainscope::whatif
