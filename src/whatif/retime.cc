// SPDX-License-Identifier: Apache-2.0
// RetimeJob and ToRawGraph.
#include "whatif/retime.h"

#include "graph/simulator.h"

namespace trainscope::whatif {

OpJob RetimeJob(const OpJob& job, const JobModel& model, const std::vector<int64_t>& sim_dur_ns,
                const std::vector<int64_t>& delay_ns) {
  const size_t n = job.size();
  std::vector<int64_t> start(n), end(n), step_end(model.num_steps());
  graph::Simulator sim(model.graph);
  sim.Run(sim_dur_ns, delay_ns, step_end, start, end);
  OpJob out = job;
  for (size_t i = 0; i < n; ++i) {
    out.start_ns[i] = start[i];
    out.dur_ns[i] = end[i] - start[i];
  }
  return out;
}

graph::RawGraph ToRawGraph(const graph::DepGraph& g) {
  graph::RawGraph raw;
  const int32_t n = g.num_nodes();
  raw.collective_of.assign(n, -1);
  for (graph::NodeId i = 0; i < n; ++i) {
    raw.worker.push_back(g.worker(i));
    raw.stream.push_back(g.stream(i));
    raw.step.push_back(g.step(i));
    for (graph::NodeId d : g.DependenciesOf(i)) {
      raw.edge_from.push_back(d);
      raw.edge_to.push_back(i);
    }
  }
  for (int32_t u = 0; u < g.num_units(); ++u) {
    int32_t first = g.unit_begin()[u], last = g.unit_begin()[u + 1];
    if (last - first < 2) continue;
    int32_t c = static_cast<int32_t>(raw.collective_begin.size()) - 1;
    for (int32_t p = first; p < last; ++p) {
      raw.collective_members.push_back(g.node_at()[p]);
      raw.collective_of[g.node_at()[p]] = c;
    }
    raw.collective_begin.push_back(static_cast<int32_t>(raw.collective_members.size()));
  }
  return raw;
}

}  // namespace trainscope::whatif
