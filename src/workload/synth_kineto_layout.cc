// SPDX-License-Identifier: Apache-2.0
// Process groups, streams and kernel layout of the synthesised Kineto traces (synth_kineto.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "base/json_writer.h"
#include "workload/internal/synth_kineto.h"

namespace trainscope::workload::internal {
namespace {

const ParallelPlan& MainPlan(const Timeline& t) {
  return t.job->blocks[static_cast<size_t>(MainBlockIndex(*t.job))].plan;
}

bool Fsdp(const ParallelPlan& p) {
  return p.dp_mode == DpMode::kFsdp || p.dp_mode == DpMode::kZero3;
}

// Replicas that shard the parameters among them (cost_model.cc: AddFsdpLayerComm).
int ShardSize(const Timeline& t) {
  const ParallelPlan& p = MainPlan(t);
  return p.fsdp_shard > 0 ? std::min(p.fsdp_shard, t.dp) : t.dp;
}

bool HybridShard(const Timeline& t) {
  const int shard = ShardSize(t);
  return Fsdp(MainPlan(t)) && shard > 1 && shard < t.dp;
}

// Kernel names as the profiler shows them. cuBLAS picks a different kernel (tile shape, operand
// layout) for differently shaped GEMMs, so each GEMM of a layer gets a name of its own, as in a
// real trace, and the what-if analysis does not pool a small GEMM with a large one.
uint32_t NameHash(std::string_view s) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return h;
}

const char* GemmName(bool hopper, bool fwd, std::string_view role) {
  static constexpr const char* kAmpere[] = {
      "ampere_bf16_s16816gemm_bf16_128x256_ldg8_f2f_stages_64x3_tn",
      "ampere_bf16_s16816gemm_bf16_256x128_ldg8_f2f_stages_64x3_tn",
      "ampere_bf16_s16816gemm_bf16_128x128_ldg8_f2f_stages_64x3_tn",
      "ampere_bf16_s16816gemm_bf16_128x256_ldg8_f2f_stages_64x3_nn",
      "ampere_bf16_s16816gemm_bf16_256x128_ldg8_f2f_stages_64x3_nt",
      "ampere_bf16_s16816gemm_bf16_128x128_ldg8_f2f_stages_64x3_nt",
      "ampere_bf16_s16816gemm_bf16_64x128_ldg8_f2f_stages_64x4_nn",
      "ampere_bf16_s16816gemm_bf16_128x64_ldg8_f2f_stages_64x4_nt"};
  static constexpr const char* kHopper[] = {
      "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x256x64_warpgroupsize2x1x1_execute_"
      "segment_k_off_kernel__5x_cublas",
      "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize256x128x64_warpgroupsize2x1x1_execute_"
      "segment_k_off_kernel__5x_cublas",
      "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1_execute_"
      "segment_k_off_kernel__5x_cublas",
      "sm90_xmma_gemm_bf16bf16_bf16f32_f32_nn_n_tilesize128x256x64_warpgroupsize2x1x1_execute_"
      "segment_k_off_kernel__5x_cublas",
      "sm90_xmma_gemm_bf16bf16_bf16f32_f32_nt_n_tilesize256x128x64_warpgroupsize2x1x1_execute_"
      "segment_k_off_kernel__5x_cublas",
      "sm90_xmma_gemm_bf16bf16_bf16f32_f32_nt_n_tilesize128x128x64_warpgroupsize1x1x1_execute_"
      "segment_k_off_kernel__5x_cublas",
      "sm90_xmma_gemm_bf16bf16_bf16f32_f32_nn_n_tilesize64x128x64_warpgroupsize1x1x1_execute_"
      "segment_k_off_kernel__5x_cublas",
      "sm90_xmma_gemm_bf16bf16_bf16f32_f32_nt_n_tilesize128x64x64_warpgroupsize1x1x1_execute_"
      "segment_k_off_kernel__5x_cublas"};
  // Forward GEMMs take the first half (tn), backward ones (dgrad nn, wgrad nt) the second.
  const uint32_t i = NameHash(role) % 4 + (fwd ? 0 : 4);
  return hopper ? kHopper[i] : kAmpere[i];
}

const char* ComputeKernelName(bool hopper, bool fwd, const Kernel& k) {
  const std::string_view role = k.name;
  switch (k.kind) {
    case KernelKind::kGemm:
      return GemmName(hopper, fwd, role);
    case KernelKind::kAttention:
      return fwd ? "flash_fwd_kernel" : "flash_bwd_dq_dk_dv_loop_seqk_parallel_kernel";
    default:
      break;
  }
  if (role.find("norm") != std::string_view::npos) {
    return fwd ? "void at::native::(anonymous namespace)::vectorized_layer_norm_kernel<c10::"
                 "BFloat16, float>"
               : "void at::native::(anonymous namespace)::layer_norm_grad_input_kernel<c10::"
                 "BFloat16, float>";
  }
  if (role.find("permute") != std::string_view::npos) {  // torch's index_select / index_add
    return fwd ? "void at::native::(anonymous namespace)::indexSelectLargeIndex<c10::BFloat16, "
                 "long, unsigned int, 2, 2, -2, true>"
               : "void at::native::(anonymous namespace)::indexFuncLargeIndex<c10::BFloat16, "
                 "long, unsigned int, 2, 2, -2, true, at::native::ReduceAdd>";
  }
  if (role.find("act") != std::string_view::npos) {
    return fwd ? "void at::native::vectorized_elementwise_kernel<4, "
                 "at::native::GeluCUDAKernelImpl>"
               : "void at::native::vectorized_elementwise_kernel<4, "
                 "at::native::GeluBackwardCUDAKernelImpl>";
  }
  return "void at::native::vectorized_elementwise_kernel<4, "
         "at::native::CUDAFunctor_add<c10::BFloat16>>";
}

}  // namespace

