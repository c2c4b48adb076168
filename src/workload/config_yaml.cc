// SPDX-License-Identifier: Apache-2.0
// YAML -> JobConfig. Every field is optional except the model shape; fields tagged [A] in the
// workloads brief record an Assumption when they keep their default.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <limits>
#include <utility>
#include <vector>

#include "base/byte_source.h"
#include "base/suggest.h"
#include "workload/config_io.h"

namespace trainscope::workload {
namespace {

template <typename E, size_t N>
Result<E> ParseEnum(std::string_view text, const std::array<std::pair<const char*, E>, N>& table,
                    std::string_view what) {
  std::string options;
  for (const auto& [name, value] : table) {
    if (text == name) return value;
    options += options.empty() ? name : std::string(", ") + name;
  }
  return InvalidArgumentError("unknown {} '{}' (expected one of: {})", what, text, options);
}

constexpr std::array<std::pair<const char*, BlockKind>, 6> kKinds{
    {{"dense", BlockKind::kDense},
     {"dense_transformer", BlockKind::kDense},
     {"moe", BlockKind::kMoe},
     {"moe_transformer", BlockKind::kMoe},
     {"vit", BlockKind::kVit},
     {"dit", BlockKind::kDit}}};
constexpr std::array<std::pair<const char*, DpMode>, 6> kDpModes{{{"dp", DpMode::kDp},
                                                                  {"zero1", DpMode::kZero1},
                                                                  {"zero2", DpMode::kZero2},
                                                                  {"zero3", DpMode::kZero3},
                                                                  {"fsdp", DpMode::kFsdp},
                                                                  {"ddp", DpMode::kDp}}};
constexpr std::array<std::pair<const char*, PpSchedule>, 6> kSchedules{
    {{"1f1b", PpSchedule::k1f1b},
     {"interleaved_1f1b", PpSchedule::kInterleaved},
     {"interleaved", PpSchedule::kInterleaved},
     {"zb_h1", PpSchedule::kZeroBubbleH1},
     {"dualpipe", PpSchedule::kDualPipe},
     {"dualpipev", PpSchedule::kDualPipeV}}};
constexpr std::array<std::pair<const char*, CpKind>, 3> kCpKinds{
    {{"ring", CpKind::kRing}, {"ulysses", CpKind::kUlysses}, {"all_gather", CpKind::kAllGather}}};
constexpr std::array<std::pair<const char*, Recompute>, 4> kRecompute{
    {{"none", Recompute::kNone},
     {"selective", Recompute::kSelective},
     {"full", Recompute::kFull},
     {"offload", Recompute::kOffload}}};
constexpr std::array<std::pair<const char*, Elementwise>, 2> kElementwise{
    {{"fused", Elementwise::kFused}, {"hf_eager", Elementwise::kHfEager}}};
constexpr std::array<std::pair<const char*, FfnAct>, 2> kActs{
    {{"gelu", FfnAct::kGelu}, {"swiglu", FfnAct::kSwiglu}}};
constexpr std::array<std::pair<const char*, EpLayout>, 2> kEpLayouts{
    {{"consecutive", EpLayout::kConsecutive}, {"across_replicas", EpLayout::kAcrossReplicas}}};
constexpr std::array<std::pair<const char*, MoeDispatcher>, 2> kDispatchers{
    {{"alltoall", MoeDispatcher::kAllToAll}, {"deepep", MoeDispatcher::kDeepEp}}};
constexpr std::array<std::pair<const char*, Balancing>, 3> kBalancing{
    {{"none", Balancing::kNone},
     {"greedy_flops", Balancing::kGreedyFlops},
     {"runtime_lookup", Balancing::kRuntimeLookup}}};
constexpr std::array<std::pair<const char*, DitStreams>, 3> kStreams{
    {{"single", DitStreams::kSingle},
     {"dual", DitStreams::kDual},
     {"hybrid", DitStreams::kHybrid}}};
constexpr std::array<std::pair<const char*, TextAttention>, 2> kTextAttention{
    {{"joint", TextAttention::kJoint}, {"cross", TextAttention::kCross}}};

template <typename E, size_t N>
std::string_view NameOf(E v, const std::array<std::pair<const char*, E>, N>& table) {
  for (const auto& [name, value] : table) {
    if (value == v) return name;
  }
  return "?";
}

// Reads fields of one YAML mapping; the first error sticks and names the field and place. Every
// key asked for is remembered, so CheckKeys can refuse the others: a misspelled `recompte: full`
// must not leave selective recompute in place silently.
class FieldReader {
 public:
  FieldReader(const YAML::Node& node, std::string path, JobConfig* job, Status* error)
      : node_(node), path_(std::move(path)), job_(job), error_(error) {}

