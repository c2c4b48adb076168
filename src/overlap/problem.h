// SPDX-License-Identifier: Apache-2.0
// Problem shapes and knobs of the Flux-style fused operators (brief flux.md sections 2-3).
//
// Both operators run one local GEMM per TP rank of M x n x k (row-major fp32):
//   ag_gemm : C[M, n]        = AllGather_rows(A_shard[rows_r, k]) x B[k, n]
//   gemm_rs : C_shard[rows_r, n] = ReduceScatter_rows(A[M, k] x B[k, n])
// where M = sum of rows_per_rank (uneven shards allowed, a rank may own 0 rows).
// Units: rows/cols are element counts, times are seconds, bandwidth is bytes per second.
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace trainscope::overlap {

enum class OpKind { kAgGemm, kGemmRs };
// Who moves the bytes: the consumer copies from the producer (pull) or the producer writes
// into the consumer (push). Paper Sec. 4.3 / Fig. 9.
enum class TransferMode { kPull, kPush };
// Direct: every rank talks to every peer, in ring order after itself (all-to-all links).
// Ring: only neighbours talk; data is forwarded (AG) or summed along the ring (RS).
enum class ScheduleKind { kDirect, kRing };
// RS only: Write = per-source slots reduced by the destination in rank order (bitwise
// deterministic); Reduce = sources add into the destination's accumulator under a lock.
enum class RsMode { kWrite, kReduce };

std::string_view OpKindName(OpKind op);
std::string_view TransferModeName(TransferMode mode);
std::string_view ScheduleKindName(ScheduleKind kind);
std::string_view RsModeName(RsMode mode);

struct ShardedProblem {
  std::vector<int64_t> rows_per_rank;  // TP shards of the M rows; size = TP degree
  int64_t n = 0;                       // columns of B and C (local)
  int64_t k = 0;                       // inner dimension (local)

  int tp() const { return static_cast<int>(rows_per_rank.size()); }
  int64_t total_rows() const;
  // Rows split as evenly as possible over `tp` ranks (the first m % tp ranks get one more).
  static ShardedProblem Even(int64_t m, int64_t n, int64_t k, int tp);
};

// Emulated link: every transfer completes at max(issue, previous completion) + latency +
// bytes / bandwidth; the agent sleeps until then. bandwidth 0 = real shared memory, no pacing.
struct LinkModel {
  double bandwidth_bytes_per_s = 0.0;
  double latency_s = 0.0;
  bool emulated() const { return bandwidth_bytes_per_s > 0.0; }
  std::string Describe() const;
};

struct OverlapOptions {
  int64_t tile_m = 64;    // GEMM tile rows (TM)
  int64_t tile_n = 256;   // GEMM tile columns (TN); each tile uses the full k
  int64_t comm_rows = 0;  // rows per comm tile inside a shard; 0 = whole shard (one chunk)
  TransferMode transfer = TransferMode::kPull;
  ScheduleKind schedule = ScheduleKind::kDirect;
  RsMode rs_mode = RsMode::kWrite;
  bool swizzle = true;  // AG: own shard first then arrival order; RS: shifted by rank
  LinkModel link;
  double timeout_s = 30.0;  // deadline of every spin
  // Test hooks: random sleep in [0, jitter_max_us] before each transfer; withhold one transfer.
  uint32_t jitter_max_us = 0;
  uint64_t jitter_seed = 1;
  int withhold_rank = -1;
  int64_t withhold_transfer = -1;  // index into that rank's transfer list

  std::string Describe() const;
};

// Checks shapes and knobs (CanImplement of the operator lifecycle).
Status ValidateProblem(const ShardedProblem& problem, const OverlapOptions& options);

}  // namespace trainscope::overlap