int CudaStream(StreamKind kind) {
  static constexpr std::array<int, kStreamKinds> kStreams = {7,  13, 21, 23, 25, 27, 29,
                                                             31, 33, 35, 37, 39, 41, 43};
  return kStreams[static_cast<size_t>(kind)];
}

JobGroups BuildGroups(const Timeline& t) {
  JobGroups g;
  g.all.push_back({"0", "default_pg", {}});
  for (int r = 0; r < t.world; ++r) g.all[0].ranks.push_back(r);
  std::array<int32_t, kGroupKinds> none{};
  none.fill(-1);
  none[static_cast<size_t>(GroupKind::kWorld)] = 0;
  g.of_rank.assign(static_cast<size_t>(t.world), none);
  const int ep = std::max(1, MainPlan(t).ep), shard = std::max(1, ShardSize(t));
  const bool consecutive = MainPlan(t).ep_layout == EpLayout::kConsecutive;
  const bool hybrid = HybridShard(t);
  static constexpr const char* kDesc[] = {"tp", "cp",         "dp",           "pp",
                                          "ep", "fsdp_shard", "fsdp_replica", "embedding"};
  for (int kind = 0; kind < kGroupKinds - 1; ++kind) {
    const auto k = static_cast<GroupKind>(kind);
    if ((k == GroupKind::kShard || k == GroupKind::kReplica) && !hybrid) continue;
    if (k == GroupKind::kEmbedding && t.pp < 2) continue;
    std::map<std::array<int, 4>, int32_t> index;
    for (int r = 0; r < t.world; ++r) {
      const int w = r / (t.tp * t.cp), stage = w / t.dp, replica = w % t.dp;
      const int c = (r / t.tp) % t.cp, tr = r % t.tp;
      std::array<int, 4> key{};
      switch (k) {
        case GroupKind::kTp:
          key = {stage, replica, c, 0};
          break;
        case GroupKind::kCp:
          key = {stage, replica, tr, 0};
          break;
        case GroupKind::kDp:
          key = {stage, c, tr, 0};
          break;
        case GroupKind::kPp:
          key = {replica, c, tr, 0};
          break;
        case GroupKind::kEp:  // config.h, Expert parallelism
          key = consecutive ? std::array<int, 4>{stage, (r % (t.tp * t.cp * t.dp)) / ep, 0, 0}
                            : std::array<int, 4>{stage, c, tr, replica / ep};
          break;
        case GroupKind::kShard:
          key = {stage, c, tr, replica / shard};
          break;
        case GroupKind::kReplica:
          key = {stage, c, tr, replica % shard};
          break;
        case GroupKind::kEmbedding:
          if (stage != 0 && stage != t.pp - 1) continue;
          key = {replica, c, tr, 0};
          break;
        case GroupKind::kWorld:
          break;
      }
      auto [it, added] = index.emplace(key, static_cast<int32_t>(g.all.size()));
      if (added) g.all.push_back({std::to_string(g.all.size()), kDesc[kind], {}});
      g.all[static_cast<size_t>(it->second)].ranks.push_back(r);
      g.of_rank[static_cast<size_t>(r)][static_cast<size_t>(kind)] = it->second;
    }
  }
  return g;
}

