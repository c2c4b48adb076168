// SPDX-License-Identifier: Apache-2.0
// Per-layer kernel lists and their seconds (cost_model.h).
#include "workload/cost_model.h"

#include <algorithm>
#include <cmath>

namespace trainscope::workload {

std::string_view CollectiveName(Collective c) {
  switch (c) {
    case Collective::kAllReduce:
      return "all-reduce";
    case Collective::kAllGather:
      return "all-gather";
    case Collective::kReduceScatter:
      return "reduce-scatter";
    case Collective::kAllToAll:
      return "all-to-all";
    case Collective::kP2p:
      return "p2p";
  }
  return "?";
}

namespace {

Kernel MakeKernel(std::string name, KernelKind kind) {
  Kernel k;
  k.name = std::move(name);
  k.kind = kind;
  return k;
}

double NicPerGpu(const ClusterConfig& c) {
  return c.nics_per_node * c.nic_gbps * 1e9 / 8 / c.gpus_per_node * c.nic_bus_eff /
         std::max(1.0, c.oversubscription);
}
double NvlinkBus(const ClusterConfig& c) { return c.gpu.nvlink_bw * c.nvlink_bus_eff; }
bool InsideNode(const ClusterConfig& c, int size, int stride) {
  return static_cast<int64_t>(size) * stride <= c.gpus_per_node;
}
int MembersPerNode(const ClusterConfig& c, int size, int stride) {
  return std::clamp(c.gpus_per_node / std::max(1, stride), 1, size);
}

}  // namespace

double BusBandwidth(const ClusterConfig& c, int size, int stride) {
  if (InsideNode(c, size, stride)) return NvlinkBus(c);
  return std::min(NvlinkBus(c), MembersPerNode(c, size, stride) * NicPerGpu(c));
}

double CollectiveSeconds(const ClusterConfig& c, Collective kind, int size, int stride,
                         double bytes) {
  if (size <= 1 || bytes <= 0) return 0;
  const double n = size;
  const double latency = c.hop_latency_s;
  switch (kind) {
    case Collective::kAllReduce:
      return 2 * (n - 1) / n * bytes / BusBandwidth(c, size, stride) + 2 * (n - 1) * latency;
    case Collective::kAllGather:
    case Collective::kReduceScatter:
      return (n - 1) / n * bytes / BusBandwidth(c, size, stride) + (n - 1) * latency;
    case Collective::kAllToAll: {
      if (InsideNode(c, size, stride)) return (n - 1) / n * bytes / NvlinkBus(c) + n * latency;
      const double k = MembersPerNode(c, size, stride);
      const double remote = (n - k) / n * bytes / NicPerGpu(c);
      const double local = (k - 1) / n * bytes / NvlinkBus(c);
      return std::max(remote, local) + n * latency;
    }
    case Collective::kP2p: {
      const double bw = InsideNode(c, 2, stride) ? NvlinkBus(c) : NicPerGpu(c);
      return bytes / bw + latency;
    }
  }
  return 0;
}

double GemmSeconds(const GpuSpec& gpu, double m, double n, double k) {
  const double d = std::min({m, n, k});
  const double eff = gpu.gemm_eff_max * d / (d + gpu.gemm_half_dim);
  return 2 * m * n * k / (gpu.peak_flops * eff);
}

ElementwiseTraffic LayerElementwiseTraffic(const BlockConfig& b, const SystemConfig& s) {
  const bool swiglu = b.ffn_act == FfnAct::kSwiglu;
  ElementwiseTraffic t;
  if (s.elementwise == Elementwise::kFused) {
    const double e = s.elementwise_bytes_per_elem;
    t.pre_attention = 0.25 * e;
    t.mid = 0.5 * e;
    t.post_mlp = 0.25 * e;
    t.activation = swiglu ? 6 : 4;  // one fused kernel: read the input(s), write the output
    return t;
  }
  // Hugging Face transformers' eager modules, counted from modeling_llama.py (4.31-4.4x) in
  // bf16. SwiGLU blocks are the Llama family (RMSNorm, rotary); GELU blocks use nn.LayerNorm.
  // LlamaRMSNorm: to(fp32) 2+4, pow 4+4, mean 4, x * rsqrt 4+4, to(bf16) 4+2, weight * x 2+2.
  const double norm = swiglu ? 36 : 4;       // nn.LayerNorm: torch's one fused kernel
  const double residual = 6;                 // residual + x: read two, write one
  const double dropout = b.dropout ? 5 : 0;  // read, write, a one-byte mask
  t.pre_attention = norm;
  t.mid = residual + dropout + norm;
  t.post_mlp = residual + dropout;
  const double q = b.heads * QkHeadDim(b);
  const double kv = KvHeads(b) * QkHeadDim(b);
  const double v = KvHeads(b) * VHeadDim(b);
  const double out = b.heads * VHeadDim(b);
  // apply_rotary_pos_emb per Q and K element: rotate_half (neg on half 1+1, cat 2+2), q * cos
  // 2+2+2, rotate_half(q) * sin 2+2+2, sum 2+2+2.
  if (swiglu) t.attention_io += 24 * (q + kv);
  // FlashAttention-2 with a padding mask (_upad_input): Q, K, V gathered to the unpadded
  // layout (read + write), the output scattered back into zeros (pad_input: 2 + 2 + 2).
  if (b.flash_attention) t.attention_io += 4 * (q + kv + v) + 6 * out;
  t.activation = swiglu ? 10 : 4;  // act_fn(gate) 2+2, then * up 2+2+2
  return t;
}

namespace {

// Builds the forward kernels of one layer. `tokens` are this rank's tokens (after CP).
class LayerBuilder {
 public:
  LayerBuilder(const BlockConfig& b, const JobConfig& job, double micro_tokens)
      : b_(b), job_(job), p_(b.plan), gpu_(job.cluster.gpu) {
    t_ = p_.tp;
    tokens_ = micro_tokens / p_.cp;
    h_ = static_cast<double>(b.hidden);
    kv_dim_ = KvHeads(b) * HeadDim(b);
    q_dim_ = b.heads * HeadDim(b);
    sp_tokens_ = p_.sp ? tokens_ / t_ : tokens_;
    ew_ = LayerElementwiseTraffic(b, job.system);
    gemm_gpu_ = gpu_;
    if (job.system.fp8_gemm && gpu_.fp8_peak_flops > 0) {
      // DeepSeek-V3 (arXiv 2412.19437 sec. 3.3): linear layers in FP8 (forward, dgrad, wgrad);
      // embedding, output head, router, norms and attention cores stay in BF16.
      gemm_gpu_.peak_flops = gpu_.fp8_peak_flops;
      gemm_gpu_.gemm_eff_max = gpu_.fp8_gemm_eff_max;
    }
  }

