// SPDX-License-Identifier: Apache-2.0
// Tests of graph::Simulator: a hand-computed case and random graphs against ReferenceSimulate.
#include "graph/simulator.h"

#include <gtest/gtest.h>

#include <random>

#include "graph/reference_simulator.h"
#include "support/status_matchers.h"

namespace trainscope::graph {
namespace {

TEST(SimulatorTest, HandComputedCollective) {
  // worker 0: a0 (10) -> c0 (2); worker 1: a1 (4) -> c1 (3) -> d1 (5); {c0, c1} a collective.
  GraphBuilder b;
  NodeId a0 = b.AddNode(0, 0, 0), c0 = b.AddNode(0, 1, 0);
  NodeId a1 = b.AddNode(1, 0, 0), c1 = b.AddNode(1, 1, 0), d1 = b.AddNode(1, 0, 0);
  b.AddEdge(a0, c0);
  b.AddEdge(a1, c1);
  b.AddEdge(c1, d1);
  NodeId members[] = {c0, c1};
  b.AddCollective(members);
  ASSERT_OK_AND_ASSIGN(DepGraph g, b.Build());
  Simulator sim(g);
  std::vector<int64_t> dur = {10, 2, 4, 3, 5};
  std::vector<int64_t> start(5), end(5), step_end(1);
  sim.Run(dur, {}, step_end, start, end);
  // c0 ready 10, c1 ready 4: both transfer from 10; c0 ends 12, c1 ends 13; d1 13..18.
  EXPECT_EQ(start[c1], 4);
  EXPECT_EQ(end[c0], 12);
  EXPECT_EQ(end[c1], 13);
  EXPECT_EQ(start[d1], 13);
  EXPECT_EQ(step_end[0], 18);
  // A 20-unit launch delay on a1: a1 20..24, collective from 24, d1 27..32.
  std::vector<int64_t> delay = {0, 0, 20, 0, 0};
  sim.Run(dur, delay, step_end, start, end);
  EXPECT_EQ(end[c0], 26);
  EXPECT_EQ(end[d1], 32);
  EXPECT_EQ(step_end[0], 32);
}

// Layered random graphs: edges go from lower to higher layers, collectives stay in one layer,
// so the contracted graph is acyclic by construction.
TEST(SimulatorTest, RandomGraphsMatchReference) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 50; ++trial) {
    const int layers = 2 + static_cast<int>(rng() % 8);
    const int width = 1 + static_cast<int>(rng() % 6);
    const int steps = 1 + static_cast<int>(rng() % 3);
    GraphBuilder b;
    std::vector<std::vector<std::vector<NodeId>>> at(steps,
                                                     std::vector<std::vector<NodeId>>(layers));
    for (int s = 0; s < steps; ++s)
      for (int l = 0; l < layers; ++l)
        for (int w = 0; w < width; ++w) at[s][l].push_back(b.AddNode(w, l % 3, s));
    for (int s = 0; s < steps; ++s) {
      for (int l = 1; l < layers; ++l) {
        for (NodeId n : at[s][l]) {
          // Always one edge from the previous layer (keeps the step connected), plus extras.
          b.AddEdge(at[s][l - 1][rng() % width], n);
          int extra = static_cast<int>(rng() % 3);
          for (int k = 0; k < extra; ++k) {
            int from = static_cast<int>(rng() % l);
            b.AddEdge(at[s][from][rng() % width], n);
          }
        }
        if (width > 1 && rng() % 2 == 0) {
          std::vector<NodeId> members(at[s][l].begin(), at[s][l].begin() + 1 + rng() % width);
          b.AddCollective(members);
        }
      }
      for (NodeId n : at[s][0]) b.AddEdge(n, at[s][1][0]);
      // Every third trial: an edge across steps (the replay order then interleaves steps).
      if (trial % 3 == 0 && s > 0) b.AddEdge(at[s - 1][layers - 1][0], at[s][1][0]);
    }
    ASSERT_OK_AND_ASSIGN(DepGraph g, b.Build());
    const int n = g.num_nodes();
    std::vector<int64_t> dur(n), delay(n);
    for (int i = 0; i < n; ++i) {
      dur[i] = static_cast<int64_t>(rng() % 1000);
      delay[i] = rng() % 4 == 0 ? static_cast<int64_t>(rng() % 100) : 0;
    }
    Simulator sim(g);
    std::vector<int64_t> start(n), end(n), step_end(g.num_steps());
    sim.Run(dur, delay, step_end, start, end);
    ReferenceResult ref = ReferenceSimulate(b.raw(), dur, delay);
    EXPECT_EQ(start, ref.start_ns) << "trial " << trial;
    EXPECT_EQ(end, ref.end_ns) << "trial " << trial;
    EXPECT_EQ(step_end, ref.step_end_ns) << "trial " << trial;
    // The variants without per-node outputs and without delays give the same step ends.
    std::vector<int64_t> step_only(g.num_steps());
    sim.Run(dur, delay, step_only);
    EXPECT_EQ(step_only, ref.step_end_ns) << "trial " << trial;
    // In replay order (durations and delays by position), with and without delays.
    std::vector<int64_t> dur_by_pos(n), delay_by_pos(n);
    for (NodeId i = 0; i < n; ++i) {
      EXPECT_EQ(g.topological_order()[g.position_of(i)], i);
      dur_by_pos[g.position_of(i)] = dur[i];
      delay_by_pos[g.position_of(i)] = delay[i];
    }
    sim.RunInReplayOrder(dur_by_pos, delay_by_pos, step_only);
    EXPECT_EQ(step_only, ref.step_end_ns) << "trial " << trial;
    ReferenceResult ref_nodelay = ReferenceSimulate(b.raw(), dur, {});
    sim.RunInReplayOrder(dur_by_pos, {}, step_only);
    EXPECT_EQ(step_only, ref_nodelay.step_end_ns) << "trial " << trial;
    sim.Run(dur, {}, step_only);
    EXPECT_EQ(step_only, ref_nodelay.step_end_ns) << "trial " << trial;
    sim.Run(dur, {}, step_end, start, end);
    EXPECT_EQ(end, ref_nodelay.end_ns) << "trial " << trial;
  }
}