std::string PgConfigJson(const JobGroups& groups, int rank) {
  JsonWriter w;
  w.BeginArray();
  std::vector<int32_t> own;
  for (int32_t i : groups.of_rank[static_cast<size_t>(rank)]) {
    if (i >= 0 && std::find(own.begin(), own.end(), i) == own.end()) own.push_back(i);
  }
  std::sort(own.begin(), own.end());
  for (int32_t i : own) {
    const SynthGroup& group = groups.all[static_cast<size_t>(i)];
    w.BeginObject().Field("pg_name", group.name).Field("pg_desc", group.desc);
    w.Field("backend_config", "cuda:nccl").Field("pg_size", static_cast<int>(group.ranks.size()));
    w.Key("ranks").BeginArray();
    for (int r : group.ranks) w.Int(r);
    w.EndArray().EndObject();
  }
  w.EndArray();
  return w.TakeString();
}

GraphComm GraphCommOf(const Timeline& t, const StepOp& op) {
  const BlockConfig& main = t.job->blocks[static_cast<size_t>(MainBlockIndex(*t.job))];
  const ParallelPlan& p = main.plan;
  const BlockTiming& timing = t.detail.main_timing;
  const int vpp = t.detail.shape.vpp;
  const double grad_bytes = t.job->system.grad_reduce_bytes * timing.params_on_rank;
  const bool fp32_grads = t.job->system.grad_reduce_bytes >= 4;
  GraphComm g;
  const auto set = [&](Collective c, GroupKind group, StreamKind stream, double bytes, bool fp32,
                       const char* name = nullptr) {
    g = GraphComm{true, c, group, stream, bytes, fp32, name};
  };
  switch (op.type) {
    case StepOpType::kForwardSend:
    case StepOpType::kForwardRecv:
    case StepOpType::kBackwardSend:
    case StepOpType::kBackwardRecv: {
      if (op.noop) break;
      const bool send = op.type == StepOpType::kForwardSend || op.type == StepOpType::kBackwardSend;
      const StreamKind stream = op.type == StepOpType::kForwardSend    ? StreamKind::kForwardSend
                                : op.type == StepOpType::kForwardRecv  ? StreamKind::kForwardRecv
                                : op.type == StepOpType::kBackwardSend ? StreamKind::kBackwardSend
                                                                       : StreamKind::kBackwardRecv;
      // One microbatch's activations of this rank: [tokens / cp, hidden] bf16, split by SP.
      const double bytes =
          2 * timing.micro_tokens / t.cp * static_cast<double>(main.hidden) / (p.sp ? t.tp : 1);
      set(Collective::kP2p, GroupKind::kPp, stream, bytes, false, send ? "send" : "recv");
      break;
    }
    case StepOpType::kParamGather:
      if (t.dp > 1 && (p.dp_mode == DpMode::kZero1 || p.dp_mode == DpMode::kZero2)) {
        const double chunks = t.detail.shape.dp_overlap ? vpp : 1;
        set(Collective::kAllGather, GroupKind::kDp, StreamKind::kDp,
            2 * timing.params_on_rank / chunks, false);
      }
      break;
    case StepOpType::kGradSync:
      if (t.dp < 2 || main.frozen) break;
      if (p.dp_mode == DpMode::kDp) {
        set(Collective::kAllReduce, GroupKind::kDp, StreamKind::kDp, grad_bytes / vpp, fp32_grads);
      } else if (!Fsdp(p)) {
        set(Collective::kReduceScatter, GroupKind::kDp, StreamKind::kDp, grad_bytes / vpp,
            fp32_grads);
      } else if (HybridShard(t)) {
        // Each replica all-reduces its shard across the shard groups (cost_model.cc).
        set(Collective::kAllReduce, GroupKind::kReplica, StreamKind::kReplica,
            grad_bytes / ShardSize(t) / vpp, fp32_grads);
      }
      break;
    case StepOpType::kEmbeddingAllReduce:
      if (t.pp > 1 && main.vocab > 0 && !main.frozen) {
        set(Collective::kAllReduce, GroupKind::kEmbedding, StreamKind::kEmbedding,
            t.job->system.grad_reduce_bytes * static_cast<double>(main.vocab) *
                static_cast<double>(main.hidden) / t.tp,
            fp32_grads);
      }
      break;
    case StepOpType::kLayernormAllReduce:
      // Sequence-parallel layernorm weights: their gradients are summed over the TP group.
      if (t.tp > 1) {
        set(Collective::kAllReduce, GroupKind::kTp, StreamKind::kTp,
            t.job->system.grad_reduce_bytes * 2 * static_cast<double>(main.hidden) *
                std::ceil(static_cast<double>(main.layers) / t.pp),
            fp32_grads);
      }
      break;
    case StepOpType::kClipGrad:
      set(Collective::kAllReduce, GroupKind::kWorld, StreamKind::kWorld, 4, true);
      break;
    default:
      break;
  }
  return g;
}

