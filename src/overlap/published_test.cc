// SPDX-License-Identifier: Apache-2.0
// GPU presets and the predictor against the published Flux rows: the fitted efficiencies
// re-derived by hand from the fit rows, the floors on the check rows (T_f within 20%, E within
// 0.15), GPU name resolution, and the CSV reader's errors.
#include "overlap/published.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <set>
#include <string>

#include "overlap/gpu_presets.h"
#include "overlap/simulator.h"
#include "support/status_matchers.h"

namespace trainscope::overlap {
namespace {

// Check rows the predictor misses, and why. The list may only shrink: a listed row that
// starts meeting the floors fails the test until it is removed.
//  - H800 m = 512: the paper puts Flux's E at -165%..-82% for m 64 and 512; the model has
//    Flux's fixed costs (20 us per call, 1 us per tile) which explain m = 64 (-1.0 / -1.1)
//    but not a loss that large at m = 512 (predicted AG -0.33, RS +0.08).
const std::set<std::string> kKnownMisses = {"paper-h800-ag-m512", "paper-h800-rs-m512"};

TEST(Published, PrintsEveryRowAndMeetsTheFloorsOnCheckRows) {
  ASSERT_OK_AND_ASSIGN(std::vector<RowCheck> checks, CheckPublished(PublishedRows()));
  ASSERT_GE(checks.size(), 20u);
  int check_points = 0;
  for (const RowCheck& c : checks) {
    const PublishedRow& row = *c.row;
    std::printf(
        "%-24s %-5s %-9s %s m=%-5lld published T_f %7.3f ms E %+.2f..%+.2f | "
        "predicted T_f %7.3f ms (%+6.1f%%) E %+.2f (off by %+.2f)\n",
        row.id.c_str(), row.role.c_str(), row.gpu.c_str(), std::string(OpKindName(row.op)).c_str(),
        static_cast<long long>(row.m), row.t_fused_s * 1e3, row.e_min, row.e_max,
        c.predicted_t_fused_s * 1e3, c.t_fused_error * 100, c.predicted_e, c.e_error);
    if (row.role != "check") continue;
    const bool meets =
        std::fabs(c.e_error) <= 0.15 && (!row.has_times || std::fabs(c.t_fused_error) < 0.20);
    EXPECT_EQ(meets, !kKnownMisses.contains(row.id))
        << row.id << ": E off by " << c.e_error << ", T_f off by " << c.t_fused_error;
    check_points += row.has_times ? 1 : 0;
  }
  EXPECT_GE(check_points, 3);
  const PredictorError error = CheckRowError(checks);
  std::printf(
      "check rows: %d point rows, max |T_f error| %.1f%%; %d range rows; max |E error| "
      "%.2f\n",
      error.point_rows, error.t_fused_max_abs * 100, error.range_rows, error.e_max_abs);
  EXPECT_EQ(error.point_rows, check_points);
  EXPECT_DOUBLE_EQ(BuiltinPredictorError().e_max_abs, error.e_max_abs);
}

// The measured E of a point row is the paper's Eq. 2 with T_g the faster GEMM (by hand:
// H800 AG, T_g = 0.814, 1 - (0.957 - 0.814) / (1.429 - 0.814) = 0.76748).
TEST(Published, MeasuredEfficiencyByHand) {
  for (const PublishedRow& row : PublishedRows()) {
    if (row.id != "readme-h800-ag") continue;
    EXPECT_NEAR(row.e_min, 1 - 0.143 / 0.615, 1e-9);
    EXPECT_NEAR(row.t_gemm_s, 0.814e-3, 1e-12);
    return;
  }
  FAIL() << "row readme-h800-ag missing";
}

// The presets' fitted efficiencies, derived again from each fit row with the formulas of
// gpu_presets.cc: GEMM efficiency = 2 m (n/tp) k / (T_g x peak) (AG local problem), baseline
// link efficiency = (tp - 1) (m/tp) k bytes / ((torch total - torch GEMM - (tp - 1) x 2 us) x
// link bandwidth).
TEST(Published, PresetsCarryTheFittedEfficiencies) {
  int fitted = 0;
  for (const PublishedRow& row : PublishedRows()) {
    if (row.role != "fit" || !row.has_times || row.op != OpKind::kAgGemm) continue;
    ASSERT_OK_AND_ASSIGN(GpuPresetInfo gpu, ResolveGpu(row.gpu));
    const double m = static_cast<double>(row.m), k = static_cast<double>(row.k);
    const double flops = 2.0 * m * static_cast<double>(row.n / row.tp) * k;
    EXPECT_NEAR(gpu.gemm_efficiency, flops / (row.t_gemm_s * gpu.peak_flops_per_s), 0.002)
        << row.id;
    const double bytes = (row.tp - 1.0) * (m / row.tp) * k * 2;
    const double comm = row.t_nonoverlap_s - row.t_torch_gemm_s - (row.tp - 1) * 2e-6;
    EXPECT_NEAR(gpu.hw.baseline_link_efficiency, bytes / (comm * gpu.hw.link_bandwidth_bytes_per_s),
                0.002)
        << row.id;
    ++fitted;
  }
  EXPECT_EQ(fitted, 3);
}

TEST(GpuPresets, ResolvesEveryNameOrRejectsIt) {
  const std::pair<const char*, const char*> cases[] = {
      {"H800-80GB", "h800"},
      {"NVIDIA H100 80GB HBM3", "h100"},
      {"h100", "h100"},
      {"A100-SXM4-80GB", "a100-sxm"},
      {"NVIDIA A100 80GB PCIe", "a100-pcie"},
      {"A100-80GB", "a100-sxm"},
      {"A800", "a800"},
      {"NVIDIA H20", "h20"},
      {"H200-141GB", "h200"},
      {"NVIDIA H200", "h200"},
      {"NVIDIA L20", "l20"},
      {"B200", "b200"},
      {"GB200-186GB", "gb200"},  // the workload presets' names
      {"NVIDIA GB300", "gb300"},
  };
  for (const auto& [name, key] : cases) {
    ASSERT_OK_AND_ASSIGN(GpuPresetInfo info, ResolveGpu(name));
    EXPECT_EQ(info.key, key) << name;
  }
  for (const char* bad :
       {"NVIDIA GeForce RTX 4090", "H100 PCIe", "V100", "", "H2000", "A10", "B300"}) {
    EXPECT_THAT(ResolveGpu(bad).status(),
                testing::StatusIs(StatusCode::kInvalidArgument, "no overlap preset"))
        << bad;
  }
  EXPECT_EQ(GpuPresets().size(), 11u);
}

// The baseline collective and the fused copies use their own efficiency: halving the baseline
// one doubles T_comm's bandwidth term and leaves T_f alone.
TEST(GpuPresets, SeparateLinkEfficiencies) {
  ASSERT_OK_AND_ASSIGN(SimHardware hw, GpuPreset("l20"));
  OverlapOptions options;
  options.tile_m = 128;
  options.tile_n = 256;
  options.comm_rows = 128;
  const ShardedProblem problem = ShardedProblem::Even(4096, 6144, 12288, 8);
  ASSERT_OK_AND_ASSIGN(SimResult a, Simulate(OpKind::kAgGemm, problem, options, hw));
  hw.baseline_link_efficiency /= 2;
  ASSERT_OK_AND_ASSIGN(SimResult b, Simulate(OpKind::kAgGemm, problem, options, hw));
  const double latency = 7 * hw.link_latency_s;
  EXPECT_NEAR(b.t_comm_s - latency, 2 * (a.t_comm_s - latency), 1e-12);
  EXPECT_DOUBLE_EQ(a.t_fused_s, b.t_fused_s);
  // By hand: 7 x 512 rows x 12288 x 2 bytes over 32 GB/s x 0.246 (/2), plus 7 x 2 us.
  EXPECT_NEAR(a.t_comm_s, 7.0 * 512 * 12288 * 2 / (32e9 * 0.246) + 14e-6, 1e-9);
}

TEST(Published, ParseErrorsNameFileAndLine) {
  const std::string header =
      "id,role,gpu,op,m,n,k,tp,dtype,torch_gemm_ms,torch_comm_ms,torch_total_ms,flux_gemm_ms,"
      "flux_total_ms,e_min,e_max,source\n";
  EXPECT_THAT(
      ParsePublished("# c\n" + header + "x,fit,H800,ag,4x,8,8,1,bf16,,,,,,0,1,s\n", "rows.csv")
          .status(),
      testing::StatusIs(StatusCode::kInvalidArgument, "rows.csv:3: column m"));
  EXPECT_THAT(
      ParsePublished(header + "x,maybe,H800,ag,4,8,8,1,bf16,,,,,,0,1,s\n", "r.csv").status(),
      testing::StatusIs(StatusCode::kInvalidArgument, "r.csv:2: column role"));
  EXPECT_THAT(ParsePublished("id,role\n", "h.csv").status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "h.csv:1: expected the header"));
  EXPECT_THAT(ParsePublished(header + "x,fit,H800,ag,4,8,8,3,bf16,,,,,,0,1,s\n", "t.csv").status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "t.csv:2: column tp"));
  ASSERT_OK_AND_ASSIGN(auto rows, ParsePublished(header + "x,check,H800,rs,4,8,8,2,bf16,1,1,"
                                                          "2,1.5,1.25,,,a, b\n",
                                                 "ok.csv"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].source, "a, b");
  EXPECT_NEAR(rows[0].e_min, 1 - 0.25 / 1.0, 1e-12);
}

}  // namespace
}  // namespace trainscope::overlap
