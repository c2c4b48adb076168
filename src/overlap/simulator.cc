// SPDX-License-Identifier: Apache-2.0
// Discrete-event overlap simulator: list-scheduled GEMM tiles on workers plus a FIFO link.
#include "overlap/simulator.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>

#include "overlap/tiling.h"

namespace trainscope::overlap {
namespace {

// Workers as a min-heap of free times; Run places one tile and returns its end time.
class Workers {
 public:
  explicit Workers(int count, double start = 0.0) {
    for (int idx = 0; idx < count; ++idx) free_.push(start);
  }
  double Run(double ready, double duration) {
    const double start = std::max(free_.top(), ready);
    free_.pop();
    free_.push(start + duration);
    last_ = std::max(last_, start + duration);
    return start + duration;
  }
  double last() const { return last_; }

 private:
  std::priority_queue<double, std::vector<double>, std::greater<>> free_;
  double last_ = 0.0;
};

// The transfer agent's link: done = max(issue, previous done) + latency + bytes / bandwidth.
class Link {
 public:
  Link(double bandwidth, double latency) : bandwidth_(bandwidth), latency_(latency) {}
  double Send(double issue, double bytes) {
    free_ = std::max(issue, free_) + latency_ + bytes / bandwidth_;
    return free_;
  }

 private:
  double bandwidth_, latency_, free_ = 0.0;
};

struct Sim {
  const Tiling& tiling;
  const SimHardware& hw;
  OpKind op;
  const OverlapOptions& options;
  // GPU: the fused kernel's tile loop without waits runs as fast as the library GEMM of the
  // whole problem (Flux's published GEMM-only times are within 3% of cuBLAS's: a persistent,
  // tuned kernel balances its last wave and picks its tile at small m); each fused tile's
  // cost is scaled by library time / own tile loop time.
  double library_over_tile_loop = 1.0;

  double TileTime(int64_t rows, int64_t cols, double efficiency) const {
    const double r =
        hw.full_cost_edge_tiles ? static_cast<double>(tiling.tile_m()) : static_cast<double>(rows);
    const double c =
        hw.full_cost_edge_tiles ? static_cast<double>(tiling.tile_n()) : static_cast<double>(cols);
    const double per_worker = hw.gemm_flops_per_s / hw.workers * efficiency;
    return 2.0 * r * c * static_cast<double>(tiling.k()) / per_worker;
  }
  double GemmTileTime(int64_t tile, double efficiency) const {
    const int64_t row_tile = tile / tiling.col_tiles(), col_tile = tile % tiling.col_tiles();
    return TileTime(tiling.tile_row_end(row_tile) - tiling.tile_row_begin(row_tile),
                    tiling.tile_col_end(col_tile) - tiling.tile_col_begin(col_tile), efficiency);
  }
  // One separate GEMM over `rows` rows on all workers, starting at `start`; returns its end.
  // CPU: the operator's tiles. GPU (memory bandwidth known): the best of the library's tile
  // shapes, never faster than reading the operands once.
  double ChunkGemm(int64_t rows, double start) const {
    if (rows == 0) return start;
    if (hw.memory_bandwidth_bytes_per_s > 0) return start + LibraryGemmTime(rows);
    Workers workers(hw.workers, start);
    for (int64_t row = 0; row < rows; row += tiling.tile_m()) {
      for (int64_t col = 0; col < tiling.n(); col += tiling.tile_n()) {
        workers.Run(start, TileTime(std::min(tiling.tile_m(), rows - row),
                                    std::min(tiling.tile_n(), tiling.n() - col), 1.0));
      }
    }
    return std::max(workers.last(), start);
  }
  // cuBLAS-like GEMM of rows x n x k: full-cost tiles of the shape that finishes first, at
  // least one wave, the last wave balanced (stream-K); smaller tiles run at a lower per-SM rate
  // (assumed: 128x128 95%, 64x128 85%, 64x64 75% of a 128x256 tile's rate).
  double LibraryGemmTime(int64_t rows) const {
    struct Shape {
      int64_t tm, tn;
      double rate;
    };
    static constexpr Shape kShapes[] = {
        {128, 256, 1.0}, {128, 128, 0.95}, {64, 128, 0.85}, {64, 64, 0.75}};
    const double n = static_cast<double>(tiling.n()), k = static_cast<double>(tiling.k());
    double best = std::numeric_limits<double>::infinity();
    for (const Shape& shape : kShapes) {
      const double tiles = std::ceil(static_cast<double>(rows) / static_cast<double>(shape.tm)) *
                           std::ceil(n / static_cast<double>(shape.tn));
      const double waves = std::max(1.0, tiles / hw.workers);  // balanced last wave
      const double tile_s = 2.0 * static_cast<double>(shape.tm * shape.tn) * k /
                            (hw.gemm_flops_per_s / hw.workers * shape.rate);
      best = std::min(best, waves * tile_s);
    }
    const double bytes = (static_cast<double>(rows) * (k + n) + k * n) * hw.bytes_per_element;
    return std::max(best, bytes / hw.memory_bandwidth_bytes_per_s);
  }
  double RowBytes() const {
    return static_cast<double>(op == OpKind::kAgGemm ? tiling.k() : tiling.n()) *
           hw.bytes_per_element;
  }
  double CommTime(int rank) const {
    double total = 0;
    for (int peer = 0; peer < tiling.tp(); ++peer) {
      const int64_t rows = tiling.shard_rows(peer);
      if (peer == rank || rows == 0) continue;
      total +=
          hw.link_latency_s + static_cast<double>(rows) * RowBytes() /
                                  (hw.link_bandwidth_bytes_per_s * hw.baseline_link_efficiency);
    }
    return total;
  }
  Link FusedLink() const {
    return Link(hw.link_bandwidth_bytes_per_s * hw.fused_link_efficiency, hw.link_latency_s);
  }
  // Fused tile: the tile itself at the tile loop's rate, its waits and signal, and its share
  // of the GEMM time the copies of `copy_bytes` steal through device memory.
  double FusedTileTime(int64_t tile, double copy_bytes) const {
    double stolen = 0;
    double scale = 1.0;
    if (hw.memory_bandwidth_bytes_per_s > 0) {
      stolen = hw.copy_interference * copy_bytes / hw.memory_bandwidth_bytes_per_s * hw.workers /
               static_cast<double>(tiling.num_gemm_tiles());
    }
    if (hw.memory_bandwidth_bytes_per_s > 0) scale = library_over_tile_loop;
    return GemmTileTime(tile, hw.fused_gemm_efficiency) * scale + hw.fused_tile_overhead_s + stolen;
  }
  double CopyBytes(int rank) const {
    double rows = 0;
    for (int peer = 0; peer < tiling.tp(); ++peer) {
      if (peer != rank) rows += static_cast<double>(tiling.shard_rows(peer));
    }
    return rows * RowBytes();
  }
  std::vector<int> PeerOrder(int rank) const {
    if (op == OpKind::kAgGemm) return AgArrivalRanks(rank, tiling.tp(), options);
    std::vector<int> order;
    for (int dest : RsDestinationRanks(rank, tiling.tp(), options)) {
      if (dest != rank) order.push_back(dest);
    }
    return order;
  }

