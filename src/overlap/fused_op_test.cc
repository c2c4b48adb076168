// SPDX-License-Identifier: Apache-2.0
// ag_gemm / gemm_rs with threads as ranks against a gather-to-one reference (double-precision
// triple loop), over the shape grid of the brief and every knob; plus the invariants: each
// tile computed once, each comm tile delivered once, repeated calls without reset, random
// transfer delays, withheld signal -> timeout report.
#include "overlap/fused_op.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include "overlap/testing_reference.h"
#include "support/status_matchers.h"

namespace trainscope::overlap {
namespace {

using testing_support::CheckAgainstReference;
using testing_support::MakeInputs;
using testing_support::RankData;

struct RunResult {
  Status status;
  std::vector<RunStats> stats;  // per rank, last call
};

// Runs `calls` calls of the operator on `data` with threads as ranks.
RunResult RunWorld(OpKind op, const ShardedProblem& problem, const OverlapOptions& options,
                   std::vector<RankData>& data, int calls = 1, Method method = Method::kFused) {
  RunResult result;
  result.stats.resize(static_cast<size_t>(problem.tp()));
  Result<size_t> bytes = FusedOperator::PayloadBytes(op, problem, options);
  if (!bytes.ok()) return {bytes.status(), {}};
  ThreadWorldGroup group(problem.tp(), *bytes);
  result.status = group.RunOnAllRanks([&](PeerWorld& world) -> Status {
    TS_ASSIGN_OR_RETURN(auto fused, FusedOperator::Create(world, op, problem, options));
    RankData& mine = data[static_cast<size_t>(world.rank())];
    for (int call = 0; call < calls; ++call) {
      std::fill(mine.c.begin(), mine.c.end(), NAN);
      TS_RETURN_IF_ERROR(fused->Run(mine.a.data(), mine.b.data(), mine.c.data(), method));
    }
    result.stats[static_cast<size_t>(world.rank())] = fused->last_stats();
    return OkStatus();
  });
  return result;
}

std::vector<OverlapOptions> AllKnobs(int64_t tile_m, int64_t tile_n, int64_t comm_rows) {
  std::vector<OverlapOptions> knobs;
  for (auto schedule : {ScheduleKind::kDirect, ScheduleKind::kRing}) {
    for (auto transfer : {TransferMode::kPull, TransferMode::kPush}) {
      for (auto rs_mode : {RsMode::kWrite, RsMode::kReduce}) {
        for (bool swizzle : {true, false}) {
          if (schedule == ScheduleKind::kRing && rs_mode == RsMode::kReduce) continue;
          OverlapOptions options;
          options.tile_m = tile_m;
          options.tile_n = tile_n;
          options.comm_rows = comm_rows;
          options.schedule = schedule;
          options.transfer = transfer;
          options.rs_mode = rs_mode;
          options.swizzle = swizzle;
          options.timeout_s = 20;
          knobs.push_back(options);
        }
      }
    }
  }
  return knobs;
}

std::string Label(OpKind op, const ShardedProblem& problem, const OverlapOptions& options) {
  std::string rows;
  for (int64_t r : problem.rows_per_rank) rows += std::to_string(r) + ",";
  return fmt::format("{} rows [{}] n {} k {} {}", OpKindName(op), rows, problem.n, problem.k,
                     options.Describe());
}

// TM = 4: m in {1, 7, TM-1, TM, TM+1, 3TM+5, large}; n, k below and off the tile multiples.
TEST(FusedOperator, MatchesReferenceOverShapeGridAndKnobs) {
  constexpr int64_t kTm = 4;
  std::vector<ShardedProblem> problems;
  for (int tp : {1, 2, 3, 4, 8}) {
    for (int64_t m : {int64_t{1}, int64_t{7}, kTm - 1, kTm, kTm + 1, 3 * kTm + 5, int64_t{45}}) {
      if (tp == 8 && m > 17) continue;  // keep the 8-thread cases small
      problems.push_back(ShardedProblem::Even(m, tp % 2 == 0 ? 5 : 11, tp == 3 ? 2 : 7, tp));
    }
  }
  problems.push_back({{0, 9, 3}, 6, 5});      // zero-row first rank, uneven
  problems.push_back({{6, 0, 1, 10}, 3, 9});  // zero-row rank inside
  for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
    for (const ShardedProblem& problem : problems) {
      for (int64_t comm_rows : {int64_t{0}, int64_t{2}, kTm}) {
        for (const OverlapOptions& options : AllKnobs(kTm, 4, comm_rows)) {
          if (op == OpKind::kAgGemm && options.rs_mode == RsMode::kReduce) continue;
          if (!options.swizzle && comm_rows != 2) continue;  // swizzle off: one comm size
          std::vector<RankData> data = MakeInputs(op, problem, 7);
          RunResult result = RunWorld(op, problem, options, data);
          ASSERT_OK(result.status);
          CheckAgainstReference(op, problem, data, Label(op, problem, options));
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

// Each GEMM tile computed exactly once per call; each comm tile delivered exactly once to
// each rank that needs it (AG: every rank but the owner; RS Write: the destination's slot
// from every other source).
TEST(FusedOperator, EachTileComputedOnceAndEachCommTileDeliveredOnce) {
  ShardedProblem problem{{5, 0, 7, 3}, 6, 3};
  for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
    for (const OverlapOptions& options : AllKnobs(4, 4, 2)) {
      if (options.rs_mode == RsMode::kReduce) continue;
      std::vector<RankData> data = MakeInputs(op, problem, 3);
      RunResult result = RunWorld(op, problem, options, data);
      ASSERT_OK(result.status);
      std::map<std::pair<int, int64_t>, int> deliveries;
      for (const RunStats& stats : result.stats) {
        for (int32_t count : stats.tile_computations) ASSERT_EQ(count, 1);
        for (const auto& delivery : stats.delivered) ++deliveries[delivery];
        ASSERT_EQ(stats.transfers_planned, static_cast<int64_t>(stats.delivered.size()));
      }
      ASSERT_OK_AND_ASSIGN(Tiling tiling, Tiling::Create(problem, options));
      if (op == OpKind::kAgGemm) {
        ASSERT_EQ(deliveries.size(), static_cast<size_t>(3 * tiling.num_comm_tiles()));
        for (const auto& [key, count] : deliveries) {
          EXPECT_EQ(count, 1);
          EXPECT_NE(tiling.comm_tiles()[key.second].rank, key.first);  // never to the owner
        }
      }
    }
  }
}

TEST(FusedOperator, RepeatedCallsWithoutResetAndAllMethodsAgree) {
  ShardedProblem problem{{9, 4, 0}, 7, 6};
  for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
    for (Method method : {Method::kFused, Method::kDecomposed, Method::kSequential}) {
      OverlapOptions options;
      options.tile_m = 4;
      options.tile_n = 3;
      options.comm_rows = 3;
      std::vector<RankData> data = MakeInputs(op, problem, 11);
      ASSERT_OK(RunWorld(op, problem, options, data, /*calls=*/5, method).status);
      CheckAgainstReference(op, problem, data, std::string(MethodName(method)));
    }
  }
}

// Write mode is bitwise deterministic: push/pull, swizzle and random delays never change a
// bit; Reduce mode and ring still match the reference under delays.
TEST(FusedOperator, RandomTransferDelaysNeverChangeResults) {
  ShardedProblem problem{{6, 5, 7}, 9, 8};
  std::vector<RankData> baseline = MakeInputs(OpKind::kGemmRs, problem, 5);
  OverlapOptions plain;
  plain.tile_m = 4;
  plain.tile_n = 4;
  plain.comm_rows = 2;
  ASSERT_OK(RunWorld(OpKind::kGemmRs, problem, plain, baseline).status);
  for (const OverlapOptions& base : AllKnobs(4, 4, 2)) {
    for (uint64_t seed : {1u, 2u}) {
      OverlapOptions options = base;
      options.jitter_max_us = 300;
      options.jitter_seed = seed;
      for (OpKind op : {OpKind::kAgGemm, OpKind::kGemmRs}) {
        std::vector<RankData> data = MakeInputs(op, problem, 5);
        ASSERT_OK(RunWorld(op, problem, options, data, 2).status);
        CheckAgainstReference(op, problem, data, Label(op, problem, options));
        if (op == OpKind::kGemmRs && options.rs_mode == RsMode::kWrite &&
            options.schedule == ScheduleKind::kDirect) {
          for (size_t rank = 0; rank < data.size(); ++rank) {
            ASSERT_EQ(0, std::memcmp(data[rank].c.data(), baseline[rank].c.data(),
                                     data[rank].c.size() * sizeof(float)))
                << "Write mode not bitwise deterministic: " << options.Describe();
          }
        }
      }
    }
  }
}

// Per-rank status of one call in which `withhold_rank` never performs its first transfer.
std::vector<Status> RunWithheld(OpKind op, const ShardedProblem& problem,
                                const OverlapOptions& options) {
  std::vector<RankData> data = MakeInputs(op, problem, 1);
  ThreadWorldGroup group(problem.tp(), *FusedOperator::PayloadBytes(op, problem, options));
  std::vector<Status> statuses(static_cast<size_t>(problem.tp()));
  Status all = group.RunOnAllRanks([&](PeerWorld& world) -> Status {
    TS_ASSIGN_OR_RETURN(auto fused, FusedOperator::Create(world, op, problem, options));
    RankData& mine = data[static_cast<size_t>(world.rank())];
    statuses[static_cast<size_t>(world.rank())] =
        fused->Run(mine.a.data(), mine.b.data(), mine.c.data());
    return OkStatus();
  });
  EXPECT_OK(all);
  return statuses;
}

TEST(FusedOperator, WithheldSignalGivesTimeoutReport) {
  ShardedProblem problem{{4, 4}, 4, 4};
  OverlapOptions options;
  options.tile_m = 4;
  options.tile_n = 4;
  options.timeout_s = 0.3;
  options.withhold_rank = 1;
  options.withhold_transfer = 0;  // AG pull: rank 1 never fetches rank 0's comm tile 0
  std::vector<Status> ag = RunWithheld(OpKind::kAgGemm, problem, options);
  EXPECT_THAT(ag[1], testing::StatusIs(StatusCode::kFailedPrecondition,
                                       "rank 1: timed out after 0.3 s at GEMM tile 0 waiting on "
                                       "AG signal 0 in rank 1's memory for epoch 1 (saw 0)"));
  // Rank 0 finished its part, then its barrier gives up instead of hanging.
  EXPECT_THAT(ag[0], testing::StatusIs(StatusCode::kFailedPrecondition, "barrier word"));
  // RS push: rank 1's first op is its push to rank 0's slot, so rank 0 reports the slot.
  options.transfer = TransferMode::kPush;
  std::vector<Status> rs = RunWithheld(OpKind::kGemmRs, problem, options);
  EXPECT_THAT(rs[0], testing::StatusIs(StatusCode::kFailedPrecondition,
                                       "rank 0: timed out after 0.3 s waiting on RS slot signal 0 "
                                       "in rank 0's memory for epoch 1 (saw 0)"));
}

TEST(FusedOperator, RejectsMismatchedWorld) {
  ThreadWorldGroup group(2, 1 << 16);
  EXPECT_THAT(
      FusedOperator::Create(group.world(0), OpKind::kAgGemm, {{1, 2, 3}, 4, 4}, {}).status(),
      testing::StatusIs(StatusCode::kInvalidArgument, "3 shards but the TP group has 2"));
  EXPECT_THAT(
      FusedOperator::Create(group.world(0), OpKind::kGemmRs, {{1000, 1000}, 64, 64}, {}).status(),
      testing::StatusIs(StatusCode::kFailedPrecondition, "smaller than"));
}

}  // namespace
}  // namespace trainscope::overlap
