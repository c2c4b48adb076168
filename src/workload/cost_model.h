// SPDX-License-Identifier: Apache-2.0
// Cost model: seconds for the kernels and collectives of one layer, one microbatch, one GPU.
//
// Compute: achieved FLOP/s = peak x gemm_eff_max x d / (d + gemm_half_dim), d the smallest GEMM
// dimension (small GEMMs cannot fill the GPU); attention cores at peak x attn_eff; element-wise
// kernels are HBM-bound (bytes / hbm_bw). Collectives: NCCL's bus-bandwidth model: time =
// algorithm factor x bytes / bus bandwidth + ring steps x hop latency, with the bus bandwidth of
// the slowest link the group crosses: NVLink inside a node, k NICs per node otherwise (k group
// members per node; rail-optimised fabric, divided by the oversubscription).
// The same kernel lists drive the step-time predictor and the trace synthesiser.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workload/config.h"
#include "workload/model_math.h"

namespace trainscope::workload {

enum class Collective { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kP2p };
std::string_view CollectiveName(Collective c);

// Seconds of one collective over a group of `size` ranks whose members are `stride` ranks apart;
// `bytes` is the full buffer (all-reduce), the gathered output (all-gather), the input
// (reduce-scatter), a rank's send buffer (all-to-all) or the message (p2p).
double CollectiveSeconds(const ClusterConfig& cluster, Collective c, int size, int stride,
                         double bytes);
// Bus bandwidth (bytes/s) a group of `size` ranks `stride` apart gets.
double BusBandwidth(const ClusterConfig& cluster, int size, int stride);
double GemmSeconds(const GpuSpec& gpu, double m, double n, double k);

// HBM bytes moved by one layer's forward elementwise kernels, at the three places the layer
// runs them, per element of what they touch (bf16 activations: 2 bytes per read or write).
struct ElementwiseTraffic {
  double pre_attention = 0;  // per [token, h]: input norm (and, fused, rotary and the rest)
  double mid = 0;            // per [token, h]: residual add, post-attention norm (dropout)
  double post_mlp = 0;       // per [token, h]: residual add (dropout)
  double attention_io = 0;   // per token, all heads: rotary on Q and K, varlen packing
  double activation = 0;     // per [token, ffn] element: the FFN activation
};
// elementwise: fused splits system.elementwise_bytes_per_elem 1/4, 1/2, 1/4; hf_eager counts the
// eager modules of Hugging Face transformers (docs/workload.md, "Eager kernels").
ElementwiseTraffic LayerElementwiseTraffic(const BlockConfig& block, const SystemConfig& system);

enum class KernelKind { kGemm, kAttention, kElementwise, kComm };

// One kernel of a layer's forward or backward.
struct Kernel {
  std::string name;  // "qkv_gemm", "tp_all_gather", ...
  KernelKind kind = KernelKind::kGemm;
  double seconds = 0;  // time it runs
  double exposed = 0;  // time it adds to the compute stream's critical path
  double flops = 0;
  // Collectives only.
  Collective collective = Collective::kAllReduce;
  std::string group;  // tp | cp | ep | dp
  int group_size = 1;
  double bytes = 0;  // buffer size as in CollectiveSeconds
  double share = 1;  // calls per layer pass (block recompute: the recomputed share)
  // A gather or scatter of rows: its backward moves the same bytes the other way (elementwise
  // kernels' backwards otherwise count twice the forward's).
  bool mirrored_backward = false;
};

// Kernels and per-microbatch costs of one block on one GPU.
struct BlockTiming {
  std::vector<Kernel> layer_fwd;  // one layer, forward
  std::vector<Kernel> layer_bwd;  // one layer, backward (incl. recompute)
  double layer_fwd_s = 0;         // critical-path seconds of layer_fwd
  double layer_bwd_s = 0;
  // Of layer_bwd_s, the weight-gradient GEMMs (a W pass when the backward is split: ZB-H1,
  // DualPipe); the rest (input gradients, recompute, attention, comm) is the B pass.
  double layer_wgrad_s = 0;
  double embed_fwd_s = 0, embed_bwd_s = 0;  // first stage
  double head_fwd_s = 0, head_bwd_s = 0;    // last stage: logits + loss
  double head_wgrad_s = 0;                  // of head_bwd_s: the output layer's weight GEMM
  // Multi-token prediction modules (BlockConfig::mtp_layers), on the last stage: their layers,
  // projections and output-head passes; wgrad is the weight-gradient part of mtp_bwd_s.
  double mtp_fwd_s = 0, mtp_bwd_s = 0, mtp_wgrad_s = 0;
  double p2p_s = 0;                         // one PP activation transfer
  double dp_grad_s = 0;   // DP gradient sync of one stage's parameters (all chunks)
  double dp_param_s = 0;  // ZeRO parameter all-gather after the optimizer
  double optimizer_s = 0;
  double micro_tokens = 0;  // tokens of one microbatch (before CP split)
  double params_on_rank = 0;
  std::vector<CommVolume> comm;  // per-step volumes, filled by AddStepComm
};

BlockTiming ComputeBlockTiming(const BlockConfig& block, const JobConfig& job, double micro_tokens);

// Fills `timing->comm` with the per-step volume of each collective family for `microbatches`
// microbatches per pipeline.
void AddStepComm(const BlockConfig& block, const JobConfig& job, int64_t microbatches,
                 BlockTiming* timing);

}  // namespace trainscope::workload