  double Fused(int rank) const {
    const double start = hw.fused_call_overhead_s;
    const double copy_bytes = CopyBytes(rank);
    Workers workers(hw.workers, start);
    Link link = FusedLink();
    if (op == OpKind::kAgGemm) {
      std::vector<double> arrival(static_cast<size_t>(tiling.num_comm_tiles()), 0.0);
      for (int peer : PeerOrder(rank)) {
        for (int64_t ct = tiling.first_comm_tile(peer); ct < tiling.first_comm_tile(peer + 1);
             ++ct) {
          arrival[ct] =
              link.Send(start, static_cast<double>(tiling.comm_tiles()[ct].rows()) * RowBytes());
        }
      }
      for (int64_t tile : AgTileOrder(tiling, rank, options)) {
        const Tiling::Range range = tiling.CoveringCommTiles(tile / tiling.col_tiles());
        double ready = 0;
        for (int64_t ct = range.first; ct <= range.last; ++ct) ready = std::max(ready, arrival[ct]);
        workers.Run(ready, FusedTileTime(tile, copy_bytes));
      }
      return workers.last();
    }
    std::vector<double> ready(static_cast<size_t>(tiling.num_comm_tiles()), 0.0);
    for (int64_t tile : RsTileOrder(tiling, rank, options)) {
      const double end = workers.Run(start, FusedTileTime(tile, copy_bytes));
      const Tiling::Range range = tiling.CoveringCommTiles(tile / tiling.col_tiles());
      for (int64_t ct = range.first; ct <= range.last; ++ct) ready[ct] = std::max(ready[ct], end);
    }
    double end = workers.last();
    for (int dest : PeerOrder(rank)) {
      for (int64_t ct = tiling.first_comm_tile(dest); ct < tiling.first_comm_tile(dest + 1); ++ct) {
        end = std::max(
            end,
            link.Send(ready[ct], static_cast<double>(tiling.comm_tiles()[ct].rows()) * RowBytes()));
      }
    }
    return end;
  }

