// SPDX-License-Identifier: Apache-2.0
// One-GPU fused operators against the CPU reference over the shape grid, for both transfer
// paths (copy engine, copy kernel); prints the emulated-link timings. Without a CUDA device the
// binary exits 77, which ctest reports as skipped (SKIP_RETURN_CODE), not passed.
#include "overlap/cuda/cuda_overlap.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "overlap/simulator.h"
#include "overlap/testing_reference.h"
#include "support/status_matchers.h"

namespace trainscope::overlap::cuda {
namespace {

using testing_support::CheckAgainstReference;
using testing_support::MakeInputs;
using testing_support::RankData;

Status RunAllRanks(OpKind op, const ShardedProblem& problem, const OverlapOptions& options,
                   std::vector<RankData>& data, OneGpuTimings* timings = nullptr,
                   CopyPath path = CopyPath::kCopyEngine) {
  std::vector<const float*> a, b;
  std::vector<float*> c;
  for (RankData& rank : data) {
    a.push_back(rank.a.data());
    b.push_back(rank.b.data());
    c.push_back(rank.c.data());
  }
  return RunOneGpu(op, problem, options, a, b, c, 5, timings, path);
}

TEST(CudaOverlap, MatchesReferenceOverShapeGrid) {
  for (CopyPath path : {CopyPath::kCopyEngine, CopyPath::kCopyKernel})
    for (int tp : {1, 2, 3, 4, 8}) {
      for (int64_t m : {1, 7, 63, 64, 65, 197, 300}) {
        for (int64_t comm_rows : {0, 16, 64}) {
          for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
            ShardedProblem problem = ShardedProblem::Even(m, 70, 33, tp);
            if (tp > 1 && m > 7) problem.rows_per_rank[0] = 0, problem.rows_per_rank[1] += m / tp;
            OverlapOptions options;
            options.comm_rows = comm_rows;
            options.timeout_s = 10;
            if (comm_rows == 16) options.link.bandwidth_bytes_per_s = 1e9;  // paced path too
            std::vector<RankData> data = MakeInputs(op, problem, 3);
            ASSERT_OK(RunAllRanks(op, problem, options, data, nullptr, path));
            CheckAgainstReference(op, problem, data, "cuda");
            if (HasFatalFailure()) return;
          }
        }
      }
    }
}

// Small ragged shapes for the sanitizers (scripts/gpu-check.sh runs memcheck, racecheck and
// synccheck on this test only): a zero-row rank, tiles straddling ranks, both paths, paced.
TEST(CudaOverlap, SmallRaggedShapes) {
  for (CopyPath path : {CopyPath::kCopyEngine, CopyPath::kCopyKernel}) {
    for (int tp : {2, 3}) {
      for (int64_t m : {7, 65}) {
        for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
          ShardedProblem problem = ShardedProblem::Even(m, 70, 33, tp);
          if (m > 7) problem.rows_per_rank[0] = 0, problem.rows_per_rank[1] += m / tp;
          OverlapOptions options;
          options.comm_rows = 16;
          options.timeout_s = 10;
          options.link.bandwidth_bytes_per_s = 1e9;
          std::vector<RankData> data = MakeInputs(op, problem, 5);
          ASSERT_OK(RunAllRanks(op, problem, options, data, nullptr, path));
          CheckAgainstReference(op, problem, data, "cuda small");
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

// The bf16 tensor-core GEMM against cublasGemmEx on the same inputs: ragged shapes, then the
// paper's AG local problem (m 4096, n 6144, k 12288) with its speed relative to cuBLAS printed
// (the floor: at least 70% of cuBLAS). Both accumulate in fp32 over k <= 12288 products
// of values in [-1, 1]; the orders differ, so they agree to a few ulps of the largest output.
TEST(CudaOverlap, Bf16GemmMatchesCublas) {
  const int64_t shapes[][3] = {{1, 1, 1}, {65, 70, 33}, {130, 257, 48}, {4096, 6144, 12288}};
  for (const auto& shape : shapes) {
    ASSERT_OK_AND_ASSIGN(Bf16GemmComparison r, CompareBf16Gemm(shape[0], shape[1], shape[2], 5));
    std::printf(
        "bf16 GEMM %lld x %lld x %lld: own %.3f ms, cuBLAS %.3f ms (own at %.0f%% of "
        "cuBLAS), max |diff| %.3g of max |C| %.3g\n",
        static_cast<long long>(shape[0]), static_cast<long long>(shape[1]),
        static_cast<long long>(shape[2]), r.t_own_s * 1e3, r.t_cublas_s * 1e3,
        r.t_cublas_s / r.t_own_s * 100, r.max_abs_diff, r.max_abs_cublas);
    EXPECT_LE(r.max_abs_diff, 1e-4 * std::max(1.0, r.max_abs_cublas)) << shape[0];
  }
}

// Fused vs cuBLAS + emulated transfers, ranks on one GPU, at a PCIe-class (25 GB/s) and an
// NVLink-class (100 GB/s) link; TS_CUDA_LINK_GBPS="a,b" overrides the speeds.
std::vector<double> LinkSpeeds() {
  std::vector<double> speeds;
  if (const char* env = std::getenv("TS_CUDA_LINK_GBPS")) {
    for (const char* p = env; *p != 0;) {
      char* end = nullptr;
      const double v = std::strtod(p, &end);
      if (end == p) break;
      speeds.push_back(v);
      p = *end == ',' ? end + 1 : end;
    }
  }
  if (speeds.empty()) speeds = {25, 100};
  return speeds;
}

TEST(CudaOverlap, EmulatedLinkTimings) {
  for (double gbps : LinkSpeeds()) {
    for (CopyPath path : {CopyPath::kCopyEngine, CopyPath::kCopyKernel}) {
      for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
        const bool ag = op == OpKind::kAgGemm;
        ShardedProblem problem =
            ShardedProblem::Even(4096, ag ? 6144 : 12288, ag ? 12288 : 6144, 8);
        OverlapOptions options;
        options.comm_rows = 128;
        options.link.bandwidth_bytes_per_s = gbps * 1e9;
        options.link.latency_s = 2e-6;
        std::vector<RankData> data = MakeInputs(op, problem, 1);
        OneGpuTimings t;
        ASSERT_OK(RunAllRanks(op, problem, options, data, &t, path));
        const double e = OverlapEfficiency(t.t_fused_s, t.t_cublas_s, t.t_sequential_s);
        std::printf(
            "%s link %.0f GB/s %s: cuBLAS %.3f ms, own kernel %.3f ms (%.2fx cuBLAS), preset "
            "%.3f ms (fusion overhead %+.1f%%), sequential %.3f ms, fused %.3f ms, E %.2f, "
            "fused %s sequential\n",
            ag ? "AG" : "RS", gbps, path == CopyPath::kCopyEngine ? "copy engine" : "copy kernel",
            t.t_cublas_s * 1e3, t.t_own_gemm_s * 1e3, t.t_own_gemm_s / t.t_cublas_s,
            t.t_preset_s * 1e3, (t.t_preset_s / t.t_own_gemm_s - 1) * 100, t.t_sequential_s * 1e3,
            t.t_fused_s * 1e3, e, t.t_fused_s < t.t_sequential_s ? "beats" : "loses to");
        EXPECT_GT(t.t_fused_s, 0.0);
      }
    }
  }
}

}  // namespace
}  // namespace trainscope::overlap::cuda

int main(int argc, char** argv) {
  if (!trainscope::overlap::cuda::DeviceAvailable()) {
    std::printf("no CUDA device: skipped\n");
    return 77;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
