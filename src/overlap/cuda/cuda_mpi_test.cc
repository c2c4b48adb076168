// SPDX-License-Identifier: Apache-2.0
// The fused operators launched by MPI on GPUs against the CPU reference (the shapes of the
// one-GPU test, TP = the MPI world size): one GPU per rank with CUDA IPC and system-scope
// signals across GPUs, and the ranks-on-one-GPU fallback driven by rank 0. Run under
// `mpiexec -np 2`. `--require=one-gpu-per-rank` makes every rank exit 77 (ctest: skipped) unless
// ChoosePlacement picks one GPU per rank (fewer GPUs than ranks, or no peer access);
// `--require=gpu` exits 77 without any GPU.
#include "overlap/cuda/cuda_mpi.h"

#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "overlap/mpi/testing_mpi.h"
#include "overlap/testing_reference.h"
#include "support/status_matchers.h"

namespace trainscope::overlap::cuda {
namespace {

using testing_support::CheckAgainstReference;
using testing_support::GatherToRankZero;
using testing_support::MakeInputs;
using testing_support::RankData;
using testing_support::WorldRank;
using testing_support::WorldSize;

// Runs `op` on every rank through RunOnMpiRanks, checks every rank's C on rank 0; returns the
// placement that ran.
PlacementChoice RunAndCheck(OpKind op, const ShardedProblem& problem, const OverlapOptions& options,
                            CopyPath path, std::optional<GpuPlacement> force,
                            OneGpuTimings* timings = nullptr) {
  std::vector<RankData> data = MakeInputs(op, problem, 11);
  RankData& mine = data[static_cast<size_t>(WorldRank())];
  PlacementChoice chosen;
  const Status status =
      RunOnMpiRanks(MPI_COMM_WORLD, op, problem, options, mine.a.data(), mine.b.data(),
                    mine.c.data(), path, &chosen, 3, timings, force);
  EXPECT_TRUE(status.ok()) << "rank " << WorldRank() << ": " << status.ToStringWithContext();
  GatherToRankZero(data);
  if (status.ok() && WorldRank() == 0) {
    CheckAgainstReference(op, problem, data,
                          fmt::format("{} m {} comm rows {} ({})", OpKindName(op),
                                      problem.total_rows(), options.comm_rows, chosen.reason));
  }
  return chosen;
}

// Ragged shapes: tiles straddling ranks, a zero-row rank, comm tiles of 16 and 64 rows and
// whole shards, the emulated link paced at 1 GB/s for 16-row tiles; both transfer paths.
void ShapeGrid(std::optional<GpuPlacement> force, GpuPlacement expected) {
  const int tp = WorldSize();
  for (CopyPath path : {CopyPath::kCopyEngine, CopyPath::kCopyKernel}) {
    for (int64_t m : {7, 65, 300}) {
      for (int64_t comm_rows : {0, 16, 64}) {
        for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
          ShardedProblem problem = ShardedProblem::Even(m, 70, 33, tp);
          if (m > 7) problem.rows_per_rank[0] = 0, problem.rows_per_rank[1] += m / tp;
          OverlapOptions options;
          options.comm_rows = comm_rows;
          options.timeout_s = 10;
          if (comm_rows == 16) options.link.bandwidth_bytes_per_s = 1e9;
          const PlacementChoice chosen = RunAndCheck(op, problem, options, path, force);
          ASSERT_EQ(chosen.placement, expected) << chosen.reason;  // the same on every rank
        }
      }
    }
  }
}

TEST(CudaMpi, OneGpuPerRankMatchesReference) {
  ShapeGrid(std::nullopt, GpuPlacement::kOneGpuPerRank);
}

// Timings with one GPU per rank: every repetition starts together on all ranks (agreed), so the
// run must end on every rank with positive times; the output of the checked call stays right.
TEST(CudaMpi, OneGpuPerRankTimings) {
  const ShardedProblem problem = ShardedProblem::Even(512, 256, 512, WorldSize());
  OverlapOptions options;
  options.comm_rows = 64;
  options.link.bandwidth_bytes_per_s = 25e9;
  for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
    OneGpuTimings t;
    const PlacementChoice chosen =
        RunAndCheck(op, problem, options, CopyPath::kCopyEngine, std::nullopt, &t);
    ASSERT_EQ(chosen.placement, GpuPlacement::kOneGpuPerRank) << chosen.reason;
    EXPECT_GT(t.t_fused_s, 0.0) << "rank " << WorldRank();
    EXPECT_GT(t.t_cublas_s, 0.0) << "rank " << WorldRank();
    std::printf("rank %d %s: cuBLAS %.3f ms, sequential %.3f ms, fused %.3f ms\n", WorldRank(),
                std::string(OpKindName(op)).c_str(), t.t_cublas_s * 1e3, t.t_sequential_s * 1e3,
                t.t_fused_s * 1e3);
  }
}

TEST(CudaMpi, RanksOnOneGpuFallbackMatchesReference) {
  ShapeGrid(GpuPlacement::kRanksOnOneGpu, GpuPlacement::kRanksOnOneGpu);
}

}  // namespace
}  // namespace trainscope::overlap::cuda

// 77 on every rank when --require=gpu or --require=one-gpu-per-rank is not met, else -1
// (tests/support/mpi_test_main.cc calls it once MPI is initialised). Every rank of the node sees
// the same GPUs, so every rank takes the same decision.
extern "C" int TsMpiTestSkipCode(int argc, char** argv) {
  using namespace trainscope::overlap::cuda;
  std::string require;
  for (int idx = 1; idx < argc; ++idx) {
    if (std::strncmp(argv[idx], "--require=", 10) == 0) require = argv[idx] + 10;
  }
  if (require.empty()) return -1;
  if (require != "gpu" && require != "one-gpu-per-rank") {
    std::fprintf(stderr, "unknown --require=%s (gpu or one-gpu-per-rank)\n", require.c_str());
    return 2;
  }
  std::string why;
  if (!DeviceAvailable()) {
    why = "no CUDA device";
  } else if (require == "one-gpu-per-rank") {
    auto group = MpiRankGroup::Create(MPI_COMM_WORLD);
    if (!group.ok()) return -1;  // the tests report it
    const PlacementChoice choice = ChoosePlacement((*group)->size(), (*group)->node_ranks());
    if (choice.placement != GpuPlacement::kOneGpuPerRank) why = choice.reason;
  }
  if (why.empty()) return -1;
  if (trainscope::overlap::testing_support::WorldRank() == 0) {
    std::printf("%s: skipped (needs %s)\n", why.c_str(), require.c_str());
  }
  return 77;
}
