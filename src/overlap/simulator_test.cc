// SPDX-License-Identifier: Apache-2.0
// Simulator limits (brief 8) and its check against the published Flux figures (brief 5).
#include "overlap/simulator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/status_matchers.h"

namespace trainscope::overlap {
namespace {

OverlapOptions GpuTiles() {
  OverlapOptions options;
  options.tile_m = 128;
  options.tile_n = 256;
  options.comm_rows = 128;
  return options;
}

// GPU presets (overlap/gpu_presets.h: datasheets + efficiencies fitted on the Flux rows).
SimHardware A800() { return *GpuPreset("a800"); }
SimHardware H800() { return *GpuPreset("h800"); }
// The core model's limits: no fusion overheads, the tile model for T_g, one link efficiency.
SimHardware Bare(SimHardware hw) {
  hw.fused_call_overhead_s = hw.fused_tile_overhead_s = hw.copy_interference = 0;
  hw.memory_bandwidth_bytes_per_s = 0;
  hw.fused_link_efficiency = hw.baseline_link_efficiency;
  return hw;
}

// Paper shapes (GPT-3 175B, N = 8): AG (n, k) = (49152, 12288), RS (n, k) = (12288, 49152);
// local problems AG [m, k] x [k, n/8], RS [m, k/8] x [k/8, n].
ShardedProblem PaperAg(int64_t m) { return ShardedProblem::Even(m, 49152 / 8, 12288, 8); }
ShardedProblem PaperRs(int64_t m) { return ShardedProblem::Even(m, 12288, 49152 / 8, 8); }

TEST(Simulator, InfiniteBandwidthGivesGemmTime) {
  SimHardware hw = Bare(H800());
  hw.link_bandwidth_bytes_per_s = 1e30;
  hw.link_latency_s = 0;
  for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
    ASSERT_OK_AND_ASSIGN(
        SimResult r,
        Simulate(op, op == OpKind::kAgGemm ? PaperAg(4096) : PaperRs(4096), GpuTiles(), hw));
    EXPECT_NEAR(r.t_fused_s, r.t_gemm_s, 1e-9 * r.t_gemm_s);
    EXPECT_NEAR(r.t_nonoverlap_s, r.t_gemm_s, 1e-9 * r.t_gemm_s);
    // AG: 32 x 24 = 768 tiles on 132 SMs = 6 waves of 128x256x12288 tiles;
    // RS: 32 x 48 = 1536 tiles = 12 waves of 128x256x6144 tiles.
    const bool ag = op == OpKind::kAgGemm;
    const double tau = 2.0 * 128 * 256 * (ag ? 12288 : 6144) / (hw.gemm_flops_per_s / 132);
    EXPECT_NEAR(r.t_gemm_s, (ag ? 6 : 12) * tau, 1e-12);
  }
}

TEST(Simulator, ZeroComputeGivesCommTimePlusOneTile) {
  SimHardware hw = Bare(A800());
  const double bw = hw.link_bandwidth_bytes_per_s * hw.baseline_link_efficiency;
  hw.gemm_flops_per_s = 1e30;  // compute ~ 0
  for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
    ASSERT_OK_AND_ASSIGN(
        SimResult r,
        Simulate(op, op == OpKind::kAgGemm ? PaperAg(2048) : PaperRs(2048), GpuTiles(), hw));
    // Fused = the comm tiles' link time (one latency per comm tile) + one (vanishing) tile.
    const double bytes = 7.0 * 256 * (op == OpKind::kAgGemm ? 12288 : 12288) * 2;
    const double link = bytes / bw + 14 * 2e-6;
    EXPECT_NEAR(r.t_fused_s, link, 1e-9) << OpKindName(op);
    EXPECT_NEAR(r.t_comm_s, bytes / bw + 7 * 2e-6, 1e-9);
  }
}

TEST(Simulator, BaselineHasZeroEfficiencyAndSerialComputeIsExact) {
  EXPECT_DOUBLE_EQ(OverlapEfficiency(3.0, 1.0, 3.0), 0.0);
  EXPECT_DOUBLE_EQ(OverlapEfficiency(1.0, 1.0, 3.0), 1.0);
  EXPECT_TRUE(std::isnan(OverlapEfficiency(1.0, 1.0, 1.0)));
  // One worker, tiny ragged shape: T_g = flops / rate exactly (edge tiles cost their share).
  SimHardware cpu;
  cpu.gemm_flops_per_s = 1e9;
  cpu.link_bandwidth_bytes_per_s = 1e6;
  OverlapOptions options;
  options.tile_m = 4;
  options.tile_n = 4;
  ASSERT_OK_AND_ASSIGN(SimResult r, Simulate(OpKind::kAgGemm, {{3, 0, 6}, 7, 5}, options, cpu));
  EXPECT_NEAR(r.t_gemm_s, 2.0 * 9 * 7 * 5 / 1e9, 1e-15);
  EXPECT_NEAR(r.t_comm_s, 9.0 * 5 * 4 / 1e6, 1e-12);  // busiest: rank 1 receives all 9 rows
}

