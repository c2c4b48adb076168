// SPDX-License-Identifier: Apache-2.0
// FusedOperator: Flux-style fused AllGather+GEMM (ag_gemm) and GEMM+ReduceScatter (gemm_rs)
// for one TP rank, plus the baselines that share its buffers (brief sections 3, 6).
//
// Lifecycle (CUTLASS-style): PayloadBytes (workspace per rank, to size the shared segments)
// -> Create (checks shapes: CanImplement, binds the segments, starts the transfer agent)
// -> Run (any number of times, no reset: signals carry epochs).
//
// Algorithm of Run(kFused), for rank r:
//   AG (Alg. 2/3): copy A_shard into r's gathered buffer and release its signals; the agent
//     pulls/pushes the other shards comm tile by comm tile (direct or ring). The GEMM thread
//     walks tiles in AgTileOrder (own shard first, then arrival order); each tile acquire-
//     waits on every comm tile it covers, then runs cblas_sgemm on TM x TN with full k.
//   RS (Alg. 1): the GEMM thread walks RsTileOrder (destinations shifted by rank, own last),
//     writes partial tiles into its segment and release-stores a per-comm-tile "done" signal
//     when all GEMM tiles covering that comm tile are finished. The agent ships ready comm
//     tiles: Write mode into a per-source slot of the destination (reduced there in rank
//     order: bitwise deterministic), Reduce mode into the destination's accumulator under a
//     lock, or along the ring summing as it goes (ring schedule; fixed order, deterministic).
// Every Run ends with a header barrier so the next call may overwrite buffers.
// Ownership: caller owns a/b/c; the operator keeps pointers into the PeerWorld's segments.
// Thread safety: one thread per rank calls Run; the agent thread is internal.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "overlap/peer_world.h"
#include "overlap/problem.h"
#include "overlap/tiling.h"
#include "overlap/transfer_agent.h"

namespace trainscope::overlap {

enum class Method {
  kFused,          // tile-level overlap (the Flux operator)
  kDecomposed,     // N chunk GEMMs (one per shard) interleaved with the chunk transfers
  kSequential,     // whole GEMM and the collective through the agent, not overlapped
  kSignalsPreset,  // fused tile loop with all signals already set, no transfers (overhead)
  kTileLoop,       // the same tile loop without any signal check ("own GEMM")
  kWholeGemm,      // one unsplit cblas_sgemm of the local problem (T_g), no communication
};
std::string_view MethodName(Method method);

struct RunStats {
  std::vector<int32_t> tile_computations;  // per GEMM tile: times computed in the last Run
  // (rank whose signal was set, signal index) for each op this rank's agent delivered.
  std::vector<std::pair<int, int64_t>> delivered;
  int64_t transfers_planned = 0;
};

class FusedOperator {
 public:
  static Result<size_t> PayloadBytes(OpKind op, const ShardedProblem& problem,
                                     const OverlapOptions& options);
  static Result<std::unique_ptr<FusedOperator>> Create(PeerWorld& world, OpKind op,
                                                       const ShardedProblem& problem,
                                                       const OverlapOptions& options);
  ~FusedOperator();

  // AG: a = A_shard [rows_r, k], b = B [k, n], c = C [M, n].
  // RS: a = A [M, k],            b = B [k, n], c = C_shard [rows_r, n].
  Status Run(const float* a, const float* b, float* c, Method method = Method::kFused);

  // Bytes and transfers this rank's agent sends over the (emulated) link per call.
  struct LinkLoad {
    double bytes = 0;
    int64_t transfers = 0;
  };
  LinkLoad PlannedLinkLoad();
  // Replaces the emulated link between runs (all ranks should do the same).
  void SetLink(const LinkModel& link);

  const RunStats& last_stats() const { return stats_; }
  const Tiling& tiling() const { return tiling_; }
  OpKind op() const { return op_; }

 private:
  FusedOperator(PeerWorld& world, OpKind op, Tiling tiling, const OverlapOptions& options);

  // Segment layout of `rank` (byte offsets from the segment start).
  struct Layout {
    size_t signals = 0;   // AG: u32 per comm tile. RS: "partial done" per comm tile.
    size_t slot_sig = 0;  // RS: u32 [tp][comm tiles], set when source s filled its slot
    size_t locks = 0, counters = 0, ring_sig = 0;  // RS: u32 per comm tile
    size_t data = 0;                               // AG: gathered A [M, k]. RS: partial P [M, n].
    size_t ring = 0;                               // RS: ring sum buffer [M, n]
    size_t slots = 0;                              // RS: [tp][rows_rank, n]
    size_t acc = 0;                                // RS: [rows_rank, n]
    size_t end = 0;
  };
  static Layout MakeLayout(OpKind op, const Tiling& tiling, int rank);

  uint32_t* Words(int rank, size_t offset) const;
  float* Floats(int rank, size_t offset) const;

  // AG (ag_gemm.cc).
  void BuildAgOps(uint32_t epoch);
  Status RunAg(const float* a_shard, const float* b, float* c, Method method, uint32_t epoch);
  // RS (gemm_rs.cc).
  void BuildRsOps(uint32_t epoch, float* c);
  Status RunRs(const float* a, const float* b, float* c, Method method, uint32_t epoch);
  Status FinishRs(float* c, uint32_t epoch);

  // One GEMM tile: out[rows, cols] = a_rows[rows, k] x b[k, cols] (full k).
  void ComputeTile(int64_t tile, const float* a, int64_t lda, const float* b, float* out);
  void CountTile(int64_t tile);  // stats: the tile was computed (alone or in a run of rows)

  PeerWorld& world_;
  OpKind op_;
  Tiling tiling_;
  OverlapOptions options_;
  int rank_;
  std::vector<Layout> layouts_;
  std::vector<int64_t> tile_order_;
  std::vector<TransferOp> ops_;
  std::unique_ptr<TransferAgent> agent_;
  RunStats stats_;
};

}  // namespace trainscope::overlap
