// SPDX-License-Identifier: Apache-2.0
// Tile geometry against brute force: covering sets on ragged shapes, permutation property
// of the swizzled orders, own-shard-first AG order, RS destination shift.
#include "overlap/tiling.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "support/status_matchers.h"

namespace trainscope::overlap {
namespace {

std::vector<ShardedProblem> RaggedProblems() {
  std::vector<ShardedProblem> problems;
  for (int tp : {1, 2, 3, 4, 8}) {
    for (int64_t m : {1, 7, 15, 16, 17, 53, 200}) {
      problems.push_back(ShardedProblem::Even(m, 5, 3, tp));
    }
  }
  problems.push_back({{0, 5, 11, 0, 3}, 7, 2});  // zero-row ranks at both ends and inside
  problems.push_back({{33, 1, 0}, 17, 9});
  return problems;
}

std::vector<OverlapOptions> Knobs() {
  std::vector<OverlapOptions> knobs;
  for (int64_t tile_m : {1, 4, 16}) {
    for (int64_t comm_rows : {0, 1, 3, 16}) {
      for (auto schedule : {ScheduleKind::kDirect, ScheduleKind::kRing}) {
        for (auto transfer : {TransferMode::kPull, TransferMode::kPush}) {
          for (bool swizzle : {false, true}) {
            OverlapOptions options;
            options.tile_m = tile_m;
            options.tile_n = 4;
            options.comm_rows = comm_rows;
            options.schedule = schedule;
            options.transfer = transfer;
            options.swizzle = swizzle;
            knobs.push_back(options);
          }
        }
      }
    }
  }
  return knobs;
}

TEST(Tiling, CommTilesPartitionEveryShardAndCoveringMatchesBruteForce) {
  for (const ShardedProblem& problem : RaggedProblems()) {
    for (const OverlapOptions& options : Knobs()) {
      ASSERT_OK_AND_ASSIGN(Tiling tiling, Tiling::Create(problem, options));
      // Comm tiles tile [0, M) in order and never cross a shard boundary.
      int64_t row = 0;
      for (const CommTile& tile : tiling.comm_tiles()) {
        ASSERT_EQ(tile.row_begin, row);
        ASSERT_GT(tile.rows(), 0);
        ASSERT_GE(tile.row_begin, tiling.shard_begin(tile.rank));
        ASSERT_LE(tile.row_end, tiling.shard_begin(tile.rank) + tiling.shard_rows(tile.rank));
        row = tile.row_end;
      }
      ASSERT_EQ(row, problem.total_rows());
      for (int64_t row_tile = 0; row_tile < tiling.row_tiles(); ++row_tile) {
        std::set<int64_t> expected;
        for (int64_t ct = 0; ct < tiling.num_comm_tiles(); ++ct) {
          const CommTile& tile = tiling.comm_tiles()[ct];
          if (tile.row_begin < tiling.tile_row_end(row_tile) &&
              tile.row_end > tiling.tile_row_begin(row_tile)) {
            expected.insert(ct);
          }
        }
        const Tiling::Range range = tiling.CoveringCommTiles(row_tile);
        std::set<int64_t> got;
        for (int64_t ct = range.first; ct <= range.last; ++ct) got.insert(ct);
        ASSERT_EQ(got, expected) << "row tile " << row_tile << " " << options.Describe();
        for (int64_t ct : expected) {
          const Tiling::Range rows = tiling.RowTilesOf(ct);
          ASSERT_LE(rows.first, row_tile);
          ASSERT_GE(rows.last, row_tile);
        }
      }
    }
  }
}

TEST(Tiling, SwizzledOrdersArePermutations) {
  for (const ShardedProblem& problem : RaggedProblems()) {
    for (const OverlapOptions& options : Knobs()) {
      ASSERT_OK_AND_ASSIGN(Tiling tiling, Tiling::Create(problem, options));
      for (int rank = 0; rank < problem.tp(); ++rank) {
        for (const auto& order :
             {AgTileOrder(tiling, rank, options), RsTileOrder(tiling, rank, options)}) {
          std::vector<int64_t> sorted = order;
          std::sort(sorted.begin(), sorted.end());
          ASSERT_EQ(static_cast<int64_t>(sorted.size()), tiling.num_gemm_tiles());
          for (int64_t idx = 0; idx < tiling.num_gemm_tiles(); ++idx) ASSERT_EQ(sorted[idx], idx);
        }
      }
    }
  }
}

TEST(Tiling, AgOrderStartsWithOwnShardAndFollowsArrival) {
  // 4 ranks x 8 rows, TM = 4: rank 2 owns row tiles 4 and 5.
  ShardedProblem problem = ShardedProblem::Even(32, 4, 4, 4);
  OverlapOptions options;
  options.tile_m = 4;
  options.tile_n = 4;
  ASSERT_OK_AND_ASSIGN(Tiling tiling, Tiling::Create(problem, options));
  // Direct pull: rank 2 pulls 3, 0, 1 (brief: rank 5 of 8 pulls 6, 7, 0, ...).
  EXPECT_EQ(AgArrivalRanks(2, 4, options), (std::vector<int>{3, 0, 1}));
  EXPECT_EQ(AgTileOrder(tiling, 2, options), (std::vector<int64_t>{4, 5, 6, 7, 0, 1, 2, 3}));
  options.transfer = TransferMode::kPush;
  EXPECT_EQ(AgTileOrder(tiling, 2, options), (std::vector<int64_t>{4, 5, 2, 3, 0, 1, 6, 7}));
  options.swizzle = false;
  EXPECT_EQ(AgTileOrder(tiling, 2, options), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(Tiling, StraddlingTileWaitsForBothShardsAndComesAfterBoth) {
  // Shards of 5 and 3 rows, TM = 4: row tile 1 (rows 4..7) straddles ranks 0 and 1.
  ShardedProblem problem{{5, 3}, 2, 2};
  OverlapOptions options;
  options.tile_m = 4;
  options.tile_n = 8;
  ASSERT_OK_AND_ASSIGN(Tiling tiling, Tiling::Create(problem, options));
  const Tiling::Range range = tiling.CoveringCommTiles(1);
  EXPECT_EQ(range.first, 0);
  EXPECT_EQ(range.last, 1);
  // Rank 1 owns rows 5..7 only, so no tile is all-local: tile 0 (rank 0 only) and tile 1 both
  // need rank 0's shard; the straddling tile cannot come before it.
  EXPECT_EQ(AgTileOrder(tiling, 1, options), (std::vector<int64_t>{0, 1}));
}

TEST(Tiling, RsOrderShiftsDestinationsByRank) {
  ShardedProblem problem = ShardedProblem::Even(12, 4, 4, 3);
  OverlapOptions options;
  options.tile_m = 4;
  options.tile_n = 4;
  ASSERT_OK_AND_ASSIGN(Tiling tiling, Tiling::Create(problem, options));
  EXPECT_EQ(RsDestinationRanks(0, 3, options), (std::vector<int>{1, 2, 0}));
  // At every step the three ranks write to three different destinations.
  for (int64_t step = 0; step < 3; ++step) {
    std::set<int64_t> rows;
    for (int rank = 0; rank < 3; ++rank) rows.insert(RsTileOrder(tiling, rank, options)[step]);
    EXPECT_EQ(rows.size(), 3u);
  }
  options.schedule = ScheduleKind::kRing;
  EXPECT_EQ(RsDestinationRanks(0, 3, options), (std::vector<int>{2, 1, 0}));
}

TEST(Tiling, RejectsBadShapes) {
  OverlapOptions options;
  EXPECT_THAT(Tiling::Create({{}, 4, 4}, options).status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "empty"));
  EXPECT_THAT(Tiling::Create({{2, -1}, 4, 4}, options).status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "rows_per_rank[1]"));
  EXPECT_THAT(Tiling::Create({{2}, 0, 4}, options).status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "n = 0"));
  options.tile_m = 0;
  EXPECT_THAT(Tiling::Create({{2}, 4, 4}, options).status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "tiles must be positive"));
}

}  // namespace
}  // namespace trainscope::overlap
