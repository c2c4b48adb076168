// SPDX-License-Identifier: Apache-2.0
// Parameter, FLOP and memory formulas of model_math.h.
#include "workload/model_math.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace trainscope::workload {
namespace {

struct Widths {
  double h, q_dim, kv_dim, f, ef;
  bool swiglu;
};

Widths WidthsOf(const BlockConfig& b) {
  const double h = static_cast<double>(b.hidden);
  const double head_dim = HeadDim(b);
  return {h, b.heads * head_dim, KvHeads(b) * head_dim, static_cast<double>(FfnHidden(b)),
          static_cast<double>(b.expert_ffn_hidden > 0 ? b.expert_ffn_hidden : FfnHidden(b)),
          b.ffn_act == FfnAct::kSwiglu};
}

double MlpWeights(const Widths& w, double f) { return (w.swiglu ? 3.0 : 2.0) * w.h * f; }
double MlpBiases(const Widths& w, double f, bool bias) {
  return bias ? (w.swiglu ? 2.0 * f : f) + w.h : 0.0;
}
// Q and output projections (h x heads*head_dim each), K and V (h x kv_heads*head_dim each).
double AttnWeights(const Widths& w) { return 2 * w.h * w.q_dim + 2 * w.h * w.kv_dim; }

int MoeLayers(const BlockConfig& b) {
  if (b.kind != BlockKind::kMoe) return 0;
  return std::max(0, b.layers - b.first_dense_layers) / std::max(1, b.moe_layer_freq);
}

// Streams of a DiT layer: attention weights per stream, FFN copies (hybrid shares a fraction).
double AttnCopies(const BlockConfig& b) {
  return b.kind == BlockKind::kDit && b.streams != DitStreams::kSingle ? 2.0 : 1.0;
}
double FfnCopies(const BlockConfig& b) {
  if (b.kind != BlockKind::kDit) return 1.0;
  switch (b.streams) {
    case DitStreams::kSingle:
      return 1.0;
    case DitStreams::kDual:
      return 2.0;
    case DitStreams::kHybrid:
      return 2.0 - b.shared_ffn_fraction;
  }
  return 1.0;
}

// Cross-attention DiT (TextAttention::kCross): per layer a norm, Q and output projections on the
// stream's tokens, K and V projections on the text tokens (already projected to the DiT width).
bool CrossText(const BlockConfig& b) {
  return b.kind == BlockKind::kDit && b.text_attention == TextAttention::kCross;
}
double CrossAttnWeights(const Widths& w) { return 4 * w.h * w.h; }

}  // namespace

bool IsMla(const BlockConfig& b) { return b.kv_lora_rank > 0; }

double HeadDim(const BlockConfig& b) {
  return b.head_dim > 0 ? static_cast<double>(b.head_dim)
                        : static_cast<double>(b.hidden) / b.heads;
}
double QkHeadDim(const BlockConfig& b) {
  return b.qk_head_dim > 0 ? static_cast<double>(b.qk_head_dim) : HeadDim(b);
}
double VHeadDim(const BlockConfig& b) {
  return b.v_head_dim > 0 ? static_cast<double>(b.v_head_dim) : HeadDim(b);
}

double AttentionWeights(const BlockConfig& b) {
  const Widths w = WidthsOf(b);
  if (!IsMla(b)) return AttnWeights(w);
  // DeepSeek-V2 (arXiv 2405.04434) sec. 2.1: W_DQ, W_UQ (incl. RoPE queries), W_DKV + W_KR,
  // W_UK + W_UV, W_O.
  const double heads = b.heads, qk = QkHeadDim(b), v = VHeadDim(b);
  const double rope = static_cast<double>(b.rope_head_dim);
  const double q_lora = static_cast<double>(b.q_lora_rank);
  const double kv_lora = static_cast<double>(b.kv_lora_rank);
  const double q = q_lora > 0 ? w.h * q_lora + q_lora * heads * qk : w.h * heads * qk;
  return q + w.h * (kv_lora + rope) + kv_lora * heads * (qk - rope + v) + heads * v * w.h;
}

double AttentionCorePerPair(const BlockConfig& b) {
  return 2.0 * b.heads * (QkHeadDim(b) + VHeadDim(b));
}

