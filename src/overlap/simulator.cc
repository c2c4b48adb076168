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
  double ChunkGemm(int64_t rows, double start) const {
    Workers workers(hw.workers, start);
    for (int64_t row = 0; row < rows; row += tiling.tile_m()) {
      for (int64_t col = 0; col < tiling.n(); col += tiling.tile_n()) {
        workers.Run(start, TileTime(std::min(tiling.tile_m(), rows - row),
                                    std::min(tiling.tile_n(), tiling.n() - col), 1.0));
      }
    }
    return std::max(workers.last(), start);
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
      total += hw.link_latency_s +
               static_cast<double>(rows) * RowBytes() / hw.link_bandwidth_bytes_per_s;
    }
    return total;
  }
  Link FusedLink() const {
    return Link(hw.link_bandwidth_bytes_per_s * hw.fused_link_efficiency, hw.link_latency_s);
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
    Workers workers(hw.workers);
    Link link = FusedLink();
    if (op == OpKind::kAgGemm) {
      std::vector<double> arrival(static_cast<size_t>(tiling.num_comm_tiles()), 0.0);
      for (int peer : PeerOrder(rank)) {
        for (int64_t ct = tiling.first_comm_tile(peer); ct < tiling.first_comm_tile(peer + 1);
             ++ct) {
          arrival[ct] =
              link.Send(0.0, static_cast<double>(tiling.comm_tiles()[ct].rows()) * RowBytes());
        }
      }
      for (int64_t tile : AgTileOrder(tiling, rank, options)) {
        const Tiling::Range range = tiling.CoveringCommTiles(tile / tiling.col_tiles());
        double ready = 0;
        for (int64_t ct = range.first; ct <= range.last; ++ct) ready = std::max(ready, arrival[ct]);
        workers.Run(ready, GemmTileTime(tile, hw.fused_gemm_efficiency));
      }
      return workers.last();
    }
    std::vector<double> ready(static_cast<size_t>(tiling.num_comm_tiles()), 0.0);
    for (int64_t tile : RsTileOrder(tiling, rank, options)) {
      const double end = workers.Run(0.0, GemmTileTime(tile, hw.fused_gemm_efficiency));
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
    Link link(hw.link_bandwidth_bytes_per_s * hw.fused_link_efficiency, hw.link_latency_s);
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
      !(hardware.fused_gemm_efficiency > 0) || !(hardware.fused_link_efficiency > 0)) {
    return InvalidArgumentError(
        "simulator hardware: workers >= 1, GEMM rate, link bandwidth and efficiencies must be "
        "positive, latency >= 0");
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

Result<SimHardware> GpuPreset(std::string_view name) {
  SimHardware hw;
  hw.full_cost_edge_tiles = true;
  hw.step_sync_s = 10e-6;
  hw.link_latency_s = 2e-6;
  hw.bytes_per_element = 2;
  if (name == "h800") {
    hw.workers = 132;
    hw.gemm_flops_per_s = 760e12;
    hw.link_bandwidth_bytes_per_s = 151e9;
  } else if (name == "a800") {
    hw.workers = 108;
    hw.gemm_flops_per_s = 260e12;
    hw.link_bandwidth_bytes_per_s = 133e9;
  } else {
    return InvalidArgumentError("GPU preset '{}': expected h800 or a800", name);
  }
  return hw;
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
