// SPDX-License-Identifier: Apache-2.0
// ReferenceSimulate: memoised recursion, written independently of the compiled simulator.
#include "graph/reference_simulator.h"

#include <algorithm>
#include <climits>

#include "base/check.h"

namespace trainscope::graph {
namespace {

struct Reference {
  const RawGraph& g;
  const std::vector<int64_t>& dur;
  const std::vector<int64_t>& delay;
  std::vector<std::vector<NodeId>> deps;
  std::vector<int8_t> state;  // 0 new, 1 in progress, 2 done (per node)
  std::vector<int64_t> ready, end;

  int64_t Ready(NodeId n) {
    if (state[n] == 2) return ready[n];
    TS_CHECK(state[n] == 0, "reference simulator: cycle through node {}", n);
    state[n] = 1;
    int64_t r = 0;
    bool first = true;
    for (NodeId d : deps[n]) {
      int64_t e = End(d);
      r = first ? e : std::max(r, e);
      first = false;
    }
    if (!delay.empty()) r += delay[n];
    ready[n] = r;
    state[n] = 2;
    return r;
  }

  int64_t End(NodeId n) {
    if (end[n] != LLONG_MIN) return end[n];
    int32_t c = g.collective_of[n];
    if (c < 0) {
      end[n] = Ready(n) + dur[n];
      return end[n];
    }
    int64_t group_start = LLONG_MIN;
    for (int32_t k = g.collective_begin[c]; k < g.collective_begin[c + 1]; ++k)
      group_start = std::max(group_start, Ready(g.collective_members[k]));
    for (int32_t k = g.collective_begin[c]; k < g.collective_begin[c + 1]; ++k) {
      NodeId m = g.collective_members[k];
      end[m] = group_start + dur[m];
    }
    return end[n];
  }
};

}  // namespace

ReferenceResult ReferenceSimulate(const RawGraph& graph, const std::vector<int64_t>& dur_ns,
                                  const std::vector<int64_t>& delay_ns) {
  const size_t n = graph.step.size();
  Reference ref{graph,
                dur_ns,
                delay_ns,
                std::vector<std::vector<NodeId>>(n),
                std::vector<int8_t>(n, 0),
                std::vector<int64_t>(n, 0),
                std::vector<int64_t>(n, LLONG_MIN)};
  for (size_t e = 0; e < graph.edge_from.size(); ++e)
    ref.deps[graph.edge_to[e]].push_back(graph.edge_from[e]);
  ReferenceResult out;
  int32_t num_steps = 0;
  for (int32_t s : graph.step) num_steps = std::max(num_steps, s + 1);
  out.step_end_ns.assign(num_steps, LLONG_MIN);
  for (size_t i = 0; i < n; ++i) {
    NodeId node = static_cast<NodeId>(i);
    int64_t e = ref.End(node);
    out.step_end_ns[graph.step[i]] = std::max(out.step_end_ns[graph.step[i]], e);
  }
  out.start_ns = ref.ready;
  out.end_ns = ref.end;
  return out;
}

}  // namespace trainscope::graph