// Graphs where no op has more than two dependencies (as Megatron op tables build) compile the
// dependency pairs; the replay through them matches the reference, including negative durations
// (a dependency that ends before 0 is not clamped) and ops without dependencies (ready at 0).
TEST(SimulatorTest, DependencyPairsMatchReference) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const int width = 1 + static_cast<int>(rng() % 5), layers = 2 + static_cast<int>(rng() % 6);
    const int steps = 1 + static_cast<int>(rng() % 3);
    GraphBuilder b;
    std::vector<std::vector<NodeId>> prev(steps);
    for (int s = 0; s < steps; ++s) {
      for (int l = 0; l < layers; ++l) {
        std::vector<NodeId> layer;
        for (int w = 0; w < width; ++w) layer.push_back(b.AddNode(w, 0, s));
        for (int w = 0; w < width && l > 0; ++w) {
          b.AddEdge(prev[s][w], layer[w]);  // its stream predecessor
          if (rng() % 2 == 0) b.AddEdge(prev[s][rng() % width], layer[w]);  // one cross edge
        }
        if (width > 1 && l > 0 && rng() % 3 == 0) b.AddCollective(layer);
        else if (l == 0 && width > 1) b.AddCollective(layer);  // keeps the step connected
        prev[s] = layer;
      }
    }
    ASSERT_OK_AND_ASSIGN(DepGraph g, b.Build());
    ASSERT_FALSE(g.dep_pairs().empty()) << "trial " << trial;
    const int n = g.num_nodes();
    std::vector<int64_t> dur(n), delay(n), dur_by_pos(n), delay_by_pos(n);
    for (int i = 0; i < n; ++i) {
      dur[i] = static_cast<int64_t>(rng() % 1000) - (rng() % 10 == 0 ? 2000 : 0);
      delay[i] = rng() % 4 == 0 ? static_cast<int64_t>(rng() % 100) : 0;
      dur_by_pos[g.position_of(i)] = dur[i];
      delay_by_pos[g.position_of(i)] = delay[i];
    }
    Simulator sim(g);
    std::vector<int64_t> step_end(g.num_steps());
    sim.RunInReplayOrder(dur_by_pos, delay_by_pos, step_end);
    EXPECT_EQ(step_end, ReferenceSimulate(b.raw(), dur, delay).step_end_ns) << "trial " << trial;
    sim.RunInReplayOrder(dur_by_pos, {}, step_end);
    EXPECT_EQ(step_end, ReferenceSimulate(b.raw(), dur, {}).step_end_ns) << "trial " << trial;
  }
}

}  // namespace
}  // namespace trainscope::graph
