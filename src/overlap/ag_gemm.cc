// SPDX-License-Identifier: Apache-2.0
// ag_gemm: AllGather(A_shard) x B with tile-level waits (paper Alg. 2/3, brief 3.2).
#include <cstring>
#include <vector>

#include "overlap/blas.h"
#include "overlap/fused_op.h"
#include "overlap/signal.h"

namespace trainscope::overlap {

void FusedOperator::BuildAgOps(uint32_t epoch) {
  const int tp = tiling_.tp();
  const int64_t k = tiling_.k();
  auto sig = [&](int rank, int64_t ct) { return Words(rank, layouts_[rank].signals) + ct; };
  auto rows = [&](int rank, int64_t ct) {
    return Floats(rank, layouts_[rank].data) + tiling_.comm_tiles()[ct].row_begin * k;
  };
  auto add = [&](int src_rank, int dst_rank, int64_t ct, const uint32_t* wait, int wait_peer) {
    TransferOp op;
    op.wait_flag = wait;
    op.wait_value = epoch;
    op.wait_peer = wait_peer;
    op.src = rows(src_rank, ct);
    op.dst = rows(dst_rank, ct);
    op.count = tiling_.comm_tiles()[ct].rows() * k;
    op.set_flag = sig(dst_rank, ct);
    op.set_value = epoch;
    op.target_rank = dst_rank;
    op.signal = ct;
    ops_.push_back(op);
  };
  const int left = (rank_ - 1 + tp) % tp;
  const int right = (rank_ + 1) % tp;
  for (int step = 1; step < tp; ++step) {
    if (options_.schedule == ScheduleKind::kDirect) {
      if (options_.transfer == TransferMode::kPull) {
        const int peer = (rank_ + step) % tp;  // rank 5 of 8 pulls 6, 7, 0, ..., 4
        for (int64_t ct = tiling_.first_comm_tile(peer); ct < tiling_.first_comm_tile(peer + 1);
             ++ct) {
          add(peer, rank_, ct, sig(peer, ct), peer);
        }
      } else {
        const int peer = (rank_ + step) % tp;
        for (int64_t ct = tiling_.first_comm_tile(rank_); ct < tiling_.first_comm_tile(rank_ + 1);
             ++ct) {
          add(rank_, peer, ct, nullptr, -1);  // own signals are set before the agent starts
        }
      }
    } else {
      // Ring: step s moves shard (r - s) (pull, from the left) or (r - s + 1) (push, right).
      const int shard = options_.transfer == TransferMode::kPull ? (rank_ - step + tp) % tp
                                                                 : (rank_ - step + 1 + tp) % tp;
      for (int64_t ct = tiling_.first_comm_tile(shard); ct < tiling_.first_comm_tile(shard + 1);
           ++ct) {
        if (options_.transfer == TransferMode::kPull) {
          add(left, rank_, ct, sig(left, ct), left);
        } else {
          add(rank_, right, ct, sig(rank_, ct), rank_);
        }
      }
    }
  }
}

Status FusedOperator::RunAg(const float* a_shard, const float* b, float* c, Method method,
                            uint32_t epoch) {
  const int64_t k = tiling_.k();
  const int64_t m = tiling_.total_rows();
  float* gathered = Floats(rank_, layouts_[rank_].data);  // [M, k]
  uint32_t* signals = Words(rank_, layouts_[rank_].signals);
  // Own shard: copy into place, then release its signals (preset for the tile loop).
  const int64_t own_rows = tiling_.shard_rows(rank_);
  if (own_rows > 0) {
    std::memcpy(gathered + tiling_.shard_begin(rank_) * k, a_shard,
                static_cast<size_t>(own_rows * k) * sizeof(float));
  }
  for (int64_t ct = tiling_.first_comm_tile(rank_); ct < tiling_.first_comm_tile(rank_ + 1); ++ct) {
    StoreRelease(signals + ct, epoch);
  }
  auto whole_gemm = [&](int64_t row0, int64_t rows) {
    if (rows <= 0) return;
    Sgemm(rows, tiling_.n(), k, gathered + row0 * k, k, b, tiling_.n(), c + row0 * tiling_.n(),
          tiling_.n());
  };
  auto wait_rows = [&](int64_t first_ct, int64_t last_ct, int64_t tile) -> Status {
    for (int64_t ct = first_ct; ct <= last_ct; ++ct) {
      TS_RETURN_IF_ERROR(WaitForSignal(signals + ct, epoch, false, options_.timeout_s,
                                       WaitStyle::kSpinYield,
                                       {rank_, tile, ct, rank_, "AG signal"}));
    }
    return OkStatus();
  };
  auto tile_loop = [&](bool wait) -> Status {
    for (int64_t tile : tile_order_) {
      if (wait) {
        const Tiling::Range range = tiling_.CoveringCommTiles(tile / tiling_.col_tiles());
        TS_RETURN_IF_ERROR(wait_rows(range.first, range.last, tile));
      }
      ComputeTile(tile, gathered, k, b, c);
    }
    return OkStatus();
  };

  // Fused: the row tiles in tile_order_'s order (each expanded there to its column tiles); the
  // next pending row tile is waited for, then joined by the row tiles after it that are adjacent
  // and have already arrived, and the run is one GEMM over all n columns. A GEMM call repacks
  // its B panel, so a call per tile packed B once per tile (8-24x per shard) where one call per
  // arrived run packs it once per run; the waits stay per row tile.
  auto arrived = [&](int64_t row_tile) {
    const Tiling::Range range = tiling_.CoveringCommTiles(row_tile);
    for (int64_t ct = range.first; ct <= range.last; ++ct) {
      if (LoadAcquire(signals + ct) != epoch) return false;
    }
    return true;
  };
  auto fused_runs = [&]() -> Status {
    const int64_t cols = tiling_.col_tiles();
    std::vector<int64_t> rows;
    rows.reserve(static_cast<size_t>(tiling_.row_tiles()));
    for (size_t t = 0; t < tile_order_.size(); t += static_cast<size_t>(cols)) {
      rows.push_back(tile_order_[t] / cols);
    }
    for (size_t i = 0; i < rows.size();) {
      const Tiling::Range range = tiling_.CoveringCommTiles(rows[i]);
      TS_RETURN_IF_ERROR(wait_rows(range.first, range.last, rows[i] * cols));
      size_t j = i + 1;
      while (j < rows.size() && rows[j] == rows[j - 1] + 1 && arrived(rows[j])) ++j;
      const int64_t row0 = tiling_.tile_row_begin(rows[i]);
      whole_gemm(row0, tiling_.tile_row_end(rows[j - 1]) - row0);
      for (size_t r = i; r < j; ++r) {
        for (int64_t col = 0; col < cols; ++col) CountTile(rows[r] * cols + col);
      }
      i = j;
    }
    return OkStatus();
  };

  switch (method) {
    case Method::kWholeGemm:
      whole_gemm(0, m);
      return OkStatus();
    case Method::kTileLoop:
      return tile_loop(false);
    case Method::kSignalsPreset:
      for (int64_t ct = 0; ct < tiling_.num_comm_tiles(); ++ct) StoreRelease(signals + ct, epoch);
      return tile_loop(true);
    default:
      break;
  }
  BuildAgOps(epoch);
  agent_->Start(&ops_, epoch);
  Status compute;
  if (method == Method::kFused) {
    compute = fused_runs();
  } else if (method == Method::kDecomposed) {
    // One chunk GEMM per shard, own shard first, then in arrival order.
    std::vector<int> chunks = {rank_};
    for (int peer : AgArrivalRanks(rank_, tiling_.tp(), options_)) chunks.push_back(peer);
    for (int shard : chunks) {
      compute =
          wait_rows(tiling_.first_comm_tile(shard), tiling_.first_comm_tile(shard + 1) - 1, -1);
      if (!compute.ok()) break;
      whole_gemm(tiling_.shard_begin(shard), tiling_.shard_rows(shard));
    }
  } else {  // kSequential: the whole collective, then the whole GEMM
    compute = wait_rows(0, tiling_.num_comm_tiles() - 1, -1);
    if (compute.ok()) whole_gemm(0, m);
  }
  Status agent = agent_->Finish();
  TS_RETURN_IF_ERROR(compute);
  return agent;
}

}  // namespace trainscope::overlap
