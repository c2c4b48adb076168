// SPDX-License-Identifier: Apache-2.0
// Pipeline bubbles come out of the replayed schedule: check them against (p-1)/m and
// (p-1)/(v m) when every microbatch costs the same and transfers are free.
#include "workload/schedule.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace trainscope::workload {
namespace {

double ReplayPipeline(int p, int v, int m, double fwd, double bwd, double p2p = 0) {
  StepShape shape{p, v, m, 1, true};
  Result<StepGraph> graph = BuildStepGraph(shape);
  EXPECT_OK(graph);
  if (!graph.ok()) return -1;
  const auto dur = [&](const StepOp& op) {
    switch (op.type) {
      case StepOpType::kForward: return fwd;
      case StepOpType::kBackward: return bwd;
      case StepOpType::kForwardSend:
      case StepOpType::kBackwardSend:
      case StepOpType::kForwardRecv:
      case StepOpType::kBackwardRecv: return op.noop ? 0.0 : p2p;
      default: return 0.0;
    }
  };
  return SimulateStep(*graph, dur).step_s;
}

TEST(Schedule, OneStageHasNoBubble) {
  for (int m : {1, 3, 16}) {
    EXPECT_NEAR(ReplayPipeline(1, 1, m, 1.0, 2.0), m * 3.0, 1e-9) << m;
  }
}

TEST(Schedule, OneFOneBBubbleIsPMinusOneOverM) {
  for (auto [p, m] : {std::pair{2, 4}, {4, 8}, {8, 64}, {4, 3}}) {
    const double ideal = m * 3.0;
    const double step = ReplayPipeline(p, 1, m, 1.0, 2.0);
    EXPECT_NEAR((step - ideal) / ideal, (p - 1.0) / m, 1e-9) << p << " " << m;
  }
}

TEST(Schedule, InterleavedBubbleIsPMinusOneOverVM) {
  for (auto [p, v, m] : {std::tuple{2, 2, 4}, {4, 2, 8}, {8, 3, 64}, {4, 4, 16}}) {
    // Each chunk holds 1/v of the stage's layers.
    const double f = 1.0 / v, b = 2.0 / v;
    const double ideal = m * 3.0;
    const double step = ReplayPipeline(p, v, m, f, b);
    EXPECT_NEAR((step - ideal) / ideal, (p - 1.0) / (v * m), 1e-9) << p << " " << v << " " << m;
  }
}

TEST(Schedule, MegatronOrderWarmup) {
  // Rank 0 of 4 with 2 chunks: (p-1)*2 + (v-1)*p = 10 warm-up forwards.
  const auto order = PipelineOrder(4, 2, 8, 0);
  ASSERT_EQ(order.size(), 32u);
  for (int k = 0; k < 10; ++k) EXPECT_TRUE(order[k].forward) << k;
  EXPECT_FALSE(order[11].forward);
  // Forward k=4 is chunk 1, microbatch 0; backward 0 is chunk 1 (last chunk first).
  EXPECT_EQ(order[4].chunk, 1);
  EXPECT_EQ(order[4].microbatch, 0);
  EXPECT_EQ(order[11].chunk, 1);
}

// BuildStepGraph skips the builder's connectivity check (connected by construction): the same
// graph rebuilt with the check on must pass it, for 1F1B, interleaved and several replicas.
TEST(Schedule, StepGraphsAreConnected) {
  for (const StepShape& shape : {StepShape{1, 1, 3, 1, true}, StepShape{4, 1, 9, 2, false},
                                 StepShape{4, 3, 8, 3, true}, StepShape{8, 2, 16, 1, false}}) {
    ASSERT_OK_AND_ASSIGN(StepGraph step, BuildStepGraph(shape));
    const graph::RawGraph raw = graph::ToRawGraph(step.graph);
    graph::GraphBuilder rebuilt;
    for (size_t n = 0; n < raw.worker.size(); ++n) {
      rebuilt.AddNode(raw.worker[n], raw.stream[n], raw.step[n]);
    }
    for (size_t e = 0; e < raw.edge_from.size(); ++e) {
      rebuilt.AddEdge(raw.edge_from[e], raw.edge_to[e]);
    }
    for (size_t c = 0; c + 1 < raw.collective_begin.size(); ++c) {
      rebuilt.AddCollective(std::span<const graph::NodeId>(
          raw.collective_members.data() + raw.collective_begin[c],
          static_cast<size_t>(raw.collective_begin[c + 1] - raw.collective_begin[c])));
    }
    graph::BuildOptions checked;
    checked.require_connected_steps = true;
    const Result<graph::DepGraph> built = rebuilt.Build(checked);
    EXPECT_TRUE(built.ok()) << "pp " << shape.pp << " vpp " << shape.vpp << ": "
                            << (built.ok() ? "" : built.error().ToString());
  }
}

TEST(Schedule, RejectsInterleavingWithUnevenMicrobatches) {
  EXPECT_THAT(BuildStepGraph({4, 2, 6, 1, true}),
              testing::StatusIs(StatusCode::kInvalidArgument, "divisible by pp"));
}

}  // namespace
}  // namespace trainscope::workload
