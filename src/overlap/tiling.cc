// SPDX-License-Identifier: Apache-2.0
// Tile geometry, covering sets and the swizzled tile orders (brief 3.1).
#include "overlap/tiling.h"

#include <algorithm>
#include <numeric>

namespace trainscope::overlap {

Result<Tiling> Tiling::Create(const ShardedProblem& problem, const OverlapOptions& options) {
  TS_RETURN_IF_ERROR(ValidateProblem(problem, options));
  Tiling tiling;
  tiling.n_ = problem.n;
  tiling.k_ = problem.k;
  tiling.tile_m_ = options.tile_m;
  tiling.tile_n_ = options.tile_n;
  tiling.row_offsets_.push_back(0);
  tiling.comm_offsets_.push_back(0);
  for (int rank = 0; rank < problem.tp(); ++rank) {
    const int64_t begin = tiling.row_offsets_.back();
    const int64_t rows = problem.rows_per_rank[rank];
    const int64_t step = options.comm_rows > 0 ? options.comm_rows : std::max<int64_t>(rows, 1);
    for (int64_t row = begin; row < begin + rows; row += step) {
      tiling.comm_tiles_.push_back({rank, row, std::min(row + step, begin + rows)});
    }
    tiling.row_offsets_.push_back(begin + rows);
    tiling.comm_offsets_.push_back(static_cast<int64_t>(tiling.comm_tiles_.size()));
  }
  const int64_t m = tiling.total_rows();
  tiling.row_tiles_ = (m + tiling.tile_m_ - 1) / tiling.tile_m_;
  tiling.col_tiles_ = (tiling.n_ + tiling.tile_n_ - 1) / tiling.tile_n_;
  return tiling;
}

int64_t Tiling::tile_row_end(int64_t row_tile) const {
  return std::min((row_tile + 1) * tile_m_, total_rows());
}
int64_t Tiling::tile_col_end(int64_t col_tile) const {
  return std::min((col_tile + 1) * tile_n_, n_);
}

Tiling::Range Tiling::CoveringCommTiles(int64_t row_tile) const {
  const int64_t begin = tile_row_begin(row_tile);
  const int64_t end = tile_row_end(row_tile);
  // First comm tile ending after `begin`, last one starting before `end`.
  auto first = std::upper_bound(comm_tiles_.begin(), comm_tiles_.end(), begin,
                                [](int64_t row, const CommTile& t) { return row < t.row_end; });
  auto last = std::lower_bound(comm_tiles_.begin(), comm_tiles_.end(), end,
                               [](const CommTile& t, int64_t row) { return t.row_begin < row; });
  return {first - comm_tiles_.begin(), (last - comm_tiles_.begin()) - 1};
}

Tiling::Range Tiling::RowTilesOf(int64_t comm_tile) const {
  const CommTile& tile = comm_tiles_[comm_tile];
  return {tile.row_begin / tile_m_, (tile.row_end - 1) / tile_m_};
}

std::vector<int> AgArrivalRanks(int rank, int tp, const OverlapOptions& options) {
  std::vector<int> order;
  const bool forward =
      options.schedule == ScheduleKind::kDirect && options.transfer == TransferMode::kPull;
  for (int step = 1; step < tp; ++step) {
    // Direct pull fetches r+1, r+2, ...; push and ring deliver r-1 first (it sends to its
    // right neighbour first), then r-2, ...
    order.push_back(forward ? (rank + step) % tp : (rank - step + tp) % tp);
  }
  return order;
}

std::vector<int> RsDestinationRanks(int rank, int tp, const OverlapOptions& options) {
  std::vector<int> order;
  for (int step = 1; step <= tp; ++step) {
    order.push_back(options.schedule == ScheduleKind::kDirect ? (rank + step) % tp
                                                              : (rank - step + 2 * tp) % tp);
  }
  return order;
}

namespace {
// Expands a row-tile order into the full GEMM tile order (all column tiles of a row tile).
std::vector<int64_t> ExpandRows(const Tiling& tiling, const std::vector<int64_t>& row_order) {
  std::vector<int64_t> order;
  order.reserve(static_cast<size_t>(tiling.num_gemm_tiles()));
  for (int64_t row_tile : row_order) {
    for (int64_t col_tile = 0; col_tile < tiling.col_tiles(); ++col_tile) {
      order.push_back(row_tile * tiling.col_tiles() + col_tile);
    }
  }
  return order;
}

// Stable sort of row tiles by a key per comm tile: max (AG) or min (RS) over covering tiles.
std::vector<int64_t> SortRowTiles(const Tiling& tiling, const std::vector<int64_t>& comm_key,
                                  bool use_max) {
  std::vector<int64_t> rows(static_cast<size_t>(tiling.row_tiles()));
  std::iota(rows.begin(), rows.end(), 0);
  std::vector<int64_t> key(rows.size(), 0);
  for (int64_t row_tile : rows) {
    Tiling::Range range = tiling.CoveringCommTiles(row_tile);
    int64_t value = use_max ? -1 : INT64_MAX;
    for (int64_t ct = range.first; ct <= range.last; ++ct) {
      value = use_max ? std::max(value, comm_key[ct]) : std::min(value, comm_key[ct]);
    }
    key[row_tile] = value;
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [&key](int64_t a, int64_t b) { return key[a] < key[b]; });
  return rows;
}
}  // namespace

std::vector<int64_t> AgTileOrder(const Tiling& tiling, int rank, const OverlapOptions& options) {
  std::vector<int64_t> natural(static_cast<size_t>(tiling.row_tiles()));
  std::iota(natural.begin(), natural.end(), 0);
  if (!options.swizzle) return ExpandRows(tiling, natural);
  // Expected arrival position of each comm tile: own shard 0, then in schedule order.
  std::vector<int64_t> arrival(static_cast<size_t>(tiling.num_comm_tiles()), 0);
  int64_t position = 1;
  for (int peer : AgArrivalRanks(rank, tiling.tp(), options)) {
    for (int64_t ct = tiling.first_comm_tile(peer); ct < tiling.first_comm_tile(peer + 1); ++ct) {
      arrival[ct] = position++;
    }
  }
  return ExpandRows(tiling, SortRowTiles(tiling, arrival, /*use_max=*/true));
}

std::vector<int64_t> RsTileOrder(const Tiling& tiling, int rank, const OverlapOptions& options) {
  std::vector<int64_t> natural(static_cast<size_t>(tiling.row_tiles()));
  std::iota(natural.begin(), natural.end(), 0);
  if (!options.swizzle) return ExpandRows(tiling, natural);
  std::vector<int64_t> need(static_cast<size_t>(tiling.num_comm_tiles()), 0);
  int64_t position = 0;
  for (int dest : RsDestinationRanks(rank, tiling.tp(), options)) {
    for (int64_t ct = tiling.first_comm_tile(dest); ct < tiling.first_comm_tile(dest + 1); ++ct) {
      need[ct] = position++;
    }
  }
  return ExpandRows(tiling, SortRowTiles(tiling, need, /*use_max=*/false));
}

}  // namespace trainscope::overlap
