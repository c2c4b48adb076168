// SPDX-License-Identifier: Apache-2.0
// Kineto (PyTorch profiler) JSON writer of a synthesised job: one file per rank, streamed
// through TraceEventWriter in Kineto's layout ("cat" before "name", times as doubles).
#include <array>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "base/trace_event_writer.h"
#include "workload/internal/synth_timeline.h"

namespace trainscope::workload::internal {
namespace {

constexpr int kComputeStream = 7, kTpStream = 21, kPpStream = 25, kDpStream = 33;

struct Group {
  std::string name;   // process group name ("1")
  const char* desc;   // "tp", ...
  std::vector<int> ranks;
};

// Every process group of the job (PyTorch's pg_config is the same on every rank: each rank
// creates all groups), and each rank's group of each kind (tp, cp, dp, pp, ep).
struct JobGroups {
  std::vector<Group> all;
  std::vector<std::array<int, 5>> of_rank;
  std::string pg_config_json;
};

JobGroups BuildGroups(const Timeline& t) {
  JobGroups g;
  g.of_rank.assign(static_cast<size_t>(t.world), {0, 0, 0, 0, 0});
  const int ep = t.job->blocks[static_cast<size_t>(MainBlockIndex(*t.job))].plan.ep;
  static constexpr const char* kKinds[] = {"tp", "cp", "dp", "pp", "ep"};
  for (int kind = 0; kind < 5; ++kind) {
    std::map<std::array<int, 4>, int> index;
    for (int r = 0; r < t.world; ++r) {
      const int w = r / (t.tp * t.cp), stage = w / t.dp, replica = w % t.dp;
      const int c = (r / t.tp) % t.cp, tr = r % t.tp;
      std::array<int, 4> key{};
      switch (kind) {
        case 0: key = {stage, replica, c, 0}; break;
        case 1: key = {stage, replica, tr, 0}; break;
        case 2: key = {stage, c, tr, 0}; break;
        case 3: key = {replica, c, tr, 0}; break;
        default: key = {stage, c, tr, replica / std::max(1, ep)}; break;
      }
      auto [it, added] = index.emplace(key, static_cast<int>(g.all.size()));
      if (added) g.all.push_back({std::to_string(g.all.size() + 1), kKinds[kind], {}});
      g.all[static_cast<size_t>(it->second)].ranks.push_back(r);
      g.of_rank[static_cast<size_t>(r)][static_cast<size_t>(kind)] = it->second;
    }
  }
  JsonWriter w;
  w.BeginArray();
  w.BeginObject().Field("pg_name", "0").Field("pg_desc", "default_pg");
  w.Field("backend_config", "cuda:nccl").Field("pg_size", t.world);
  w.Key("ranks").BeginArray();
  for (int r = 0; r < t.world; ++r) w.Int(r);
  w.EndArray().EndObject();
  for (const Group& group : g.all) {
    w.BeginObject().Field("pg_name", group.name).Field("pg_desc", group.desc);
    w.Field("backend_config", "cuda:nccl").Field("pg_size", static_cast<int>(group.ranks.size()));
    w.Key("ranks").BeginArray();
    for (int r : group.ranks) w.Int(r);
    w.EndArray().EndObject();
  }
  w.EndArray();
  g.pg_config_json = w.TakeString();
  return g;
}

std::string RankList(const std::vector<int>& ranks) {
  std::string s = "[";
  for (size_t i = 0; i < ranks.size(); ++i) s += fmt::format("{}{}", i ? ", " : "", ranks[i]);
  return s + "]";
}

const char* NcclName(Collective c) {
  switch (c) {
    case Collective::kAllReduce: return "ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevComm*, unsigned long, ncclWork*)";
    case Collective::kAllGather: return "ncclDevKernel_AllGather_RING_LL(ncclDevComm*, unsigned long, ncclWork*)";
    case Collective::kReduceScatter: return "ncclDevKernel_ReduceScatter_Sum_bf16_RING_LL(ncclDevComm*, unsigned long, ncclWork*)";
    case Collective::kAllToAll:
    case Collective::kP2p: return "ncclDevKernel_SendRecv(ncclDevComm*, unsigned long, ncclWork*)";
  }
  return "ncclDevKernel";
}
const char* CollectiveArg(Collective c) {
  switch (c) {
    case Collective::kAllReduce: return "allreduce";
    case Collective::kAllGather: return "_allgather_base";
    case Collective::kReduceScatter: return "_reduce_scatter_base";
    case Collective::kAllToAll: return "all_to_all";
    case Collective::kP2p: return "send";
  }
  return "";
}

class RankWriter {
 public:
  RankWriter(const Timeline& t, const JobGroups& groups, int rank)
      : t_(t),
        job_groups_(groups),
        trace_({.time_format = TraceTimeFormat::kShortestDouble, .category_before_name = true}),
        rank_(rank),
        device_(rank % t.gpus_per_node) {
    const bool hopper = t.job->cluster.gpu.name.rfind("A100", 0) != 0;
    gemm_ = hopper ? "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x256x64_warpgroupsize2x1x1_execute_segment_k_off_kernel__5x_cublas"
                   : "ampere_bf16_s16816gemm_bf16_128x256_ldg8_f2f_stages_64x3_tn";
    const int w = rank / (t.tp * t.cp);
    stage_ = w / t.dp;
    replica_ = w % t.dp;
    cp_rank_ = (rank / t.tp) % t.cp;
    tp_rank_ = rank % t.tp;
    for (int kind = 0; kind < 5; ++kind) {
      groups_.push_back(&groups.all[static_cast<size_t>(
          groups.of_rank[static_cast<size_t>(rank)][static_cast<size_t>(kind)])]);
    }
    seq_.assign(groups_.size() + 1, 0);
    std::vector<int> all(static_cast<size_t>(t.world));
    for (int r = 0; r < t.world; ++r) all[static_cast<size_t>(r)] = r;
    world_ranks_ = RankList(all);
  }