ParamCounts CountParams(const BlockConfig& b) {
  const Widths w = WidthsOf(b);
  ParamCounts p;
  const double attn = AttentionWeights(b) + (b.bias ? w.q_dim + w.h + 2 * w.kv_dim : 0.0);
  const double norms = b.bias ? 4 * w.h : 2 * w.h;
  const double mlp = MlpWeights(w, w.f) + MlpBiases(w, w.f, b.bias);
  const double expert = MlpWeights(w, w.ef) + MlpBiases(w, w.ef, b.bias);
  const int moe_layers = MoeLayers(b);
  const int dense_layers = b.layers - moe_layers;
  const double cross = CrossText(b) ? CrossAttnWeights(w) + (b.bias ? 6 * w.h : w.h) : 0.0;
  const double common = (attn + norms + cross) * AttnCopies(b);
  p.per_layer_dense = common + mlp * FfnCopies(b);
  p.per_layer_expert = b.num_experts * expert;
  const double moe_common = common + b.shared_experts * expert + w.h * b.num_experts;
  p.total = dense_layers * p.per_layer_dense + moe_layers * (moe_common + p.per_layer_expert);
  p.active = dense_layers * p.per_layer_dense + moe_layers * (moe_common + b.top_k * expert);
  // Embeddings, heads and adapters.
  double embed = 0;
  const double final_norm = b.bias ? 2 * w.h : w.h;
  switch (b.kind) {
    case BlockKind::kDense:
    case BlockKind::kMoe:
      embed = static_cast<double>(b.vocab) * w.h * (b.tied_embeddings ? 1 : 2) + final_norm;
      break;
    case BlockKind::kVit: {
      embed = 3.0 * b.patch * b.patch * w.h + (b.bias ? w.h : 0) + final_norm;
      if (b.adapter_out > 0) {
        const double out = static_cast<double>(b.adapter_out);
        p.adapter = w.h * out + out * out + (b.bias ? 2 * out : 0);
      }
      break;
    }
    case BlockKind::kDit: {
      const double patch_dim =
          static_cast<double>(b.vae_channels) * b.patch_t * b.patch_h * b.patch_w;
      // Patch in/out, text projection, timestep MLP (256 -> h -> h) and one shared AdaSingle
      // modulation (h -> 6h).
      embed = 2 * patch_dim * w.h + static_cast<double>(b.text_dim) * w.h + 256 * w.h + w.h * w.h +
              6 * w.h * w.h + final_norm;
      break;
    }
  }
  p.embedding = embed + p.adapter;
  p.total += p.embedding;
  p.active += p.embedding;
  return p;
}

double DitSampleTokens(const BlockConfig& b, const SampleKind& kind) {
  const double latent_t =
      1.0 + std::floor(static_cast<double>(kind.frames > 1 ? kind.frames : 0) / b.vae_dt);
  const double t = std::ceil(latent_t / b.patch_t);
  const double hh = std::floor(static_cast<double>(kind.height) / b.vae_dh / b.patch_h);
  const double ww = std::floor(static_cast<double>(kind.width) / b.vae_dw / b.patch_w);
  return t * hh * ww + (CrossText(b) ? 0.0 : static_cast<double>(b.text_tokens));
}

double SequenceTokens(const BlockConfig& b) {
  if (b.kind == BlockKind::kDit) {
    double weight = 0, tokens = 0;
    for (const SampleKind& k : b.samples) {
      weight += k.weight;
      tokens += k.weight * DitSampleTokens(b, k);
    }
    return weight > 0 ? tokens / weight : 0;
  }
  if (b.kind == BlockKind::kVit) return static_cast<double>(b.image_vit_tokens);
  return static_cast<double>(b.seq_len);
}

std::vector<double> SampleWorkShares(const BlockConfig& b, std::vector<double>* weights) {
  std::vector<double> cost;
  if (b.kind != BlockKind::kDit) return cost;
  const LayerFlops lf = ForwardLayerFlopsPerToken(b);
  double mean = 0, wsum = 0;
  for (const SampleKind& k : b.samples) {
    const double s = DitSampleTokens(b, k);
    cost.push_back(s * (lf.gemm + 4 * s * static_cast<double>(b.hidden)));
    weights->push_back(k.weight);
    mean += k.weight * cost.back();
    wsum += k.weight;
  }
  for (double& c : cost) c /= mean / wsum;
  return cost;
}