  void Gemm(std::vector<Kernel>* out, const char* name, double m, double k, double n,
            bool bf16 = false) {
    Kernel kern = MakeKernel(name, KernelKind::kGemm);
    kern.seconds = GemmSeconds(bf16 ? gpu_ : gemm_gpu_, m, n, k);
    kern.flops = 2 * m * n * k;
    out->push_back(kern);
  }
  // Norm / dropout / residual kernels on [tokens, h]: split by TP only with SP.
  void Elementwise(std::vector<Kernel>* out, const char* name, double bytes_per_elem) {
    Kernel kern = MakeKernel(name, KernelKind::kElementwise);
    kern.seconds = bytes_per_elem * sp_tokens_ * h_ / gpu_.hbm_bw;
    out->push_back(kern);
  }
  // Rotary and attention packing on this rank's heads (eager kernels only).
  void AttentionIo(std::vector<Kernel>* out) {
    if (ew_.attention_io <= 0) return;
    Kernel kern = MakeKernel("rotary_packing", KernelKind::kElementwise);
    kern.seconds = ew_.attention_io * tokens_ / t_ / gpu_.hbm_bw;
    out->push_back(kern);
  }
  // Activation function on [tokens, width/t].
  void Activation(std::vector<Kernel>* out, const char* name, double width) {
    Kernel kern = MakeKernel(name, KernelKind::kElementwise);
    kern.seconds = ew_.activation * tokens_ * width / t_ / gpu_.hbm_bw;
    out->push_back(kern);
  }
  void Comm(std::vector<Kernel>* out, const char* name, Collective c, const char* group, int size,
            int stride, double bytes, double hidden_share) {
    if (size <= 1) return;
    Kernel kern = MakeKernel(name, KernelKind::kComm);
    kern.collective = c;
    kern.group = group;
    kern.group_size = size;
    kern.bytes = bytes;
    kern.seconds = CollectiveSeconds(job_.cluster, c, size, stride, bytes);
    kern.exposed = kern.seconds * (1 - hidden_share);
    out->push_back(kern);
  }
  double TpHidden() const { return p_.tp_overlap ? job_.system.tp_overlap_fraction : 0.0; }
  // TP entry/exit of a sub-block (attention or MLP): AG/RS with SP, else all-reduce after.
  void TpEnter(std::vector<Kernel>* out) {
    if (p_.sp)
      Comm(out, "tp_all_gather", Collective::kAllGather, "tp", t_, 1, 2 * tokens_ * h_, TpHidden());
  }
  void TpExit(std::vector<Kernel>* out) {
    if (p_.sp) {
      Comm(out, "tp_reduce_scatter", Collective::kReduceScatter, "tp", t_, 1, 2 * tokens_ * h_,
           TpHidden());
    } else {
      Comm(out, "tp_all_reduce", Collective::kAllReduce, "tp", t_, 1, 2 * tokens_ * h_, TpHidden());
    }
  }

  double AttnFlops() const {
    const bool skip = b_.flash_attention && b_.causal;
    return tokens_ * AttentionContext(b_) * AttentionCorePerPair(b_) / t_ * (skip ? 0.5 : 1.0);
  }
  void Attention(std::vector<Kernel>* out) {
    Kernel kern = MakeKernel("attention_core", KernelKind::kAttention);
    kern.flops = AttnFlops();
    const bool fa3 = b_.flash_attention && b_.flash_version == 3 && gpu_.attn_eff_fa3 > 0;
    double eff = fa3 ? gpu_.attn_eff_fa3 : gpu_.attn_eff;
    // Unfused attention also streams the a*s^2 score matrix through HBM (softmax, dropout).
    kern.seconds = kern.flops / (gpu_.peak_flops * eff);
    if (!b_.flash_attention) {
      kern.seconds += 6.0 * b_.heads / t_ * tokens_ * AttentionContext(b_) * 2 / gpu_.hbm_bw;
    }
    out->push_back(kern);
  }

