// SPDX-License-Identifier: Apache-2.0
// Tests of GraphBuilder::Build: hand-made graphs, cycles, dangling ops.
#include "graph/dep_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace trainscope::graph {
namespace {

using ::trainscope::testing::StatusIs;

std::string Name(NodeId n) { return fmt::format("op{}", n); }

TEST(DepGraphTest, OrdersCollectiveMembersTogether) {
  GraphBuilder b;
  NodeId a0 = b.AddNode(0, 0, 0), c0 = b.AddNode(0, 1, 0);
  NodeId a1 = b.AddNode(1, 0, 0), c1 = b.AddNode(1, 1, 0);
  b.AddEdge(a0, c0);
  b.AddEdge(a1, c1);
  NodeId members[] = {c0, c1};
  b.AddCollective(members);
  ASSERT_OK_AND_ASSIGN(DepGraph g, b.Build());
  EXPECT_EQ(g.num_nodes(), 4);
  EXPECT_EQ(g.num_units(), 3);
  EXPECT_EQ(g.num_collectives(), 1);
  EXPECT_THAT(g.DependenciesOf(c1), ::testing::ElementsAre(a1));
  EXPECT_THAT(g.CollectiveOf(c0), ::testing::UnorderedElementsAre(c0, c1));
  auto order = g.topological_order();
  auto pos = [&](NodeId n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
  EXPECT_LT(pos(a0), pos(c0));
  EXPECT_LT(pos(a1), pos(c1));
  EXPECT_EQ(std::abs(pos(c0) - pos(c1)), 1);
}

TEST(DepGraphTest, ReportsCycleWithOpName) {
  GraphBuilder b;
  NodeId x = b.AddNode(0, 0, 0), y = b.AddNode(0, 0, 0), z = b.AddNode(0, 0, 0);
  b.AddEdge(x, y);
  b.AddEdge(y, z);
  b.AddEdge(z, x);
  auto g = b.Build({}, Name);
  EXPECT_THAT(g.status(), StatusIs(StatusCode::kInvalidArgument, "cycle"));
  EXPECT_THAT(g.status().message(), ::testing::HasSubstr("op1"));
}

TEST(DepGraphTest, ReportsCycleThroughCollective) {
  // a -> c0 and c1 -> a: c0 and c1 start together, so a waits for itself.
  GraphBuilder b;
  NodeId a = b.AddNode(0, 0, 0), c0 = b.AddNode(0, 1, 0), c1 = b.AddNode(1, 1, 0);
  b.AddEdge(a, c0);
  b.AddEdge(c1, a);
  NodeId members[] = {c0, c1};
  b.AddCollective(members);
  EXPECT_THAT(b.Build({}, Name).status(), StatusIs(StatusCode::kInvalidArgument, "cycle"));
}

TEST(DepGraphTest, ReportsDependencyInsideCollective) {
  GraphBuilder b;
  NodeId c0 = b.AddNode(0, 1, 0), c1 = b.AddNode(1, 1, 0);
  b.AddEdge(c0, c1);
  NodeId members[] = {c0, c1};
  b.AddCollective(members);
  EXPECT_THAT(b.Build({}, Name).status(), StatusIs(StatusCode::kInvalidArgument, "op0"));
}

TEST(DepGraphTest, ReportsDanglingOp) {
  GraphBuilder b;
  NodeId x = b.AddNode(0, 0, 0), y = b.AddNode(0, 0, 0);
  b.AddNode(3, 0, 0);  // linked to nothing
  b.AddEdge(x, y);
  EXPECT_THAT(b.Build({}, Name).status(),
              StatusIs(StatusCode::kInvalidArgument, "op2 is not connected"));
  BuildOptions loose;
  loose.require_connected_steps = false;
  EXPECT_OK(b.Build(loose, Name).status());
}

TEST(DepGraphTest, StepsNeedNotBeConnectedToEachOther) {
  GraphBuilder b;
  NodeId x = b.AddNode(0, 0, 0), y = b.AddNode(0, 0, 0);
  NodeId u = b.AddNode(0, 0, 1), v = b.AddNode(0, 0, 1);
  b.AddEdge(x, y);
  b.AddEdge(u, v);
  ASSERT_OK_AND_ASSIGN(DepGraph g, b.Build());
  EXPECT_EQ(g.num_steps(), 2);
}

}  // namespace
}  // namespace trainscope::graph