namespace {

// Merges neighbouring support points pairwise (probability-weighted value) until at most `cap`.
std::vector<std::pair<double, double>> Compress(std::vector<std::pair<double, double>> dist,
                                                size_t cap) {
  while (dist.size() > cap) {
    std::vector<std::pair<double, double>> merged;
    for (size_t i = 0; i < dist.size(); i += 2) {
      if (i + 1 == dist.size()) {
        merged.push_back(dist[i]);
        break;
      }
      const double p = dist[i].second + dist[i + 1].second;
      const double v =
          p > 0 ? (dist[i].first * dist[i].second + dist[i + 1].first * dist[i + 1].second) / p
                : dist[i].first;
      merged.emplace_back(v, p);
    }
    dist = std::move(merged);
  }
  return dist;
}

}  // namespace

double ExpectedSlowestWork(const std::vector<double>& work, const std::vector<double>& weights,
                           int64_t microbatches, int64_t replicas) {
  double wsum = 0;
  for (double w : weights) wsum += w;
  if (work.empty() || wsum <= 0 || microbatches <= 0) return static_cast<double>(microbatches);
  std::vector<std::pair<double, double>> dist{{0.0, 1.0}};  // (sum, probability), sorted
  for (int64_t j = 0; j < microbatches; ++j) {
    std::map<double, double> next;
    for (const auto& [v, p] : dist) {
      for (size_t k = 0; k < work.size(); ++k) {
        // Sums equal up to rounding are one value.
        const double key = std::round((v + work[k]) * 1e9) / 1e9;
        next[key] += p * weights[k] / wsum;
      }
    }
    dist.assign(next.begin(), next.end());
    dist = Compress(std::move(dist), 4096);
  }
  double expected = 0, below = 0, f_prev = 0;
  const double n = static_cast<double>(std::max<int64_t>(1, replicas));
  for (const auto& [v, p] : dist) {
    below += p;
    const double f = std::pow(std::min(1.0, below), n);
    expected += v * (f - f_prev);
    f_prev = f;
  }
  return expected;
}

double AttentionContext(const BlockConfig& b) {
  if (b.kind == BlockKind::kDit) {
    double s1 = 0, s2 = 0;
    for (const SampleKind& k : b.samples) {
      const double s = DitSampleTokens(b, k);
      s1 += k.weight * s;
      s2 += k.weight * s * s;
    }
    return s1 > 0 ? s2 / s1 : 0;
  }
  if (b.kind == BlockKind::kVit) {
    // Block-diagonal attention over packed images: E[n^2]/E[n] = mean * (1 + cv^2).
    return static_cast<double>(b.image_vit_tokens) * (1 + b.image_tokens_cv * b.image_tokens_cv);
  }
  return static_cast<double>(b.seq_len);
}

LayerFlops ForwardLayerFlopsPerToken(const BlockConfig& b) {
  const Widths w = WidthsOf(b);
  const int moe_layers = MoeLayers(b);
  const int dense_layers = b.layers - moe_layers;
  // Each token passes one stream's weights, so DiT streams do not multiply the FLOPs.
  const double moe_mlp = (b.top_k + b.shared_experts) * MlpWeights(w, w.ef) + w.h * b.num_experts;
  const double mlp = (dense_layers * MlpWeights(w, w.f) + moe_layers * moe_mlp) / b.layers;
  LayerFlops f;
  f.gemm = 2 * (AttentionWeights(b) + mlp);
  f.attn_core_full = AttentionContext(b) * AttentionCorePerPair(b);
  if (CrossText(b)) {
    // Q and output projections per stream token; K and V once per text token, spread over the
    // sample's stream tokens; each stream token attends to every text token.
    const double text = static_cast<double>(b.text_tokens);
    const double stream = SequenceTokens(b);
    f.gemm += 2 * (2 * w.h * w.h + (stream > 0 ? 2 * w.h * w.h * text / stream : 0.0));
    f.attn_core_full += text * AttentionCorePerPair(b);
  }
  return f;
}

