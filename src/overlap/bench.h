// SPDX-License-Identifier: Apache-2.0
// The overlap benchmark (brief sections 4 and 10): runs every method interleaved in one
// process on a PeerWorld (MPI ranks or threads) and derives the paper's metrics:
//   T_g  best unsplit GEMM of the local problem (one cblas_sgemm)
//   T_c  non-overlapped: GEMM + collective (MPI's collective or our agent, the faster, when
//        the link is real; our agent through the emulated link otherwise)
//   T_m  decomposition (one chunk GEMM per shard interleaved with chunk transfers)
//   T_f  fused (tile-level waits / signals)
//   ECT = T - T_g (Eq. 1), E = 1 - ECT / ECT_c (Eq. 2), speedups T_c/T_f and T_m/T_f,
//   fusion overhead T_f(signals preset, no transfer) / T_own_gemm(no waits) - 1,
//   comm share (T_c - T_g) / T_c. Every time is the median over reps of the max over ranks.
// Thread safety: call from every rank's thread (or MPI process) collectively.
#pragma once

#include <functional>
#include <string>

#include "base/json_writer.h"
#include "base/status.h"
#include "overlap/fused_op.h"
#include "overlap/peer_world.h"
#include "overlap/simulator.h"

namespace trainscope::overlap {

struct BenchConfig {
  OpKind op = OpKind::kAgGemm;
  ShardedProblem problem;
  OverlapOptions options;
  int reps = 7;
  int warmup = 1;
  // In (0, 1): choose the emulated link bandwidth so that (T_c - T_g) / T_c hits this share,
  // from a measured T_g and the planned link bytes (options.link.latency_s is kept).
  double target_comm_share = 0;
};

struct BenchResult {
  BenchConfig config;  // with the link actually used
  double t_gemm_s = 0, t_own_gemm_s = 0, t_preset_s = 0;
  double t_nonoverlap_s = 0, t_nonoverlap_agent_s = 0, t_nonoverlap_mpi_s = 0;  // mpi: NaN if none
  double t_decomp_s = 0, t_fused_s = 0;
  std::string nonoverlap_collective;
  double efficiency_decomp = 0, efficiency_fused = 0;
  double speedup_vs_nonoverlap = 0, speedup_vs_decomp = 0;
  double fusion_overhead = 0, comm_share = 0;
  double gemm_flops = 0;  // per rank
  double link_bytes = 0;  // busiest rank's agent, per call
  int64_t link_transfers = 0;
};

// Non-overlapped run through MPI's collective: (a, b, c) as FusedOperator::Run.
using ExternalBaseline = std::function<Status(const float* a, const float* b, float* c)>;

// Collective: every rank calls it with the same config. The world's segments must hold
// FusedOperator::PayloadBytes(config.op, config.problem, config.options).
Result<BenchResult> RunBenchmark(PeerWorld& world, const BenchConfig& config,
                                 const ExternalBaseline& mpi_baseline);

// The simulator's inputs measured by this run: one worker, the whole-GEMM rate, the tile
// loop's efficiency relative to it, and the link used.
SimHardware CpuHardwareFromBench(const BenchResult& result);

void WriteBenchJson(JsonWriter& json, const BenchResult& result, const SimResult* prediction);
std::string FormatBenchTable(const BenchResult& result, const SimResult* prediction);

}  // namespace trainscope::overlap