  double Decomposed(int rank) const {
    Link link = FusedLink();
    double compute_end = 0;
    double end = 0;
    if (op == OpKind::kAgGemm) {
      compute_end = ChunkGemm(tiling.shard_rows(rank), 0.0);
      for (int peer : PeerOrder(rank)) {
        const double arrived =
            link.Send(0.0, static_cast<double>(tiling.shard_rows(peer)) * RowBytes());
        compute_end =
            ChunkGemm(tiling.shard_rows(peer), std::max(compute_end, arrived) + hw.step_sync_s);
      }
      return compute_end;
    }
    for (int dest : PeerOrder(rank)) {
      compute_end = ChunkGemm(tiling.shard_rows(dest), compute_end) + hw.step_sync_s;
      end = std::max(
          end, link.Send(compute_end, static_cast<double>(tiling.shard_rows(dest)) * RowBytes()));
    }
    compute_end = ChunkGemm(tiling.shard_rows(rank), compute_end);
    return std::max(end, compute_end);
  }
};

}  // namespace

double OverlapEfficiency(double t, double t_gemm, double t_nonoverlap) {
  const double ect_baseline = t_nonoverlap - t_gemm;
  if (!(ect_baseline > 0)) return std::numeric_limits<double>::quiet_NaN();
  return 1.0 - (t - t_gemm) / ect_baseline;
}

Result<SimResult> Simulate(OpKind op, const ShardedProblem& problem, const OverlapOptions& options,
                           const SimHardware& hardware) {
  if (hardware.workers < 1 || !(hardware.gemm_flops_per_s > 0) ||
      !(hardware.link_bandwidth_bytes_per_s > 0) || hardware.link_latency_s < 0 ||
      !(hardware.fused_gemm_efficiency > 0) || !(hardware.fused_link_efficiency > 0) ||
      !(hardware.baseline_link_efficiency > 0) || !(hardware.fused_call_overhead_s >= 0) ||
      !(hardware.fused_tile_overhead_s >= 0) || !(hardware.copy_interference >= 0) ||
      !(hardware.memory_bandwidth_bytes_per_s >= 0)) {
    return InvalidArgumentError(
        "simulator hardware: workers >= 1, GEMM rate, link bandwidth and efficiencies must be "
        "positive, latency, overheads, interference and memory bandwidth >= 0");
  }
  TS_ASSIGN_OR_RETURN(Tiling tiling, Tiling::Create(problem, options));
  Sim sim{tiling, hardware, op, options};
  SimResult result;
  {
    Workers workers(hardware.workers);
    for (int64_t tile = 0; tile < tiling.num_gemm_tiles(); ++tile) {
      workers.Run(0.0, sim.GemmTileTime(tile, 1.0));
    }
    result.t_gemm_s = workers.last();
  }
  if (hardware.memory_bandwidth_bytes_per_s > 0) {
    const double tile_loop = result.t_gemm_s;
    result.t_gemm_s = sim.LibraryGemmTime(tiling.total_rows());
    if (tile_loop > 0) sim.library_over_tile_loop = result.t_gemm_s / tile_loop;
  }
  for (int rank = 0; rank < tiling.tp(); ++rank) {
    result.t_comm_s = std::max(result.t_comm_s, sim.CommTime(rank));
    result.t_decomp_s = std::max(result.t_decomp_s, sim.Decomposed(rank));
    result.t_fused_s = std::max(result.t_fused_s, sim.Fused(rank));
  }
  result.t_nonoverlap_s = result.t_gemm_s + result.t_comm_s;
  result.efficiency_decomp =
      OverlapEfficiency(result.t_decomp_s, result.t_gemm_s, result.t_nonoverlap_s);
  result.efficiency_fused =
      OverlapEfficiency(result.t_fused_s, result.t_gemm_s, result.t_nonoverlap_s);
  result.speedup_vs_nonoverlap = result.t_nonoverlap_s / result.t_fused_s;
  result.speedup_vs_decomp = result.t_decomp_s / result.t_fused_s;
  result.comm_share = result.t_comm_s / result.t_nonoverlap_s;
  return result;
}

Result<FusionPrediction> PredictTpFusion(int64_t m, int64_t hidden, int64_t ffn, int tp,
                                         const SimHardware& hardware) {
  if (m <= 0 || hidden <= 0 || ffn <= 0 || tp < 1 || ffn % tp != 0) {
    return InvalidArgumentError("m {}, hidden {}, ffn {}, tp {}: need positive sizes and tp | ffn",
                                m, hidden, ffn, tp);
  }
  OverlapOptions options;
  options.tile_m = 128;
  options.tile_n = 256;
  options.comm_rows = 128;
  FusionPrediction prediction;
  TS_ASSIGN_OR_RETURN(
      prediction.ag,
      Simulate(OpKind::kAgGemm, ShardedProblem::Even(m, ffn / tp, hidden, tp), options, hardware));
  TS_ASSIGN_OR_RETURN(
      prediction.rs,
      Simulate(OpKind::kGemmRs, ShardedProblem::Even(m, hidden, ffn / tp, tp), options, hardware));
  prediction.exposed_comm_saved_s = (prediction.ag.t_nonoverlap_s - prediction.ag.t_fused_s) +
                                    (prediction.rs.t_nonoverlap_s - prediction.rs.t_fused_s);
  return prediction;
}

}  // namespace trainscope::overlap
