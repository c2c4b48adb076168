// SPDX-License-Identifier: Apache-2.0
// OpJob: the what-if analysis input, the paper's "OpDuration" table of one Megatron-style job
// (Lin et al., OSDI'25, section 4.1): one row per traced op with its worker (dp_rank, PP stage,
// global rank), step, op kind, order among same-kind ops (seq_id), model chunk, microbatch, start
// (relative to its step) and duration. Readers (ingest/optable, or the Kineto mapping) fill it;
// analyses read it const. Units: nanoseconds. Thread safety: plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainscope::whatif {

enum class OpKind : uint8_t {
  kForwardCompute,
  kBackwardCompute,
  kForwardSend,
  kForwardRecv,
  kBackwardSend,
  kBackwardRecv,
  kParamsAllGather,
  kGradsReduceScatter,
  kSeparateGradsAllReduce,
  kLayernormGradsAllReduce,
  kEmbeddingGradsAllReduce,
  kOptimizerClipMainGrad,
  kOptimizer,
  kGc,
};
inline constexpr int kOpKindCount = 14;

// The artifact's optype strings ("forward-compute", "grads-reduce-scatter", ...).
std::string_view OpKindName(OpKind kind);
std::optional<OpKind> ParseOpKind(std::string_view name);
// Conceptually communication (ideal duration = median transfer): PP p2p, DP collectives,
// layernorm/embedding all-reduces and the clip-grad sync.
bool IsCommKind(OpKind kind);
bool IsComputeKind(OpKind kind);  // forward/backward compute
bool IsP2pKind(OpKind kind);
// Attribution label: PP p2p kinds merge into "forward-pp-comm" / "backward-pp-comm".
std::string_view AttributionLabel(OpKind kind);

struct OpJob {
  std::string name;  // for messages and output
  int32_t dp_size = 1, pp_size = 1, tp_size = 1, dsp_size = 1, vpp_size = 1, world_size = 1;
  std::vector<int32_t> dp_rank, stage, rank, step, seq_id, mc, mb_id, gmc;
  std::vector<OpKind> kind;
  std::vector<int64_t> start_ns, dur_ns;
  size_t size() const { return step.size(); }
};

}  // namespace trainscope::whatif