  // A key read elsewhere (a nested mapping or list).
  void Known(const char* key) { known_.emplace_back(key); }
  // A key that this mapping's kind does not use: an error when given.
  void NotApplicable(const char* key, const char* applies_to) {
    if (Has(key)) Fail(node_[key], fmt::format("{}{}: applies to {} only", path_, key, applies_to));
  }

  // Fails on a key of the mapping that no Get/Enum/Assumed/Known named (with the nearest valid
  // key) and on a key given twice (YAML keeps the first silently).
  void CheckKeys() {
    if (!node_.IsMap()) return;
    std::vector<std::pair<std::string, YAML::Mark>> seen;
    for (const auto& entry : node_) {
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string("?");
      for (const auto& [other, mark] : seen) {
        if (other == key) {
          return Fail(entry.first, fmt::format("{}{}: given twice (first at line {}:{}); YAML "
                                               "would keep the first silently",
                                               path_, key, mark.line + 1, mark.column + 1));
        }
      }
      seen.emplace_back(key, entry.first.Mark());
      if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
        return Fail(entry.first,
                    fmt::format("{}{}: unknown key{}", path_, key, DidYouMean(key, known_)));
      }
    }
  }

  template <typename T>
  void Get(const char* key, T* out) {
    Read(key, out);
  }
  // An [A] field: when absent, its default is recorded as an assumption.
  template <typename T>
  void Assumed(const char* key, T* out, const char* note) {
    if (!Read(key, out)) Assume(key, fmt::format("{}", *out), note);
  }
  template <typename E, size_t N>
  void Enum(const char* key, E* out, const std::array<std::pair<const char*, E>, N>& table) {
    std::string text;
    if (!Read(key, &text)) return;
    Result<E> parsed = ParseEnum(text, table, path_ + key);
    if (!parsed.ok()) return Fail(node_[key], parsed.error().message());
    *out = *parsed;
  }
  void Assume(const char* key, std::string value, std::string note) {
    job_->assumed.push_back({path_ + key, std::move(value), std::move(note)});
  }
  bool Has(const char* key) {
    Known(key);
    return node_[key].IsDefined() && !node_[key].IsNull();
  }
  YAML::Node Child(const char* key) const { return node_[key]; }
  const std::string& path() const { return path_; }

  void Fail(const YAML::Node& at, const std::string& message) {
    if (!error_->ok()) return;
    const YAML::Mark mark = at.Mark();
    *error_ = InvalidArgumentError("line {}:{}: {}", mark.line + 1, mark.column + 1, message);
  }

