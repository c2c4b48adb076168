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
  for (int k = 0; k < 10; ++k) EXPECT_TRUE(order[k].forward()) << k;
  EXPECT_FALSE(order[11].forward());
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

namespace trainscope::workload {
namespace {

// Replays a split-backward schedule with forward f, input-gradient b and weight-gradient w per
// microbatch (a full backward is b + w) and free transfers.
double ReplaySplit(StepSchedule schedule, int p, int m, double f, double b, double w) {
  StepShape shape{p, IsDualPipe(schedule) ? 2 : 1, m, 1, true, schedule};
  Result<StepGraph> graph = BuildStepGraph(shape);
  EXPECT_OK(graph);
  if (!graph.ok()) return -1;
  const auto dur = [&](const StepOp& op) {
    switch (op.type) {
      case StepOpType::kForward: return f;
      case StepOpType::kBackward: return op.input_only ? b : b + w;
      case StepOpType::kWeightGrad: return w;
      default: return 0.0;
    }
  };
  return SimulateStep(*graph, dur).step_s;
}

// Zero Bubble (Qi et al., ICLR 2024): ZB-H1's bubble is (p - 1)(F + B - W) against 1F1B's
// (p - 1)(F + B + W), B the input-gradient pass, when W <= min(F, B) (the paper's regime: a W
// then fits each gap). The replay of the authors' ZB-H1 order must give exactly that.
TEST(Schedule, ZeroBubbleH1BubbleIsPublishedFormula) {
  for (auto [f, b, w] : {std::tuple{1.0, 1.0, 1.0}, {1.0, 1.5, 0.5}, {1.0, 1.2, 0.8},
                         {1.0, 2.0, 1.0}, {1.2, 1.1, 0.9}}) {
    for (auto [p, m] : {std::pair{2, 4}, {4, 8}, {8, 16}, {8, 64}, {16, 120}}) {
      const double compute = m * (f + b + w);
      EXPECT_NEAR(ReplaySplit(StepSchedule::kZeroBubbleH1, p, m, f, b, w) - compute,
                  (p - 1) * (f + b - w), 1e-6)
          << "f " << f << " b " << b << " w " << w << " p " << p << " m " << m;
      EXPECT_NEAR(ReplaySplit(StepSchedule::kMegatron, p, m, f, b, w) - compute,
                  (p - 1) * (f + b + w), 1e-6);
    }
  }
}

// DualPipe (DeepSeek-V3, arXiv 2412.19437, Table 2): bubble (p/2 - 1)(F&B + B - 3W), B the full
// backward, F&B an overlapped forward-backward pair; with equal chunks (the report's Figure 5)
// and the pair's compute run back to back, F&B = F + B. Rank 0 holds two stages and runs every
// microbatch once: m (F + B) of compute.
TEST(Schedule, DualPipeBubbleIsPublishedFormula) {
  for (auto [p, m] : {std::pair{2, 4}, {4, 8}, {4, 16}, {8, 16}, {8, 64}, {16, 120}, {16, 32}}) {
    const double f = 1, b_in = 1, w = 1, b_full = b_in + w;
    const double step = ReplaySplit(StepSchedule::kDualPipe, p, m, f, b_in, w);
    EXPECT_NEAR(step - m * (f + b_full), (p / 2 - 1) * ((f + b_full) + b_full - 3 * w), 1e-6)
        << "p " << p << " m " << m;
  }
}

// DualPipeV (deepseek-ai/DualPipe README, "Pipeline Bubbles and Memory Usage"): the same bubble
// over PP = 2p stages, (PP/2 - 1)(F&B + B - 3W), on p devices; every rank runs every microbatch
// through both of its chunks.
TEST(Schedule, DualPipeVBubbleIsPublishedFormula) {
  for (auto [p, m] : {std::pair{2, 4}, {2, 7}, {4, 8}, {4, 16}, {8, 16}, {8, 40}}) {
    const double f = 1, b_in = 1, w = 1, b_full = b_in + w;
    const double step = ReplaySplit(StepSchedule::kDualPipeV, p, m, f, b_in, w);
    EXPECT_NEAR(step - 2 * m * (f + b_full), (p - 1) * ((f + b_full) + b_full - 3 * w), 1e-6)
        << "p " << p << " m " << m;
  }
  EXPECT_THAT(BuildStepGraph({4, 2, 7, 1, true, StepSchedule::kDualPipeV}),
              testing::StatusIs(StatusCode::kInvalidArgument, "at least 2 pp"));
}

// With a W shorter than B, DualPipe's ASAP replay fills more than the uniform-chunk figure:
// never more bubble than the formula, always less than ZB-H1's at the same shape.
TEST(Schedule, DualPipeUnevenPassesStayUnderFormula) {
  for (auto [p, m] : {std::pair{4, 8}, {8, 16}, {16, 120}}) {
    const double f = 1, b_in = 1.5, w = 0.5, b_full = b_in + w;
    const double bubble = ReplaySplit(StepSchedule::kDualPipe, p, m, f, b_in, w) - m * 3.0;
    EXPECT_LE(bubble, (p / 2 - 1) * ((f + b_full) + b_full - 3 * w) + 1e-6) << p;
    EXPECT_LT(bubble, ReplaySplit(StepSchedule::kZeroBubbleH1, p, m, f, b_in, w) - m * 3.0) << p;
  }
}

TEST(Schedule, DualPipeRunsEveryMicrobatchOnceEachWay) {
  const StepShape shape{8, 2, 16, 1, true, StepSchedule::kDualPipe};
  for (int stage = 0; stage < 8; ++stage) {
    int forwards[2] = {0, 0}, weights = 0, splits = 0;
    for (const ComputeSlot& slot : ScheduleOrder(shape, stage)) {
      if (slot.forward()) {
        ++forwards[slot.chunk];
        // Direction 0 carries microbatches 0..7, direction 1 8..15.
        EXPECT_EQ(slot.microbatch / 8, slot.chunk) << stage;
      }
      weights += slot.kind == SlotKind::kWeightGrad;
      splits += slot.kind == SlotKind::kBackwardInput;
    }
    EXPECT_EQ(forwards[0], 8);
    EXPECT_EQ(forwards[1], 8);
    EXPECT_EQ(weights, splits);
  }
}

TEST(Schedule, SplitSchedulesRejectImpossibleShapes) {
  EXPECT_THAT(BuildStepGraph({6, 2, 8, 1, true, StepSchedule::kDualPipe}),
              testing::StatusIs(StatusCode::kInvalidArgument, "at least 2 pp"));
  EXPECT_THAT(BuildStepGraph({5, 2, 20, 1, true, StepSchedule::kDualPipe}),
              testing::StatusIs(StatusCode::kInvalidArgument, "even pp"));
  EXPECT_THAT(BuildStepGraph({4, 2, 8, 1, true, StepSchedule::kZeroBubbleH1}),
              testing::StatusIs(StatusCode::kInvalidArgument, "one model chunk"));
}

}  // namespace
}  // namespace trainscope::workload