struct Anchor {
  const char* name;
  SimHardware hw;
  bool ag;
  double flux_total_ms;
};

// README table at m = 4096, N = 8 (brief section 5): Flux totals (the AG rows are fit rows of
// the presets, the RS rows check rows; overlap_published_test holds the full comparison).
TEST(Simulator, WithinFifteenPercentOfPublishedFluxTotals) {
  const Anchor anchors[] = {{"A800 AG", A800(), true, 2.469},
                            {"A800 RS", A800(), false, 2.508},
                            {"H800 AG", H800(), true, 0.957},
                            {"H800 RS", H800(), false, 0.932}};
  for (const Anchor& anchor : anchors) {
    ASSERT_OK_AND_ASSIGN(
        SimResult r, Simulate(anchor.ag ? OpKind::kAgGemm : OpKind::kGemmRs,
                              anchor.ag ? PaperAg(4096) : PaperRs(4096), GpuTiles(), anchor.hw));
    const double error = r.t_fused_s * 1e3 / anchor.flux_total_ms - 1.0;
    std::printf(
        "%s: T_g %.3f T_c %.3f T_m %.3f T_f %.3f ms (Flux %.3f, error %+.1f%%) "
        "E_f %.2f E_m %.2f\n",
        anchor.name, r.t_gemm_s * 1e3, r.t_nonoverlap_s * 1e3, r.t_decomp_s * 1e3,
        r.t_fused_s * 1e3, anchor.flux_total_ms, error * 100, r.efficiency_fused,
        r.efficiency_decomp);
    EXPECT_LT(std::fabs(error), 0.15) << anchor.name;
  }
}

// Paper Fig. 14 / Sec. 5.1: decomposition (TE) has negative E at small m.
TEST(Simulator, DecompositionNegativeAtSmallM) {
  for (int64_t m : {64, 512, 1024}) {
    for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
      ASSERT_OK_AND_ASSIGN(
          SimResult r,
          Simulate(op, op == OpKind::kAgGemm ? PaperAg(m) : PaperRs(m), GpuTiles(), H800()));
      std::printf("H800 %s m %lld: E_m %.2f E_f %.2f\n", std::string(OpKindName(op)).c_str(),
                  static_cast<long long>(m), r.efficiency_decomp, r.efficiency_fused);
      EXPECT_LT(r.efficiency_decomp, 0.0) << "m " << m;
    }
  }
}

// Each fusion overhead adds what it says when nothing else limits: infinite link, one tile
// per worker. 1 call overhead + 1 tile overhead + interference x copied bytes / memory bw.
TEST(Simulator, FusionOverheadsAddUp) {
  SimHardware hw = Bare(H800());
  hw.link_bandwidth_bytes_per_s = 1e30;
  hw.link_latency_s = 0;
  hw.workers = 1000;  // every tile in one wave
  hw.fused_call_overhead_s = 7e-6;
  hw.fused_tile_overhead_s = 3e-6;
  hw.memory_bandwidth_bytes_per_s = 1e30;  // GPU library model; roofline never binds
  hw.copy_interference = 0;
  ASSERT_OK_AND_ASSIGN(SimResult r, Simulate(OpKind::kAgGemm, PaperAg(1024), GpuTiles(), hw));
  // 8 x 24 = 192 tiles <= 1000 workers: the tile loop is one wave, scaled to the library GEMM.
  EXPECT_NEAR(r.t_fused_s - r.t_gemm_s, 10e-6, 1e-12);
  hw.memory_bandwidth_bytes_per_s = 1e12;
  hw.copy_interference = 2;
  ASSERT_OK_AND_ASSIGN(SimResult c, Simulate(OpKind::kAgGemm, PaperAg(1024), GpuTiles(), hw));
  const double copied = 7.0 * 128 * 12288 * 2;           // 7 peers' 128-row shards, bf16
  const double stolen = 2 * copied / 1e12 * 1000 / 192;  // per tile, every tile in parallel
  EXPECT_NEAR(c.t_fused_s - c.t_gemm_s, 10e-6 + stolen, 1e-12);
}

TEST(Simulator, RejectsBadHardware) {
  SimHardware hw;
  EXPECT_THAT(Simulate(OpKind::kAgGemm, {{4}, 4, 4}, {}, hw).status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "must be positive"));
  EXPECT_THAT(PredictTpFusion(4096, 12288, 49152, 7, H800()).status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "tp | ffn"));
  ASSERT_OK_AND_ASSIGN(FusionPrediction p, PredictTpFusion(4096, 12288, 49152, 8, H800()));
  EXPECT_GT(p.exposed_comm_saved_s, 0.0);
}

}  // namespace
}  // namespace trainscope::overlap
