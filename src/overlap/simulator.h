// SPDX-License-Identifier: Apache-2.0
// Overlap simulator (brief section 8): predicts T_g (unsplit GEMM), T_c (GEMM + collective,
// not overlapped), T_m (decomposition into one chunk GEMM per shard), T_f (tile-level
// fusion) and the overlap efficiency E = 1 - (T - T_g) / (T_c - T_g) (paper Eq. 2) for one
// TP layer, from shapes, TP degree, tile sizes, worker (SM) count, achieved GEMM rate and the
// link's bandwidth and latency.
//
// Model. A GEMM tile costs tau = 2 * TM * TN * k / (rate / workers) on one worker (a ragged
// edge tile costs a full tile when `full_cost_edge_tiles`, as a GPU CTA does; on a CPU it
// costs its share). Workers take tiles in the operator's tile order (AgTileOrder /
// RsTileOrder), each starting when a worker is free and (AG) every covering comm tile has
// arrived. The link moves comm tiles one after the other in the transfer agent's order:
// done = max(issue, previous done) + latency + bytes / bandwidth (the same law as the CPU
// emulated link). RS comm tiles join the link FIFO when their last covering tile finishes.
// T_c = T_g + T_comm with T_comm the link time of the rank's whole shards at the baseline
// collective's efficiency; fused copies and decomposition move at the fused efficiency.
// T_m runs one chunk GEMM per shard (each with its own wave quantisation, the reason
// decomposition loses at small m) plus `step_sync_s` per chunk. T_f adds the fusion
// overheads of SimHardware (per call, per tile, copy interference). The busiest rank decides.
// Units: seconds, bytes, FLOP/s. Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "overlap/problem.h"

namespace trainscope::overlap {

struct SimHardware {
  int workers = 1;                        // SMs (GPU) or cores per rank (CPU)
  double gemm_flops_per_s = 0;            // achieved rate of a large unsplit GEMM, whole device
  double fused_gemm_efficiency = 1.0;     // own fused tile loop rate / best GEMM rate
  double link_bandwidth_bytes_per_s = 0;  // per rank and direction: the link's own speed
  double link_latency_s = 0;              // per transfer
  double baseline_link_efficiency = 1.0;  // the baseline collective (NCCL) achieves bw x this
  double fused_link_efficiency = 1.0;     // fused copies (copy engine, own kernels): bw x this
  double step_sync_s = 0;                 // decomposition: host sync per chunk step
  // Fusion overheads (0 on the CPU, where the bench measures them instead): a fixed cost per
  // fused call (launch, barrier, signal setup), a cost per fused GEMM tile (its waits and
  // signal), and the GEMM time the fused copies steal through device memory: each copied
  // byte costs copy_interference / memory_bandwidth seconds of the tile loop.
  double fused_call_overhead_s = 0;
  double fused_tile_overhead_s = 0;
  double copy_interference = 0;
  // Device memory bandwidth; > 0 turns on the GPU baseline model: T_g and each decomposition
  // chunk take the best of the library's tile shapes (cuBLAS picks small tiles at small m)
  // and never beat reading their operands once (roofline floor).
  double memory_bandwidth_bytes_per_s = 0;
  int bytes_per_element = 4;          // 4 fp32, 2 bf16
  bool full_cost_edge_tiles = false;  // GPU: a partial tile costs a whole tile
};

struct SimResult {
  double t_gemm_s = 0, t_comm_s = 0, t_nonoverlap_s = 0, t_decomp_s = 0, t_fused_s = 0;
  double efficiency_decomp = 0, efficiency_fused = 0;
  double speedup_vs_nonoverlap = 0, speedup_vs_decomp = 0, comm_share = 0;
};

// E = 1 - (t - t_gemm) / (t_nonoverlap - t_gemm); NaN when there is no communication.
double OverlapEfficiency(double t, double t_gemm, double t_nonoverlap);

Result<SimResult> Simulate(OpKind op, const ShardedProblem& problem, const OverlapOptions& options,
                           const SimHardware& hardware);

// The GPU presets of overlap/gpu_presets.h, by name ("h800", "NVIDIA H100 80GB HBM3", ...).
Result<SimHardware> GpuPreset(std::string_view name);

// What-if helper ("fuse TP communication in this job"): global GEMM shape (m, n, k as in
// the paper: AG multiplies [m, k] by [k, n/tp], RS [m, k/tp] by [k/tp, n]), TP degree, GPU
// and link; tiles default to Flux's 128 x 256 with one comm tile per TM rows.
struct FusionPrediction {
  SimResult ag, rs;
  double exposed_comm_saved_s = 0;  // (T_c - T_f) summed over one AG and one RS layer
};
Result<FusionPrediction> PredictTpFusion(int64_t m, int64_t hidden, int64_t ffn, int tp,
                                         const SimHardware& hardware);

}  // namespace trainscope::overlap
