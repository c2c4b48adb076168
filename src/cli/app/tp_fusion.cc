// SPDX-License-Identifier: Apache-2.0
// TP GEMMs of a transformer block and the fusion advice lines.
#include "cli/app/tp_fusion.h"

#include <algorithm>
#include <cmath>

namespace trainscope::cli {

std::vector<overlap::TpGemm> TpGemmsOf(const workload::BlockConfig& block, int64_t microbatches) {
  // Tokens of one microbatch on one context-parallel rank: the rows every TP GEMM sees (a DiT's
  // mean over its sample mix; its seq_len is 0).
  const double tokens = workload::SequenceTokens(block) / std::max(1, block.plan.cp);
  const int64_t m = std::llround(tokens) * std::max<int64_t>(1, block.plan.micro_batch);
  const int64_t h = block.hidden;
  const int heads = std::max(1, block.heads);
  const int64_t kv = block.kv_heads > 0 ? block.kv_heads : heads;
  const int64_t qkv = h + 2 * kv * (h / heads);
  const int64_t ffn = workload::FfnHidden(block);
  const int64_t up = block.ffn_act == workload::FfnAct::kSwiglu ? 2 * ffn : ffn;
  const double calls = static_cast<double>(block.layers) / std::max(1, block.plan.pp) *
                       static_cast<double>(std::max<int64_t>(1, microbatches)) * 2;
  using overlap::OpKind;
  return {{"attention QKV (AG+GEMM)", OpKind::kAgGemm, m, qkv, h, calls},
          {"attention output (GEMM+RS)", OpKind::kGemmRs, m, h, h, calls},
          {"MLP up (AG+GEMM)", OpKind::kAgGemm, m, up, h, calls},
          {"MLP down (GEMM+RS)", OpKind::kGemmRs, m, h, ffn, calls}};
}

std::vector<std::string> TpFusionLines(const workload::JobConfig& config,
                                       const workload::Prediction& prediction) {
  const int main = workload::MainBlockIndex(config);
  if (main < 0) return {};
  const workload::BlockConfig& block = config.blocks[static_cast<size_t>(main)];
  if (block.plan.tp <= 1) {
    return {
        "Will Flux-style fusion pay? Not applicable: the plan uses no tensor parallelism "
        "(TP = 1)."};
  }
  Result<overlap::FusionAdvice> advice = overlap::AdviseTpFusion(
      config.cluster.gpu.name, block.plan.tp, TpGemmsOf(block, prediction.microbatches));
  if (!advice.ok()) {
    return {"Will Flux-style fusion pay? No prediction: " + advice.status().message()};
  }
  return overlap::FormatFusionAdvice(*advice, prediction.step_time_s);
}

}  // namespace trainscope::cli