 private:
  template <typename T>
  bool Read(const char* key, T* out) {
    Known(key);
    const YAML::Node value = node_[key];
    if (!value.IsDefined() || value.IsNull()) return false;
    try {
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        const double number = value.as<double>();  // allows 3e11 for counts
        // Range first: converting a double outside T is undefined (layers: 1e30).
        if (!(number >= static_cast<double>(std::numeric_limits<T>::min()) &&
              number <= static_cast<double>(std::numeric_limits<T>::max()))) {
          Fail(value, fmt::format("{}{}: {} is out of range ({} to {})", path_, key, value.Scalar(),
                                  std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
          return true;
        }
        *out = static_cast<T>(number);
        if (static_cast<double>(*out) != number) {
          Fail(value, fmt::format("{}{}: expected an integer", path_, key));
        }
      } else {
        *out = value.as<T>();
      }
    } catch (const YAML::Exception&) {
      Fail(value, fmt::format("{}{}: cannot read '{}' as the expected type", path_, key,
                              value.IsScalar() ? value.Scalar() : std::string("<node>")));
    }
    return true;
  }

  YAML::Node node_;
  std::string path_;
  JobConfig* job_;
  Status* error_;
  std::vector<std::string> known_;
};

// Megatron Core's --recompute-modules names; core_attn is `recompute: selective`.
void ReadRecomputeModules(FieldReader& r, ParallelPlan* plan) {
  std::vector<std::string> modules;
  r.Get("recompute_modules", &modules);
  for (size_t i = 0; i < modules.size(); ++i) {
    const std::string& m = modules[i];
    if (m == "layernorm") {
      plan->recompute_layernorm = true;
    } else if (m == "mla_up_proj") {
      plan->recompute_mla_up_proj = true;
    } else if (m == "moe_act") {
      plan->recompute_moe_act = true;
    } else {
      return r.Fail(r.Child("recompute_modules")[i],
                    fmt::format("{}recompute_modules: unknown module '{}' (layernorm, "
                                "mla_up_proj, moe_act; the attention core is recompute: "
                                "selective)",
                                r.path(), m));
    }
  }
}

void ReadPlan(FieldReader& r, ParallelPlan* plan) {
  r.Enum("dp_mode", &plan->dp_mode, kDpModes);
  r.Get("fsdp_shard", &plan->fsdp_shard);
  r.Get("tp", &plan->tp);
  r.Get("sp", &plan->sp);
  r.Get("tp_overlap", &plan->tp_overlap);
  r.Get("pp", &plan->pp);
  r.Enum("schedule", &plan->schedule, kSchedules);
  r.Get("vpp", &plan->vpp);
  if (plan->vpp > 1 && !r.Has("schedule")) plan->schedule = PpSchedule::kInterleaved;
  r.Get("cp", &plan->cp);
  r.Enum("cp_kind", &plan->cp_kind, kCpKinds);
  r.Get("ep", &plan->ep);
  // Assumed per prediction (a sweep or --ep may turn EP on): predictor.cc, AddLayoutAssumptions.
  plan->ep_layout_given = r.Has("ep_layout");
  r.Enum("ep_layout", &plan->ep_layout, kEpLayouts);
  r.Get("micro_batch", &plan->micro_batch);
  r.Get("ep_overlap", &plan->ep_overlap);
  r.Enum("recompute", &plan->recompute, kRecompute);
  r.Get("recompute_layers", &plan->recompute_layers);
  r.Get("recompute_to_fit", &plan->recompute_to_fit);
  ReadRecomputeModules(r, plan);
  r.Enum("balancing", &plan->balancing, kBalancing);
  r.Get("balancing_group", &plan->balancing_group);
  r.Assumed("dp_overlap", &plan->dp_overlap, "grad reduce overlapped with backward");
}

void ReadBlock(FieldReader& r, BlockConfig* b) {
  r.Get("name", &b->name);
  r.Enum("kind", &b->kind, kKinds);
  b->causal = b->kind == BlockKind::kDense || b->kind == BlockKind::kMoe;
  b->bias = b->kind != BlockKind::kDit;
  r.Get("frozen", &b->frozen);
  r.Get("inputs", &b->inputs);
  r.Get("layers", &b->layers);
  r.Get("hidden", &b->hidden);
  r.Get("heads", &b->heads);
  r.Get("kv_heads", &b->kv_heads);
  r.Get("head_dim", &b->head_dim);
  r.Get("q_lora_rank", &b->q_lora_rank);
  r.Get("kv_lora_rank", &b->kv_lora_rank);
  r.Get("qk_head_dim", &b->qk_head_dim);
  r.Get("v_head_dim", &b->v_head_dim);
  r.Get("rope_head_dim", &b->rope_head_dim);
  r.Get("ffn_hidden", &b->ffn_hidden);
  r.Enum("ffn_act", &b->ffn_act, kActs);
  r.Get("vocab", &b->vocab);
  r.Get("seq_len", &b->seq_len);
  r.Get("tied_embeddings", &b->tied_embeddings);
  r.Get("bias", &b->bias);
  b->dropout = b->bias;  // GPT-style models train with dropout, Llama-style ones without
  r.Get("dropout", &b->dropout);
  r.Get("causal", &b->causal);
  r.Get("flash_attention", &b->flash_attention);
  r.Get("flash_version", &b->flash_version);
  r.Get("num_experts", &b->num_experts);
  r.Get("top_k", &b->top_k);
  r.Get("expert_ffn_hidden", &b->expert_ffn_hidden);
  r.Get("shared_experts", &b->shared_experts);
  r.Get("moe_layer_freq", &b->moe_layer_freq);
  r.Get("first_dense_layers", &b->first_dense_layers);
  r.Get("route_nodes", &b->route_nodes);
  if (b->kind == BlockKind::kDense || b->kind == BlockKind::kMoe) {
    r.Get("mtp_layers", &b->mtp_layers);
  } else {
    r.NotApplicable("mtp_layers", "dense and moe blocks");
  }
  if (b->kind == BlockKind::kMoe) {
    r.Get("capacity_factor", &b->capacity_factor);
    r.Assumed("router_imbalance", &b->router_imbalance, "slowest EP rank load / mean");
    if (r.Has("dispatcher")) {
      r.Enum("dispatcher", &b->dispatcher, kDispatchers);
    } else {
      r.Assume("dispatcher", "alltoall",
               "Megatron Core's default: tokens permuted into expert order and back in kernels of "
               "their own (deepep: inside the dispatch and combine)");
    }
  } else {
    r.NotApplicable("capacity_factor", "moe blocks");
    r.NotApplicable("router_imbalance", "moe blocks");
    r.NotApplicable("dispatcher", "moe blocks");
  }
  r.Get("patch", &b->patch);
  r.Get("mlp_ratio", &b->mlp_ratio);
  r.Get("pooling", &b->pooling);
  r.Get("adapter_out", &b->adapter_out);
  if (b->kind == BlockKind::kVit) {
    r.Assumed("visual_token_share", &b->visual_token_share, "share of LLM tokens that are visual");
    r.Assumed("image_vit_tokens", &b->image_vit_tokens, "ViT tokens per image (1024^2 image)");
    r.Assumed("image_tokens_cv", &b->image_tokens_cv, "spread of per-image token counts");
  } else {
    for (const char* key : {"visual_token_share", "image_vit_tokens", "image_tokens_cv"})
      r.NotApplicable(key, "vit blocks");
  }
  r.Enum("streams", &b->streams, kStreams);
  r.Get("shared_ffn_fraction", &b->shared_ffn_fraction);
  r.Get("text_tokens", &b->text_tokens);
  r.Get("text_dim", &b->text_dim);
  if (b->kind == BlockKind::kDit) {
    r.Enum("text_attention", &b->text_attention, kTextAttention);
  } else {
    r.NotApplicable("text_attention", "dit blocks");
  }
  r.Get("vae_dt", &b->vae_dt);
  r.Get("vae_dh", &b->vae_dh);
  r.Get("vae_dw", &b->vae_dw);
  r.Get("vae_channels", &b->vae_channels);
  r.Get("patch_t", &b->patch_t);
  r.Get("patch_h", &b->patch_h);
  r.Get("patch_w", &b->patch_w);
}

// A cluster has its GPU's reference system unless the config says otherwise: its NVLink domain
// (8 GPUs; 72 in a GB200 / GB300 NVL72), a NIC per GPU, and the NIC speed (an A100 cluster is
// not a 400 Gb/s one); each default is said in the assumptions.
void ReadClusterNetwork(FieldReader& r, ClusterConfig* cluster,
                        std::vector<Assumption>* assumed) {
  NetworkStated stated;
  stated.gpus_per_node = r.Has("gpus_per_node");
  stated.nics_per_node = r.Has("nics_per_node");
  stated.nic_gbps = r.Has("nic_gbps");
  r.Get("gpus_per_node", &cluster->gpus_per_node);
  r.Get("nics_per_node", &cluster->nics_per_node);
  r.Get("nic_gbps", &cluster->nic_gbps);
  DefaultClusterNetwork(stated, cluster, assumed);
}

void ReadCluster(const YAML::Node& cluster, JobConfig* job, Status* error) {
  ClusterConfig& c = job->cluster;
  if (cluster.IsDefined()) {
    FieldReader r(cluster, "cluster.", job, error);
    std::string gpu_name = c.gpu.name;
    r.Get("gpu", &gpu_name);
    if (!LookupGpu(gpu_name, &c.gpu)) {
      r.Fail(cluster["gpu"], fmt::format("cluster.gpu: unknown GPU '{}' ({}; override "
                                         "peak_flops etc. for others)",
                                         gpu_name, KnownGpuNames()));
    }
    r.Get("peak_flops", &c.gpu.peak_flops);
    r.Get("hbm_bytes", &c.gpu.hbm_bytes);
    r.Get("hbm_bw", &c.gpu.hbm_bw);
    r.Get("nvlink_bw", &c.gpu.nvlink_bw);
    c.gpu.efficiencies_stated = r.Has("gemm_eff_max") || r.Has("attn_eff");
    const std::string basis = " (" + c.gpu.efficiency_basis + ")";
    const std::string gemm_note = "achieved/peak on large GEMMs" + basis;
    r.Assumed("gemm_eff_max", &c.gpu.gemm_eff_max, gemm_note.c_str());
    r.Assumed("gemm_half_dim", &c.gpu.gemm_half_dim, "GEMM dim at half efficiency");
    r.Assumed("attn_eff", &c.gpu.attn_eff, ("attention-core efficiency" + basis).c_str());
    r.Get("attn_eff_fa3", &c.gpu.attn_eff_fa3);
    r.Get("fp8_peak_flops", &c.gpu.fp8_peak_flops);
    r.Get("fp8_gemm_eff_max", &c.gpu.fp8_gemm_eff_max);
    r.Get("pcie_bw", &c.gpu.pcie_bw);
    r.Get("gpus", &c.gpus);
    ReadClusterNetwork(r, &c, &job->assumed);
    r.Assumed("nvlink_bus_eff", &c.nvlink_bus_eff, "NCCL bus bw / NVLink bw");
    r.Assumed("nic_bus_eff", &c.nic_bus_eff, "NCCL bus bw / NIC bw");
    r.Get("hop_latency_s", &c.hop_latency_s);
    r.Get("oversubscription", &c.oversubscription);
    r.CheckKeys();
  }
}

// system: software efficiencies and precision choices.
void ReadSystem(const YAML::Node& system, JobConfig* job, Status* error) {
  SystemConfig& s = job->system;
  FieldReader sr(system.IsDefined() ? system : YAML::Node(YAML::NodeType::Map), "system.", job,
                 error);
  sr.Enum("elementwise", &s.elementwise, kElementwise);
  if (s.elementwise == Elementwise::kHfEager) {
    // The eager traffic is counted from each block's structure; a per-element figure would
    // silently replace it.
    if (sr.Has("elementwise_bytes_per_elem")) {
      sr.Fail(system["elementwise_bytes_per_elem"],
              "system.elementwise_bytes_per_elem: applies to elementwise: fused only (hf_eager "
              "counts its traffic from each block; docs/workload.md)");
    }
  } else {
    sr.Assumed("elementwise_bytes_per_elem", &s.elementwise_bytes_per_elem,
               "HBM traffic of non-GEMM ops");
  }
  sr.Assumed("backward_efficiency", &s.backward_efficiency,
             "backward vs forward kernel efficiency");
  sr.Get("tp_overlap_fraction", &s.tp_overlap_fraction);
  sr.Assumed("dp_exposed_fraction", &s.dp_exposed_fraction, "overlapped DP comm still exposed");
  sr.Get("pp_p2p_blocking", &s.pp_p2p_blocking);
  sr.Assumed("grad_reduce_bytes", &s.grad_reduce_bytes, "fp32 gradient reduction");
  sr.Get("optimizer_bytes_per_param", &s.optimizer_bytes_per_param);
  sr.Assumed("fragmentation", &s.fragmentation, "allocator fragmentation");
  sr.Assumed("comm_buffer_bytes", &s.comm_buffer_bytes, "NCCL and bucket buffers");
  sr.Get("parallel_block", &s.parallel_block);
  sr.Get("fp8_gemm", &s.fp8_gemm);
  sr.Get("fp8_activation_cache", &s.fp8_activation_cache);
  sr.Get("optimizer_moment_bytes", &s.optimizer_moment_bytes);
  sr.Get("comm_sm_share", &s.comm_sm_share);
  sr.Get("step_overhead_s", &s.step_overhead_s);
  sr.CheckKeys();
}

Status ParseRoot(const YAML::Node& root, JobConfig* job) {
  Status error;
  if (!root.IsMap()) return InvalidArgumentError("line 1: the document must be a mapping");
  FieldReader top(root, "", job, &error);
  top.Get("name", &job->name);
  top.Get("description", &job->description);
  for (const char* key : {"blocks", "cluster", "system", "training", "assumptions"}) top.Known(key);
  // Unknown top-level keys first: a misspelt or foreign section ("model:") is the news, not the
  // 'blocks' list it left out.
  top.CheckKeys();
  if (!error.ok()) return error;
  const YAML::Node blocks = root["blocks"];
  if (!blocks.IsDefined() || !blocks.IsSequence() || blocks.size() == 0) {
    return InvalidArgumentError("'blocks' must be a non-empty list of model blocks");
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    BlockConfig block;
    block.name = fmt::format("block{}", i);
    std::string path = fmt::format("blocks[{}].", i);
    FieldReader r(blocks[i], path, job, &error);
    ReadBlock(r, &block);
    r.Known("parallel");
    r.Known("samples");
    r.CheckKeys();
    const YAML::Node par = blocks[i]["parallel"];
    if (par.IsDefined()) {
      FieldReader pr(par, path + "parallel.", job, &error);
      ReadPlan(pr, &block.plan);
      pr.CheckKeys();
    }
    const YAML::Node samples = blocks[i]["samples"];
    for (size_t s = 0; samples.IsDefined() && samples.IsSequence() && s < samples.size(); ++s) {
      SampleKind kind;
      FieldReader sr(samples[s], fmt::format("{}samples[{}].", path, s), job, &error);
      sr.Get("name", &kind.name);
      sr.Get("width", &kind.width);
      sr.Get("height", &kind.height);
      sr.Get("frames", &kind.frames);
      sr.Get("weight", &kind.weight);
      sr.CheckKeys();
      block.samples.push_back(kind);
    }
    job->blocks.push_back(std::move(block));
  }
  ReadCluster(root["cluster"], job, &error);
  ReadSystem(root["system"], job, &error);
  const YAML::Node training = root["training"];
  TrainingConfig& t = job->training;
  FieldReader tr(training.IsDefined() ? training : YAML::Node(YAML::NodeType::Map), "training.",
                 job, &error);
  tr.Get("global_batch", &t.global_batch);
  tr.Get("global_batch_tokens", &t.global_batch_tokens);
  tr.Get("tokens_total", &t.tokens_total);
  tr.Assumed("effective_time_ratio", &t.effective_time_ratio, "useful time / wall time");
  tr.CheckKeys();
  // Explicit assumptions a preset declares for values it sets (the [A] shape of Seed's LLM).
  const YAML::Node assumptions = root["assumptions"];
  for (size_t i = 0; assumptions.IsDefined() && assumptions.IsSequence() && i < assumptions.size();
       ++i) {
    Assumption a;
    FieldReader ar(assumptions[i], fmt::format("assumptions[{}].", i), job, &error);
    ar.Get("field", &a.field);
    ar.Get("value", &a.value);
    ar.Get("note", &a.note);
    ar.CheckKeys();
    job->assumed.push_back(std::move(a));
  }
  return error;
}

}  // namespace

Result<JobConfig> ParseJobConfig(std::string_view yaml_text, std::string_view source) {
  JobConfig job;
  job.source = std::string(source);
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    Status status = ParseRoot(root, &job);
    if (!status.ok()) return status.WithPrefix(source);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("{}: line {}:{}: {}", source, e.mark.line + 1, e.mark.column + 1,
                                e.msg);
  }
  Status valid = ValidateJobConfig(job);
  if (!valid.ok()) return valid.WithPrefix(source);
  return job;
}

