// SPDX-License-Identifier: Apache-2.0
// WritePerfettoTimelines: streams both timelines through JsonWriter into the output file.
#include "whatif/perfetto_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <utility>

#include "base/json_writer.h"
#include "graph/simulator.h"

namespace trainscope::whatif {
namespace {

constexpr int32_t kIdealPidBase = 1 << 20;  // ideal processes follow the actual ones

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// Process and thread names of both timelines, for the (worker, track) pairs in use.
void WriteNames(const ReplayModel& m, JsonWriter& w) {
  std::set<std::pair<int32_t, int64_t>> tracks;
  for (int32_t i = 0; i < m.num_nodes(); ++i) tracks.insert({m.worker[i], m.track[i]});
  for (int32_t wk = 0; wk < m.num_workers(); ++wk) {
    for (int timeline = 0; timeline < 2; ++timeline) {
      const int32_t pid = m.worker_rank[wk] + timeline * kIdealPidBase;
      w.BeginObject().Field("ph", "M").Field("name", "process_name").Field("pid", pid);
      w.Key("args").BeginObject();
      w.Field("name", fmt::format("{} {}", timeline ? "ideal" : "actual", DescribeWorker(m, wk)));
      w.EndObject().EndObject();
      w.BeginObject().Field("ph", "M").Field("name", "process_sort_index").Field("pid", pid);
      w.Key("args").BeginObject().Field("sort_index", pid).EndObject().EndObject();
      for (auto it = tracks.lower_bound({wk, INT64_MIN}); it != tracks.end() && it->first == wk;
           ++it) {
        const int64_t tid = it->second;
        const bool named = tid >= 0 && tid < static_cast<int64_t>(m.track_names.size());
        w.BeginObject().Field("ph", "M").Field("name", "thread_name").Field("pid", pid);
        w.Field("tid", tid).Key("args").BeginObject();
        w.Field("name", named ? m.track_names[tid] : fmt::format("stream {}", tid));
        w.EndObject().EndObject();
      }
    }
  }
}

// One flow event ("s" at the first member of a collective, "f" at the others).
void WriteCollectiveFlow(JsonWriter& w, int64_t id, bool first, int64_t pid, int64_t tid,
                         double ts_us) {
  w.BeginObject().Field("ph", first ? "s" : "f").Field("id", id);
  w.Field("name", "collective").Field("cat", "collective");
  w.Field("pid", pid).Field("tid", tid).Field("ts", ts_us);
  if (!first) w.Field("bp", "e");
  w.EndObject();
}

}  // namespace

Status WritePerfettoTimelines(const ReplayModel& m, const WhatIfResult& r,
                              const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
  if (!file) return IoError("{}: cannot open for writing", path);
  const int32_t n = m.num_nodes();
  const graph::DepGraph& g = m.graph;
  std::vector<int64_t> ideal_start(n), ideal_end(n), ideal_steps(m.num_steps());
  graph::Simulator sim(g);
  sim.Run(r.ideal_ns, {}, ideal_steps, ideal_start, ideal_end);
  std::vector<int64_t> actual_offset(m.num_steps(), 0), ideal_offset(m.num_steps(), 0);
  for (int32_t s = 1; s < m.num_steps(); ++s) {
    actual_offset[s] = actual_offset[s - 1] + m.step_time_ns[s - 1];
    ideal_offset[s] = ideal_offset[s - 1] + ideal_steps[s - 1];
  }
  JsonWriter w(file.get(), false);
  w.BeginObject().Key("traceEvents").BeginArray();
  WriteNames(m, w);
  for (int32_t i = 0; i < n; ++i) {
    const int32_t s = m.step_index[i];
    const double actual = static_cast<double>(r.actual_ns[i]);
    const double ideal = static_cast<double>(r.ideal_ns[i]);
    const bool straggling = ideal > 0 ? actual >= 1.1 * ideal : actual > 0;
    for (int timeline = 0; timeline < 2; ++timeline) {
      const int64_t ts =
          timeline ? ideal_offset[s] + ideal_start[i] : actual_offset[s] + m.start_ns[i];
      const int64_t dur = timeline ? ideal_end[i] - ideal_start[i] : m.dur_ns[i];
      w.BeginObject().Field("ph", "X").Field("name", m.op_names[m.op_name[i]]);
      w.Field("cat", m.group[i] >= 0 ? m.group_names[m.group[i]] : std::string("kept measured"));
      w.Field("pid", m.worker_rank[m.worker[i]] + timeline * kIdealPidBase).Field("tid", m.track[i]);
      w.Field("ts", static_cast<double>(ts) * 1e-3)
          .Field("dur", static_cast<double>(std::max<int64_t>(dur, 0)) * 1e-3);
      w.Key("args").BeginObject().Field("step", m.steps[s]);
      if (!m.seq_id.empty()) {
        w.Field("seq_id", m.seq_id[i]).Field("mb_id", m.microbatch[i]);
        w.Field("model_chunk", m.chunk[i]);
      }
      if (timeline == 0) {
        w.Field("straggling", straggling).Field("sim_dur_ms", actual * 1e-6);
        w.Field("ideal_ms", ideal * 1e-6);
        w.Field("launch_delay_ms", static_cast<double>(m.launch_delay_ns[i]) * 1e-6);
      }
      w.EndObject().EndObject();
    }
    if (w.str().size() > (1 << 20)) w.Flush();
  }
  int64_t flow_id = 0;
  for (int32_t u = 0; u < g.num_units(); ++u) {
    const int32_t first = g.unit_begin()[u], last = g.unit_begin()[u + 1];
    if (last - first < 2) continue;
    ++flow_id;
    for (int32_t p = first; p < last; ++p) {
      const graph::NodeId node = g.node_at()[p];
      const int32_t s = m.step_index[node];
      WriteCollectiveFlow(w, flow_id, p == first, m.worker_rank[m.worker[node]], m.track[node],
                          static_cast<double>(actual_offset[s] + m.start_ns[node]) * 1e-3);
    }
    if (w.str().size() > (1 << 20)) w.Flush();
  }
  w.EndArray().Field("displayTimeUnit", "ms").EndObject();
  w.Flush();
  if (std::ferror(file.get())) return IoError("{}: write failed", path);
  return OkStatus();
}

}  // namespace trainscope::whatif
