// SPDX-License-Identifier: Apache-2.0
// Closed-form counts of a training job: parameters, FLOPs, per-GPU memory and communication
// volumes (workloads brief section 2). No timing here: cost_model.h turns these into seconds.
//
// Conventions. FLOPs count 2 per multiply-add. "Model" FLOPs follow Megatron
// (Narayanan et al. 2021, eq. 3): forward + 2x backward, no recompute; attention scores and
// attention-times-values count the full s^2 ("full" convention, what Megatron's MFU uses) or
// half of it for causal blocks ("causal" convention, what a kernel that skips masked tiles does).
// "Hardware" FLOPs add the recomputed forward work. Memory follows Korthikanti et al. 2022
// (arXiv 2205.05198), section 4, generalised to GQA, SwiGLU and MoE by scaling the attention and
// MLP terms with the widths they store. All byte counts are per GPU.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workload/config.h"

namespace trainscope::workload {

struct ParamCounts {
  double total = 0;             // all weights of the block
  double active = 0;            // weights touched per token (MoE: top_k + shared experts)
  double per_layer_dense = 0;   // attention + dense MLP + norms of one layer
  double per_layer_expert = 0;  // routed expert weights of one MoE layer (all experts)
  double embedding = 0;         // token / patch / text embeddings + output layer + adapters
  double adapter = 0;           // ViT adapter (included in total, reported apart)
};

ParamCounts CountParams(const BlockConfig& block);

// Attention weights of one layer (no biases): 2h q_dim + 2h kv_dim (q_dim = heads x head_dim,
// kv_dim = kv_heads x head_dim), or multi-head latent attention's low-rank projections when
// kv_lora_rank > 0.
double AttentionWeights(const BlockConfig& block);
// Attention-core FLOPs per (query, key) pair: 2 heads (qk_head_dim + v_head_dim), 4 heads
// head_dim without MLA (4h when head_dim = hidden / heads).
double AttentionCorePerPair(const BlockConfig& block);
// Per-head widths: `head_dim` (default hidden / heads), or MLA's qk_head_dim / v_head_dim.
double HeadDim(const BlockConfig& block);
double QkHeadDim(const BlockConfig& block);
double VHeadDim(const BlockConfig& block);
// Multi-head latent attention (kv_lora_rank > 0).
bool IsMla(const BlockConfig& block);
// Forward FLOPs per token of MLA's up-projections (latents to per-head Q, K and V); 0 without MLA.
double MlaUpProjectionFlopsPerToken(const BlockConfig& block);

// One layer's weights on one GPU, averaged over the block's layers: the non-expert part (split by
// TP) and the experts (split by EP, or by TP without EP). FSDP gathers the first over the DP
// group and the second over the expert-data-parallel group (config.h, ExpertDataParallelSize).
struct LayerWeights {
  double dense = 0, expert = 0;
};
LayerWeights LayerWeightsPerGpu(const BlockConfig& block);

// Tokens of one sequence (LLM: seq_len; DiT: mean over the sample mix incl. text tokens).
double SequenceTokens(const BlockConfig& block);
// Attention context length per token under the "full" convention (E[s^2]/E[s] for mixes and
// packed images, seq_len otherwise).
double AttentionContext(const BlockConfig& block);
// DiT latent tokens of one sample kind: (1 + frames/dt)/pt * (H/dh/ph) * (W/dw/pw) + text.
double DitSampleTokens(const BlockConfig& block, const SampleKind& kind);

// Work of one sample of each DiT sample kind relative to the mix's mean (per-token GEMMs plus
// attention over the sample's own length); `weights` receives the kinds' shares. Empty for
// other blocks. The trace synthesiser draws per-microbatch work from exactly this.
std::vector<double> SampleWorkShares(const BlockConfig& block, std::vector<double>* weights);

// Expected work of the slowest of `replicas` data-parallel workers when each draws
// `microbatches` samples i.i.d. from (`work`, `weights`), in units of the mean sample's work:
// E[max_r sum_j w_rj]. Exact (the distribution of the sum by convolution, then
// sum x (F(x)^n - F(x-)^n)) while the sum has at most 4,096 distinct values; beyond that,
// neighbouring values are merged (probability-weighted), which moves the result by < 0.1%.
double ExpectedSlowestWork(const std::vector<double>& work, const std::vector<double>& weights,
                           int64_t microbatches, int64_t replicas);

enum class AttnConvention { kFull, kCausal };

// Forward FLOPs per token of one layer: GEMMs (2 x weights touched) and the attention core.
struct LayerFlops {
  double gemm = 0;
  double attn_core_full = 0;  // 4 * s_ctx * heads*head_dim
  double AttnCore(AttnConvention c, bool causal) const {
    return (c == AttnConvention::kCausal && causal) ? attn_core_full / 2 : attn_core_full;
  }
};
LayerFlops ForwardLayerFlopsPerToken(const BlockConfig& block);
// Logits GEMM per token (2 h V); 0 when the block has no vocabulary.
double LogitFlopsPerToken(const BlockConfig& block);

struct StepFlops {
  double model_full = 0;    // 3 x forward, full attention convention
  double model_causal = 0;  // 3 x forward, causal convention
  double hardware = 0;      // + recompute, attention as the kernel computes it
};
// FLOPs of one training step of `block` processing `tokens` tokens; `upstream_trainable` says
// whether a frozen block still needs its input gradients computed.
StepFlops BlockStepFlops(const BlockConfig& block, double tokens, bool upstream_trainable,
                         bool attn_causal_skip);

struct MemoryBreakdown {
  double weights = 0, grads = 0, optimizer = 0;  // model states
  double activations = 0;
  double logits = 0;
  double buffers = 0;
  double fragmentation = 0;
  double total = 0;
  double params_on_rank = 0;
  std::string worst_stage;  // "first", "last" or "rank N" (pipeline rank)
};

// Korthikanti activation bytes of one layer for one microbatch on one GPU.
double LayerActivationBytes(const BlockConfig& block, double micro_tokens, bool fp8_cache = false);
// Layers pipeline rank `rank` holds (all its chunks); a remainder goes to the middle ranks.
double StageLayers(int layers, int pp, int rank);
// Microbatches whose activations rank `rank` holds at its peak (1F1B and ZB-H1: min(m, p - r);
// interleaved: Megatron's warm-up chunks + 1, over v; DualPipe: (p + 1) / 2 for each of the
// rank's two stages).
double MicrobatchesInFlight(const ParallelPlan& plan, int64_t microbatches, int rank);
MemoryBreakdown BlockMemory(const BlockConfig& block, const JobConfig& job, int64_t microbatches);

// Communication of one step for one rank.
struct CommVolume {
  std::string name;        // e.g. "tp all-gather+reduce-scatter"
  std::string group;       // tp | cp | ep | pp | dp | dp-vit
  std::string collective;  // all-reduce | all-gather | reduce-scatter | all-to-all | p2p
  int group_size = 1;
  double bytes_per_rank = 0;  // bytes this rank sends per step
  double count = 0;           // collective calls per step
  double seconds = 0;         // transfer time on the critical path per step (filled by cost model)
};

// Bytes each parameter holds for a DP mode with d shards (brief 2.3).
double StateBytesPerParam(DpMode mode, int d);

}  // namespace trainscope::workload
