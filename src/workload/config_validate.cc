// SPDX-License-Identifier: Apache-2.0
// Consistency checks of a parsed JobConfig: shapes positive, parallel sizes dividing what they
// split. Each error names the field path.
#include <cmath>
#include <string_view>
#include <utility>

#include "base/status.h"
#include "workload/config_io.h"

namespace trainscope::workload {

namespace {

// Bounds far beyond any published run (the largest have ~100k GPUs, ~128 layers per block,
// hidden 16-20k, 1M-token contexts, a few thousand microbatches per step): a value past them is
// a typo or a unit error, and the schedule simulation's memory and time grow with some of them
// (global_batch 1e8 took 23 GB before it was killed).
constexpr int64_t kMaxGpus = 10'000'000;
constexpr int64_t kMaxLayers = 100'000;
constexpr int64_t kMaxWidth = 10'000'000;  // hidden, ffn_hidden, vocab, heads
constexpr int64_t kMaxSeqLen = 100'000'000;  // 100x the 1M-token contexts trained today
constexpr int64_t kMaxMicrobatches = 1'000'000;  // per pipeline and step

Status CheckBound(std::string_view field, int64_t value, int64_t max) {
  if (value > max) {
    return InvalidArgumentError("{}: {} is implausible (more than {}; a typo or a unit error?)",
                                field, value, max);
  }
  return OkStatus();
}

// Cluster facts and the presence of a block to train.
Status ValidateCluster(const JobConfig& job) {
  const int gpus = job.cluster.gpus;
  if (gpus <= 0) return InvalidArgumentError("cluster.gpus: must be positive (got {})", gpus);
  TS_RETURN_IF_ERROR(CheckBound("cluster.gpus", gpus, kMaxGpus));
  if (job.cluster.gpus_per_node <= 0) {
    return InvalidArgumentError("cluster.gpus_per_node: must be positive");
  }
  if (job.cluster.gpu.peak_flops <= 0 || job.cluster.gpu.hbm_bytes <= 0) {
    return InvalidArgumentError("cluster.gpu: peak_flops and hbm_bytes must be positive");
  }
  if (MainBlockIndex(job) < 0) {
    return InvalidArgumentError("blocks: need one dense, moe or dit block to train");
  }
  return OkStatus();
}

// A fraction or efficiency in [lo, hi]; NaN fails every comparison.
Status CheckRange(std::string_view field, double value, double lo, double hi) {
  if (!(value >= lo && value <= hi)) {
    return InvalidArgumentError("{}: {} is outside [{}, {}]", field, value, lo, hi);
  }
  return OkStatus();
}

// Efficiencies, bandwidths and software factors: an efficiency of 0 would make a kernel take
// forever, one of 5 would beat the datasheet.
Status ValidateRates(const JobConfig& job) {
  const ClusterConfig& c = job.cluster;
  const GpuSpec& g = c.gpu;
  const SystemConfig& s = job.system;
  struct Bounded {
    const char* field;
    double value, lo, hi;
  };
  const Bounded bounded[] = {
      {"cluster.gemm_eff_max", g.gemm_eff_max, 1e-3, 1},
      {"cluster.fp8_gemm_eff_max", g.fp8_gemm_eff_max, 1e-3, 1},
      {"cluster.attn_eff", g.attn_eff, 1e-3, 1},
      {"cluster.attn_eff_fa3", g.attn_eff_fa3, 0, 1},  // 0: no FlashAttention-3 on this GPU
      {"cluster.nvlink_bus_eff", c.nvlink_bus_eff, 1e-3, 1},
      {"cluster.nic_bus_eff", c.nic_bus_eff, 1e-3, 1},
      {"cluster.hbm_bw", g.hbm_bw, 1e-3, 1e15},
      {"cluster.nvlink_bw", g.nvlink_bw, 1e-3, 1e15},
      {"cluster.pcie_bw", g.pcie_bw, 1e-3, 1e15},
      {"cluster.nic_gbps", c.nic_gbps, 1e-3, 1e15},
      {"cluster.gemm_half_dim", g.gemm_half_dim, 0, 1e6},
      {"system.backward_efficiency", s.backward_efficiency, 0.05, 2},
      {"system.grad_reduce_bytes", s.grad_reduce_bytes, 0.5, 8},
      {"system.elementwise_bytes_per_elem", s.elementwise_bytes_per_elem, 0, 1e4},
      {"system.tp_overlap_fraction", s.tp_overlap_fraction, 0, 1},
      {"system.dp_exposed_fraction", s.dp_exposed_fraction, 0, 1},
      {"system.comm_sm_share", s.comm_sm_share, 0, 0.95},
      {"system.fragmentation", s.fragmentation, 0, 10},
      {"system.comm_buffer_bytes", s.comm_buffer_bytes, 0, 1e13},
      {"system.optimizer_bytes_per_param", s.optimizer_bytes_per_param, 0, 1e3},
      {"system.step_overhead_s", s.step_overhead_s, 0, 1e5},
      {"system.pp_p2p_blocking", s.pp_p2p_blocking, 0, 1}};
  for (const Bounded& f : bounded) TS_RETURN_IF_ERROR(CheckRange(f.field, f.value, f.lo, f.hi));
  const double moments = s.optimizer_moment_bytes;
  if (!(moments == 1 || moments == 2 || moments == 4)) {
    return InvalidArgumentError(
        "system.optimizer_moment_bytes: {} (expected 4 = FP32, 2 = BF16 or 1 = FP8 moments)",
        moments);
  }
  return OkStatus();
}

// One block's shape and parallel plan, against the cluster's GPU count.
// vpp > 1 means interleaving; the split-backward schedules run one model chunk per stage and
// need a pipeline; DualPipe pairs rank r with rank pp - 1 - r, so pp must be even (microbatch
// counts are checked with the batch). DualPipeV's 2 pp stages need as many layers.
Status ValidateSchedule(const ParallelPlan& p, const std::string& where) {
  if (p.schedule == PpSchedule::k1f1b && p.vpp > 1) {
    // It would be timed as plain 1F1B with vpp ignored.
    return InvalidArgumentError(
        "{}.parallel.vpp: {} with schedule 1f1b (vpp > 1 is the interleaved schedule)", where,
        p.vpp);
  }
  if (p.schedule == PpSchedule::k1f1b || p.schedule == PpSchedule::kInterleaved) {
    return OkStatus();
  }
  const std::string name(Name(p.schedule));
  if (p.vpp != 1) {
    return InvalidArgumentError("{}.parallel.vpp: {} with schedule {} (the schedule sets its own "
                                "chunks per rank: leave vpp at 1)",
                                where, p.vpp, name);
  }
  if (p.pp < 2 || (p.schedule == PpSchedule::kDualPipe && p.pp % 2 != 0)) {
    return InvalidArgumentError("{}.parallel.pp: {} with schedule {} (needs {})", where, p.pp, name,
                                p.schedule == PpSchedule::kDualPipe ? "an even pp >= 2" : "pp >= 2");
  }
  return OkStatus();
}

// MTP modules predict further tokens through the output head: they need a vocabulary. More than
// a few is not a published configuration (DeepSeek-V3: 1; the report's ablations: 1 and 2).
Status ValidateMtp(const BlockConfig& b, const std::string& where) {
  constexpr int kMaxMtp = 8;
  if (b.mtp_layers < 0 || b.mtp_layers > kMaxMtp) {
    return InvalidArgumentError("{}.mtp_layers: {} outside 0..{}", where, b.mtp_layers, kMaxMtp);
  }
  if (b.mtp_layers > 0 && b.vocab <= 0) {
    return InvalidArgumentError("{}.mtp_layers: {} needs a vocab (MTP predicts tokens)", where,
                                b.mtp_layers);
  }
  return OkStatus();
}

Status ValidateBlock(const BlockConfig& b, size_t i, int gpus) {
  const std::string where = fmt::format("blocks[{}] ({})", i, b.name);
  const ParallelPlan& p = b.plan;
  if (b.layers <= 0 || b.hidden <= 0 || b.heads <= 0) {
    return InvalidArgumentError("{}: layers, hidden and heads must be positive", where);
  }
  TS_RETURN_IF_ERROR(CheckBound(where + ".layers", b.layers, kMaxLayers));
  for (const auto& [name, value] : {std::pair<const char*, int64_t>{"hidden", b.hidden},
                                    {"heads", b.heads},
                                    {"ffn_hidden", b.ffn_hidden},
                                    {"vocab", b.vocab}}) {
    TS_RETURN_IF_ERROR(CheckBound(where + "." + name, value, kMaxWidth));
  }
  TS_RETURN_IF_ERROR(CheckBound(where + ".seq_len", b.seq_len, kMaxSeqLen));
  for (const auto& [name, value] : {std::pair<const char*, int64_t>{"head_dim", b.head_dim},
                                    {"q_lora_rank", b.q_lora_rank},
                                    {"kv_lora_rank", b.kv_lora_rank},
                                    {"qk_head_dim", b.qk_head_dim},
                                    {"v_head_dim", b.v_head_dim},
                                    {"rope_head_dim", b.rope_head_dim},
                                    {"expert_ffn_hidden", b.expert_ffn_hidden}}) {
    TS_RETURN_IF_ERROR(CheckBound(where + "." + name, value, kMaxWidth));
    if (value < 0) return InvalidArgumentError("{}.{}: {} must be >= 0", where, name, value);
  }
  if ((b.kind == BlockKind::kDense || b.kind == BlockKind::kMoe) && b.seq_len <= 0) {
    return InvalidArgumentError("{}.seq_len: {} (a dense or moe block needs tokens per sequence)",
                                where, b.seq_len);
  }
  if (b.head_dim > 0 && b.kv_lora_rank > 0) {
    return InvalidArgumentError(
        "{}.head_dim: multi-head latent attention sets its widths with qk_head_dim and "
        "v_head_dim",
        where);
  }
  if (b.head_dim == 0 && b.hidden % b.heads != 0) {
    return InvalidArgumentError("{}: hidden {} is not divisible by heads {}", where, b.hidden,
                                b.heads);
  }
  if (b.heads % KvHeads(b) != 0) {
    return InvalidArgumentError("{}: heads {} not divisible by kv_heads {}", where, b.heads,
                                KvHeads(b));
  }
  if (p.tp < 1 || p.pp < 1 || p.cp < 1 || p.ep < 1 || p.vpp < 1 || p.micro_batch < 1) {
    return InvalidArgumentError("{}.parallel: tp, pp, cp, ep, vpp, micro_batch must be >= 1",
                                where);
  }
  if (b.heads % p.tp != 0) {
    return InvalidArgumentError("{}.parallel.tp: {} does not divide heads {}", where, p.tp,
                                b.heads);
  }
  if (gpus % (p.tp * p.pp * p.cp) != 0) {
    return InvalidArgumentError("{}.parallel: tp*pp*cp = {} does not divide cluster.gpus {}",
                                where, p.tp * p.pp * p.cp, gpus);
  }
  if (b.flash_version != 2 && b.flash_version != 3) {
    return InvalidArgumentError("{}.flash_version: {} (expected 2 or 3)", where, b.flash_version);
  }
  if (p.recompute_layers < 0 || p.recompute_layers > b.layers) {
    return InvalidArgumentError("{}.parallel.recompute_layers: {} outside 0..layers {}", where,
                                p.recompute_layers, b.layers);
  }
  TS_RETURN_IF_ERROR(ValidateSchedule(p, where));
  TS_RETURN_IF_ERROR(ValidateMtp(b, where));
  const int chunks = p.schedule == PpSchedule::kDualPipeV ? 2 : p.vpp;  // model stages per rank
  if (b.layers < p.pp * chunks) {
    return InvalidArgumentError("{}.parallel: {} pipeline stages exceed layers {}", where,
                                p.pp * chunks, b.layers);
  }
  if (p.cp_kind == CpKind::kUlysses && b.heads % (p.cp * p.tp) != 0) {
    return InvalidArgumentError("{}.parallel.cp: Ulysses needs heads {} divisible by tp*cp {}",
                                where, b.heads, p.cp * p.tp);
  }
  if (b.kind == BlockKind::kMoe) {
    if (b.num_experts <= 0 || b.top_k <= 0 || b.top_k > b.num_experts) {
      return InvalidArgumentError("{}: moe needs num_experts > 0 and 0 < top_k <= experts",
                                  where);
    }
    TS_RETURN_IF_ERROR(
        CheckRange(where + ".router_imbalance (slowest EP rank / mean)", b.router_imbalance, 1, 64));
    if (b.capacity_factor != 0) {  // 0: dropless
      TS_RETURN_IF_ERROR(CheckRange(where + ".capacity_factor (0 = dropless)", b.capacity_factor,
                                    0.05, 64));
    }
    if (b.num_experts % p.ep != 0) {
      return InvalidArgumentError("{}.parallel.ep: {} does not divide num_experts {}", where,
                                  p.ep, b.num_experts);
    }
    const int dp = DataParallelSize(b, gpus);
    if (p.ep_layout == EpLayout::kConsecutive && (p.tp * p.cp * dp) % p.ep != 0) {
      return InvalidArgumentError(
          "{}.parallel.ep: {} does not divide tp*cp*dp {} (the ranks of a pipeline stage, "
          "over which Megatron Core lays out its expert groups)",
          where, p.ep, p.tp * p.cp * dp);
    }
    if (p.ep_layout == EpLayout::kAcrossReplicas && dp % p.ep != 0) {
      return InvalidArgumentError(
          "{}.parallel.ep: {} does not divide the DP size {} (ep_layout: across_replicas puts "
          "one rank of each EP group in each DP replica)",
          where, p.ep, dp);
    }
    if (EpFolded(b, gpus) && p.tp > 1 && !p.sp) {
      return InvalidArgumentError(
          "{}.parallel.sp: EP {} with TP {} needs sequence parallelism (each TP rank "
          "dispatches its own tokens to experts that are not TP-split)",
          where, p.ep, p.tp);
    }
  }
  if (b.kind == BlockKind::kDit && b.samples.empty()) {
    return InvalidArgumentError("{}: a dit block needs a 'samples' mix", where);
  }
  return OkStatus();
}

// Batch, token budget and the microbatch count they give the main block.
Status ValidateTraining(const JobConfig& job) {
  const int gpus = job.cluster.gpus;
  const BlockConfig& main = job.blocks[static_cast<size_t>(MainBlockIndex(job))];
  // NaN passes every comparison below, and an infinite budget printed 'inf GPU-hours'.
  if (!std::isfinite(job.training.global_batch_tokens)) {
    return InvalidArgumentError("training.global_batch_tokens: {} is not a finite token count",
                                job.training.global_batch_tokens);
  }
  if (!std::isfinite(job.training.tokens_total) || job.training.tokens_total < 0) {
    return InvalidArgumentError(
        "training.tokens_total: {} is not a token budget (a finite number >= 0; 0 = none)",
        job.training.tokens_total);
  }
  if (job.training.global_batch < 0 || job.training.global_batch_tokens < 0) {
    return InvalidArgumentError("training.{}: {} is negative; a batch is a positive count",
                                job.training.global_batch < 0 ? "global_batch"
                                                              : "global_batch_tokens",
                                job.training.global_batch < 0
                                    ? static_cast<double>(job.training.global_batch)
                                    : static_cast<double>(job.training.global_batch_tokens));
  }
  if (job.training.global_batch <= 0 && job.training.global_batch_tokens <= 0) {
    return InvalidArgumentError("training: give global_batch (sequences) or global_batch_tokens");
  }
  // The microbatch count is bounded for every kind of main block: a DiT's batch of 1e12 wrapped
  // the count around and was reported as 'microbatches ... must be >= 1'.
  if (job.training.global_batch > 0) {
    const int64_t dp = DataParallelSize(main, gpus);
    if (main.kind != BlockKind::kDit &&
        job.training.global_batch % (dp * main.plan.micro_batch) != 0) {
      return InvalidArgumentError(
          "training.global_batch: {} is not a multiple of dp {} x micro_batch {}",
          job.training.global_batch, dp, main.plan.micro_batch);
    }
    const int64_t microbatches = job.training.global_batch / (dp * main.plan.micro_batch);
    if (microbatches > kMaxMicrobatches) {
      return InvalidArgumentError(
          "training.global_batch: {} gives {} microbatches per pipeline and step (global_batch / "
          "(dp {} x micro_batch {})), more than the {} trainscope simulates; a typo?",
          job.training.global_batch, microbatches, dp, main.plan.micro_batch, kMaxMicrobatches);
    }
  }
  if (job.training.effective_time_ratio <= 0 || job.training.effective_time_ratio > 1) {
    return InvalidArgumentError("training.effective_time_ratio: must be in (0, 1]");
  }
  return OkStatus();
}

// hf_eager counts transformers' decoder and ViT modules (LayerElementwiseTraffic); a DiT
// (diffusers: adaLN modulation, Q/K norms) or a MoE layer (transformers loops over its experts
// in Python) runs other eager code the count does not describe.
Status ValidateElementwise(const JobConfig& job) {
  if (job.system.elementwise != Elementwise::kHfEager) return OkStatus();
  for (size_t i = 0; i < job.blocks.size(); ++i) {
    const BlockKind kind = job.blocks[i].kind;
    if (kind == BlockKind::kDit || kind == BlockKind::kMoe) {
      return InvalidArgumentError(
          "system.elementwise: hf_eager models transformers' dense decoder and ViT modules; "
          "blocks[{}] ({}) is a {} block, whose eager code it does not count (use fused)",
          i, job.blocks[i].name, kind == BlockKind::kDit ? "dit" : "moe");
    }
  }
  return OkStatus();
}

}  // namespace

Status ValidateJobConfig(const JobConfig& job) {
  TS_RETURN_IF_ERROR(ValidateCluster(job));
  TS_RETURN_IF_ERROR(ValidateRates(job));
  TS_RETURN_IF_ERROR(ValidateElementwise(job));
  for (size_t i = 0; i < job.blocks.size(); ++i) {
    TS_RETURN_IF_ERROR(ValidateBlock(job.blocks[i], i, job.cluster.gpus));
  }
  return ValidateTraining(job);
}

}  // namespace trainscope::workload
