// SPDX-License-Identifier: Apache-2.0
// WritePerfettoTimelines: streams trace events through JsonWriter into the output file.
#include "whatif/perfetto_export.h"

#include <cstdio>
#include <memory>

#include "base/json_writer.h"
#include "graph/simulator.h"
#include "whatif/internal/shared_output.h"
#include "whatif/analysis.h"

namespace trainscope::whatif {
namespace {

constexpr const char* kStreamNames[] = {"compute",
                                        "dp-comm",
                                        "pp fwd-send",
                                        "pp fwd-recv",
                                        "pp bwd-send",
                                        "pp bwd-recv",
                                        "sync (layernorm/embedding/clip)"};

}  // namespace

Status WritePerfettoTimelines(const OpJob& job, const JobModel& model, const std::string& path) {
  std::unique_ptr<std::FILE, internal::FileCloser> file(std::fopen(path.c_str(), "wb"));
  if (!file) return IoError("{}: cannot open for writing", path);
  const size_t n = job.size();
  const graph::DepGraph& g = model.graph;
  const std::vector<int64_t> ideal = IdealDurations(job, model);
  std::vector<int64_t> ideal_start(n), ideal_end(n), ideal_steps(model.num_steps());
  graph::Simulator sim(g);
  sim.Run(ideal, {}, ideal_steps, ideal_start, ideal_end);
  // Steps end to end on each timeline.
  std::vector<int64_t> actual_offset(model.num_steps(), 0), ideal_offset(model.num_steps(), 0);
  for (int32_t s = 1; s < model.num_steps(); ++s) {
    actual_offset[s] = actual_offset[s - 1] + model.step_time_ns[s - 1];
    ideal_offset[s] = ideal_offset[s - 1] + ideal_steps[s - 1];
  }
  const std::vector<int64_t> actual = model.ActualDurations(job);
  JsonWriter w(file.get(), false);
  w.BeginObject().Key("traceEvents").BeginArray();
  const int32_t pid_base = 1 << 20;  // ideal processes follow the actual ones
  for (int32_t wk = 0; wk < model.num_workers(); ++wk) {
    for (int timeline = 0; timeline < 2; ++timeline) {
      int32_t pid = model.worker_rank[wk] + timeline * pid_base;
      w.BeginObject().Field("ph", "M").Field("name", "process_name").Field("pid", pid);
      w.Key("args").BeginObject().Field(
          "name", fmt::format("{} rank {} (dp {}, stage {})", timeline ? "ideal" : "actual",
                              model.worker_rank[wk], wk / model.pp, wk % model.pp));
      w.EndObject().EndObject();
      w.BeginObject().Field("ph", "M").Field("name", "process_sort_index").Field("pid", pid);
      w.Key("args").BeginObject().Field("sort_index", pid).EndObject().EndObject();
      for (int32_t stream = 0; stream < 7; ++stream) {
        w.BeginObject()
            .Field("ph", "M")
            .Field("name", "thread_name")
            .Field("pid", pid)
            .Field("tid", stream);
        w.Key("args").BeginObject().Field("name", kStreamNames[stream]).EndObject().EndObject();
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const int32_t s = model.step_index[i];
    const int32_t rank = model.worker_rank[model.worker[i]];
    const bool straggling =
        ideal[i] > 0 ? static_cast<double>(actual[i]) >= 1.1 * static_cast<double>(ideal[i])
                     : actual[i] > 0;
    for (int timeline = 0; timeline < 2; ++timeline) {
      int64_t ts =
          timeline ? ideal_offset[s] + ideal_start[i] : actual_offset[s] + model.start_ns[i];
      int64_t dur = timeline ? ideal_end[i] - ideal_start[i] : job.dur_ns[i];
      w.BeginObject()
          .Field("ph", "X")
          .Field("name", OpKindName(job.kind[i]))
          .Field("cat", "whatif");
      w.Field("pid", rank + timeline * pid_base)
          .Field("tid", g.stream(static_cast<graph::NodeId>(i)));
      w.Field("ts", static_cast<double>(ts) * 1e-3)
          .Field("dur", static_cast<double>(std::max<int64_t>(dur, 0)) * 1e-3);
      w.Key("args").BeginObject().Field("step", job.step[i]).Field("seq_id", job.seq_id[i]);
      w.Field("mb_id", job.mb_id[i]).Field("model_chunk", job.mc[i]);
      if (timeline == 0) {
        w.Field("straggling", straggling);
        w.Field("sim_dur_ms", static_cast<double>(actual[i]) * 1e-6)
            .Field("ideal_ms", static_cast<double>(ideal[i]) * 1e-6);
        w.Field("launch_delay_ms", static_cast<double>(model.launch_delay_ns[i]) * 1e-6);
      }
      w.EndObject().EndObject();
    }
    if (w.str().size() > (1 << 20)) w.Flush();
  }
  // Flows linking the members of each collective (actual timeline), from the first member.
  int64_t flow_id = 0;
  for (int32_t u = 0; u < g.num_units(); ++u) {
    int32_t first = g.unit_begin()[u], last = g.unit_begin()[u + 1];
    if (last - first < 2) continue;
    ++flow_id;
    for (int32_t p = first; p < last; ++p) {
      graph::NodeId node = g.node_at()[p];
      int32_t s = model.step_index[node];
      internal::WriteCollectiveFlow(w, flow_id, p == first, model.worker_rank[model.worker[node]], g.stream(node),
                                    static_cast<double>(actual_offset[s] + model.start_ns[node]) * 1e-3);
    }
    if (w.str().size() > (1 << 20)) w.Flush();
  }
  return internal::FinishPerfettoTrace(w, file.get(), path);
}

}  // namespace trainscope::whatif