  // Cross-attention sub-block of a DiT reading its text (Wan 2.1): Q from this rank's tokens, K
  // and V from the microbatch's text tokens (every CP rank holds all of them, so no CP traffic),
  // heads split by TP; entered and left like the other sub-blocks.
  void CrossAttention(std::vector<Kernel>* out) {
    const double text = static_cast<double>(b_.text_tokens) * p_.micro_batch;
    TpEnter(out);
    Gemm(out, "cross_q_gemm", tokens_, h_, h_ / t_);
    Gemm(out, "cross_kv_gemm", text, h_, 2 * h_ / t_);
    Kernel kern = MakeKernel("cross_attention_core", KernelKind::kAttention);
    kern.flops = tokens_ * static_cast<double>(b_.text_tokens) * AttentionCorePerPair(b_) / t_;
    const bool fa3 = b_.flash_attention && b_.flash_version == 3 && gpu_.attn_eff_fa3 > 0;
    kern.seconds = kern.flops / (gpu_.peak_flops * (fa3 ? gpu_.attn_eff_fa3 : gpu_.attn_eff));
    out->push_back(kern);
    Gemm(out, "cross_out_gemm", tokens_, h_ / t_, h_);
    TpExit(out);
  }

  void Forward(std::vector<Kernel>* out, bool attention_only = false) {
    const int cp = p_.cp;
    Elementwise(out, "norm_rope", ew_.pre_attention);
    TpEnter(out);
    const double attn_out_width = b_.heads * VHeadDim(b_);
    Gemm(out, "qkv_gemm", tokens_, h_, (AttentionWeights(b_) - attn_out_width * h_) / h_ / t_);
    if (cp > 1 && p_.cp_kind == CpKind::kUlysses) {
      Comm(out, "cp_all_to_all_qkv", Collective::kAllToAll, "cp", cp, t_,
           2 * tokens_ * (q_dim_ + 2 * kv_dim_) / t_, 0);
    }
    if (cp > 1 && p_.cp_kind == CpKind::kAllGather) {
      // Llama 3 (arXiv 2407.21783 sec. 3.3.2): K and V of the whole sequence are all-gathered
      // before the local queries' attention, not overlapped (small with GQA); the backward
      // reduce-scatters their gradients.
      Comm(out, "cp_all_gather_kv", Collective::kAllGather, "cp", cp, t_,
           cp * 2 * 2 * tokens_ * kv_dim_ / t_, 0);
    }
    AttentionIo(out);
    Attention(out);
    if (cp > 1 && p_.cp_kind == CpKind::kRing) {
      // c-1 KV exchanges overlapped with the attention blocks: only the excess is exposed.
      // A copy: Comm appends to `out`, which may move its kernels.
      const double attn_s = out->back().seconds;
      const double kv_bytes = 2 * 2 * tokens_ * kv_dim_ / t_;
      const double ring =
          (cp - 1) * CollectiveSeconds(job_.cluster, Collective::kP2p, 2, t_, kv_bytes);
      Comm(out, "cp_ring_kv", Collective::kP2p, "cp", cp, t_, (cp - 1) * kv_bytes, 1.0);
      out->back().seconds = ring;
      out->back().exposed = std::max(0.0, ring - attn_s);
    }
    if (cp > 1 && p_.cp_kind == CpKind::kUlysses) {
      Comm(out, "cp_all_to_all_out", Collective::kAllToAll, "cp", cp, t_, 2 * tokens_ * q_dim_ / t_,
           0);
    }
    if (attention_only) return;
    Gemm(out, "attn_out_gemm", tokens_, attn_out_width / t_, h_);
    if (b_.kind == BlockKind::kDit && b_.text_attention == TextAttention::kCross) {
      TpExit(out);
      Elementwise(out, "residual_norm", ew_.mid);
      CrossAttention(out);
      Elementwise(out, "cross_residual_norm", ew_.mid);
      TpEnter(out);
    } else if (!job_.system.parallel_block) {
      TpExit(out);
      Elementwise(out, "residual_norm", ew_.mid);
      if (MlpUsesTp()) TpEnter(out);
    }
    Mlp(out);
    if (MlpUsesTp() || job_.system.parallel_block) TpExit(out);
    Elementwise(out, "residual_dropout", ew_.post_mlp);
  }

  // Megatron Core's all-to-all dispatcher (token_dispatcher.py, MoEAlltoAllTokenDispatcher)
  // gathers each token's routed copies into expert order before the all-to-all and, with more
  // than one local expert, sorts the received rows by local expert after it; the combine
  // reverses both and sums each token's copies. Rows of h bf16 values, read and written:
  // permute 2 x routed, unpermute routed + local, sorts 2 x 2 x received. DeepEP does this
  // inside its dispatch and combine kernels.
  void TokenPermutation(std::vector<Kernel>* out, double local, double routed, double received,
                        double local_experts) {
    if (b_.dispatcher == MoeDispatcher::kDeepEp) return;
    const double rows = 3 * routed + local + (local_experts > 1 ? 4 * received : 0);
    Kernel kern = MakeKernel("moe_permute", KernelKind::kElementwise);
    kern.seconds = rows * h_ * 2 / gpu_.hbm_bw;
    kern.mirrored_backward = true;
    out->push_back(kern);
  }