double LogitFlopsPerToken(const BlockConfig& b) {
  return b.vocab > 0 ? 2.0 * static_cast<double>(b.hidden) * static_cast<double>(b.vocab) : 0;
}

double MlaUpProjectionFlopsPerToken(const BlockConfig& b) {
  if (!IsMla(b)) return 0;
  const double heads = b.heads, qk = QkHeadDim(b), rope = static_cast<double>(b.rope_head_dim);
  return 2 * (static_cast<double>(b.q_lora_rank) * heads * qk +
              static_cast<double>(b.kv_lora_rank) * heads * (qk - rope + VHeadDim(b)));
}

StepFlops BlockStepFlops(const BlockConfig& b, double tokens, bool upstream_trainable,
                         bool attn_causal_skip) {
  const LayerFlops lf = ForwardLayerFlopsPerToken(b);
  const double logits = LogitFlopsPerToken(b);
  const double passes = b.frozen ? (upstream_trainable ? 2.0 : 1.0) : 3.0;
  StepFlops s;
  const auto fwd = [&](double attn) { return tokens * (b.layers * (lf.gemm + attn) + logits); };
  s.model_full = passes * fwd(lf.attn_core_full);
  s.model_causal = passes * fwd(lf.AttnCore(AttnConvention::kCausal, b.causal));
  const double attn_hw =
      attn_causal_skip ? lf.AttnCore(AttnConvention::kCausal, b.causal) : lf.attn_core_full;
  s.hardware = passes * fwd(attn_hw);
  if (passes > 1) {
    if (b.plan.recompute == Recompute::kFull) {
      s.hardware += tokens * b.layers * (lf.gemm + attn_hw);
    } else if (b.plan.recompute == Recompute::kSelective && !b.flash_attention) {
      s.hardware += tokens * b.layers * attn_hw;
    }
    // A flash backward recomputes the scores: 2.5x the forward core, not 2x (FlashAttention-2).
    if (b.flash_attention && passes == 3.0) s.hardware += 0.5 * tokens * b.layers * attn_hw;
    if (b.plan.recompute != Recompute::kFull && b.plan.recompute_mla_up_proj && IsMla(b)) {
      // MLA's up-projections again in the backward (recompute_modules: mla_up_proj).
      s.hardware += tokens * b.layers * MlaUpProjectionFlopsPerToken(b);
    }
    if (b.plan.recompute != Recompute::kFull && b.plan.recompute_layers > 0) {
      // Block recompute of recompute_layers of each rank's ceil(layers / pp) (whole forward but
      // the attention core selective recompute already redoes).
      const double share = std::min(
          1.0, b.plan.recompute_layers / std::ceil(static_cast<double>(b.layers) / b.plan.pp));
      const bool redone = b.plan.recompute == Recompute::kSelective && !b.flash_attention;
      const double attn = redone ? 0.0 : attn_hw;
      s.hardware += share * tokens * b.layers * (lf.gemm + attn);
    }
  }
  return s;
}

double StateBytesPerParam(DpMode mode, int d) {
  const double dd = std::max(1, d);
  switch (mode) {
    case DpMode::kDp:
      return 16;
    case DpMode::kZero1:
      return 4 + 12 / dd;
    case DpMode::kZero2:
      return 2 + 14 / dd;
    case DpMode::kZero3:
    case DpMode::kFsdp:
      return 16 / dd;
  }
  return 16;
}

