// SPDX-License-Identifier: Apache-2.0
// ag_gemm / gemm_rs on MPI ranks (shared windows) against a gather-to-one reference: every
// rank's C is gathered to rank 0 and checked against a double-precision GEMM + collective
// computed there; MPI's own collective baseline is checked the same way. Run under
// `mpirun -np N` with N in {1, 2, 3, 4, 8} (ctest label mpi).
#include <gtest/gtest.h>
#include <mpi.h>

#include "overlap/fused_op.h"
#include "overlap/mpi/mpi_world.h"
#include "overlap/mpi/testing_mpi.h"
#include "overlap/testing_reference.h"
#include "support/status_matchers.h"

namespace trainscope::overlap {
namespace {

using testing_support::CheckAgainstReference;
using testing_support::GatherToRankZero;
using testing_support::MakeInputs;
using testing_support::RankData;
using testing_support::WorldRank;
using testing_support::WorldSize;

// Shapes for the current world size: TM = 4; m in {1, 7, TM-1, TM, TM+1, 3TM+5, large}
// (fewer at TP 8, which runs oversubscribed), plus an uneven split with a zero-row rank.
std::vector<ShardedProblem> Problems(int tp) {
  std::vector<int64_t> ms = {1, 7, 3, 4, 5, 17, 61};
  if (tp >= 8) ms = {1, 7, 17};
  std::vector<ShardedProblem> problems;
  for (int64_t m : ms) problems.push_back(ShardedProblem::Even(m, 6, 5, tp));
  if (tp > 1) {
    ShardedProblem ragged{std::vector<int64_t>(static_cast<size_t>(tp), 0), 3, 9};
    for (int rank = 1; rank < tp; ++rank) ragged.rows_per_rank[rank] = 2 * rank + 1;
    problems.push_back(ragged);  // rank 0 owns nothing; the others 3, 5, 7, ... rows
  }
  return problems;
}

std::vector<OverlapOptions> Knobs() {
  std::vector<OverlapOptions> knobs;
  for (auto schedule : {ScheduleKind::kDirect, ScheduleKind::kRing}) {
    for (auto transfer : {TransferMode::kPull, TransferMode::kPush}) {
      for (auto rs_mode : {RsMode::kWrite, RsMode::kReduce}) {
        if (schedule == ScheduleKind::kRing && rs_mode == RsMode::kReduce) continue;
        OverlapOptions options;
        options.tile_m = 4;
        options.tile_n = 4;
        options.comm_rows = transfer == TransferMode::kPull ? 2 : 0;
        options.schedule = schedule;
        options.transfer = transfer;
        options.rs_mode = rs_mode;
        options.swizzle = rs_mode == RsMode::kWrite;
        options.timeout_s = 60;
        knobs.push_back(options);
      }
    }
  }
  return knobs;
}

Status RunOnce(OpKind op, const ShardedProblem& problem, const OverlapOptions& options,
               RankData& mine, Method method, int calls) {
  TS_ASSIGN_OR_RETURN(size_t bytes, FusedOperator::PayloadBytes(op, problem, options));
  TS_ASSIGN_OR_RETURN(auto world, MpiWorld::Create(MPI_COMM_WORLD, bytes));
  TS_ASSIGN_OR_RETURN(auto fused, FusedOperator::Create(*world, op, problem, options));
  for (int call = 0; call < calls; ++call) {
    TS_RETURN_IF_ERROR(fused->Run(mine.a.data(), mine.b.data(), mine.c.data(), method));
  }
  return OkStatus();
}

TEST(MpiOverlap, FusedMatchesGatherToOneReference) {
  const int tp = WorldSize();
  for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
    for (const ShardedProblem& problem : Problems(tp)) {
      for (const OverlapOptions& options : Knobs()) {
        if (op == OpKind::kAgGemm && options.rs_mode == RsMode::kReduce) continue;
        std::vector<RankData> data = MakeInputs(op, problem, 17);
        // Two calls without reset: the second must be as correct as the first.
        ASSERT_OK(RunOnce(op, problem, options, data[static_cast<size_t>(WorldRank())],
                          Method::kFused, 2));
        GatherToRankZero(data);
        if (WorldRank() == 0) {
          CheckAgainstReference(
              op, problem, data,
              fmt::format("{} m {} {}", OpKindName(op), problem.total_rows(), options.Describe()));
        }
      }
    }
  }
}

TEST(MpiOverlap, BaselinesMatchReference) {
  const int tp = WorldSize();
  const ShardedProblem problem = Problems(tp).back();
  for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
    for (Method method : {Method::kDecomposed, Method::kSequential}) {
      std::vector<RankData> data = MakeInputs(op, problem, 5);
      OverlapOptions options = Knobs().front();
      ASSERT_OK(RunOnce(op, problem, options, data[static_cast<size_t>(WorldRank())], method, 1));
      GatherToRankZero(data);
      if (WorldRank() == 0) CheckAgainstReference(op, problem, data, "baseline");
    }
    // MPI's own collective.
    std::vector<RankData> data = MakeInputs(op, problem, 6);
    RankData& mine = data[static_cast<size_t>(WorldRank())];
    std::vector<float> scratch(static_cast<size_t>(problem.total_rows() * 9 + 1));
    ASSERT_OK(MpiNonOverlapped(MPI_COMM_WORLD, op, problem, mine.a.data(), mine.b.data(),
                               mine.c.data(), scratch.data()));
    GatherToRankZero(data);
    if (WorldRank() == 0) CheckAgainstReference(op, problem, data, "MPI collective");
  }
}

TEST(MpiOverlap, WithheldSignalReportsInsteadOfHanging) {
  if (WorldSize() < 2) GTEST_SKIP() << "needs two ranks";
  const ShardedProblem problem = ShardedProblem::Even(8, 4, 4, WorldSize());
  OverlapOptions options;
  options.tile_m = 4;
  options.tile_n = 4;
  options.timeout_s = 1.0;
  options.withhold_rank = 1;
  options.withhold_transfer = 0;
  std::vector<RankData> data = MakeInputs(OpKind::kAgGemm, problem, 1);
  Status status = RunOnce(OpKind::kAgGemm, problem, options, data[static_cast<size_t>(WorldRank())],
                          Method::kFused, 1);
  // Every rank fails with a report (rank 1 at its tile wait, the others at the barrier).
  EXPECT_THAT(status, testing::StatusIs(StatusCode::kFailedPrecondition, "timed out"));
  if (WorldRank() == 1) {
    EXPECT_THAT(status, testing::StatusIs(StatusCode::kFailedPrecondition, "AG signal"));
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
}  // namespace trainscope::overlap
