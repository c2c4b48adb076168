// SPDX-License-Identifier: Apache-2.0
// JobConfig: the model + parallelism + cluster description of one training job (docs/workload.md
// is the schema reference). Every value the source reports do not publish (marked [A] in
// ../shared/briefs/workloads.md) is a field with a default; `assumed` records which fields
// kept their default so every prediction can list the assumptions it rests on.
// Units: FLOP/s, bytes, bytes/s, seconds unless the field name says otherwise.
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainscope::workload {

enum class BlockKind { kDense, kMoe, kVit, kDit };
enum class FfnAct { kGelu, kSwiglu };
// MoE token dispatcher (Megatron Core's moe_token_dispatcher_type): kAllToAll (the default)
// permutes tokens into expert order and back in kernels of their own beside the all-to-all;
// kDeepEp (DeepEP / DeepSeek's dispatch, Megatron's "flex") writes and reads them in expert
// order inside its dispatch and combine kernels, so no separate permutation runs.
enum class MoeDispatcher { kAllToAll, kDeepEp };
// Where an EP group's ranks sit (config.h, Expert parallelism): kConsecutive, Megatron Core's
// expert grid (since 0.10); kAcrossReplicas, EP carved out of DP, one rank per DP replica, tp * cp
// ranks apart (frameworks that nest EP in DP, Megatron Core before 0.10).
enum class EpLayout { kConsecutive, kAcrossReplicas };
enum class DpMode { kDp, kZero1, kZero2, kZero3, kFsdp };
// Pipeline schedules (workload/schedule.h says what each runs and where it comes from).
enum class PpSchedule { k1f1b, kInterleaved, kZeroBubbleH1, kDualPipe, kDualPipeV };
enum class CpKind { kRing, kUlysses, kAllGather };
enum class Recompute { kNone, kSelective, kFull, kOffload };
enum class Balancing { kNone, kGreedyFlops, kRuntimeLookup };
enum class DitStreams { kSingle, kDual, kHybrid };
// How a DiT reads its text: joint (MMDiT: text tokens join the self-attention sequence) or cross
// (Wan, PixArt, Movie Gen: a cross-attention sub-block per layer attends to the text tokens).
enum class TextAttention { kJoint, kCross };

// How one block is laid out over the GPUs (Megatron rank order: tp fastest, then cp, dp, pp).
struct ParallelPlan {
  DpMode dp_mode = DpMode::kZero1;
  int fsdp_shard = 0;  // hybrid shard group size; 0 = whole DP group
  int tp = 1;
  bool sp = true;           // sequence parallel with TP
  bool tp_overlap = false;  // TP collectives overlapped with GEMMs (Flux/MegaScale style)
  int pp = 1;
  PpSchedule schedule = PpSchedule::k1f1b;
  int vpp = 1;  // virtual stages (model chunks) per PP rank
  int cp = 1;
  CpKind cp_kind = CpKind::kRing;
  int ep = 1;
  EpLayout ep_layout = EpLayout::kConsecutive;  // [A] with ep > 1
  bool ep_layout_given = false;  // stated in the config (else listed as assumed when ep > 1)
  int micro_batch = 1;      // sequences per microbatch
  bool ep_overlap = false;  // expert all-to-all overlapped with another chunk's compute (DualPipe)
  Recompute recompute = Recompute::kSelective;
  int recompute_layers = 0;  // layers per pipeline rank recomputed in full on top of `recompute`
                             // (Megatron --recompute-method block --recompute-num-layers)
  bool recompute_to_fit = false;  // planner picks the fewest recompute_layers that fit in HBM
  // Megatron Core's --recompute-modules beyond the attention core: outputs recomputed in the
  // backward instead of stored. layernorm: the norm outputs (the QKV and MLP inputs);
  // mla_up_proj: MLA's up-projected Q, K, V (the latents are kept); moe_act: the SwiGLU output
  // of the experts (its inputs are kept). DeepSeek-V3 (arXiv 2412.19437 sec. 3.2.3, 3.3.3) runs
  // all three.
  bool recompute_layernorm = false, recompute_mla_up_proj = false, recompute_moe_act = false;
  Balancing balancing = Balancing::kNone;
  int balancing_group = 128;  // ranks per balancing group
  bool dp_overlap = true;     // grad reduce overlapped with backward of later chunks [A]
};

// One image/video sample kind of a DiT mix.
struct SampleKind {
  std::string name;
  int width = 256, height = 256;
  int frames = 1;       // 1 = image
  double weight = 1.0;  // share of samples
};

struct BlockConfig {
  std::string name;
  BlockKind kind = BlockKind::kDense;
  bool frozen = false;
  std::vector<std::string> inputs;  // data edges: blocks whose output feeds this one
  // Transformer shape (all kinds).
  int layers = 0;
  int64_t hidden = 0;
  int heads = 0;
  int kv_heads = 0;  // 0 = heads (MHA)
  // Plain attention: per-head width of Q, K and V (Megatron's kv_channels, Hugging Face's
  // head_dim); 0 = hidden / heads. Qwen3 and GPT-OSS project to heads x head_dim != hidden.
  int64_t head_dim = 0;
  // Multi-head latent attention (DeepSeek-V2/V3; 0 = plain attention): low-rank query and
  // key/value projections, per-head query/key width (incl. the decoupled RoPE part) and value
  // width.
  int64_t q_lora_rank = 0, kv_lora_rank = 0;
  int64_t qk_head_dim = 0, v_head_dim = 0, rope_head_dim = 0;
  int64_t ffn_hidden = 0;  // 0 = 4*hidden (GELU) or from mlp_ratio (ViT)
  FfnAct ffn_act = FfnAct::kGelu;
  int64_t vocab = 0;    // 0 = no embedding/logits (ViT, DiT)
  int64_t seq_len = 0;  // tokens per sequence (LLM) or per packed ViT/DiT sequence
  bool tied_embeddings = false;
  bool bias = true;             // linear biases (GPT-3, ViT); Llama-style models have none
  bool causal = true;           // decoder attention; ViT/DiT are bidirectional
  bool flash_attention = true;  // fused attention: no s^2 activations stored
  int flash_version = 2;        // fused attention kernel generation: 2 or 3 (Hopper only)
  bool dropout = true;  // dropout masks stored (GPT); YAML default: same as `bias` (Llama: none)
  // MoE.
  int num_experts = 0;
  int top_k = 0;
  int64_t expert_ffn_hidden = 0;
  int shared_experts = 0;
  int moe_layer_freq = 1;
  int first_dense_layers = 0;  // leading layers with a dense FFN (DeepSeek-V3: 3)
  int route_nodes = 0;         // node-limited routing: a token reaches at most this many nodes
  // Multi-token prediction modules (DeepSeek-V3: 1; arXiv 2412.19437 sec. 2.2): each a layer of
  // the block's kind, a [2h -> h] projection and one more pass of the shared output head, placed
  // with the output head on the last pipeline stage (sec. 3.2.3; Megatron's placement too).
  // Counted in time and memory, not in the parameter total or the model FLOPs (as reported).
  int mtp_layers = 0;
  // Token dropping (Megatron's --moe-expert-capacity-factor): each expert takes at most this
  // many times its even share of the routed tokens, so the slowest EP rank carries
  // min(router_imbalance, capacity_factor) x the mean load. 0: dropless (Megatron's default),
  // which also syncs the token counts to the host every MoE layer (MoeCaution).
  double capacity_factor = 0;
  double router_imbalance = 1.1;  // slowest EP rank's load / mean [A]
  MoeDispatcher dispatcher = MoeDispatcher::kAllToAll;  // [A]
  // ViT.
  int patch = 14;
  double mlp_ratio = 4.0;
  int pooling = 2;                  // k x k average pooling after the ViT
  int64_t adapter_out = 0;          // two-layer MLP adapter: hidden -> adapter_out -> adapter_out
  double visual_token_share = 0.5;  // share of LLM tokens that are visual [A]
  int64_t image_vit_tokens = 5476;  // ViT tokens of one image (1024^2 -> 1036^2 / 14^2) [A]
  double image_tokens_cv = 0.6;     // coefficient of variation of per-image tokens [A]
  // DiT.
  DitStreams streams = DitStreams::kSingle;
  double shared_ffn_fraction = 0.0;  // hybrid stream: share of FFN weights shared by streams
  int64_t text_tokens = 256;         // text tokens per sample [A]
  int64_t text_dim = 4096;           // text-encoder width projected into the DiT [A]
  TextAttention text_attention = TextAttention::kJoint;
  int vae_dt = 4, vae_dh = 16, vae_dw = 16, vae_channels = 48;
  int patch_t = 1, patch_h = 1, patch_w = 1;
  std::vector<SampleKind> samples;
  ParallelPlan plan;
};

struct GpuSpec {
  std::string name = "H100-80GB";
  double peak_flops = 989e12;  // dense BF16
  double hbm_bytes = 80e9;
  double hbm_bw = 3.35e12;
  double nvlink_bw = 450e9;        // per direction
  double gemm_eff_max = 0.72;      // achieved / peak on large GEMMs [A]
  double gemm_half_dim = 96;       // GEMM smallest dim at which efficiency is half of max [A]
  double attn_eff = 0.55;          // flash-attention core efficiency [A]
  double attn_eff_fa3 = 0;         // FlashAttention-3 core efficiency; 0 = not on this GPU
  double pcie_bw = 50e9;           // host link per GPU, per direction (activation offload) [A]
  // The vendor's reference system and its NIC per GPU (model/gpu_datasheet.h): the default of
  // cluster.nic_gbps.
  std::string reference_system = "DGX H100: 8 x ConnectX-7 NDR 400 Gb/s";
  double reference_nic_gbps = 400;
  int reference_nvlink_domain = 8;  // the default of cluster.gpus_per_node
  double fp8_peak_flops = 0;       // dense FP8 peak (0 = no FP8 tensor cores)
  // FP8 GEMMs with Transformer Engine's per-tensor scaling (cuBLASLt, casts included), fitted on
  // the NeMo 24.07 DGX-H100 FP8 table (docs/workload.md, Validation); DeepSeek-V3's DeepGEMM
  // reaches 0.68 (1,350+ of 1,979 TFLOP/s), which its presets state.
  double fp8_gemm_eff_max = 0.56;
  // Where gemm_eff_max / attn_eff come from, and, where no published run on this GPU backs them,
  // the caution a prediction carries (empty: backed); none when the config states its own.
  std::string efficiency_basis = "fitted on the H100 runs";
  std::string efficiency_caution;
  bool efficiencies_stated = false;
};

struct ClusterConfig {
  GpuSpec gpu;
  int gpus = 8;
  int gpus_per_node = 8;
  int nics_per_node = 8;
  double nic_gbps = 400;          // per NIC, per direction
  double nvlink_bus_eff = 0.80;   // NCCL bus bandwidth / link bandwidth, intra-node [A]
  double nic_bus_eff = 0.80;      // same across nodes [A]
  double hop_latency_s = 8e-6;    // per ring step [A]
  double oversubscription = 1.0;  // fat-tree oversubscription above the rail [A]
};

// system.elementwise: whose elementwise kernels the job runs (cost_model.h,
// LayerElementwiseTraffic): Megatron / Transformer Engine fused kernels, or Hugging Face
// transformers' eager PyTorch modules (each norm, rotary and activation a chain of kernels).
enum class Elementwise { kFused, kHfEager };

// Efficiency knobs of the training software: all [A].
struct SystemConfig {
  Elementwise elementwise = Elementwise::kFused;
  double elementwise_bytes_per_elem = 24;  // fused: HBM bytes per [token, h] element per layer fwd
                                           // (norms, dropout, residual; activations apart)
  double backward_efficiency = 0.9;        // backward kernels' efficiency relative to forward
  double tp_overlap_fraction = 0.8;        // share of TP comm hidden when plan.tp_overlap [A]
  double dp_exposed_fraction = 0.15;       // share of overlapped DP comm still exposed
  double pp_p2p_blocking = 1.0;            // 1 = p2p time adds to the sender's timeline
  double grad_reduce_bytes = 4;            // bytes per gradient element reduced (fp32 main grads)
  double optimizer_bytes_per_param = 32;   // HBM traffic of the fused Adam update
  double fragmentation = 0.10;             // allocator fragmentation on top of live memory
  double comm_buffer_bytes = 1.5e9;        // NCCL + bucket buffers per GPU
  bool parallel_block = false;             // GPT-J/PaLM parallel attention+MLP (MegaScale)
  bool fp8_gemm = false;                   // linear layers in FP8 (DeepSeek-V3, Transformer Engine)
  bool fp8_activation_cache = false;  // linear-layer inputs stored in FP8 for the backward
                                      // (DeepSeek-V3 sec. 3.3.3)
  double optimizer_moment_bytes = 4;  // Adam m and v, each (DeepSeek-V3: BF16, 2; sec. 3.3.3)
  double comm_sm_share = 0.0;    // SMs given to overlapped comm kernels (DeepSeek-V3: 20 of 132)
  double step_overhead_s = 0.0;  // fixed per-step host/launch overhead
};

struct TrainingConfig {
  int64_t global_batch = 0;           // sequences per step (of the main block)
  double global_batch_tokens = 0;     // alternative: tokens per step (DiT, Seed1.5-VL)
  double tokens_total = 0;            // token budget for GPU-hours; 0 = not given
  double effective_time_ratio = 0.9;  // useful training time / wall time [A]
};

struct Assumption {
  std::string field;  // dotted path, e.g. "blocks.llm.layers"
  std::string value;
  std::string note;  // why / source
};

struct JobConfig {
  std::string name;
  std::string description;
  std::vector<BlockConfig> blocks;  // in data order; the last non-frozen LLM/DiT is the main block
  ClusterConfig cluster;
  SystemConfig system;
  TrainingConfig training;
  std::vector<Assumption> assumed;  // fields left at an [A] default or declared assumed in YAML
  std::string source;               // file or preset it came from
};

// The GPU presets (KnownGpuNames(): the brief's A100, H100, H800, H200 and Blackwell's B200,
// GB200, GB300), matched by name prefix, case-insensitive. Returns false when unknown.
bool LookupGpu(const std::string& name, GpuSpec* out);
// "A100, H100, ...": the names LookupGpu knows, for help texts and errors.
const std::string& KnownGpuNames();

// Replaces the assumption line of `field` (dotted path), or adds it.
void SetAssumption(std::vector<Assumption>* assumed, const std::string& field, std::string value,
                   std::string note);
bool HasAssumption(const std::vector<Assumption>& assumed, const std::string& field);
// The network of the cluster's GPU's reference system (GpuSpec::reference_*) for the fields not
// stated: gpus_per_node (its NVLink domain), nics_per_node (a NIC per GPU), nic_gbps; each
// default is set as an assumption line (cluster.<field>).
struct NetworkStated {
  bool gpus_per_node = false, nics_per_node = false, nic_gbps = false;
};
void DefaultClusterNetwork(const NetworkStated& stated, ClusterConfig* cluster,
                           std::vector<Assumption>* assumed);

// Index of the block that carries the training batch (LLM or DiT); -1 if none.
int MainBlockIndex(const JobConfig& job);

// Effective FFN width (applies the GELU 4h and ViT mlp_ratio defaults).
int64_t FfnHidden(const BlockConfig& block);
int KvHeads(const BlockConfig& block);

// Derived DP size of a block: gpus / (tp * pp * cp) (EP folds into DP for dense parts).
int DataParallelSize(const BlockConfig& block, int gpus);

// Expert parallelism, laid out as Megatron Core lays out its MoE layers (since 0.10, "MoE
// parallel folding", Liu et al., arXiv 2504.14960; megatron/core/parallel_state.py builds the
// expert ranks with RankGenerator(tp=expert TP, ep, dp=expert DP, pp, cp=1), order tp-ep-dp-pp).
// Experts are never TP-split (expert TP 1), so an EP group is `ep` consecutive ranks of a
// pipeline stage's TP x CP x DP grid, whatever the attention's TP and CP, and the
// expert-data-parallel group (ranks holding the same experts, which shard their optimizer state
// and FSDP-gather them) is tp * cp * dp / EP ranks, `ep` apart. With TP or CP > 1 the EP group
// spans TP / CP ranks (EpFolded), and Megatron then needs sequence parallelism (each TP rank
// dispatches its own tokens). `ep_layout: across_replicas` instead carves EP out of DP (EP
// divides DP): one rank per DP replica, tp * cp apart, expert DP = DP / EP, tp * cp * ep apart.
// A hybrid-shard FSDP (fsdp_shard > 0) shards the experts within its shard group:
// fsdp_shard / EP.
bool EpFolded(const BlockConfig& block, int gpus);
int ExpertDataParallelSize(const BlockConfig& block, int gpus);
int EpRankStride(const BlockConfig& block, int gpus);
// Routed experts each GPU holds: num_experts / ep (all of them without EP; validation makes ep
// divide num_experts).
int LocalExperts(const BlockConfig& block);
// Routed tokens the slowest EP rank processes over the mean: router_imbalance, capped by the
// capacity factor when tokens are dropped.
double SlowestRankLoad(const BlockConfig& block);
// Rank distance within the expert-data-parallel group (the stride of its collectives).
int ExpertDataParallelStride(const BlockConfig& block);

}  // namespace trainscope::workload