namespace {

// Stored bytes per [token, h] element of one layer's sub-blocks (Korthikanti et al. 2022: 34 =
// attention 11 + MLP 19 + norms 4 for GPT), scaled to the stored widths. `lin` is the byte width
// of a linear layer's cached input (2 BF16, 1 FP8-cached); a recomputed norm stores no output.
struct StoredPerElement {
  double attn = 0, mlp = 0, norm_out = 0;
};

StoredPerElement StoredActivations(const BlockConfig& b, const Widths& w, bool fp8_cache) {
  const ParallelPlan& p = b.plan;
  const double lin = fp8_cache ? 1.0 : 2.0;
  const double mask = b.dropout ? 1.0 : 0.0;  // one 1-byte dropout mask per sub-block
  StoredPerElement e;
  e.norm_out = p.recompute_layernorm ? 0.0 : lin;  // the QKV and the MLP input
  if (IsMla(b)) {
    // MLA: the latents (inputs of the up-projections), the up-projected Q, K, V unless
    // recomputed, the attention output (flash backward and output projection).
    const double latents = static_cast<double>(b.q_lora_rank + b.kv_lora_rank + b.rope_head_dim);
    const double qkv = b.heads * (2 * QkHeadDim(b) + VHeadDim(b));
    e.attn = lin * latents / w.h + (p.recompute_mla_up_proj ? 0.0 : 2 * qkv / w.h) +
             2 * b.heads * VHeadDim(b) / w.h;
  } else {
    // Q and the attention output (heads x head_dim wide), K and V.
    e.attn = 4 * w.q_dim / w.h + 4 * w.kv_dim / w.h;
  }
  e.attn += e.norm_out + mask;
  // MLP: the activation's input (2f wide for SwiGLU) and the second GEMM's input per expert
  // copy; a MoE layer also keeps the top_k permuted copies of its tokens (the routed experts'
  // first-GEMM inputs; Megatron's dispatcher stores them).
  const double act_in = 2.0 * (w.swiglu ? 2 : 1);
  if (b.kind == BlockKind::kMoe) {
    // With moe_act recompute the experts keep only the activation's input, FP8-cached like
    // the Linear inputs (DeepSeek-V3 sec. 3.3.3).
    const double copies = b.top_k + b.shared_experts;
    const double fc2_in = p.recompute_moe_act ? 0.0 : lin;
    const double expert_act_in = p.recompute_moe_act ? act_in * lin / 2 : act_in;
    e.mlp = lin * b.top_k + copies * (expert_act_in + fc2_in) * w.ef / w.h;
  } else {
    e.mlp = (act_in + lin) * w.f / w.h;
  }
  e.mlp += e.norm_out + mask;
  return e;
}

}  // namespace

double LayerActivationBytes(const BlockConfig& b, double micro_tokens, bool fp8_cache) {
  const Widths w = WidthsOf(b);
  const ParallelPlan& p = b.plan;
  const double t = p.tp;
  const double tokens = micro_tokens / p.cp;  // CP divides the sequence
  const double sbh = tokens * w.h;
  if (p.recompute == Recompute::kFull) return 2 * sbh / (p.sp ? t : 1.0);
  if (p.recompute == Recompute::kOffload) return 2 * sbh / t;  // MLAC: only the live layer input
  const StoredPerElement e = StoredActivations(b, w, fp8_cache);
  const double mask = b.dropout ? 1.0 : 0.0;
  // Cross-attention sub-block: its norm input, Q, attention output and dropout mask.
  const double cross = CrossText(b) ? 6 + 2 + mask : 0.0;
  const double total = e.attn + e.mlp + 4 + cross;  // 4: the two norms' inputs
  // 5as/h: softmax input/output + dropout mask of the score matrix; only without a fused kernel
  // and without selective recompute.
  const bool store_scores = p.recompute == Recompute::kNone && !b.flash_attention;
  const double scores = store_scores ? 5 * b.heads * AttentionContext(b) / w.h : 0;
  if (p.sp || t == 1) return sbh / t * (total + scores);
  // Norm inputs, sub-block inputs, dropout masks (a cross-attention sub-block adds one of each).
  const double unsplit = 4 + 2 * e.norm_out + 2 * mask + (CrossText(b) ? 4 + mask : 0.0);
  return sbh * (unsplit + (total - unsplit) / t + scores / t);
}

double StageLayers(int layers, int pp, int rank) {
  const int base = layers / std::max(1, pp);
  const int extra = layers % std::max(1, pp);
  if (extra == 0) return base;
  // The pp - extra ranks with one layer fewer are those nearest the ends (Llama 3, arXiv
  // 2407.21783 sec. 3.3.2: "reduce one Transformer layer each from the first and the last
  // stages", so the embedding and the head do not make them the memory or time peak).
  const int from_end = std::min(rank, pp - 1 - rank);
  const int short_ranks = pp - extra;
  const bool is_short = 2 * from_end + (rank > from_end ? 1 : 0) < short_ranks;
  return base + (is_short ? 0 : 1);
}

