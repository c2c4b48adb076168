// SPDX-License-Identifier: Apache-2.0
// GraphBuilder::Build: validation (cycles, dangling ops) and compilation to CSR replay order.
#include "graph/dep_graph.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "base/check.h"

namespace trainscope::graph {
namespace {

std::string Describe(const NodeDescriber& describe, NodeId n) {
  return describe ? describe(n) : fmt::format("op #{}", n);
}

int32_t Find(std::vector<int32_t>& parent, int32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

// The nodes grouped into units (a collective's members, or one plain node: collectives first),
// and the incoming edges of each node, both as CSR arrays.
struct Units {
  int32_t num_collectives = 0, num_units = 0;
  std::vector<int32_t> unit_of;       // per node
  std::vector<int32_t> in_begin;      // per node + 1: CSR into in_from
  std::vector<NodeId> in_from;        // sources of the edges into each node
  std::vector<int32_t> unit_begin;    // per unit + 1: CSR into unit_members
  std::vector<NodeId> unit_members;

  NodeId first_member(int32_t u) const { return unit_members[unit_begin[u]]; }
};

Units GroupUnits(const RawGraph& raw) {
  const int32_t n = static_cast<int32_t>(raw.worker.size());
  Units g;
  g.num_collectives = static_cast<int32_t>(raw.collective_begin.size()) - 1;
  g.unit_of.resize(n);
  g.num_units = g.num_collectives;
  for (int32_t i = 0; i < n; ++i)
    g.unit_of[i] = raw.collective_of[i] >= 0 ? raw.collective_of[i] : g.num_units++;

  // Incoming edges per node (CSR by target).
  g.in_begin.assign(n + 1, 0);
  for (NodeId to : raw.edge_to) ++g.in_begin[to + 1];
  std::partial_sum(g.in_begin.begin(), g.in_begin.end(), g.in_begin.begin());
  g.in_from.resize(raw.edge_from.size());
  {
    std::vector<int32_t> fill(g.in_begin.begin(), g.in_begin.end() - 1);
    for (size_t e = 0; e < raw.edge_from.size(); ++e)
      g.in_from[fill[raw.edge_to[e]]++] = raw.edge_from[e];
  }
  // Members of each unit.
  g.unit_begin.assign(g.num_units + 1, 0);
  for (int32_t i = 0; i < n; ++i) ++g.unit_begin[g.unit_of[i] + 1];
  std::partial_sum(g.unit_begin.begin(), g.unit_begin.end(), g.unit_begin.begin());
  g.unit_members.resize(n);
  {
    std::vector<int32_t> fill(g.unit_begin.begin(), g.unit_begin.end() - 1);
    for (int32_t i = 0; i < n; ++i) g.unit_members[fill[g.unit_of[i]]++] = i;
  }
  return g;
}

// After Kahn's algorithm stopped short (`indeg` > 0 on the units it could not order): walks
// back along unfinished predecessors until a unit repeats, which closes a cycle, and names it.
Status CycleError(const Units& g, const std::vector<int32_t>& indeg, size_t ordered,
                  const NodeDescriber& describe) {
  int32_t u = 0;
  while (indeg[u] == 0) ++u;
  std::vector<int32_t> seen_at(g.num_units, -1);
  std::vector<int32_t> path;
  while (seen_at[u] < 0) {
    seen_at[u] = static_cast<int32_t>(path.size());
    path.push_back(u);
    int32_t next = -1;
    for (int32_t k = g.unit_begin[u]; k < g.unit_begin[u + 1] && next < 0; ++k) {
      NodeId m = g.unit_members[k];
      for (int32_t j = g.in_begin[m]; j < g.in_begin[m + 1]; ++j) {
        if (indeg[g.unit_of[g.in_from[j]]] > 0) {
          next = g.unit_of[g.in_from[j]];
          break;
        }
      }
    }
    TS_CHECK(next >= 0, "unfinished unit {} has no unfinished predecessor", u);
    u = next;
  }
  std::string cycle;
  for (size_t k = path.size(); k-- > static_cast<size_t>(seen_at[u]);) {
    if (!cycle.empty()) cycle += " -> ";
    cycle += Describe(describe, g.first_member(path[k]));
    if (cycle.size() > 600) {
      cycle += " -> ...";
      break;
    }
  }
  return InvalidArgumentError(
      "dependency graph has a cycle through {} ({} ops cannot be ordered): {}",
      Describe(describe, g.first_member(u)), g.num_units - static_cast<int32_t>(ordered), cycle);
}

// Kahn's algorithm on units; successor lists are built from the edge arrays. Errors: an edge
// inside one collective, or a cycle (named).
Result<std::vector<int32_t>> TopologicalUnitOrder(const RawGraph& raw, const Units& g,
                                                  const NodeDescriber& describe) {
  std::vector<int32_t> indeg(g.num_units, 0);
  std::vector<int32_t> out_begin(g.num_units + 1, 0);
  for (size_t e = 0; e < raw.edge_from.size(); ++e) {
    int32_t ua = g.unit_of[raw.edge_from[e]], ub = g.unit_of[raw.edge_to[e]];
    if (ua == ub) {
      return InvalidArgumentError(
          "dependency graph: {} depends on {}, a member of its own collective (a cycle)",
          Describe(describe, raw.edge_to[e]), Describe(describe, raw.edge_from[e]));
    }
    ++indeg[ub];
    ++out_begin[ua + 1];
  }
  std::partial_sum(out_begin.begin(), out_begin.end(), out_begin.begin());
  std::vector<int32_t> out_unit(raw.edge_from.size());
  {
    std::vector<int32_t> fill(out_begin.begin(), out_begin.end() - 1);
    for (size_t e = 0; e < raw.edge_from.size(); ++e)
      out_unit[fill[g.unit_of[raw.edge_from[e]]]++] = g.unit_of[raw.edge_to[e]];
  }
  std::vector<int32_t> order;
  order.reserve(g.num_units);
  for (int32_t u = 0; u < g.num_units; ++u)
    if (indeg[u] == 0) order.push_back(u);
  for (size_t head = 0; head < order.size(); ++head) {
    int32_t u = order[head];
    for (int32_t k = out_begin[u]; k < out_begin[u + 1]; ++k)
      if (--indeg[out_unit[k]] == 0) order.push_back(out_unit[k]);
  }
  if (static_cast<int32_t>(order.size()) != g.num_units) {
    return CycleError(g, indeg, order.size(), describe);
  }
  return order;
}

// Replay order step by step when no edge or collective crosses steps (cache locality: one step's
// positions at a time; any topological order replays to the same times). A stable counting sort
// by step keeps each step's order topological.
void OrderByStep(const RawGraph& raw, const Units& g, int32_t num_steps,
                 std::vector<int32_t>* order) {
  if (num_steps <= 1) return;
  const int32_t n = static_cast<int32_t>(raw.worker.size());
  bool steps_separate = true;
  for (size_t e = 0; e < raw.edge_from.size() && steps_separate; ++e)
    steps_separate = raw.step[raw.edge_from[e]] == raw.step[raw.edge_to[e]];
  for (int32_t i = 0; i < n && steps_separate; ++i)  // collectives within one step too
    steps_separate = raw.step[i] == raw.step[g.first_member(g.unit_of[i])];
  if (!steps_separate) return;
  std::vector<int32_t> step_begin(num_steps + 1, 0);
  for (int32_t u : *order) ++step_begin[raw.step[g.first_member(u)] + 1];
  std::partial_sum(step_begin.begin(), step_begin.end(), step_begin.begin());
  std::vector<int32_t> by_step(order->size());
  for (int32_t u : *order) by_step[step_begin[raw.step[g.first_member(u)]]++] = u;
  order->swap(by_step);
}

// BuildOptions::require_connected_steps: every op of a step is linked (edges and collectives,
// either direction) to the step's first op. Error: the first dangling op.
Status CheckStepsConnected(const RawGraph& raw, const Units& g, int32_t num_steps,
                           const NodeDescriber& describe) {
  const int32_t n = static_cast<int32_t>(raw.worker.size());
  std::vector<int32_t> parent(n), size(n, 1);
  std::iota(parent.begin(), parent.end(), 0);
  // Union by size with path halving: near-constant time per edge (plain linking built chains
  // as long as a step's ops, walked again by every Find).
  auto unite = [&](int32_t a, int32_t b) {
    a = Find(parent, a);
    b = Find(parent, b);
    if (a == b) return;
    if (size[a] < size[b]) std::swap(a, b);
    parent[b] = a;
    size[a] += size[b];
  };
  for (size_t e = 0; e < raw.edge_from.size(); ++e) unite(raw.edge_from[e], raw.edge_to[e]);
  for (int32_t u = 0; u < g.num_collectives; ++u)
    for (int32_t k = g.unit_begin[u] + 1; k < g.unit_begin[u + 1]; ++k)
      unite(g.first_member(u), g.unit_members[k]);
  std::vector<int32_t> step_first(num_steps, -1);
  for (int32_t i = 0; i < n; ++i) {
    int32_t s = raw.step[i];
    if (step_first[s] < 0) {
      step_first[s] = i;
    } else if (Find(parent, i) != Find(parent, step_first[s])) {
      return InvalidArgumentError(
          "dependency graph: {} is not connected to the rest of its step (dangling op; "
          "e.g. not linked to {})",
          Describe(describe, i), Describe(describe, step_first[s]));
    }
  }
  return OkStatus();
}

}  // namespace

void GraphBuilder::Reserve(int32_t nodes, int64_t edges) {
  raw_.worker.reserve(nodes);
  raw_.stream.reserve(nodes);
  raw_.step.reserve(nodes);
  raw_.collective_of.reserve(nodes);
  raw_.edge_from.reserve(static_cast<size_t>(edges));
  raw_.edge_to.reserve(static_cast<size_t>(edges));
}

NodeId GraphBuilder::AddNode(int32_t worker, int32_t stream, int32_t step) {
  TS_CHECK(step >= 0, "step index must be >= 0, got {}", step);
  raw_.worker.push_back(worker);
  raw_.stream.push_back(stream);
  raw_.step.push_back(step);
  raw_.collective_of.push_back(-1);
  return static_cast<NodeId>(raw_.worker.size() - 1);
}

void GraphBuilder::AddEdge(NodeId before, NodeId after) {
  TS_CHECK(before >= 0 && before < num_nodes() && after >= 0 && after < num_nodes(),
           "edge {} -> {} names an unknown node", before, after);
  raw_.edge_from.push_back(before);
  raw_.edge_to.push_back(after);
}

int32_t GraphBuilder::AddCollective(std::span<const NodeId> members) {
  TS_CHECK(!members.empty(), "a collective needs at least one member");
  int32_t index = static_cast<int32_t>(raw_.collective_begin.size()) - 1;
  for (NodeId m : members) {
    TS_CHECK(m >= 0 && m < num_nodes(), "collective member {} is unknown", m);
    TS_CHECK(raw_.collective_of[m] < 0, "node {} is already in collective {}", m,
             raw_.collective_of[m]);
    raw_.collective_of[m] = index;
    raw_.collective_members.push_back(m);
  }
  raw_.collective_begin.push_back(static_cast<int32_t>(raw_.collective_members.size()));
  return index;
}

void GraphBuilder::FillDepPairs(DepGraph& g) {
  const int32_t n = g.num_nodes();
  for (int32_t p = 0; p < n; ++p)
    if (g.dep_begin_[p + 1] - g.dep_begin_[p] > 2) return;
  g.dep_pairs_.resize(static_cast<size_t>(n));
  for (int32_t p = 0; p < n; ++p) {
    const int32_t d0 = g.dep_begin_[p], d1 = g.dep_begin_[p + 1];
    g.dep_pairs_[p] = {d1 > d0 ? g.dep_pos_[d0] : g.no_deps_position(),
                       d1 > d0 + 1 ? g.dep_pos_[d0 + 1] : g.no_more_deps_position()};
  }
}

Result<DepGraph> GraphBuilder::Build(const BuildOptions& options,
                                     const NodeDescriber& describe) const {
  const int32_t n = num_nodes();
  const Units units = GroupUnits(raw_);
  TS_ASSIGN_OR_RETURN(std::vector<int32_t> order, TopologicalUnitOrder(raw_, units, describe));
  int32_t num_steps = 0;
  for (int32_t s : raw_.step) num_steps = std::max(num_steps, s + 1);
  OrderByStep(raw_, units, num_steps, &order);
  if (options.require_connected_steps && n > 0) {
    TS_RETURN_IF_ERROR(CheckStepsConnected(raw_, units, num_steps, describe));
  }

  // Positions in replay order (units in `order`, members in node order), and each position's
  // dependencies as positions.
  DepGraph g;
  g.num_steps_ = num_steps;
  g.num_collectives_ = units.num_collectives;
  g.worker_ = raw_.worker;
  g.stream_ = raw_.stream;
  g.step_ = raw_.step;
  g.pos_of_.assign(n, -1);
  g.node_at_.reserve(n);
  g.unit_begin_.reserve(units.num_units + 1);
  for (int32_t u : order) {
    g.unit_begin_.push_back(static_cast<int32_t>(g.node_at_.size()));
    for (int32_t k = units.unit_begin[u]; k < units.unit_begin[u + 1]; ++k) {
      g.pos_of_[units.unit_members[k]] = static_cast<int32_t>(g.node_at_.size());
      g.node_at_.push_back(units.unit_members[k]);
    }
  }
  g.unit_begin_.push_back(n);
  g.step_at_.resize(n);
  g.dep_begin_.assign(n + 1, 0);
  g.dep_pos_.reserve(raw_.edge_from.size());
  for (int32_t p = 0; p < n; ++p) {
    NodeId node = g.node_at_[p];
    g.step_at_[p] = raw_.step[node];
    for (int32_t j = units.in_begin[node]; j < units.in_begin[node + 1]; ++j)
      g.dep_pos_.push_back(g.pos_of_[units.in_from[j]]);
    g.dep_begin_[p + 1] = static_cast<int32_t>(g.dep_pos_.size());
  }
  FillDepPairs(g);
  return g;
}

std::vector<NodeId> DepGraph::DependenciesOf(NodeId n) const {
  std::vector<NodeId> deps;
  int32_t p = pos_of_[n];
  for (int32_t k = dep_begin_[p]; k < dep_begin_[p + 1]; ++k) deps.push_back(node_at_[dep_pos_[k]]);
  return deps;
}

std::vector<NodeId> DepGraph::CollectiveOf(NodeId n) const {
  int32_t p = pos_of_[n];
  // Units are contiguous: find the unit holding position p by binary search.
  auto it = std::upper_bound(unit_begin_.begin(), unit_begin_.end(), p);
  int32_t u = static_cast<int32_t>(it - unit_begin_.begin()) - 1;
  return std::vector<NodeId>(node_at_.begin() + unit_begin_[u],
                             node_at_.begin() + unit_begin_[u + 1]);
}

RawGraph ToRawGraph(const DepGraph& g) {
  RawGraph raw;
  const int32_t n = g.num_nodes();
  raw.collective_of.assign(n, -1);
  for (NodeId i = 0; i < n; ++i) {
    raw.worker.push_back(g.worker(i));
    raw.stream.push_back(g.stream(i));
    raw.step.push_back(g.step(i));
    for (NodeId d : g.DependenciesOf(i)) {
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

}  // namespace trainscope::graph