LayerComm LayerCommOf(const Timeline& t, const Kernel& k) {
  LayerComm c;
  if (k.group == "host") {
    c.host_copy = true;
    c.stream = StreamKind::kCopy;
  } else if (k.group == "cp") {
    c.group = GroupKind::kCp;
    c.stream = StreamKind::kCp;
  } else if (k.group == "ep") {
    c.group = GroupKind::kEp;
    c.stream = StreamKind::kEp;
    c.across_workers = true;
  } else if (k.group == "dp") {  // FSDP: per-layer gathers and reduce-scatters of the weights
    c.group = HybridShard(t) ? GroupKind::kShard : GroupKind::kDp;
    c.stream = StreamKind::kFsdp;
    c.across_workers = true;
    c.scales_with_work = false;
  }
  return c;
}

void LayOut(const Timeline& t, size_t op_index, int step, std::vector<LaidKernel>* out) {
  out->clear();
  const StepOp& op = t.graph.ops[op_index];
  const auto s = static_cast<size_t>(step);
  const int64_t b = t.step_begin_ns[s] + t.start_ns[s][op_index];
  const int64_t d = t.end_ns[s][op_index] - t.start_ns[s][op_index];
  const double work = t.work_factor[s][op_index];
  const bool fwd = op.type == StepOpType::kForward;
  if (t.options.kernels == KernelDetail::kPerOp) {
    out->push_back(
        {nullptr, fwd ? "megatron_forward_step" : "megatron_backward_step", false, b, d, work});
    return;
  }
  const BlockTiming& timing = t.detail.main_timing;
  const int virtual_stages = t.pp * t.detail.shape.vpp;
  const int layers = t.job->blocks[static_cast<size_t>(MainBlockIndex(*t.job))].layers;
  const int gmc = op.GlobalChunk(t.pp);
  const int chunk_layers = layers / virtual_stages + (gmc < layers % virtual_stages ? 1 : 0);
  const std::vector<Kernel>& kernels = fwd ? timing.layer_fwd : timing.layer_bwd;
  const double extra =
      std::max(0.0, (fwd ? t.detail.costs.fwd_s : t.detail.costs.bwd_s)[static_cast<size_t>(gmc)] -
                        chunk_layers * (fwd ? timing.layer_fwd_s : timing.layer_bwd_s));
  double path = 0;
  for (const Kernel& k : kernels) path += k.kind == KernelKind::kComm ? k.exposed : k.seconds;
  path = path * chunk_layers + extra;
  if (path <= 0) return;
  // The op's measured duration spreads over its kernels' critical path (work, faults): ns per
  // second of the cost model.
  const double scale = static_cast<double>(d) / path;
  const bool hopper = t.job->cluster.gpu.name.rfind("A100", 0) != 0;
  double clock = static_cast<double>(b);
  if (extra > 0) {  // the embedding (first chunk) or the LM head and loss (last chunk)
    const auto kd = static_cast<int64_t>(extra * scale);
    const char* name =
        gmc == 0 ? (fwd ? "void at::native::(anonymous namespace)::indexSelectLargeIndex<c10::"
                          "BFloat16, long, unsigned int, 2, 2, -2, true>"
                        : "void at::native::(anonymous namespace)::embedding_backward_cuda_"
                          "kernel<c10::BFloat16, long>")
                 : (fwd ? "lm_head_and_cross_entropy_fwd" : "lm_head_and_cross_entropy_bwd");
    out->push_back({nullptr, name, false, b, kd, work});
    clock += static_cast<double>(kd);
  }
  for (int layer = 0; layer < chunk_layers; ++layer) {
    for (const Kernel& k : kernels) {
      if (k.kind == KernelKind::kComm) {
        // Activations scale with the op's work; weights (FSDP) take the cost model's time.
        const bool scaled = LayerCommOf(t, k).scales_with_work;
        out->push_back({&k, k.name.c_str(), true, static_cast<int64_t>(clock),
                        std::llround(k.seconds * (scaled ? scale : 1e9)), work});
        clock += k.exposed * scale;
        continue;
      }
      const auto kd = static_cast<int64_t>(k.seconds * scale);
      out->push_back(
          {&k, ComputeKernelName(hopper, fwd, k), false, static_cast<int64_t>(clock), kd, work});
      clock += static_cast<double>(kd);
    }
  }
}

void RetimeForRank(const Timeline& t, double ratio, int64_t start_lead,
                   std::array<int64_t, kStreamKinds> stream_free, std::vector<LaidKernel>* laid) {
  if (ratio >= 1) return;
  int64_t lead = start_lead;  // how far this rank runs ahead of the worker
  int64_t sync_end = std::numeric_limits<int64_t>::max();  // end of the last TP/CP collective
  for (LaidKernel& k : *laid) {
    if (!k.comm) {
      if (k.ts >= sync_end) lead = 0;  // it waited for the collective, as every member did
      k.ts -= lead;
      const auto dur = static_cast<int64_t>(static_cast<double>(k.dur) * ratio);
      lead += k.dur - dur;
      k.dur = dur;
      continue;
    }
    const LayerComm c = LayerCommOf(t, *k.kernel);
    if (c.host_copy || c.across_workers) {
      k.ts -= lead;
      continue;
    }
    int64_t& free = stream_free[static_cast<size_t>(c.stream)];
    const int64_t end = std::max(k.ts, free) + k.dur;  // where the slowest member ends it
    k.ts = std::max(k.ts - lead, free);
    k.dur = end - k.ts;
    free = end;
    sync_end = end;
  }
}

}  // namespace trainscope::workload::internal
