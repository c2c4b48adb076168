// SPDX-License-Identifier: Apache-2.0
// gemm_rs: ReduceScatter(A x B) with per-comm-tile "partial done" signals (paper Alg. 1,
// brief 3.3): Write (slots, rank-order reduction), Reduce (locked accumulate), ring (sum on
// the way).
#include <cstring>

#include "overlap/blas.h"
#include "overlap/fused_op.h"
#include "overlap/signal.h"

namespace trainscope::overlap {

void FusedOperator::BuildRsOps(uint32_t epoch, float* c) {
  const int tp = tiling_.tp();
  const int64_t n = tiling_.n();
  const int64_t num_ct = tiling_.num_comm_tiles();
  const std::vector<CommTile>& cts = tiling_.comm_tiles();
  auto word = [&](int rank, size_t offset, int64_t idx) { return Words(rank, offset) + idx; };
  auto done = [&](int rank, int64_t ct) { return word(rank, layouts_[rank].signals, ct); };
  auto partial = [&](int rank, int64_t ct) {
    return Floats(rank, layouts_[rank].data) + cts[ct].row_begin * n;
  };
  auto local_row = [&](int64_t ct) {
    return cts[ct].row_begin - tiling_.shard_begin(cts[ct].rank);
  };
  auto slot = [&](int dest, int src, int64_t ct) {
    return Floats(dest, layouts_[dest].slots) +
           (src * tiling_.shard_rows(dest) + local_row(ct)) * n;
  };
  auto make = [&](int64_t ct, TransferOp::Kind kind, const float* src, float* dst, int target) {
    TransferOp op;
    op.kind = kind;
    op.wait_value = epoch;
    op.wait_value2 = epoch;
    op.set_value = epoch;
    op.src = src;
    op.dst = dst;
    op.count = cts[ct].rows() * n;
    op.target_rank = target;
    op.signal = ct;
    return op;
  };
  if (options_.schedule == ScheduleKind::kRing) {
    // Step s handles shard d = r - 1 - s: the running sum of d starts at rank d + 1 and ends
    // at d, one addition per hop, in the same order for push and pull.
    const int left = (rank_ - 1 + tp) % tp;
    const int right = (rank_ + 1) % tp;
    for (int step = 0; step < tp; ++step) {
      const int shard = (rank_ - 1 - step + 2 * tp) % tp;
      const bool last = step == tp - 1;
      for (int64_t ct = tiling_.first_comm_tile(shard); ct < tiling_.first_comm_tile(shard + 1);
           ++ct) {
        float* out_c = last ? c + local_row(ct) * n : nullptr;  // own shard only
        TransferOp op = make(ct, TransferOp::Kind::kSum, partial(rank_, ct), nullptr, rank_);
        op.wait_flag = done(rank_, ct);
        op.wait_peer = rank_;
        if (tp == 1) {
          op.kind = TransferOp::Kind::kCopy;
          op.dst = out_c;
          op.local = true;
        } else if (options_.transfer == TransferMode::kPush) {
          if (step == 0) {
            op.kind = TransferOp::Kind::kCopy;
          } else {
            op.src2 = Floats(rank_, layouts_[rank_].ring) + cts[ct].row_begin * n;
            op.wait_flag2 = word(rank_, layouts_[rank_].ring_sig, ct);
            op.wait_peer2 = rank_;
          }
          if (last) {
            op.dst = out_c;
            op.local = true;  // sums what already arrived; nothing crosses the link
          } else {
            op.dst = Floats(right, layouts_[right].ring) + cts[ct].row_begin * n;
            op.set_flag = word(right, layouts_[right].ring_sig, ct);
            op.target_rank = right;
          }
        } else {
          if (step == 0) continue;  // the partial itself is what the right neighbour pulls
          op.src2 = step == 1 ? partial(left, ct)
                              : Floats(left, layouts_[left].ring) + cts[ct].row_begin * n;
          op.wait_flag2 = step == 1 ? done(left, ct) : word(left, layouts_[left].ring_sig, ct);
          op.wait_peer2 = left;
          if (last) {
            op.dst = out_c;
          } else {
            op.dst = Floats(rank_, layouts_[rank_].ring) + cts[ct].row_begin * n;
            op.set_flag = word(rank_, layouts_[rank_].ring_sig, ct);
          }
        }
        ops_.push_back(op);
      }
    }
    return;
  }
  const bool push = options_.transfer == TransferMode::kPush;
  const bool write = options_.rs_mode == RsMode::kWrite;
  for (int step = 1; step <= tp; ++step) {
    // Push: destinations r+1, ..., r (own last). Pull: sources r+1, ..., r.
    const int peer = (rank_ + step) % tp;
    if (write && peer == rank_) continue;  // the destination reads its own partial directly
    const int dest = push ? peer : rank_;
    const int src = push ? rank_ : peer;
    for (int64_t ct = tiling_.first_comm_tile(dest); ct < tiling_.first_comm_tile(dest + 1); ++ct) {
      TransferOp op = make(ct, write ? TransferOp::Kind::kCopy : TransferOp::Kind::kAccumulate,
                           partial(src, ct), nullptr, dest);
      op.wait_flag = done(src, ct);
      op.wait_peer = src;
      op.local = src == dest;
      if (write) {
        op.dst = slot(dest, src, ct);
        op.set_flag = word(dest, layouts_[dest].slot_sig, src * num_ct + ct);
      } else {
        op.dst = Floats(dest, layouts_[dest].acc) + local_row(ct) * n;
        op.lock = word(dest, layouts_[dest].locks, ct);
        op.counter = word(dest, layouts_[dest].counters, ct);
      }
      ops_.push_back(op);
    }
  }
}

Status FusedOperator::FinishRs(float* c, uint32_t epoch) {
  if (options_.schedule == ScheduleKind::kRing) return OkStatus();  // the agent wrote C
  const int tp = tiling_.tp();
  const int64_t n = tiling_.n();
  const Layout& me = layouts_[rank_];
  for (int64_t ct = tiling_.first_comm_tile(rank_); ct < tiling_.first_comm_tile(rank_ + 1); ++ct) {
    const CommTile& tile = tiling_.comm_tiles()[ct];
    const int64_t local_row = tile.row_begin - tiling_.shard_begin(rank_);
    const size_t count = static_cast<size_t>(tile.rows() * n);
    float* out = c + local_row * n;
    if (options_.rs_mode == RsMode::kReduce) {
      TS_RETURN_IF_ERROR(WaitForSignal(Words(rank_, me.counters) + ct,
                                       AccumulateCount(epoch, static_cast<uint32_t>(tp)), false,
                                       options_.timeout_s, WaitStyle::kSpinYield,
                                       {rank_, -1, ct, rank_, "RS accumulate counter"}));
      std::memcpy(out, Floats(rank_, me.acc) + local_row * n, count * sizeof(float));
      continue;
    }
    // Write mode: sum the tp slots in rank order, so the result is bitwise deterministic.
    for (int src = 0; src < tp; ++src) {
      const float* part = Floats(rank_, me.data) + tile.row_begin * n;
      if (src != rank_) {
        TS_RETURN_IF_ERROR(WaitForSignal(
            Words(rank_, me.slot_sig) + src * tiling_.num_comm_tiles() + ct, epoch, false,
            options_.timeout_s, WaitStyle::kSpinYield, {rank_, -1, ct, rank_, "RS slot signal"}));
        part = Floats(rank_, me.slots) + (src * tiling_.shard_rows(rank_) + local_row) * n;
      }
      if (src == 0) {
        std::memcpy(out, part, count * sizeof(float));
      } else {
        for (size_t idx = 0; idx < count; ++idx) out[idx] += part[idx];
      }
    }
  }
  return OkStatus();
}

Status FusedOperator::RunRs(const float* a, const float* b, float* c, Method method,
                            uint32_t epoch) {
  const int64_t k = tiling_.k();
  const int64_t n = tiling_.n();
  float* partial = Floats(rank_, layouts_[rank_].data);  // [M, n]
  uint32_t* done = Words(rank_, layouts_[rank_].signals);
  auto whole_gemm = [&](int64_t row0, int64_t rows) {
    if (rows <= 0) return;
    Sgemm(rows, n, k, a + row0 * k, k, b, n, partial + row0 * n, n);
  };
  auto release_shard = [&](int shard) {
    for (int64_t ct = tiling_.first_comm_tile(shard); ct < tiling_.first_comm_tile(shard + 1);
         ++ct) {
      StoreRelease(done + ct, epoch);
    }
  };
  auto tile_loop = [&](bool signal) {
    // remaining[ct] = GEMM tiles still to finish before comm tile ct may ship.
    std::vector<int64_t> remaining(static_cast<size_t>(tiling_.num_comm_tiles()));
    for (int64_t ct = 0; ct < tiling_.num_comm_tiles(); ++ct) {
      const Tiling::Range rows = tiling_.RowTilesOf(ct);
      remaining[ct] = (rows.last - rows.first + 1) * tiling_.col_tiles();
    }
    for (int64_t tile : tile_order_) {
      ComputeTile(tile, a, k, b, partial);
      if (!signal) continue;
      const Tiling::Range range = tiling_.CoveringCommTiles(tile / tiling_.col_tiles());
      for (int64_t ct = range.first; ct <= range.last; ++ct) {
        if (--remaining[ct] == 0) StoreRelease(done + ct, epoch);
      }
    }
  };
  // Fused: row tiles in tile_order_'s order, a run of adjacent ones as one GEMM over all n
  // columns, the run closed by the row tile that completes a comm tile, whose signal is released
  // right after the GEMM. A comm tile cannot ship before all its rows are done, so the run costs
  // no latency, and B is packed once per run instead of once per tile.
  auto fused_runs = [&]() {
    const int64_t cols = tiling_.col_tiles();
    std::vector<int64_t> rows_left(static_cast<size_t>(tiling_.num_comm_tiles()));
    for (int64_t ct = 0; ct < tiling_.num_comm_tiles(); ++ct) {
      const Tiling::Range rows = tiling_.RowTilesOf(ct);
      rows_left[static_cast<size_t>(ct)] = rows.last - rows.first + 1;
    }
    std::vector<int64_t> completed;
    size_t t = 0;
    while (t < tile_order_.size()) {
      const int64_t first_row = tile_order_[t] / cols;
      int64_t last_row = first_row;
      completed.clear();
      while (true) {
        const Tiling::Range range = tiling_.CoveringCommTiles(last_row);
        for (int64_t ct = range.first; ct <= range.last; ++ct) {
          if (--rows_left[static_cast<size_t>(ct)] == 0) completed.push_back(ct);
        }
        t += static_cast<size_t>(cols);
        if (!completed.empty() || t >= tile_order_.size() ||
            tile_order_[t] / cols != last_row + 1) {
          break;
        }
        ++last_row;
      }
      whole_gemm(tiling_.tile_row_begin(first_row),
                 tiling_.tile_row_end(last_row) - tiling_.tile_row_begin(first_row));
      for (int64_t row = first_row; row <= last_row; ++row) {
        for (int64_t col = 0; col < cols; ++col) CountTile(row * cols + col);
      }
      for (int64_t ct : completed) StoreRelease(done + ct, epoch);
    }
  };
  switch (method) {
    case Method::kWholeGemm:
      whole_gemm(0, tiling_.total_rows());
      return OkStatus();
    case Method::kTileLoop:
    case Method::kSignalsPreset:
      tile_loop(method == Method::kSignalsPreset);
      return OkStatus();
    default:
      break;
  }
  BuildRsOps(epoch, c);
  if (method == Method::kSequential) {
    whole_gemm(0, tiling_.total_rows());
    for (int shard = 0; shard < tiling_.tp(); ++shard) release_shard(shard);
    agent_->Start(&ops_, epoch);
  } else {
    agent_->Start(&ops_, epoch);
    if (method == Method::kFused) {
      fused_runs();
    } else {  // kDecomposed: one chunk GEMM per destination shard, in destination order
      for (int shard : RsDestinationRanks(rank_, tiling_.tp(), options_)) {
        whole_gemm(tiling_.shard_begin(shard), tiling_.shard_rows(shard));
        release_shard(shard);
      }
    }
  }
  Status finish = FinishRs(c, epoch);
  Status agent = agent_->Finish();
  TS_RETURN_IF_ERROR(finish);
  return agent;
}

}  // namespace trainscope::overlap