double MicrobatchesInFlight(const ParallelPlan& p, int64_t microbatches, int rank) {
  if (p.pp == 1) return 1.0;
  if (p.schedule == PpSchedule::kDualPipe) {
    // pp + 1 microbatch-chunks at the peak (DeepSeek-V3, arXiv 2412.19437, Table 2), over the
    // rank's two stages.
    return static_cast<double>(std::min<int64_t>(microbatches, p.pp + 1)) / 2;
  }
  if (p.schedule == PpSchedule::kDualPipeV) {
    // 2 pp + 1 chunk passes of the 2 pp stages (deepseek-ai/DualPipe README), each chunk half
    // of the rank's layers.
    return static_cast<double>(std::min<int64_t>(2 * microbatches, 2 * p.pp + 1)) / 2;
  }
  if (p.schedule != PpSchedule::kInterleaved || p.vpp <= 1) {
    return static_cast<double>(std::min<int64_t>(microbatches, p.pp - rank));
  }
  // Megatron's interleaved warm-up, (p - r - 1) * 2 + (v - 1) * p chunk passes, plus the one in
  // its steady state; a chunk holds 1/v of the rank's layers.
  const double chunks = std::min<double>(static_cast<double>(microbatches) * p.vpp,
                                         (p.pp - rank - 1) * 2.0 + (p.vpp - 1.0) * p.pp + 1);
  return chunks / p.vpp;
}

namespace {

// Parameters of a block split into what every pipeline rank holds.
struct StageParams {
  double dense_layer = 0;   // one layer's non-expert weights on this TP rank
  double expert_layer = 0;  // one layer's expert weights on this EP/TP rank (averaged)
  double vocab_h = 0;       // embedding (or output layer) share on this TP rank
  double first_extra = 0, last_extra = 0;
};

StageParams SplitParams(const BlockConfig& b) {
  const ParallelPlan& p = b.plan;
  const ParamCounts pc = CountParams(b);
  const int moe_layers = MoeLayers(b);
  const double moe_share = b.layers > 0 ? static_cast<double>(moe_layers) / b.layers : 0;
  StageParams s;
  // Experts are split by EP (expert TP = 1) or, without EP, by TP.
  s.expert_layer = moe_share * pc.per_layer_expert / (p.ep > 1 ? p.ep : p.tp);
  s.dense_layer = (pc.total - pc.embedding - moe_layers * pc.per_layer_expert) / b.layers / p.tp;
  s.vocab_h = static_cast<double>(b.vocab) * static_cast<double>(b.hidden) / p.tp;
  s.first_extra = b.vocab > 0 ? s.vocab_h : pc.embedding / p.tp;
  const double vocab_copies = b.tied_embeddings ? 1.0 : 2.0;
  const double final_norm =
      b.vocab > 0 ? (pc.embedding - vocab_copies * s.vocab_h * p.tp) / p.tp : 0;
  s.last_extra = b.vocab > 0 ? s.vocab_h + final_norm : 0;
  return s;
}

double LiveBytes(const MemoryBreakdown& m) {
  return m.weights + m.grads + m.optimizer + m.activations + m.logits;
}

}  // namespace

LayerWeights LayerWeightsPerGpu(const BlockConfig& b) {
  const StageParams sp = SplitParams(b);
  return {sp.dense_layer, sp.expert_layer};
}