int64_t LlamaFfnHidden(int64_t hidden) {
  const int64_t eight_thirds = (8 * hidden + 2) / 3;  // 8/3 x hidden, rounded up
  return (eight_thirds + 255) / 256 * 256;
}

Result<JobConfig> DecoderJob(const DecoderFlags& f) {
  if (GpuSpec spec; !f.gpu.empty() && !LookupGpu(f.gpu, &spec)) {
    return InvalidArgumentError("--gpu: unknown GPU '{}' ({})", f.gpu, KnownGpuNames());
  }
  const bool moe = f.experts > 0;
  const int64_t ffn = f.ffn_hidden > 0 ? f.ffn_hidden : LlamaFfnHidden(f.hidden);
  std::string yaml = fmt::format(
      "name: flags\ndescription: model and layout from command-line flags\nblocks:\n"
      "  - name: llm\n    kind: {}\n    layers: {}\n    hidden: {}\n    heads: {}\n"
      "    seq_len: {}\n    vocab: {}\n    ffn_act: swiglu\n    bias: false\n"
      "    {}: {}\n",
      moe ? "moe" : "dense", f.layers, f.hidden, f.heads, f.seq_len, f.vocab > 0 ? f.vocab : 32000,
      moe ? "expert_ffn_hidden" : "ffn_hidden", ffn);
  if (moe) {
    yaml += fmt::format("    num_experts: {}\n    top_k: {}\n", f.experts, std::min(2, f.experts));
  }
  yaml += fmt::format("    parallel: {{tp: {}, pp: {}, cp: {}, ep: {}, micro_batch: {}}}\n", f.tp,
                      f.pp, f.cp, f.ep, f.micro_batch);
  yaml += fmt::format("cluster:\n  gpus: {}\n", f.gpus);
  if (!f.gpu.empty()) yaml += fmt::format("  gpu: \"{}\"\n", f.gpu);
  yaml += fmt::format("training:\n  global_batch: {}\n", f.global_batch);
  TS_ASSIGN_OR_RETURN(JobConfig job, ParseJobConfig(yaml, "command line"));
  job.assumed.push_back({"blocks[0].ffn_act", "swiglu", "flag default (Llama-style decoder)"});
  job.assumed.push_back({"blocks[0].bias", "false", "flag default"});
  if (f.vocab <= 0) job.assumed.push_back({"blocks[0].vocab", "32000", "flag default (--vocab)"});
  if (f.ffn_hidden <= 0) {
    job.assumed.push_back({"blocks[0].ffn_hidden", std::to_string(ffn),
                           "8/3 x hidden rounded up to 256, the Llama rule (--ffn)"});
  }
  if (f.gpu.empty())
    job.assumed.push_back({"cluster.gpu", job.cluster.gpu.name, "flag default (--gpu)"});
  return job;
}