  // Routed experts are not TP-split when EP > 1 (expert TP 1): each TP rank dispatches its own
  // sequence-parallel tokens, so the MoE MLP has no TP gather or scatter around it (Megatron
  // Core's all-to-all dispatcher gathers over TP only for expert TP > 1). TP-split shared
  // experts still need them.
  bool MlpUsesTp() const {
    return !(b_.kind == BlockKind::kMoe && p_.ep > 1 && b_.shared_experts == 0);
  }

  void Mlp(std::vector<Kernel>* out) {
    const bool swiglu = b_.ffn_act == FfnAct::kSwiglu;
    if (b_.kind == BlockKind::kMoe) {
      const int ep = p_.ep;
      const double local = sp_tokens_;  // tokens enter the MoE layer split by SP
      const double routed = local * b_.top_k;
      const double ef =
          static_cast<double>(b_.expert_ffn_hidden > 0 ? b_.expert_ffn_hidden : FfnHidden(b_));
      Gemm(out, "router_gemm", local, h_, b_.num_experts, /*bf16=*/true);
      const int ep_stride = EpRankStride(b_, job_.cluster.gpus);
      // Node-limited routing (DeepSeek-V3 sec. 3.2.2): a token crosses to at most route_nodes
      // nodes once each and is forwarded inside them over NVLink; FP8 training dispatches FP8.
      const double copies = b_.route_nodes > 0 ? std::min<double>(b_.top_k, b_.route_nodes)
                                               : static_cast<double>(b_.top_k);
      const double load = SlowestRankLoad(b_);
      const double sent = local * copies * h_ * load;
      const double dispatch_bytes = gemm_gpu_.peak_flops > gpu_.peak_flops ? 1.0 : 2.0;
      TokenPermutation(out, local, routed, routed * load, ep > 1 ? LocalExperts(b_) : 1);
      Comm(out, "ep_dispatch_all_to_all", Collective::kAllToAll, "ep", ep, ep_stride,
           dispatch_bytes * sent, 0);
      const double m_expert = routed * load;
      const double per_expert_m = m_expert * ep / b_.num_experts;
      const double shard = ep > 1 ? 1.0 : t_;
      const double local_experts = LocalExperts(b_);
      const double n1 = (swiglu ? 2 : 1) * ef / shard;
      Kernel fc1 = MakeKernel("expert_fc1_gemm", KernelKind::kGemm);
      fc1.flops = 2 * m_expert * h_ * n1;
      fc1.seconds = local_experts * GemmSeconds(gemm_gpu_, per_expert_m, n1, h_);
      out->push_back(fc1);
      Activation(out, "expert_act", ef * b_.top_k * load * t_ / shard);
      Kernel fc2 = MakeKernel("expert_fc2_gemm", KernelKind::kGemm);
      fc2.flops = 2 * m_expert * ef / shard * h_;
      fc2.seconds = local_experts * GemmSeconds(gemm_gpu_, per_expert_m, h_, ef / shard);
      out->push_back(fc2);
      Comm(out, "ep_combine_all_to_all", Collective::kAllToAll, "ep", ep, ep_stride, 2 * sent, 0);
      if (b_.shared_experts > 0) {
        Gemm(out, "shared_fc1_gemm", local, h_, (swiglu ? 2 : 1) * ef * b_.shared_experts);
        Gemm(out, "shared_fc2_gemm", local, ef * b_.shared_experts, h_);
      }
      return;
    }
    const double f = static_cast<double>(FfnHidden(b_));
    Gemm(out, "fc1_gemm", tokens_, h_, (swiglu ? 2 : 1) * f / t_);
    Activation(out, "activation", f);
    Gemm(out, "fc2_gemm", tokens_, f / t_, h_);
  }

  double tokens() const { return tokens_; }
  double h() const { return h_; }
  // FLOP/s of a large GEMM in the linear layers' precision.
  double GemmRate() const { return gemm_gpu_.peak_flops * gemm_gpu_.gemm_eff_max; }

