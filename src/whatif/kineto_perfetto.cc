// SPDX-License-Identifier: Apache-2.0
// WriteKinetoPerfetto: streams both timelines of a Kineto what-if through JsonWriter.
#include "whatif/kineto_perfetto.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <utility>

#include "base/json_writer.h"
#include "graph/simulator.h"
#include "whatif/internal/shared_output.h"

namespace trainscope::whatif {
namespace {

constexpr int32_t kIdealPidBase = 1 << 20;  // ideal processes follow the actual ones

int64_t StreamTid(const model::JobTrace& trace, const KinetoJobModel& m, graph::NodeId n) {
  const model::RankTrace& rank = trace.ranks[m.worker[n]];
  return rank.tracks[rank.events.track[m.event[n]].value()].tid;
}

}  // namespace

Status WriteKinetoPerfetto(const model::JobTrace& trace, const KinetoJobModel& m,
                           const KinetoWhatIfResult& r, const std::string& path) {
  std::unique_ptr<std::FILE, internal::FileCloser> file(std::fopen(path.c_str(), "wb"));
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
  std::set<std::pair<int32_t, int64_t>> tracks;  // (worker, stream tid)
  for (int32_t i = 0; i < n; ++i) tracks.insert({m.worker[i], StreamTid(trace, m, i)});
  for (int32_t wk = 0; wk < m.num_workers(); ++wk) {
    for (int timeline = 0; timeline < 2; ++timeline) {
      const int32_t pid = m.ranks[wk] + timeline * kIdealPidBase;
      w.BeginObject().Field("ph", "M").Field("name", "process_name").Field("pid", pid);
      w.Key("args").BeginObject();
      w.Field("name", fmt::format("{} rank {}", timeline ? "ideal" : "actual", m.ranks[wk]));
      w.EndObject().EndObject();
      w.BeginObject().Field("ph", "M").Field("name", "process_sort_index").Field("pid", pid);
      w.Key("args").BeginObject().Field("sort_index", pid).EndObject().EndObject();
      for (auto it = tracks.lower_bound({wk, INT64_MIN}); it != tracks.end() && it->first == wk;
           ++it) {
        w.BeginObject().Field("ph", "M").Field("name", "thread_name").Field("pid", pid);
        w.Field("tid", it->second).Key("args").BeginObject();
        w.Field("name", fmt::format("stream {}", it->second)).EndObject().EndObject();
      }
    }
  }
  for (int32_t i = 0; i < n; ++i) {
    const int32_t s = m.step_index[i];
    const model::RankTrace& rank = trace.ranks[m.worker[i]];
    const double actual = static_cast<double>(r.actual_ns[i]);
    const double ideal = static_cast<double>(r.ideal_ns[i]);
    const bool straggling = ideal > 0 ? actual >= 1.1 * ideal : actual > 0;
    for (int timeline = 0; timeline < 2; ++timeline) {
      const int64_t ts =
          timeline ? ideal_offset[s] + ideal_start[i] : actual_offset[s] + m.start_ns[i];
      const int64_t dur = timeline ? ideal_end[i] - ideal_start[i] : m.dur_ns[i];
      w.BeginObject().Field("ph", "X").Field("name", rank.Name(model::EventId(m.event[i])));
      w.Field("cat", m.group[i] >= 0 ? m.group_names[m.group[i]] : std::string("kept measured"));
      w.Field("pid", m.ranks[m.worker[i]] + timeline * kIdealPidBase)
          .Field("tid", StreamTid(trace, m, i));
      w.Field("ts", static_cast<double>(ts) * 1e-3)
          .Field("dur", static_cast<double>(std::max<int64_t>(dur, 0)) * 1e-3);
      w.Key("args").BeginObject().Field("step", m.steps[s]);
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
      internal::WriteCollectiveFlow(w, flow_id, p == first, m.ranks[m.worker[node]], StreamTid(trace, m, node),
                                    static_cast<double>(actual_offset[s] + m.start_ns[node]) * 1e-3);
    }
    if (w.str().size() > (1 << 20)) w.Flush();
  }
  return internal::FinishPerfettoTrace(w, file.get(), path);
}

}  // namespace trainscope::whatif
