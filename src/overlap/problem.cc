// SPDX-License-Identifier: Apache-2.0
// Validation and naming of the fused operators' shapes and knobs.
#include "overlap/problem.h"

#include <fmt/format.h>

namespace trainscope::overlap {

std::string_view OpKindName(OpKind op) { return op == OpKind::kAgGemm ? "ag" : "rs"; }
std::string_view TransferModeName(TransferMode mode) {
  return mode == TransferMode::kPull ? "pull" : "push";
}
std::string_view ScheduleKindName(ScheduleKind kind) {
  return kind == ScheduleKind::kDirect ? "direct" : "ring";
}
std::string_view RsModeName(RsMode mode) { return mode == RsMode::kWrite ? "write" : "reduce"; }

int64_t ShardedProblem::total_rows() const {
  int64_t total = 0;
  for (int64_t rows : rows_per_rank) total += rows;
  return total;
}

ShardedProblem ShardedProblem::Even(int64_t m, int64_t n, int64_t k, int tp) {
  ShardedProblem problem;
  problem.n = n;
  problem.k = k;
  for (int rank = 0; rank < tp; ++rank) {
    problem.rows_per_rank.push_back(m / tp + (rank < m % tp ? 1 : 0));
  }
  return problem;
}

std::string LinkModel::Describe() const {
  if (!emulated()) return "shared memory (real, unpaced memcpy)";
  return fmt::format("emulated link: {:.4g} GB/s, {:.4g} us latency per transfer",
                     bandwidth_bytes_per_s / 1e9, latency_s * 1e6);
}

std::string OverlapOptions::Describe() const {
  return fmt::format("tile {}x{}, comm_rows {}, {} {}, rs {}, swizzle {}", tile_m, tile_n,
                     comm_rows, TransferModeName(transfer), ScheduleKindName(schedule),
                     RsModeName(rs_mode), swizzle ? "on" : "off");
}

Status ValidateProblem(const ShardedProblem& problem, const OverlapOptions& options) {
  if (problem.rows_per_rank.empty()) {
    return InvalidArgumentError("rows_per_rank is empty (TP degree must be >= 1)");
  }
  if (problem.tp() > 255) {
    return InvalidArgumentError("TP degree {} exceeds the supported 255", problem.tp());
  }
  for (int rank = 0; rank < problem.tp(); ++rank) {
    if (problem.rows_per_rank[rank] < 0) {
      return InvalidArgumentError("rows_per_rank[{}] = {} is negative", rank,
                                  problem.rows_per_rank[rank]);
    }
  }
  if (problem.n <= 0 || problem.k <= 0) {
    return InvalidArgumentError("n = {} and k = {} must be positive", problem.n, problem.k);
  }
  if (options.tile_m <= 0 || options.tile_n <= 0 || options.comm_rows < 0) {
    return InvalidArgumentError("tile {}x{} / comm_rows {}: tiles must be positive", options.tile_m,
                                options.tile_n, options.comm_rows);
  }
  if (options.link.bandwidth_bytes_per_s < 0 || options.link.latency_s < 0) {
    return InvalidArgumentError("link bandwidth and latency must be >= 0");
  }
  if (!(options.timeout_s > 0)) {
    return InvalidArgumentError("timeout {} s must be positive", options.timeout_s);
  }
  return OkStatus();
}

}  // namespace trainscope::overlap
