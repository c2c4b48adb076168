// SPDX-License-Identifier: Apache-2.0
// Tile geometry of the fused operators: row partition over ranks, comm tiles (one signal
// each), GEMM tiles, the covering relation between them, and the swizzled tile orders.
//
// Comm tiles are row blocks that never cross a shard boundary (brief 3.1): shard r is cut
// into ceil(rows_r / comm_rows) tiles; their global index is the signal index. GEMM tiles
// are TM x TN blocks of the M x n output aligned to global row 0, so a GEMM row tile may
// straddle two comm tiles (and two ranks); it then depends on every comm tile it covers.
// All functions are pure; results are plain values. Thread safety: immutable after Create.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "overlap/problem.h"

namespace trainscope::overlap {

struct CommTile {
  int rank = 0;           // shard owner (AG source / RS destination)
  int64_t row_begin = 0;  // global rows [row_begin, row_end)
  int64_t row_end = 0;
  int64_t rows() const { return row_end - row_begin; }
};

class Tiling {
 public:
  static Result<Tiling> Create(const ShardedProblem& problem, const OverlapOptions& options);

  int tp() const { return static_cast<int>(row_offsets_.size()) - 1; }
  int64_t total_rows() const { return row_offsets_.back(); }
  int64_t n() const { return n_; }
  int64_t k() const { return k_; }
  int64_t shard_begin(int rank) const { return row_offsets_[rank]; }
  int64_t shard_rows(int rank) const { return row_offsets_[rank + 1] - row_offsets_[rank]; }

  // Comm tiles, ordered by row (so by rank); signal index = position.
  const std::vector<CommTile>& comm_tiles() const { return comm_tiles_; }
  int64_t num_comm_tiles() const { return static_cast<int64_t>(comm_tiles_.size()); }
  // Comm tiles of `rank`'s shard: [first_comm_tile(rank), first_comm_tile(rank + 1)).
  int64_t first_comm_tile(int rank) const { return comm_offsets_[rank]; }
  int64_t num_comm_tiles_of(int rank) const {
    return comm_offsets_[rank + 1] - comm_offsets_[rank];
  }

  // GEMM tile grid (TM x TN, ragged at the right/bottom edge); tile id = row_tile * cols + col.
  int64_t tile_m() const { return tile_m_; }
  int64_t tile_n() const { return tile_n_; }
  int64_t row_tiles() const { return row_tiles_; }
  int64_t col_tiles() const { return col_tiles_; }
  int64_t num_gemm_tiles() const { return row_tiles_ * col_tiles_; }
  int64_t tile_row_begin(int64_t row_tile) const { return row_tile * tile_m_; }
  int64_t tile_row_end(int64_t row_tile) const;
  int64_t tile_col_begin(int64_t col_tile) const { return col_tile * tile_n_; }
  int64_t tile_col_end(int64_t col_tile) const;

  // Comm tiles whose rows intersect GEMM row tile `row_tile`: [first, last] (inclusive; a
  // contiguous run because comm tiles are sorted by row). Zero-row shards contribute nothing.
  struct Range {
    int64_t first = 0;
    int64_t last = -1;
  };
  Range CoveringCommTiles(int64_t row_tile) const;
  // GEMM row tiles intersecting comm tile `comm_tile` (inverse of the above).
  Range RowTilesOf(int64_t comm_tile) const;

 private:
  std::vector<int64_t> row_offsets_;  // tp + 1 entries
  std::vector<CommTile> comm_tiles_;
  std::vector<int64_t> comm_offsets_;  // tp + 1 entries
  int64_t n_ = 0, k_ = 0, tile_m_ = 1, tile_n_ = 1, row_tiles_ = 0, col_tiles_ = 0;
};

// Order in which `rank` expects its remote AG shards to arrive, given the schedule (peers
// in ring order after self for direct pull, the reverse for push and ring; brief 3.1/3.2).
// Does not include `rank` itself.
std::vector<int> AgArrivalRanks(int rank, int tp, const OverlapOptions& options);
// Destination order of `rank`'s RS output: shifted by rank (r+1, ..., r-1, r) for direct,
// (r-1, r-2, ..., r) for ring (the step order of a ring reduce-scatter); brief 3.1 Fig. 7.
std::vector<int> RsDestinationRanks(int rank, int tp, const OverlapOptions& options);

// GEMM tile execution order of `rank` (a permutation of [0, num_gemm_tiles)).
// AG: row tiles sorted by when their last covering comm tile is expected (own shard first,
// then arrival order); RS: row tiles sorted by the first destination they feed. With
// swizzle off both are the natural row-major order.
std::vector<int64_t> AgTileOrder(const Tiling& tiling, int rank, const OverlapOptions& options);
std::vector<int64_t> RsTileOrder(const Tiling& tiling, int rank, const OverlapOptions& options);

}  // namespace trainscope::overlap
