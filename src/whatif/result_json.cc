// SPDX-License-Identifier: Apache-2.0
// WriteWhatIfJson: the --json document of `trainscope whatif`.
#include "whatif/result_json.h"

#include <string>

#include "whatif/internal/shared_output.h"

namespace trainscope::whatif {
namespace {

void WriteExplanation(const char* key, const char* selected_key, const Explanation& e,
                      JsonWriter& w) {
  w.Key(key).BeginObject();
  w.Key(selected_key).BeginArray();
  for (int32_t v : e.selected) w.Int(v);
  w.EndArray();
  w.Field("rem", e.rem).Field("add", e.add);
  w.Field("t_ori_s", e.t_ori_s).Field("t_ideal_s", e.t_ideal_s);
  w.Field("t_rem_s", e.t_rem_s).Field("t_add_s", e.t_add_s);
  w.EndObject();
}

}  // namespace

void WriteWhatIfJson(const OpJob& job, const JobModel& model, const WhatIfResult& r,
                     const Cause& cause, const Diagnostics& diagnostics, JsonWriter& w,
                     const std::vector<ScenarioResult>& scenarios) {
  w.BeginObject();
  internal::WriteHeadline(r, cause, nullptr, w);

  w.Key("job").BeginObject();
  w.Field("name", job.name)
      .Field("ops", r.ops)
      .Field("steps", static_cast<int64_t>(r.steps.size()));
  w.Field("dp_size", model.dp).Field("pp_size", model.pp).Field("tp_size", job.tp_size);
  w.Field("world_size", job.world_size).Field("workers", model.num_workers());
  w.Field("traced_gpu_hours", r.traced_gpu_hours);
  w.Field("simulations", r.simulations);
  w.EndObject();
  w.Field("launch_slowdown", r.launch_slowdown);
  w.Field("straggling_threshold", 1.1);

  w.Key("steps").BeginArray();
  for (size_t s = 0; s < r.steps.size(); ++s) {
    w.BeginObject();
    w.Field("step", r.steps[s]);
    w.Field("measured_s", r.step_time_s[s]).Field("replay_s", r.step_replay_s[s]);
    w.Field("no_delay_s", r.step_nodelay_s[s]).Field("ideal_s", r.step_ideal_s[s]);
    w.Field("slowdown", r.step_slowdown[s]).Field("launch_slowdown", r.step_launch_slowdown[s]);
    w.Field("error", r.step_error[s]);
    w.EndObject();
  }
  w.EndArray();
  internal::WriteAttribution("by_optype", r.by_optype, r.steps, w);
  internal::WriteAttribution("by_stage", r.by_stage, r.steps, w);
  internal::WriteAttribution("by_dp_rank", r.by_dp_rank, r.steps, w);
  w.Key("workers").BeginArray();
  for (const WorkerScore& ws : r.workers) {
    w.BeginObject().Field("rank", ws.rank).Field("dp_rank", ws.dp_rank).Field("stage", ws.stage);
    w.Field("score", ws.score);
    if (!cause.cell_slowdown.empty())
      w.Field("cell_slowdown", cause.cell_slowdown[ws.dp_rank * model.pp + ws.stage]);
    w.EndObject();
  }
  w.EndArray();
  w.Key("heatmap").BeginArray();  // rows = DP ranks, columns = stages (worker scores)
  for (int32_t d = 0; d < model.dp; ++d) {
    w.BeginArray();
    for (int32_t s = 0; s < model.pp; ++s) w.Double(r.workers[d * model.pp + s].score);
    w.EndArray();
  }
  w.EndArray();
  WriteExplanation("m_w", "ranks", r.m_w, w);
  WriteExplanation("m_s", "stages", r.m_s, w);
  w.Key("scenarios").BeginArray();
  for (const ScenarioResult& sc : scenarios) {
    w.BeginObject()
        .Field("name", sc.name)
        .Field("baseline_s", sc.baseline_s)
        .Field("scenario_s", sc.scenario_s);
    w.Field("speedup", sc.speedup).EndObject();
  }
  w.EndArray();
  w.Key("diagnostics").BeginArray();
  for (const Diagnostic& d : diagnostics.items()) {
    w.BeginObject().Field("name", d.name).Field("severity", SeverityName(d.severity));
    w.Field("source", d.source).Field("count", d.count).Field("message", d.message).EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace trainscope::whatif
