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
// Paired repetitions (issue 20 item 3): each repetition times T_c, T_m and T_f each right
// after its own T_g, and, with a comm-share target, first re-derives the emulated link from a
// T_g measured at its start, so GEMM-speed drift on a shared machine moves T_g and the link
// together. E is computed per repetition (E_X = 1 - (T_X - T_g,X) / (T_c - T_g,C)) and reported
// as a median with its order-statistic 95% interval, with the paired E_f - E_m, T_m / T_f, and
// how often fused beats decomposition (Wilson interval).
// Thread safety: call from every rank's thread (or MPI process) collectively.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "base/status.h"
#include "overlap/bench_stats.h"
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
  // Pick options.comm_rows by timing the fused run first, as Flux's tuner picks its tile
  // configuration (TuneCommRows in bench.cc); the tuning runs are not reported repetitions.
  bool tune_comm_rows = false;
};

// One comm-tile size the tuner tried: the median of its fused runs (max over ranks).
struct CommRowsTrial {
  int64_t comm_rows = 0;
  double fused_s = 0;
};

// One repetition's timings, max over ranks each: every method right after its own T_g.
struct RepetitionTimes {
  double gemm_before_nonoverlap_s = 0, nonoverlap_s = 0;
  double gemm_before_decomp_s = 0, decomp_s = 0;
  double gemm_before_fused_s = 0, fused_s = 0;
  double tile_loop_s = 0, preset_s = 0, mpi_s = 0;  // mpi: NaN when not run
  double link_bytes_per_s = 0;                      // emulated link of this repetition
};

// Per-repetition statistics (all ranks' max per timing, then across repetitions).
struct PairedStats {
  Interval e_fused, e_decomp;
  Interval e_gain;                // E_f - E_m, paired within each repetition
  Interval speedup_vs_decomp;     // T_m / T_f
  Interval comm_share;            // (T_c - T_g,C) / T_c
  Proportion fused_beats_decomp;  // repetitions with T_f < T_m
  double comm_share_min = 0, comm_share_max = 0;
  double link_bytes_per_s_min = 0, link_bytes_per_s_max = 0;  // emulated link per repetition
  // Bounds at the median share s: no method hides more than T_g of link time, so
  // E <= min(1, (1 - s) / s); decomposition into tp chunks ideally pipelined reaches
  // min(1, (1 - 1/tp) (1 - s) / s) (at tp 2 it is ideal up to s = 1/3).
  double e_bound = 0, e_decomp_ideal = 0;
  std::vector<RepetitionTimes> repetitions;  // the raw data, in order
};

struct BenchResult {
  BenchConfig config;  // with the link actually used (the last repetition's)
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
  std::vector<CommRowsTrial> comm_rows_tried;  // empty unless config.tune_comm_rows
  PairedStats paired;
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
