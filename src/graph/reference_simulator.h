// SPDX-License-Identifier: Apache-2.0
// ReferenceSimulate: a deliberately plain replay of a RawGraph (memoised recursion over
// dependencies, no compilation, no CSR) used by tests to check graph::Simulator and the what-if
// analyses built on it. Same semantics as simulator.h; slow but obviously right.
// Units: nanoseconds. Thread safety: pure function.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/dep_graph.h"

namespace trainscope::graph {

struct ReferenceResult {
  std::vector<int64_t> start_ns, end_ns;  // per node
  std::vector<int64_t> step_end_ns;       // per step
};

// `delay_ns` may be empty. The graph must be acyclic (TS_CHECK otherwise).
ReferenceResult ReferenceSimulate(const RawGraph& graph, const std::vector<int64_t>& dur_ns,
                                  const std::vector<int64_t>& delay_ns);

}  // namespace trainscope::graph
