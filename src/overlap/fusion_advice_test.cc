// SPDX-License-Identifier: Apache-2.0
// "Will fusion pay": the advice is the simulator's T_c - T_f times the calls, its low end uses
// the predictor's measured T_f error, and bad input is named.
#include "overlap/fusion_advice.h"

#include <gtest/gtest.h>

#include "overlap/gpu_presets.h"
#include "support/status_matchers.h"

namespace trainscope::overlap {
namespace {

TEST(FusionAdvice, SavingIsSimulatedGainTimesCalls) {
  const std::vector<TpGemm> gemms = {{"up", OpKind::kAgGemm, 4096, 49152, 12288, 10},
                                     {"down", OpKind::kGemmRs, 64, 12288, 49152, 10}};
  ASSERT_OK_AND_ASSIGN(FusionAdvice advice, AdviseTpFusion("NVIDIA H800 80GB", 8, gemms));
  EXPECT_EQ(advice.gpu_key, "h800");
  ASSERT_EQ(advice.gemms.size(), 2u);
  // Independent reference: the simulator on the same local problem and Flux tiles.
  OverlapOptions options;
  options.tile_m = 128;
  options.tile_n = 256;
  options.comm_rows = 128;
  ASSERT_OK_AND_ASSIGN(SimHardware hw, GpuPreset("h800"));
  ASSERT_OK_AND_ASSIGN(
      SimResult ag,
      Simulate(OpKind::kAgGemm, ShardedProblem::Even(4096, 6144, 12288, 8), options, hw));
  const double err = advice.error.t_fused_max_abs;
  EXPECT_GT(err, 0.0);
  EXPECT_NEAR(advice.gemms[0].saved_per_step_s, 10 * (ag.t_nonoverlap_s - ag.t_fused_s), 1e-12);
  EXPECT_NEAR(advice.gemms[0].saved_low_s, 10 * (ag.t_nonoverlap_s - ag.t_fused_s * (1 + err)),
              1e-12);
  EXPECT_TRUE(advice.gemms[0].pays);  // m = 4096 on H800: E ~0.8
  // m = 64: Flux's fixed costs exceed the hidden communication (paper Fig. 14: E < 0).
  EXPECT_LT(advice.gemms[1].predicted.efficiency_fused, 0.0);
  EXPECT_FALSE(advice.gemms[1].pays);
  EXPECT_NEAR(advice.saved_per_step_s,
              advice.gemms[0].saved_per_step_s + advice.gemms[1].saved_per_step_s, 1e-15);
  const std::vector<std::string> lines = FormatFusionAdvice(advice, 1.0);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[1].find("-> fuse"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("keep torch + NCCL"), std::string::npos) << lines[2];
}

TEST(FusionAdvice, RejectsUnknownGpuTpOneAndBadShapes) {
  const std::vector<TpGemm> gemms = {{"up", OpKind::kAgGemm, 4096, 1000, 512, 1}};
  EXPECT_THAT(AdviseTpFusion("RTX 4090", 8, gemms).status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "no overlap preset"));
  EXPECT_THAT(AdviseTpFusion("H100", 1, gemms).status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "TP > 1"));
  EXPECT_THAT(AdviseTpFusion("H100", 3, gemms).status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "up: m 4096, n 1000"));
}

}  // namespace
}  // namespace trainscope::overlap