Result<JobConfig> LoadJobConfig(const std::string& path) {
  TS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseJobConfig(text, path);
}

std::string_view Name(BlockKind v) { return NameOf(v, kKinds); }
std::string_view Name(DpMode v) { return NameOf(v, kDpModes); }
std::string_view Name(PpSchedule v) { return NameOf(v, kSchedules); }
std::string_view Name(CpKind v) { return NameOf(v, kCpKinds); }
std::string_view Name(Recompute v) { return NameOf(v, kRecompute); }
std::string_view Name(Elementwise v) { return NameOf(v, kElementwise); }
std::string_view Name(FfnAct v) { return NameOf(v, kActs); }
std::string_view Name(MoeDispatcher v) { return NameOf(v, kDispatchers); }
std::string_view Name(EpLayout v) { return NameOf(v, kEpLayouts); }
Result<Recompute> ParseRecompute(std::string_view text) {
  return ParseEnum(text, kRecompute, "recompute");
}

Result<DpMode> ParseDpMode(std::string_view text) { return ParseEnum(text, kDpModes, "dp_mode"); }
Result<Elementwise> ParseElementwise(std::string_view text) {
  return ParseEnum(text, kElementwise, "elementwise");
}

Result<CpKind> ParseCpKind(std::string_view text) { return ParseEnum(text, kCpKinds, "cp_kind"); }

Result<PpSchedule> ParseSchedule(std::string_view text) {
  return ParseEnum(text, kSchedules, "schedule");
}

}  // namespace trainscope::workload
