// SPDX-License-Identifier: Apache-2.0
// Simulator::Run: the allocation-free replay loop over the compiled CSR arrays.
#include "graph/simulator.h"

#include <algorithm>

#include "base/check.h"

namespace trainscope::graph {

Simulator::Simulator(const DepGraph& graph)
    : graph_(graph),
      end_at_(new int64_t[static_cast<size_t>(graph.num_nodes())]),
      ready_at_(new int64_t[static_cast<size_t>(graph.num_nodes())]) {}

void Simulator::Run(std::span<const int64_t> dur_ns, std::span<const int64_t> delay_ns,
                    std::span<int64_t> step_end_ns, std::span<int64_t> start_ns,
                    std::span<int64_t> end_ns) {
  const int32_t n = graph_.num_nodes();
  TS_CHECK(static_cast<int32_t>(dur_ns.size()) == n, "durations: {} for {} nodes", dur_ns.size(),
           n);
  TS_CHECK(delay_ns.empty() || static_cast<int32_t>(delay_ns.size()) == n,
           "delays: {} for {} nodes", delay_ns.size(), n);
  TS_CHECK(static_cast<int32_t>(step_end_ns.size()) == graph_.num_steps(),
           "step ends: {} for {} steps", step_end_ns.size(), graph_.num_steps());
  const bool want_nodes = !start_ns.empty();
  TS_CHECK(start_ns.size() == end_ns.size() &&
               (!want_nodes || static_cast<int32_t>(start_ns.size()) == n),
           "per-node outputs must both be empty or have {} entries", n);

  const int32_t* unit_begin = graph_.unit_begin().data();
  const int32_t* dep_begin = graph_.dep_begin().data();
  const int32_t* dep_pos = graph_.dep_pos().data();
  const NodeId* node_at = graph_.node_at().data();
  const int32_t* step_at = graph_.step_at().data();
  const int64_t* dur = dur_ns.data();
  const int64_t* delay = delay_ns.empty() ? nullptr : delay_ns.data();
  int64_t* end_at = end_at_.get();
  int64_t* ready_at = ready_at_.get();
  std::fill(step_end_ns.begin(), step_end_ns.end(), INT64_MIN);

  const int32_t num_units = graph_.num_units();
  for (int32_t u = 0; u < num_units; ++u) {
    const int32_t first = unit_begin[u];
    const int32_t last = unit_begin[u + 1];
    int64_t group_start = INT64_MIN;
    for (int32_t p = first; p < last; ++p) {
      // Without dependencies a node starts at the step start (0); otherwise at the latest end of
      // its dependencies (not clamped at 0: a negative transfer time may make that negative).
      int64_t ready = 0;
      if (dep_begin[p] != dep_begin[p + 1]) {
        ready = end_at[dep_pos[dep_begin[p]]];
        for (int32_t k = dep_begin[p] + 1; k < dep_begin[p + 1]; ++k)
          ready = std::max(ready, end_at[dep_pos[k]]);
      }
      if (delay != nullptr) ready += delay[node_at[p]];
      ready_at[p] = ready;
      group_start = std::max(group_start, ready);
    }
    for (int32_t p = first; p < last; ++p) {
      const NodeId node = node_at[p];
      const int64_t start = last - first == 1 ? ready_at[p] : group_start;
      const int64_t end = start + dur[node];
      end_at[p] = end;
      int64_t& step_end = step_end_ns[step_at[p]];
      step_end = std::max(step_end, end);
      if (want_nodes) {
        start_ns[node] = ready_at[p];
        end_ns[node] = end;
      }
    }
  }
}

}  // namespace trainscope::graph