 private:
  const BlockConfig& b_;
  const JobConfig& job_;
  const ParallelPlan& p_;
  const GpuSpec& gpu_;
  GpuSpec gemm_gpu_;  // the GEMM precision's peak and efficiency (FP8 or BF16)
  int t_ = 1;
  double tokens_ = 0, h_ = 0, q_dim_ = 0, kv_dim_ = 0, sp_tokens_ = 0;
  ElementwiseTraffic ew_;
};

double CriticalPath(const std::vector<Kernel>& kernels) {
  double s = 0;
  for (const Kernel& k : kernels) s += k.kind == KernelKind::kComm ? k.exposed : k.seconds;
  return s;
}

// Backward of a kernel list: compute x2 (dgrad + wgrad; frozen: dgrad only), comm mirrored.
// A fused (flash) attention core's backward recomputes the scores: 5 matmuls against the
// forward's 2, 2.5x its FLOPs (Dao 2023, FlashAttention-2, sec. 4).
constexpr double kFlashBackwardFactor = 2.5;

void AppendBackward(const std::vector<Kernel>& fwd, bool frozen, double bwd_eff, bool flash,
                    std::vector<Kernel>* out) {
  for (auto it = fwd.rbegin(); it != fwd.rend(); ++it) {
    Kernel k = *it;
    k.name += "_bwd";
    if (k.kind == KernelKind::kComm) {
      if (k.collective == Collective::kAllGather) {
        k.collective = Collective::kReduceScatter;
      } else if (k.collective == Collective::kReduceScatter) {
        k.collective = Collective::kAllGather;
      }
    } else {
      double factor = (k.kind == KernelKind::kGemm && frozen) || k.mirrored_backward ? 1.0 : 2.0;
      if (k.kind == KernelKind::kAttention && flash) factor = kFlashBackwardFactor;
      k.seconds *= factor / bwd_eff;
      k.flops *= factor;
    }
    out->push_back(k);
  }
}

// TP comm overlapped with GEMMs (tp_overlap: Megatron's userbuffers, Wang et al. ASPLOS'23) runs
// under the GEMM that consumes the all-gathered input or produces the reduce-scattered output:
// it can hide at most that GEMM's time. With fast (FP8) GEMMs and wide TP the collective outlasts
// its GEMM and the rest shows. An all-gather overlaps the next GEMM in the list, a
// reduce-scatter or all-reduce the previous one (mirrored in the backward list).
void CapTpOverlapByGemm(std::vector<Kernel>* list) {
  const auto is_tp_comm = [](const Kernel& k) {
    return k.kind == KernelKind::kComm && k.group == "tp";
  };
  const long n = static_cast<long>(list->size());
  // The first GEMM from `from` in direction `step`, before another TP collective; 0 if none.
  const auto gemm_seconds = [&](long from, long step) {
    for (long i = from; i >= 0 && i < n; i += step) {
      const Kernel& k = (*list)[static_cast<size_t>(i)];
      if (k.kind == KernelKind::kGemm) return k.seconds;
      if (is_tp_comm(k)) break;
    }
    return 0.0;
  };
  for (long i = 0; i < n; ++i) {
    Kernel& k = (*list)[static_cast<size_t>(i)];
    if (!is_tp_comm(k) || k.exposed >= k.seconds) continue;
    const bool gather = k.collective == Collective::kAllGather;
    const double gemm = gather ? gemm_seconds(i + 1, 1) : gemm_seconds(i - 1, -1);
    k.exposed = std::max(k.exposed, k.seconds - gemm);
  }
}

// The weight-gradient half of the backward GEMMs AppendBackward made (dgrad and wgrad cost the
// same FLOPs); a frozen block computes none.
double WeightGradSeconds(const std::vector<Kernel>& layer_bwd, bool frozen) {
  if (frozen) return 0;
  double s = 0;
  for (const Kernel& k : layer_bwd) {
    if (k.kind == KernelKind::kGemm && k.name.ends_with("_bwd")) s += k.seconds / 2;
  }
  return s;
}

// Selective recompute redoes the attention core unless the kernel is fused: a flash backward
// recomputes its scores itself (kFlashBackwardFactor), nothing is stored to recompute.
bool SelectiveRecomputesAttention(const BlockConfig& b) {
  return b.plan.recompute == Recompute::kSelective && !b.flash_attention;
}

// Megatron Core's --recompute-modules: the norms, MLA's up-projections and the experts'
// activation run again in the backward (their outputs were not stored).
void AddRecomputeModules(const BlockConfig& b, const LayerBuilder& builder, BlockTiming* timing) {
  const ParallelPlan& p = b.plan;
  for (Kernel k : timing->layer_fwd) {
    const bool norm = p.recompute_layernorm && (k.name == "norm_rope" || k.name == "residual_norm");
    const bool act = p.recompute_moe_act && k.name == "expert_act";
    if (!norm && !act) continue;
    k.name = "recompute_" + k.name;
    timing->layer_bwd.push_back(k);
  }
  if (p.recompute_mla_up_proj && IsMla(b)) {
    Kernel k = MakeKernel("recompute_mla_up_proj", KernelKind::kGemm);
    k.flops = builder.tokens() * MlaUpProjectionFlopsPerToken(b) / p.tp;
    k.seconds = k.flops / builder.GemmRate();
    timing->layer_bwd.push_back(k);
  }
}

// The backward's recomputation: the whole forward again (full) or its attention core
// (selective) and the recompute modules, ahead of the backward kernels.
void AddRecompute(const BlockConfig& b, LayerBuilder& builder, BlockTiming* timing) {
  if (b.plan.recompute == Recompute::kFull) {
    for (Kernel k : timing->layer_fwd) {
      k.name = "recompute_" + k.name;
      timing->layer_bwd.push_back(k);
    }
    return;
  }
  AddRecomputeModules(b, builder, timing);
  if (b.plan.recompute_layers > 0) {
    // Block recompute: recompute_layers of the rank's ceil(layers / pp) redo their forward; the
    // per-layer kernels carry that share (the attention core of a selective layer is below).
    const double share = std::min(
        1.0, b.plan.recompute_layers / std::ceil(static_cast<double>(b.layers) / b.plan.pp));
    for (Kernel k : timing->layer_fwd) {
      if (SelectiveRecomputesAttention(b) && k.kind == KernelKind::kAttention) continue;
      k.name = "recompute_block_" + k.name;
      k.seconds *= share;
      k.exposed *= share;
      k.flops *= share;
      k.share *= share;
      timing->layer_bwd.push_back(k);
    }
  }
  if (SelectiveRecomputesAttention(b)) {
    std::vector<Kernel> attn;
    builder.Forward(&attn, /*attention_only=*/true);
    for (Kernel& k : attn) {
      if (k.kind == KernelKind::kAttention) {
        k.name = "recompute_attention_core";
        timing->layer_bwd.push_back(k);
      }
    }
  }
}

// FSDP (ZeRO-3): gather the next layer's weights while this one computes (prefetch); backward
// gathers again and reduce-scatters the gradients. Only what the layer's compute cannot hide
// shows.
void AddFsdpLayerComm(const BlockConfig& b, const JobConfig& job, BlockTiming* timing) {
  const ClusterConfig& cl = job.cluster;
  const int dp_layer = DataParallelSize(b, cl.gpus);
  const int shard_layer = b.plan.fsdp_shard > 0 ? std::min(b.plan.fsdp_shard, dp_layer) : dp_layer;
  if (b.frozen || shard_layer <= 1 ||
      (b.plan.dp_mode != DpMode::kZero3 && b.plan.dp_mode != DpMode::kFsdp)) {
    return;
  }
  // Experts are sharded over the expert-data-parallel group (the ranks holding the same
  // experts: config.h, ExpertDataParallelSize); gathering every expert of the layer over all of
  // DP would move EP x the bytes (DeepSeek-V3 at EP 64: 22 GB per layer instead of 0.2 GB).
  const LayerWeights w = LayerWeightsPerGpu(b);
  const int shard_expert = ExpertDataParallelSize(b, job.cluster.gpus);
  struct Part {
    double bytes;
    int group;
    int stride;  // rank distance within the group
  };
  const Part parts[2] = {{2 * w.dense, shard_layer, b.plan.tp * b.plan.cp},
                        {2 * w.expert, shard_expert, ExpertDataParallelStride(b)}};
  const auto add = [&](std::vector<Kernel>* list, const char* name, Collective kind,
                       double bytes_scale) {
    double seconds = 0;
    for (const Part& part : parts) {
      if (part.group <= 1 || part.bytes <= 0) continue;
      Kernel k = MakeKernel(name, KernelKind::kComm);
      k.collective = kind;
      k.group = "dp";
      k.group_size = part.group;
      k.bytes = part.bytes * bytes_scale;
      k.seconds = CollectiveSeconds(cl, kind, part.group, part.stride, k.bytes);
      seconds += k.seconds;
      list->push_back(k);
    }
    return seconds;
  };
  const double fwd_compute = CriticalPath(timing->layer_fwd);
  const double bwd_compute = CriticalPath(timing->layer_bwd);
  const size_t fwd_first = timing->layer_fwd.size();
  const double gather = add(&timing->layer_fwd, "fsdp_all_gather", Collective::kAllGather, 1.0);
  // Only what the layer's compute cannot hide shows, spread over the kernels by their time.
  const auto expose = [](std::vector<Kernel>* list, size_t first, double comm, double compute) {
    const double shown = comm > 0 ? std::max(0.0, comm - compute) / comm : 0.0;
    for (size_t i = first; i < list->size(); ++i) (*list)[i].exposed = (*list)[i].seconds * shown;
  };
  expose(&timing->layer_fwd, fwd_first, gather, fwd_compute);
  const size_t bwd_first = timing->layer_bwd.size();
  double comm = add(&timing->layer_bwd, "fsdp_all_gather_bwd", Collective::kAllGather, 1.0);
  comm += add(&timing->layer_bwd, "fsdp_reduce_scatter", Collective::kReduceScatter,
              job.system.grad_reduce_bytes / 2);
  expose(&timing->layer_bwd, bwd_first, comm, bwd_compute);
}

// Offloaded activations (what selective recompute would keep) go to host memory during the
// forward and come back during the backward, overlapped with the layer's compute.
void AddActivationOffload(const BlockConfig& b, const JobConfig& job, double micro_tokens,
                          BlockTiming* timing) {
  if (b.plan.recompute != Recompute::kOffload || b.frozen) return;
  BlockConfig kept = b;
  kept.plan.recompute = Recompute::kSelective;
  const double bytes = LayerActivationBytes(kept, micro_tokens);
  const double fwd_compute = CriticalPath(timing->layer_fwd);
  const double bwd_compute = CriticalPath(timing->layer_bwd);
  Kernel out = MakeKernel("offload_d2h", KernelKind::kComm);
  out.collective = Collective::kP2p;
  out.group = "host";
  out.bytes = bytes;
  out.seconds = bytes / job.cluster.gpu.pcie_bw;
  out.exposed = std::max(0.0, out.seconds - fwd_compute);
  timing->layer_fwd.push_back(out);
  Kernel in = out;
  in.name = "prefetch_h2d";
  in.exposed = std::max(0.0, in.seconds - bwd_compute);
  timing->layer_bwd.insert(timing->layer_bwd.begin(), in);
}

// Expert all-to-all overlapped with compute (DualPipe, arXiv 2412.19437 sec. 3.2.1: a forward
// chunk's dispatch/combine runs under another chunk's computation): only what the layer's
// compute cannot cover shows, shared over the all-to-all kernels.
// Compute kernels run on the SMs the comm kernels leave (comm_sm_share).
void HideExpertAllToAll(double comm_sm_share, std::vector<Kernel>* list) {
  const double slowdown = 1.0 / std::max(0.05, 1.0 - comm_sm_share);
  for (Kernel& k : *list) {
    if (k.kind != KernelKind::kComm) k.seconds *= slowdown;
  }
  double a2a = 0, compute = 0;
  for (const Kernel& k : *list) {
    if (k.kind == KernelKind::kComm && k.group == "ep") {
      a2a += k.seconds;
    } else if (k.kind != KernelKind::kComm) {
      compute += k.seconds;
    }
  }
  if (a2a <= 0) return;
  const double shown = std::max(0.0, a2a - compute) / a2a;
  for (Kernel& k : *list) {
    if (k.kind == KernelKind::kComm && k.group == "ep") k.exposed = k.seconds * shown;
  }
}

// LM head and embedding of a block with a vocabulary.
void AddHeadAndEmbedding(const BlockConfig& b, const GpuSpec& gpu, double tokens, double h,
                         BlockTiming* timing) {
  if (b.vocab <= 0) return;
  const ParallelPlan& p = b.plan;
  const double v = static_cast<double>(b.vocab);
  timing->head_fwd_s = GemmSeconds(gpu, tokens, v / p.tp, h) +
                       3 * 4 * tokens * v / p.tp / gpu.hbm_bw;  // fp32 softmax + loss
  timing->head_bwd_s = 2 * timing->head_fwd_s;
  timing->head_wgrad_s = b.frozen ? 0.0 : GemmSeconds(gpu, tokens, v / p.tp, h);
  timing->embed_fwd_s = 4 * tokens * h / gpu.hbm_bw;
  timing->embed_bwd_s = 2 * timing->embed_fwd_s;
}

// DeepSeek-V3's MTP module (sec. 2.2): the next token's embedding joins the last hidden state,
// [2h -> h] projection, one layer like the block's, the shared output head and its loss. In BF16
// like the head (the projection is small); the layer as timed for the block.
void AddMultiTokenPrediction(const BlockConfig& b, const GpuSpec& gpu, double tokens, double h,
                             BlockTiming* timing) {
  if (b.mtp_layers <= 0) return;
  const double proj = GemmSeconds(gpu, tokens, h / b.plan.tp, 2 * h);
  const double d = b.mtp_layers;
  timing->mtp_fwd_s =
      d * (timing->layer_fwd_s + proj + timing->head_fwd_s + timing->embed_fwd_s);
  timing->mtp_bwd_s =
      d * (timing->layer_bwd_s + 2 * proj + timing->head_bwd_s + timing->embed_bwd_s);
  timing->mtp_wgrad_s =
      b.frozen ? 0.0 : d * (timing->layer_wgrad_s + proj + timing->head_wgrad_s);
}

// Gradient and parameter traffic of the data-parallel mode per step, and the optimizer step.
void AddDataParallelAndOptimizer(const BlockConfig& b, const JobConfig& job, int dp_size,
                                 const MemoryBreakdown& mem, BlockTiming* timing) {
  if (b.frozen) return;
  const ClusterConfig& c = job.cluster;
  const ParallelPlan& p = b.plan;
  const double grad_bytes = job.system.grad_reduce_bytes * mem.params_on_rank;
  const int stride = p.tp * p.cp;
  switch (p.dp_mode) {
    case DpMode::kDp:
      timing->dp_grad_s = CollectiveSeconds(c, Collective::kAllReduce, dp_size, stride, grad_bytes);
      break;
    case DpMode::kZero1:
    case DpMode::kZero2:
      timing->dp_grad_s =
          CollectiveSeconds(c, Collective::kReduceScatter, dp_size, stride, grad_bytes);
      timing->dp_param_s =
          CollectiveSeconds(c, Collective::kAllGather, dp_size, stride, 2 * mem.params_on_rank);
      break;
    case DpMode::kZero3:
    case DpMode::kFsdp: {
      const int shard = p.fsdp_shard > 0 ? std::min(p.fsdp_shard, dp_size) : dp_size;
      // Layer-wise reduce-scatter is in layer_bwd; replicas all-reduce their shard after.
      if (dp_size > shard) {
        timing->dp_grad_s = CollectiveSeconds(c, Collective::kAllReduce, dp_size / shard,
                                              stride * shard, grad_bytes / shard);
      }
      break;
    }
  }
  const int shard_for_opt = p.dp_mode == DpMode::kDp ? 1 : dp_size;
  timing->optimizer_s =
      mem.params_on_rank / shard_for_opt * job.system.optimizer_bytes_per_param / c.gpu.hbm_bw;
}

}  // namespace

BlockTiming ComputeBlockTiming(const BlockConfig& b, const JobConfig& job, double micro_tokens) {
  BlockTiming timing;
  timing.micro_tokens = micro_tokens;
  LayerBuilder builder(b, job, micro_tokens);
  builder.Forward(&timing.layer_fwd);
  AddRecompute(b, builder, &timing);
  AppendBackward(timing.layer_fwd, b.frozen, job.system.backward_efficiency, b.flash_attention,
                 &timing.layer_bwd);
  CapTpOverlapByGemm(&timing.layer_fwd);
  CapTpOverlapByGemm(&timing.layer_bwd);
  AddFsdpLayerComm(b, job, &timing);
  AddActivationOffload(b, job, micro_tokens, &timing);
  if (b.plan.ep_overlap) {
    HideExpertAllToAll(job.system.comm_sm_share, &timing.layer_fwd);
    HideExpertAllToAll(job.system.comm_sm_share, &timing.layer_bwd);
  }
  timing.layer_fwd_s = CriticalPath(timing.layer_fwd);
  timing.layer_bwd_s = CriticalPath(timing.layer_bwd);
  timing.layer_wgrad_s = WeightGradSeconds(timing.layer_bwd, b.frozen);
  const double tokens = builder.tokens();
  const double h = builder.h();
  AddHeadAndEmbedding(b, job.cluster.gpu, tokens, h, &timing);
  AddMultiTokenPrediction(b, job.cluster.gpu, tokens, h, &timing);
  const ParallelPlan& p = b.plan;
  const int dp_size = DataParallelSize(b, job.cluster.gpus);
  const double act_bytes = 2 * tokens * h / (p.sp ? p.tp : 1);
  timing.p2p_s =
      CollectiveSeconds(job.cluster, Collective::kP2p, 2, p.tp * p.cp * dp_size, act_bytes);
  // Parameters and DP traffic of one pipeline stage (first stage: the larger with embeddings).
  const MemoryBreakdown mem = BlockMemory(b, job, 1);
  timing.params_on_rank = mem.params_on_rank;
  AddDataParallelAndOptimizer(b, job, dp_size, mem, &timing);
  return timing;
}

}  // namespace trainscope::workload

