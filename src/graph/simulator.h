// SPDX-License-Identifier: Apache-2.0
// Simulator: topological replay of a DepGraph with given op durations (Lin et al., OSDI'25,
// section 4.2 "simulation").
//
// For every unit in topological order:
//   ready(n) = max(end of n's dependencies) + delay(n)      (0 + delay(n) without dependencies)
//   plain op:    start(n) = ready(n), end(n) = start(n) + dur(n)
//   collective:  start(m) = ready(m) for each member m,
//                end(m)   = max over members of ready  +  dur(m)
// Each step starts at time 0 (times are relative to the step start), and the step's end is the
// latest end of its nodes.
// Units: nanoseconds (int64). Durations and delays are indexed by NodeId.
// Cost: one pass over the CSR arrays; no allocation inside Run() (the scratch buffer is sized at
// construction). Thread safety: one Simulator per thread; the DepGraph may be shared.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "graph/dep_graph.h"

namespace trainscope::graph {

class Simulator {
 public:
  // `graph` must outlive the simulator.
  explicit Simulator(const DepGraph& graph);

  // Replays the graph. `dur_ns` has num_nodes entries; `delay_ns` is empty (no delays) or has
  // num_nodes entries. `step_end_ns` receives num_steps entries. `start_ns` / `end_ns` are
  // optional (empty to skip) per-node outputs indexed by NodeId.
  void Run(std::span<const int64_t> dur_ns, std::span<const int64_t> delay_ns,
           std::span<int64_t> step_end_ns, std::span<int64_t> start_ns = {},
           std::span<int64_t> end_ns = {});

  // As Run without per-node outputs, with `dur_by_pos` / `delay_by_pos` indexed by replay
  // position (DepGraph::topological_order(), DepGraph::position_of): the loop then reads them in
  // order instead of gathering by NodeId, for callers that replay many duration sets of one graph
  // (whatif's RunReplays) and can keep them in that order.
  void RunInReplayOrder(std::span<const int64_t> dur_by_pos, std::span<const int64_t> delay_by_pos,
                        std::span<int64_t> step_end_ns);

  // After a Run or RunInReplayOrder: the end (ns) of the node at each replay position, valid
  // until the next replay. Lets a caller that replays in position order read end times without
  // the per-node gather of Run's outputs.
  std::span<const int64_t> ends_by_position() const {
    return {end_at_.get(), static_cast<size_t>(graph_.num_nodes())};
  }

  const DepGraph& graph() const { return graph_; }

  struct Arrays;

 private:
  Arrays Prepare(std::span<const int64_t> dur, std::span<const int64_t> delay,
                 std::span<int64_t> step_end_ns);
  const DepGraph& graph_;
  // Scratch left uninitialised (Run writes before it reads): no memset per simulator.
  std::unique_ptr<int64_t[]> end_at_;    // by position
  std::unique_ptr<int64_t[]> ready_at_;  // by member of the current collective
};

}  // namespace trainscope::graph
