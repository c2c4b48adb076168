// SPDX-License-Identifier: Apache-2.0
// DepGraph: the dependency graph of a training job's ops, shared by the what-if analysis and the
// workload model.
//
// A node is one op instance (one kernel, one p2p send, one rank's part of a collective). Each node
// carries a worker id, a stream id and a step index (dense ids chosen by the caller; the graph only
// uses `step` to report per-step end times and to check connectivity). Edges say "after": an op
// may start only when every op it depends on has ended. A collective is a set of member nodes that
// behaves as one shared node: every member becomes ready on its own (its start is the latest end
// of its own dependencies plus its launch delay), and every member ends at
//     max over members of start  +  that member's own duration (its transfer time).
// This is the model of Lin et al., OSDI'25, section 4 (the artifact's `comm_groups`).
//
// Build once with GraphBuilder, then call Build(), which
//  - checks that the graph (with each collective contracted to one node) is acyclic and names an
//    op on a cycle if not;
//  - optionally checks that every step is one weakly connected component, naming a dangling op;
//  - precomputes a topological order of the contracted graph in flat CSR arrays, so that
//    graph::Simulator (simulator.h) replays it without allocating.
// Units: the graph itself holds no times. Ownership: DepGraph is an immutable value.
// Thread safety: a built DepGraph may be read from any number of threads.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace trainscope::graph {

using NodeId = int32_t;

// Describes a node for error messages ("forward-compute seq 3 on dp 0 stage 2 step 23").
using NodeDescriber = std::function<std::string(NodeId)>;

struct BuildOptions {
  // Require each step's nodes to form one weakly connected component (edges and collectives
  // both connect). Steps of a job are independent, so the whole graph need not be connected.
  bool require_connected_steps = true;
};

class DepGraph;

// The graph as added, before compilation (used by the reference simulator in
// reference_simulator.h, which must not share the compiled form it checks).
struct RawGraph {
  std::vector<int32_t> worker, stream, step;  // per node
  std::vector<NodeId> edge_from, edge_to;
  std::vector<int32_t> collective_of;        // per node, -1 when none
  std::vector<int32_t> collective_begin{0};  // CSR into collective_members
  std::vector<NodeId> collective_members;
};

class GraphBuilder {
 public:
  // Optional: reserves room for `nodes` nodes and `edges` edges (avoids regrowth on big jobs).
  void Reserve(int32_t nodes, int64_t edges);
  // Adds a node; ids are dense and returned in order 0, 1, 2, ...
  NodeId AddNode(int32_t worker, int32_t stream, int32_t step);
  // `after` starts no earlier than `before` ends. Duplicate edges are harmless.
  void AddEdge(NodeId before, NodeId after);
  // Makes `members` (>= 1 nodes, none already in a collective) one collective. A node not in
  // any collective is a plain op. Returns the collective's index.
  int32_t AddCollective(std::span<const NodeId> members);

  int32_t num_nodes() const { return static_cast<int32_t>(raw_.worker.size()); }
  const RawGraph& raw() const { return raw_; }

  // Validates and compiles. Errors (kInvalidArgument) name an op via `describe` (or its id).
  Result<DepGraph> Build(const BuildOptions& options = {},
                         const NodeDescriber& describe = nullptr) const;

 private:
  static void FillDepPairs(DepGraph& g);
  RawGraph raw_;
};

// The compiled graph. "Units" are plain ops or whole collectives, in topological order; their
// member nodes are laid out contiguously at "positions" 0..num_nodes-1.
class DepGraph {
 public:
  int32_t num_nodes() const { return static_cast<int32_t>(node_at_.size()); }
  int32_t num_units() const { return static_cast<int32_t>(unit_begin_.size()) - 1; }
  int32_t num_steps() const { return num_steps_; }
  int64_t num_edges() const { return static_cast<int64_t>(dep_pos_.size()); }
  int32_t num_collectives() const { return num_collectives_; }

  int32_t worker(NodeId n) const { return worker_[n]; }
  int32_t stream(NodeId n) const { return stream_[n]; }
  int32_t step(NodeId n) const { return step_[n]; }
  // Direct dependencies of `n` (nodes that must end before it starts).
  std::vector<NodeId> DependenciesOf(NodeId n) const;
  // Members of the collective holding `n` (just `n` for a plain op).
  std::vector<NodeId> CollectiveOf(NodeId n) const;
  // Nodes in the replay order (a topological order in which collective members are adjacent).
  std::span<const NodeId> topological_order() const { return node_at_; }

  // CSR arrays used by the simulator (positions index topological_order()).
  std::span<const int32_t> unit_begin() const { return unit_begin_; }  // num_units + 1
  std::span<const int32_t> dep_begin() const { return dep_begin_; }    // num_nodes + 1
  std::span<const int32_t> dep_pos() const { return dep_pos_; }
  std::span<const NodeId> node_at() const { return node_at_; }
  std::span<const int32_t> step_at() const { return step_at_; }
  // When no node has more than two dependencies (every Megatron op-table graph: a stream
  // predecessor and one cross edge), each position's dependencies as a fixed pair, padded with
  // the sentinel positions kNoDeps (end time 0: "ready at the step start") and kNoMoreDeps (end
  // time INT64_MIN); the replay then takes max(end[a], end[b]) without walking a list. Empty
  // otherwise.
  std::span<const std::array<int32_t, 2>> dep_pairs() const { return dep_pairs_; }
  int32_t no_deps_position() const { return num_nodes(); }
  int32_t no_more_deps_position() const { return num_nodes() + 1; }
  // The replay position of node `n` (inverse of topological_order()).
  int32_t position_of(NodeId n) const { return pos_of_[n]; }

 private:
  friend class GraphBuilder;
  int32_t num_steps_ = 0;
  int32_t num_collectives_ = 0;
  std::vector<int32_t> worker_, stream_, step_;  // by NodeId
  std::vector<int32_t> pos_of_;                  // NodeId -> position
  std::vector<NodeId> node_at_;                  // position -> NodeId
  std::vector<int32_t> step_at_;                 // position -> step
  std::vector<int32_t> unit_begin_;
  std::vector<int32_t> dep_begin_;
  std::vector<int32_t> dep_pos_;
  std::vector<std::array<int32_t, 2>> dep_pairs_;
};

// Re-expresses a compiled graph as a RawGraph (edges and collectives), e.g. to check a replay
// against ReferenceSimulate.
RawGraph ToRawGraph(const DepGraph& graph);

}  // namespace trainscope::graph