namespace trainscope::workload {
namespace {

double SentBytes(Collective c, int n, double bytes) {
  if (n <= 1) return 0;
  const double f = (n - 1.0) / n;
  switch (c) {
    case Collective::kAllReduce:
      return 2 * f * bytes;
    case Collective::kAllGather:
    case Collective::kReduceScatter:
    case Collective::kAllToAll:
      return f * bytes;
    case Collective::kP2p:
      return bytes;
  }
  return 0;
}

void Accumulate(std::vector<CommVolume>* out, const std::string& group, Collective c, int size,
                double sent, double count, double seconds) {
  if (size <= 1 || count <= 0) return;
  const std::string name = group + " " + std::string(CollectiveName(c));
  for (CommVolume& v : *out) {
    if (v.name == name) {
      v.bytes_per_rank += sent * count;
      v.count += count;
      v.seconds += seconds * count;
      return;
    }
  }
  out->push_back(
      {name, group, std::string(CollectiveName(c)), size, sent * count, count, seconds * count});
}

}  // namespace

void AddStepComm(const BlockConfig& b, const JobConfig& job, int64_t microbatches,
                 BlockTiming* timing) {
  const ParallelPlan& p = b.plan;
  const double layers_per_rank = std::ceil(static_cast<double>(b.layers) / p.pp);
  const double passes = layers_per_rank * static_cast<double>(microbatches);
  for (const auto* list : {&timing->layer_fwd, &timing->layer_bwd}) {
    for (const Kernel& k : *list) {
      if (k.kind != KernelKind::kComm) continue;
      Accumulate(&timing->comm, k.group, k.collective, k.group_size,
                 SentBytes(k.collective, k.group_size, k.bytes), passes * k.share,
                 k.seconds / k.share);
    }
  }
  // Transfers per microbatch and direction: one per chunk the rank holds.
  const int vpp = p.schedule == PpSchedule::kInterleaved ? p.vpp
                  : p.schedule == PpSchedule::kDualPipeV ? 2
                                                          : 1;
  if (p.pp > 1) {
    const double act_bytes =
        2 * timing->micro_tokens / p.cp * static_cast<double>(b.hidden) / (p.sp ? p.tp : 1);
    Accumulate(&timing->comm, "pp", Collective::kP2p, p.pp, act_bytes,
               2.0 * static_cast<double>(microbatches) * vpp, timing->p2p_s);
  }
  const int dp = DataParallelSize(b, job.cluster.gpus);
  if (!b.frozen && dp > 1) {
    const double grads = job.system.grad_reduce_bytes * timing->params_on_rank;
    switch (p.dp_mode) {
      case DpMode::kDp:
        Accumulate(&timing->comm, "dp", Collective::kAllReduce, dp,
                   SentBytes(Collective::kAllReduce, dp, grads), 1, timing->dp_grad_s);
        break;
      case DpMode::kZero1:
      case DpMode::kZero2:
        Accumulate(&timing->comm, "dp", Collective::kReduceScatter, dp,
                   SentBytes(Collective::kReduceScatter, dp, grads), 1, timing->dp_grad_s);
        Accumulate(&timing->comm, "dp", Collective::kAllGather, dp,
                   SentBytes(Collective::kAllGather, dp, 2 * timing->params_on_rank), 1,
                   timing->dp_param_s);
        break;
      case DpMode::kZero3:
      case DpMode::kFsdp:
        if (timing->dp_grad_s > 0) {
          // Hybrid sharding: replicas (dp / shard of them) all-reduce their gradient shard, as
          // the time above is computed (the row said group dp and 0 bytes).
          const int shard = p.fsdp_shard > 0 ? std::min(p.fsdp_shard, dp) : dp;
          const int replicas = dp / shard;
          Accumulate(&timing->comm, "dp-replica", Collective::kAllReduce, replicas,
                     SentBytes(Collective::kAllReduce, replicas, grads / shard), 1,
                     timing->dp_grad_s);
        }
        break;
    }
  }
}

}  // namespace trainscope::workload
