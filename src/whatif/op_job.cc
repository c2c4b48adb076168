// SPDX-License-Identifier: Apache-2.0
// Op kind names and classes of the what-if op table.
#include "whatif/op_job.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace trainscope::whatif {
namespace {

constexpr std::array<std::string_view, kOpKindCount> kNames = {"forward-compute",
                                                               "backward-compute",
                                                               "forward-send",
                                                               "forward-recv",
                                                               "backward-send",
                                                               "backward-recv",
                                                               "params-all-gather",
                                                               "grads-reduce-scatter",
                                                               "separate-grads-all-reduce",
                                                               "layernorm-grads-all-reduce",
                                                               "embedding-grads-all-reduce",
                                                               "optimizer-clip-main-grad",
                                                               "optimizer",
                                                               "gc"};

}  // namespace

std::string_view OpKindName(OpKind kind) { return kNames[static_cast<size_t>(kind)]; }

std::optional<OpKind> ParseOpKind(std::string_view name) {
  for (size_t k = 0; k < kNames.size(); ++k)
    if (kNames[k] == name) return static_cast<OpKind>(k);
  return std::nullopt;
}

bool IsP2pKind(OpKind kind) {
  return kind == OpKind::kForwardSend || kind == OpKind::kForwardRecv ||
         kind == OpKind::kBackwardSend || kind == OpKind::kBackwardRecv;
}

bool IsCommKind(OpKind kind) {
  switch (kind) {
    case OpKind::kForwardSend:
    case OpKind::kForwardRecv:
    case OpKind::kBackwardSend:
    case OpKind::kBackwardRecv:
    case OpKind::kParamsAllGather:
    case OpKind::kGradsReduceScatter:
    case OpKind::kSeparateGradsAllReduce:
    case OpKind::kLayernormGradsAllReduce:
    case OpKind::kEmbeddingGradsAllReduce:
    case OpKind::kOptimizerClipMainGrad:
      return true;
    default:
      return false;
  }
}

bool IsComputeKind(OpKind kind) {
  return kind == OpKind::kForwardCompute || kind == OpKind::kBackwardCompute;
}

std::string_view AttributionLabel(OpKind kind) {
  if (kind == OpKind::kForwardSend || kind == OpKind::kForwardRecv) return "forward-pp-comm";
  if (kind == OpKind::kBackwardSend || kind == OpKind::kBackwardRecv) return "backward-pp-comm";
  return OpKindName(kind);
}

std::string RowPlace(const OpJob& job, int64_t row) {
  if (job.source.empty()) return fmt::format("{} row {}", job.name, row);
  if (job.source.ends_with(".parquet")) return fmt::format("{} row {}", job.source, row);
  const auto blanks_before = std::upper_bound(job.blank_line_rows.begin(),
                                              job.blank_line_rows.end(), row) -
                             job.blank_line_rows.begin();
  return fmt::format("{}:{}", job.source, row + 2 + blanks_before);  // line 1 is the header
}

}  // namespace trainscope::whatif