  // Creates the file and writes everything before the first event.
  Status Open(const std::string& path) {
    TS_RETURN_IF_ERROR(trace_.Open(path));
    JsonWriter& w = trace_.json();
    w.Field("schemaVersion", 1);
    w.Key("deviceProperties").BeginArray().BeginObject();
    w.Field("id", device_).Field("name", "NVIDIA " + t_.job->cluster.gpu.name);
    w.Field("totalGlobalMem", static_cast<int64_t>(t_.job->cluster.gpu.hbm_bytes));
    w.EndObject().EndArray();
    w.Key("distributedInfo").BeginObject();
    w.Field("backend", "nccl").Field("rank", rank_).Field("world_size", t_.world);
    w.Field("pg_count", static_cast<int>(job_groups_.all.size()) + 1);
    w.Key("pg_config").Raw(job_groups_.pg_config_json);
    w.Field("nccl_version", "2.21.5");
    w.EndObject();
    trace_.BeginEvents();
    return OkStatus();
  }

  // Writes everything after the last event and closes the file.
  Status Close() {
    trace_.EndEvents();
    JsonWriter& w = trace_.json();
    w.Field("traceName", fmt::format("rank-{}.json", rank_));
    w.Field("displayTimeUnit", "ms");
    w.Field("baseTimeNanoseconds", t_.options.start_unix_s * 1'000'000'000);
    return trace_.Close();
  }

  // A slice whose "args" `write_args(JsonWriter&)` fills (Kineto always writes "args").
  template <typename ArgsFn>
  void Event(const char* cat, std::string_view name, int64_t pid, int64_t tid, int64_t ts_ns,
             int64_t dur_ns, ArgsFn&& write_args) {
    trace_.Complete({.name = name, .category = cat, .pid = pid, .tid = tid, .ts_ns = ts_ns,
                     .dur_ns = dur_ns},
                    write_args);
  }
  void Event(const char* cat, std::string_view name, int64_t pid, int64_t tid, int64_t ts_ns,
             int64_t dur_ns) {
    Event(cat, name, pid, tid, ts_ns, dur_ns, [](JsonWriter&) {});
  }

  void Kernel(std::string_view name, int stream, int64_t ts_ns, int64_t dur_ns) {
    Event("kernel", name, device_, stream, ts_ns, dur_ns, [&](JsonWriter& w) {
      w.Field("External id", correlation_).Field("device", device_).Field("stream", stream);
      w.Field("correlation", correlation_++);
    });
  }

  // `group` indexes groups_ (-1 = world); `elems` per message.
  void Nccl(Collective c, int group, int stream, int64_t ts_ns, int64_t dur_ns, double bytes,
            const char* collective_name = nullptr) {
    const Group* g = group >= 0 ? groups_[static_cast<size_t>(group)] : nullptr;
    const int size = g ? static_cast<int>(g->ranks.size()) : t_.world;
    const int64_t elems = static_cast<int64_t>(bytes / 2);
    int64_t in = elems, out = elems;
    if (c == Collective::kAllGather) in = elems / std::max(1, size);
    if (c == Collective::kReduceScatter) out = elems / std::max(1, size);
    Event("kernel", NcclName(c), device_, stream, ts_ns, dur_ns, [&](JsonWriter& w) {
      w.Field("External id", correlation_).Field("device", device_).Field("stream", stream);
      w.Field("correlation", correlation_++);
      w.Field("Collective name", collective_name ? collective_name : CollectiveArg(c));
      w.Field("In msg nelems", in);
      w.Field("Out msg nelems", out).Field("Group size", size).Field("dtype", "BFloat16");
      w.Field("Process Group Name", g ? g->name : std::string("0"));
      w.Field("Process Group Description", g ? g->desc : "default_pg");
      w.Field("Process Group Ranks", g ? RankList(g->ranks) : world_ranks_);
      w.Field("Seq", seq_[static_cast<size_t>(group + 1)]++);
    });
  }

  int GroupIndex(const std::string& name) const {
    for (size_t i = 0; i < groups_.size(); ++i) {
      if (name == groups_[i]->desc) return static_cast<int>(i);
    }
    return -1;
  }

  // Fills [begin, begin+dur) with `repeat` copies of a layer's kernels, scaled to fit.
  void Layers(const std::vector<workload::Kernel>& kernels, double layers, int64_t begin,
              int64_t dur, double extra_s, const char* extra_name) {
    double path = extra_s;
    for (const auto& k : kernels) path += k.kind == KernelKind::kComm ? k.exposed : k.seconds;
    path = (path - extra_s) * layers + extra_s;
    if (path <= 0) return;
    const double scale = static_cast<double>(dur) / path;
    double clock = static_cast<double>(begin);
    if (extra_s > 0) {
      const int64_t d = static_cast<int64_t>(extra_s * scale);
      Kernel(extra_name, kComputeStream, static_cast<int64_t>(clock), d);
      clock += static_cast<double>(d);
    }
    const int whole = static_cast<int>(layers);
    for (int layer = 0; layer < whole; ++layer) {
      for (const auto& k : kernels) {
        if (k.kind == KernelKind::kComm) {
          const int64_t d = static_cast<int64_t>(k.seconds * scale);
          if (k.group == "host") {
            Kernel("Memcpy DtoH (Device -> Pinned)", kDpStream + 4, static_cast<int64_t>(clock), d);
          } else {
            Nccl(k.collective, GroupIndex(k.group), kTpStream, static_cast<int64_t>(clock), d, k.bytes);
          }
          clock += k.exposed * scale;
          continue;
        }
        const int64_t d = static_cast<int64_t>(k.seconds * scale);
        const char* name = k.kind == KernelKind::kGemm ? gemm_
                           : k.kind == KernelKind::kAttention
                               ? (k.name.find("bwd") != std::string::npos
                                      ? "flash_bwd_dq_dk_dv_loop_seqk_parallel_kernel"
                                      : "flash_fwd_kernel")
                               : "void at::native::vectorized_elementwise_kernel<4>";
        Kernel(name, kComputeStream, static_cast<int64_t>(clock), d);
        clock += static_cast<double>(d);
      }
    }
  }

  int64_t events() const { return trace_.events(); }

 private:
  const Timeline& t_;
  const JobGroups& job_groups_;
  TraceEventWriter trace_;
  int rank_, device_;
  int stage_ = 0, replica_ = 0, cp_rank_ = 0, tp_rank_ = 0;
  const char* gemm_;
  std::vector<const Group*> groups_;  // this rank's tp, cp, dp, pp, ep groups
  std::string world_ranks_;
  std::vector<int64_t> seq_;
  int64_t correlation_ = 1;
};

}  // namespace

Status WriteKineto(const Timeline& t, const std::string& dir, SynthSummary* summary) {
  // Ops of each worker in graph order.
  std::vector<std::vector<int32_t>> ops_of(static_cast<size_t>(t.dp * t.pp));
  for (size_t i = 0; i < t.graph.ops.size(); ++i) {
    ops_of[static_cast<size_t>(t.WorkerOf(t.graph.ops[i]))].push_back(static_cast<int32_t>(i));
  }
  const JobGroups groups = BuildGroups(t);
  const StepCosts& costs = t.detail.costs;
  const BlockTiming& timing = t.detail.main_timing;
  const int virtual_stages = t.pp * t.detail.shape.vpp;
  const int layers = t.job->blocks[static_cast<size_t>(MainBlockIndex(*t.job))].layers;
  for (int rank = 0; rank < t.world; ++rank) {
    const std::string path = fmt::format("{}/rank-{}.json", dir, rank);
    RankWriter rw(t, groups, rank);
    TS_RETURN_IF_ERROR(rw.Open(path));
    const int worker = t.WorkerOfRank(rank);
    const int64_t pid = 100000 + rank;
    for (int step = 0; step < t.steps; ++step) {
      const int64_t base = t.step_begin_ns[static_cast<size_t>(step)];
      const auto& start = t.start_ns[static_cast<size_t>(step)];
      const auto& end = t.end_ns[static_cast<size_t>(step)];
      const int64_t len = t.step_len_ns[static_cast<size_t>(step)];
      rw.Event("user_annotation", fmt::format("ProfilerStep#{}", step + 1), pid, pid, base, len);
      for (int32_t i : ops_of[static_cast<size_t>(worker)]) {
        const StepOp& op = t.graph.ops[static_cast<size_t>(i)];
        const int64_t b = base + start[static_cast<size_t>(i)];
        int64_t e = base + end[static_cast<size_t>(i)];
        if (e > t.cut_ns) continue;  // never completed (hang/dead)
        const int64_t d = e - b;
        switch (op.type) {
          case StepOpType::kForward:
          case StepOpType::kBackward: {
            const bool fwd = op.type == StepOpType::kForward;
            const int gmc = op.GlobalChunk(t.pp);
            const double chunk_layers = layers / virtual_stages + (gmc < layers % virtual_stages ? 1 : 0);
            if (t.options.kernels == KernelDetail::kPerOp) {
              rw.Kernel(fwd ? "megatron_forward_step" : "megatron_backward_step", kComputeStream, b, d);
            } else {
              const double extra = (fwd ? costs.fwd_s : costs.bwd_s)[static_cast<size_t>(gmc)] -
                                   chunk_layers * (fwd ? timing.layer_fwd_s : timing.layer_bwd_s);
              rw.Layers(fwd ? timing.layer_fwd : timing.layer_bwd, chunk_layers, b, d,
                        std::max(0.0, extra), fwd ? "embedding_or_head_fwd" : "embedding_or_head_bwd");
            }
            break;
          }
          case StepOpType::kForwardSend:
          case StepOpType::kForwardRecv:
          case StepOpType::kBackwardSend:
          case StepOpType::kBackwardRecv:
            if (!op.noop) {
              const bool recv = op.type == StepOpType::kForwardRecv ||
                                op.type == StepOpType::kBackwardRecv;
              rw.Nccl(Collective::kP2p, 3, kPpStream, b, d, timing.micro_tokens / t.cp * 2,
                      recv ? "recv" : "send");
            }
            break;
          case StepOpType::kParamGather:
            if (t.dp > 1) rw.Nccl(Collective::kAllGather, 2, kDpStream, b, d, 2 * timing.params_on_rank);
            break;
          case StepOpType::kGradSync:
            if (t.dp > 1) rw.Nccl(Collective::kReduceScatter, 2, kDpStream, b, d, 4 * timing.params_on_rank);
            break;
          case StepOpType::kEmbeddingAllReduce:
          case StepOpType::kLayernormAllReduce:
          case StepOpType::kClipGrad:
            if (d > 0) rw.Nccl(Collective::kAllReduce, -1, kDpStream, b, d, 4);
            break;
          case StepOpType::kOptimizer:
            rw.Kernel("void multi_tensor_apply_kernel<TensorListMetadata<4>, AdamFunctor<float>>",
                      kComputeStream, b, d);
            break;
          case StepOpType::kGc:
            if (d > 0) {
              rw.Event("python_function", "gc.collect", pid, pid, b, d);
            }
            break;
          case StepOpType::kSeparateGradSync: break;
        }
      }
    }
    TS_RETURN_IF_ERROR(rw.Close());
    summary->kineto_events += rw.events();
    if (rank < 4 || rank + 1 == t.world) summary->files.push_back(path);
  }
  return OkStatus();
}

}  // namespace trainscope::workload::internal
