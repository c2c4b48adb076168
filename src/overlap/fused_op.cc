// SPDX-License-Identifier: Apache-2.0
// FusedOperator: lifecycle, segment layout, dispatch and the per-tile GEMM.
#include "overlap/fused_op.h"

#include "base/check.h"
#include "overlap/blas.h"

namespace trainscope::overlap {
namespace {
size_t Align64(size_t bytes) { return (bytes + 63) / 64 * 64; }
}  // namespace

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kFused:
      return "fused";
    case Method::kDecomposed:
      return "decomposed";
    case Method::kSequential:
      return "sequential";
    case Method::kSignalsPreset:
      return "signals_preset";
    case Method::kTileLoop:
      return "tile_loop";
    case Method::kWholeGemm:
      return "whole_gemm";
  }
  return "?";
}

FusedOperator::Layout FusedOperator::MakeLayout(OpKind op, const Tiling& tiling, int rank) {
  const size_t words = static_cast<size_t>(tiling.num_comm_tiles()) * sizeof(uint32_t);
  const size_t m = static_cast<size_t>(tiling.total_rows());
  const size_t n = static_cast<size_t>(tiling.n());
  const size_t tp = static_cast<size_t>(tiling.tp());
  Layout layout;
  size_t at = PeerWorld::kHeaderBytes;
  auto take = [&at](size_t bytes) {
    const size_t offset = at;
    at += Align64(bytes);
    return offset;
  };
  layout.signals = take(words);
  if (op == OpKind::kAgGemm) {
    layout.data = take(m * static_cast<size_t>(tiling.k()) * sizeof(float));
  } else {
    const size_t own_rows = static_cast<size_t>(tiling.shard_rows(rank));
    layout.slot_sig = take(words * tp);
    layout.locks = take(words);
    layout.counters = take(words);
    layout.ring_sig = take(words);
    layout.data = take(m * n * sizeof(float));
    layout.ring = take(m * n * sizeof(float));
    layout.slots = take(tp * own_rows * n * sizeof(float));
    layout.acc = take(own_rows * n * sizeof(float));
  }
  layout.end = at;
  return layout;
}

Result<size_t> FusedOperator::PayloadBytes(OpKind op, const ShardedProblem& problem,
                                           const OverlapOptions& options) {
  TS_ASSIGN_OR_RETURN(Tiling tiling, Tiling::Create(problem, options));
  size_t bytes = 0;
  for (int rank = 0; rank < tiling.tp(); ++rank) {
    bytes = std::max(bytes, MakeLayout(op, tiling, rank).end - PeerWorld::kHeaderBytes);
  }
  return bytes;
}

FusedOperator::FusedOperator(PeerWorld& world, OpKind op, Tiling tiling,
                             const OverlapOptions& options)
    : world_(world), op_(op), tiling_(std::move(tiling)), options_(options), rank_(world.rank()) {
  for (int rank = 0; rank < tiling_.tp(); ++rank) {
    layouts_.push_back(MakeLayout(op_, tiling_, rank));
  }
  tile_order_ = op_ == OpKind::kAgGemm ? AgTileOrder(tiling_, rank_, options_)
                                       : RsTileOrder(tiling_, rank_, options_);
  agent_ = std::make_unique<TransferAgent>(rank_, options_);
}

FusedOperator::~FusedOperator() = default;

Result<std::unique_ptr<FusedOperator>> FusedOperator::Create(PeerWorld& world, OpKind op,
                                                             const ShardedProblem& problem,
                                                             const OverlapOptions& options) {
  TS_ASSIGN_OR_RETURN(Tiling tiling, Tiling::Create(problem, options));
  if (tiling.tp() != world.size()) {
    return InvalidArgumentError("problem has {} shards but the TP group has {} ranks", tiling.tp(),
                                world.size());
  }
  TS_ASSIGN_OR_RETURN(size_t payload, PayloadBytes(op, problem, options));
  if (payload + PeerWorld::kHeaderBytes > world.segment_bytes()) {
    return FailedPreconditionError("shared segment of {} bytes is smaller than the {} needed",
                                   world.segment_bytes(), payload + PeerWorld::kHeaderBytes);
  }
  return std::unique_ptr<FusedOperator>(new FusedOperator(world, op, std::move(tiling), options));
}

uint32_t* FusedOperator::Words(int rank, size_t offset) const {
  return reinterpret_cast<uint32_t*>(world_.segment(rank) + offset);
}
float* FusedOperator::Floats(int rank, size_t offset) const {
  return reinterpret_cast<float*>(world_.segment(rank) + offset);
}

void FusedOperator::ComputeTile(int64_t tile, const float* a, int64_t lda, const float* b,
                                float* out) {
  const int64_t row_tile = tile / tiling_.col_tiles();
  const int64_t col_tile = tile % tiling_.col_tiles();
  const int64_t row0 = tiling_.tile_row_begin(row_tile);
  const int64_t col0 = tiling_.tile_col_begin(col_tile);
  const int64_t rows = tiling_.tile_row_end(row_tile) - row0;
  const int64_t cols = tiling_.tile_col_end(col_tile) - col0;
  const int64_t n = tiling_.n();
  // out[row0:+rows, col0:+cols] = a[row0:+rows, 0:k] x b[0:k, col0:+cols]
  Sgemm(rows, cols, tiling_.k(), a + row0 * lda, lda, b + col0, n, out + row0 * n + col0, n);
  CountTile(tile);
}

void FusedOperator::CountTile(int64_t tile) { ++stats_.tile_computations[static_cast<size_t>(tile)]; }

void FusedOperator::SetLink(const LinkModel& link) {
  options_.link = link;
  agent_->SetLink(link);
}

FusedOperator::LinkLoad FusedOperator::PlannedLinkLoad() {
  ops_.clear();
  std::vector<float> c(static_cast<size_t>(tiling_.shard_rows(rank_) * tiling_.n()) + 1);
  if (op_ == OpKind::kAgGemm) {
    BuildAgOps(1);
  } else {
    BuildRsOps(1, c.data());
  }
  LinkLoad load;
  for (const TransferOp& op : ops_) {
    if (op.local) continue;
    load.bytes += static_cast<double>(op.count) * sizeof(float);
    ++load.transfers;
  }
  ops_.clear();
  return load;
}

Status FusedOperator::Run(const float* a, const float* b, float* c, Method method) {
  const uint32_t epoch = world_.NextEpoch();
  if (epoch >= (1u << 24)) {
    return FailedPreconditionError("epoch counter exhausted after {} calls", epoch);
  }
  stats_.tile_computations.assign(static_cast<size_t>(tiling_.num_gemm_tiles()), 0);
  stats_.delivered.clear();
  ops_.clear();
  Status status =
      op_ == OpKind::kAgGemm ? RunAg(a, b, c, method, epoch) : RunRs(a, b, c, method, epoch);
  TS_RETURN_IF_ERROR(status);
  stats_.transfers_planned = static_cast<int64_t>(ops_.size());
  for (int64_t op_idx : agent_->delivered()) {
    const TransferOp& op = ops_[static_cast<size_t>(op_idx)];
    stats_.delivered.emplace_back(op.target_rank, op.signal);
  }
  // Every method ends with a barrier, so no rank overwrites a buffer or signal that a slower
  // peer still reads (also after the local-only timing methods, which preset signals).
  return world_.Barrier(epoch, options_.timeout_s);
}

}  // namespace trainscope::overlap