MemoryBreakdown BlockMemory(const BlockConfig& b, const JobConfig& job, int64_t microbatches) {
  const ParallelPlan& p = b.plan;
  const int dp = DataParallelSize(b, job.cluster.gpus);
  const StageParams sp = SplitParams(b);
  const double micro_tokens = SequenceTokens(b) * p.micro_batch;
  const bool fp8_cache = job.system.fp8_activation_cache;
  const double layer_act = LayerActivationBytes(b, micro_tokens, fp8_cache);
  BlockConfig full_copy = b;
  full_copy.plan.recompute = Recompute::kFull;
  const double full_act = LayerActivationBytes(full_copy, micro_tokens, fp8_cache);
  const auto states = [&](double params, int shards, MemoryBreakdown* m) {
    if (b.frozen) {
      m->weights += 2 * params;
      return;
    }
    const double d = std::max(1, shards);
    const bool sharded_w = p.dp_mode == DpMode::kZero3 || p.dp_mode == DpMode::kFsdp;
    m->weights += sharded_w ? 2 * params / d : 2 * params;
    m->grads +=
        p.dp_mode == DpMode::kDp || p.dp_mode == DpMode::kZero1 ? 2 * params : 2 * params / d;
    // FP32 master weights and Adam's two moments (optimizer_moment_bytes each).
    const double opt = (4 + 2 * job.system.optimizer_moment_bytes) * params;
    m->optimizer += p.dp_mode == DpMode::kDp ? opt : opt / d;
  };
  // other_end: the rank also holds the model's other end (DualPipe's ranks 0 and pp - 1).
  const auto stage = [&](int rank, bool other_end) {
    // DualPipeV's V puts the first and the last model stage on rank 0.
    const bool v_shape = p.schedule == PpSchedule::kDualPipeV;
    const bool first = rank == 0, last = v_shape ? rank == 0 : rank == p.pp - 1;
    // MTP modules sit with the output head: extra layers of the last stage, plus a [2h -> h]
    // projection each (the embedding and head are shared).
    const double mtp = last ? b.mtp_layers : 0;
    const double layers = StageLayers(b.layers, p.pp, rank) + mtp;
    MemoryBreakdown m;
    // A tied output layer shares the embedding when both sit on one rank.
    const bool shared = b.tied_embeddings && ((first && last) || (other_end && (first || last)));
    const double h = static_cast<double>(b.hidden);
    const double extra = (first ? sp.first_extra : 0) + (last ? sp.last_extra : 0) -
                         (shared ? sp.vocab_h : 0) + mtp * 2 * h * h / p.tp;
    const double dense = layers * sp.dense_layer, experts = layers * sp.expert_layer;
    m.params_on_rank = dense + experts + extra;
    const int shard = p.fsdp_shard > 0 ? std::min(p.fsdp_shard, dp) : dp;
    states(dense + extra, shard, &m);
    states(experts, ExpertDataParallelSize(b, job.cluster.gpus), &m);
    if (!b.frozen && (p.dp_mode == DpMode::kZero3 || p.dp_mode == DpMode::kFsdp)) {
      m.weights += 2 * 2 * sp.dense_layer;  // two layers gathered (current + prefetch)
      m.grads += 2 * sp.dense_layer;
    }
    const double recomputed = std::min<double>(p.recompute_layers, layers);
    m.activations = (layer_act * (layers - recomputed) + full_act * recomputed) *
                    MicrobatchesInFlight(p, microbatches, rank);
    if (last && b.vocab > 0) {
      m.logits = (1 + b.mtp_layers) * 4.0 * micro_tokens / p.cp * static_cast<double>(b.vocab) /
                 p.tp;
    }
    return m;
  };
  const bool dualpipe = p.schedule == PpSchedule::kDualPipe;
  // DualPipe: rank r holds stages r and pp - 1 - r (twice the parameters, Table 2 of the report).
  const auto rank_memory = [&](int rank) {
    MemoryBreakdown m = stage(rank, false);
    if (!dualpipe) return m;
    const MemoryBreakdown mirror = stage(p.pp - 1 - rank, /*other_end=*/true);
    m.weights += mirror.weights;
    m.grads += mirror.grads;
    m.optimizer += mirror.optimizer;
    m.activations += mirror.activations;
    m.logits += mirror.logits;
    m.params_on_rank += mirror.params_on_rank;
    return m;
  };
  MemoryBreakdown worst;
  for (int rank = 0; rank < p.pp; ++rank) {
    // Ranks past the second differ from it only by fewer microbatches in flight, except the last.
    if (!dualpipe && rank > 1 && rank < p.pp - 1 &&
        StageLayers(b.layers, p.pp, rank) <= StageLayers(b.layers, p.pp, rank - 1)) {
      continue;
    }
    MemoryBreakdown m = rank_memory(rank);
    if (rank == 0 || LiveBytes(m) > LiveBytes(worst)) {
      worst = m;
      worst.worst_stage = rank == 0          ? "first"
                          : rank == p.pp - 1 ? "last"
                                             : "rank " + std::to_string(rank);
    }
  }
  return worst;
}

}  // namespace trainscope::workload
