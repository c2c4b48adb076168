// SPDX-License-Identifier: Apache-2.0
// WritePerfettoTimelines: both timelines through the one trace-event writer (base/).
#include "whatif/perfetto_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "base/trace_event_writer.h"
#include "graph/simulator.h"

namespace trainscope::whatif {
namespace {

constexpr int32_t kIdealPidBase = 1 << 20;  // ideal processes follow the actual ones

// Process and thread names of both timelines, for the (worker, track) pairs in use.
void WriteNames(const ReplayModel& m, TraceEventWriter& w) {
  std::set<std::pair<int32_t, int64_t>> tracks;
  for (int32_t i = 0; i < m.num_nodes(); ++i) tracks.insert({m.worker[i], m.track[i]});
  for (int32_t wk = 0; wk < m.num_workers(); ++wk) {
    for (int timeline = 0; timeline < 2; ++timeline) {
      const int32_t pid = m.worker_rank[wk] + timeline * kIdealPidBase;
      w.ProcessName(pid, fmt::format("{} {}", timeline ? "ideal" : "actual", DescribeWorker(m, wk)));
      w.ProcessSortIndex(pid, pid);
      for (auto it = tracks.lower_bound({wk, INT64_MIN}); it != tracks.end() && it->first == wk;
           ++it) {
        const int64_t tid = it->second;
        const bool named = tid >= 0 && tid < static_cast<int64_t>(m.track_names.size());
        w.ThreadName(pid, tid, named ? m.track_names[tid] : fmt::format("stream {}", tid));
      }
    }
  }
}

}  // namespace

PerfettoWindow SlowestStepsWindow(const ReplayModel& m, const WhatIfResult& r, int32_t count) {
  const int32_t steps = m.num_steps();
  if (count <= 0 || count >= steps) return {};
  int32_t worst = 0;
  for (int32_t s = 1; s < steps && s < static_cast<int32_t>(r.step_slowdown.size()); ++s) {
    if (r.step_slowdown[s] > r.step_slowdown[worst]) worst = s;
  }
  const int32_t first = std::clamp(worst - (count - 1) / 2, 0, steps - count);
  return {first, count};
}

Status WritePerfettoTimelines(const ReplayModel& m, const WhatIfResult& r,
                              const std::string& path, PerfettoWindow window) {
  const int32_t end_step = window.count > 0 ? window.first + window.count : m.num_steps();
  auto in_window = [&](int32_t node) {
    return m.step_index[node] >= window.first && m.step_index[node] < end_step;
  };
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
  TraceEventWriter w({.time_format = TraceTimeFormat::kShortestDouble});
  TS_RETURN_IF_ERROR(w.Open(path));
  w.BeginEvents();
  WriteNames(m, w);
  static const std::string kKeptMeasured = "kept measured";
  for (int32_t i = 0; i < n; ++i) {
    if (!in_window(i)) continue;
    const int32_t s = m.step_index[i];
    const double actual = static_cast<double>(r.actual_ns[i]);
    const double ideal = static_cast<double>(r.ideal_ns[i]);
    const bool straggling = ideal > 0 ? actual >= 1.1 * ideal : actual > 0;
    for (int timeline = 0; timeline < 2; ++timeline) {
      const int64_t ts =
          timeline ? ideal_offset[s] + ideal_start[i] : actual_offset[s] + m.start_ns[i];
      const int64_t dur = timeline ? ideal_end[i] - ideal_start[i] : m.dur_ns[i];
      const TraceSlice slice{m.op_names[m.op_name[i]],
                             m.group[i] >= 0 ? m.group_names[m.group[i]] : kKeptMeasured,
                             m.worker_rank[m.worker[i]] + timeline * kIdealPidBase, m.track[i],
                             ts, std::max<int64_t>(dur, 0)};
      w.Complete(slice, [&](JsonWriter& a) {
        a.Field("step", m.steps[s]);
        if (!m.seq_id.empty()) {
          a.Field("seq_id", m.seq_id[i]).Field("mb_id", m.microbatch[i]);
          a.Field("model_chunk", m.chunk[i]);
        }
        if (timeline == 0) {
          a.Field("straggling", straggling).Field("sim_dur_ms", actual * 1e-6);
          a.Field("ideal_ms", ideal * 1e-6);
          a.Field("launch_delay_ms", static_cast<double>(m.launch_delay_ns[i]) * 1e-6);
        }
      });
    }
  }
  uint64_t flow_id = 0;
  for (int32_t u = 0; u < g.num_units(); ++u) {
    const int32_t first = g.unit_begin()[u], last = g.unit_begin()[u + 1];
    if (last - first < 2 || !in_window(g.node_at()[first])) continue;
    ++flow_id;
    for (int32_t p = first; p < last; ++p) {
      const graph::NodeId node = g.node_at()[p];
      const TraceFlow flow{flow_id, "collective", "collective", m.worker_rank[m.worker[node]],
                           m.track[node], actual_offset[m.step_index[node]] + m.start_ns[node]};
      if (p == first) {
        w.FlowStart(flow);
      } else {
        w.FlowEnd(flow);
      }
    }
  }
  w.EndEvents();
  w.json().Field("displayTimeUnit", "ms");
  w.json().Key("otherData").BeginObject();
  w.json().Field("steps", window.count > 0
                              ? fmt::format("{} to {} of {} (the slowest and its neighbours)",
                                            m.steps[window.first], m.steps[end_step - 1],
                                            m.num_steps())
                              : fmt::format("all {}", m.num_steps()));
  w.json().EndObject();
  return w.Close();
}

}  // namespace trainscope::whatif
