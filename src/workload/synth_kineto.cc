// SPDX-License-Identifier: Apache-2.0
// Kineto (PyTorch profiler) JSON writer of a synthesised job: one file per rank, streamed
// through TraceEventWriter in Kineto's layout ("cat" before "name", times as doubles). Where each
// kernel runs is decided in synth_kineto_layout.cc / synth_kineto_resolve.cc (synth_kineto.h).
#include "workload/internal/synth_kineto.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "base/trace_event_writer.h"

namespace trainscope::workload::internal {
namespace {

std::string RankList(const std::vector<int>& ranks) {
  std::string s = "[";
  for (size_t i = 0; i < ranks.size(); ++i) s += fmt::format("{}{}", i ? ", " : "", ranks[i]);
  return s + "]";
}

const char* NcclName(Collective c, bool fp32) {
  switch (c) {
    case Collective::kAllReduce:
      return fp32
                 ? "ncclDevKernel_AllReduce_Sum_f32_RING_LL(ncclDevComm*, unsigned long, ncclWork*)"
                 : "ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevComm*, unsigned long, "
                   "ncclWork*)";
    case Collective::kAllGather:
      return "ncclDevKernel_AllGather_RING_LL(ncclDevComm*, unsigned long, ncclWork*)";
    case Collective::kReduceScatter:
      return fp32 ? "ncclDevKernel_ReduceScatter_Sum_f32_RING_LL(ncclDevComm*, unsigned long, "
                    "ncclWork*)"
                  : "ncclDevKernel_ReduceScatter_Sum_bf16_RING_LL(ncclDevComm*, unsigned long, "
                    "ncclWork*)";
    case Collective::kAllToAll:
    case Collective::kP2p:
      return "ncclDevKernel_SendRecv(ncclDevComm*, unsigned long, ncclWork*)";
  }
  return "ncclDevKernel";
}

const char* CollectiveArg(Collective c) {
  switch (c) {
    case Collective::kAllReduce:
      return "allreduce";
    case Collective::kAllGather:
      return "_allgather_base";
    case Collective::kReduceScatter:
      return "_reduce_scatter_base";
    case Collective::kAllToAll:
      return "all_to_all";
    case Collective::kP2p:
      return "send";
  }
  return "";
}

class RankWriter {
 public:
  RankWriter(const Timeline& t, const JobGroups& groups, int rank)
      : t_(t),
        groups_(groups),
        trace_({.time_format = TraceTimeFormat::kShortestDouble, .category_before_name = true}),
        rank_(rank),
        device_(rank % t.gpus_per_node) {
    for (int kind = 0; kind < kGroupKinds; ++kind) {
      const SynthGroup* g = groups.Of(rank, static_cast<GroupKind>(kind));
      ranks_text_[static_cast<size_t>(kind)] = g != nullptr ? RankList(g->ranks) : "";
    }
    free_.fill(std::numeric_limits<int64_t>::min());
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
    int own = 0;
    for (int32_t i : groups_.of_rank[static_cast<size_t>(rank_)]) own += i >= 0 ? 1 : 0;
    w.Field("pg_count", own);
    w.Key("pg_config").Raw(PgConfigJson(groups_, rank_));
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
    trace_.Complete(
        {.name = name, .category = cat, .pid = pid, .tid = tid, .ts_ns = ts_ns, .dur_ns = dur_ns},
        write_args);
  }

  void Kernel(std::string_view name, int64_t ts_ns, int64_t dur_ns) {
    const int stream = CudaStream(StreamKind::kCompute);
    Event("kernel", name, device_, stream, ts_ns, dur_ns, [&](JsonWriter& w) {
      w.Field("External id", correlation_).Field("device", device_).Field("stream", stream);
      w.Field("correlation", correlation_++);
    });
  }

  // An activation offload copy, queued on the copy stream.
  void Copy(bool to_host, int64_t issue_ns, int64_t dur_ns, double bytes) {
    const int stream = CudaStream(StreamKind::kCopy);
    const int64_t ts = Queue(StreamKind::kCopy, issue_ns, dur_ns);
    if (ts + dur_ns > t_.cut_ns) return;
    Event("gpu_memcpy",
          to_host ? "Memcpy DtoH (Device -> Pinned)" : "Memcpy HtoD (Pinned -> Device)", device_,
          stream, ts, dur_ns, [&](JsonWriter& w) {
            w.Field("External id", correlation_).Field("device", device_).Field("stream", stream);
            w.Field("correlation", correlation_++).Field("bytes", std::llround(bytes));
          });
  }

  // Start of an op of `dur_ns` issued at `issue_ns` on a stream of this rank's own (FIFO).
  int64_t Queue(StreamKind stream, int64_t issue_ns, int64_t dur_ns) {
    int64_t& free = free_[static_cast<size_t>(stream)];
    const int64_t ts = std::max(issue_ns, free);
    free = ts + dur_ns;
    return ts;
  }

  // A NCCL kernel [ts, ts + dur) of `group`; `bytes` as in CollectiveSeconds.
  void Nccl(Collective c, GroupKind kind, StreamKind stream_kind, int64_t ts_ns, int64_t dur_ns,
            double bytes, bool fp32, const char* collective_name = nullptr) {
    if (ts_ns + dur_ns > t_.cut_ns) return;  // never completed (hang/dead)
    const SynthGroup* g = groups_.Of(rank_, kind);
    const int64_t size = g != nullptr ? static_cast<int64_t>(g->ranks.size()) : 1;
    const int64_t elems = std::max<int64_t>(1, std::llround(bytes / (fp32 ? 4 : 2)));
    int64_t in = elems, out = elems;
    if (c == Collective::kAllGather) {
      in = std::max<int64_t>(1, elems / size);
      out = in * size;
    } else if (c == Collective::kReduceScatter) {
      out = std::max<int64_t>(1, elems / size);
      in = out * size;
    }
    const int stream = CudaStream(stream_kind);
    Event("kernel", NcclName(c, fp32), device_, stream, ts_ns, dur_ns, [&](JsonWriter& w) {
      w.Field("External id", correlation_).Field("device", device_).Field("stream", stream);
      w.Field("correlation", correlation_++);
      w.Field("Collective name", collective_name ? collective_name : CollectiveArg(c));
      w.Field("In msg nelems", in).Field("Out msg nelems", out).Field("Group size", size);
      w.Field("dtype", fp32 ? "Float" : "BFloat16");
      w.Field("Process Group Name", g != nullptr ? g->name : std::string("0"));
      w.Field("Process Group Description", g != nullptr ? g->desc : "default_pg");
      w.Field("Process Group Ranks", ranks_text_[static_cast<size_t>(kind)]);
      w.Field("Seq", seq_[static_cast<size_t>(kind)]++);
    });
  }

  int64_t events() const { return trace_.events(); }

 private:
  const Timeline& t_;
  const JobGroups& groups_;
  TraceEventWriter trace_;
  int rank_, device_;
  std::array<std::string, kGroupKinds> ranks_text_;
  std::array<int64_t, kGroupKinds> seq_{};
  std::array<int64_t, kStreamKinds> free_{};  // streams this rank places by itself
  int64_t correlation_ = 1;
};

// Writes the kernels of a forward or backward op.
void WriteComputeOp(const Timeline& t, const ResolvedCollectives& resolved, int step, size_t i,
                    int worker, std::array<size_t, 2>& layer_next, std::vector<LaidKernel>& laid,
                    RankWriter& rw) {
  LayOut(t, i, step, &laid);
  const auto s = static_cast<size_t>(step);
  for (const LaidKernel& k : laid) {
    if (!k.comm) {
      if (k.ts + k.dur <= t.cut_ns) rw.Kernel(k.name, k.ts, k.dur);
      continue;
    }
    const LayerComm c = LayerCommOf(t, *k.kernel);
    const double bytes = k.kernel->bytes * (c.scales_with_work ? k.work : 1.0);
    if (c.host_copy) {
      rw.Copy(k.kernel->name.find("h2d") == std::string::npos, k.ts, k.dur, bytes);
      continue;
    }
    int64_t ts = 0, dur = 0;
    if (c.across_workers) {
      const size_t idx = c.stream == StreamKind::kEp ? 0 : 1;
      const Placement& p = resolved.layer[s][static_cast<size_t>(worker)][idx][layer_next[idx]++];
      ts = p.start;
      dur = p.end - p.start;
    } else {
      ts = rw.Queue(c.stream, k.ts, k.dur);
      dur = k.dur;
    }
    rw.Nccl(k.kernel->collective, c.group, c.stream, ts, dur, bytes, false);
  }
}

}  // namespace

Status WriteKineto(const Timeline& t, const std::string& dir, SynthSummary* summary) {
  // Ops of each worker in graph order (on each stream, also time order).
  std::vector<std::vector<int32_t>> ops_of(static_cast<size_t>(t.dp * t.pp));
  for (size_t i = 0; i < t.graph.ops.size(); ++i) {
    ops_of[static_cast<size_t>(t.WorkerOf(t.graph.ops[i]))].push_back(static_cast<int32_t>(i));
  }
  const JobGroups groups = BuildGroups(t);
  const ResolvedCollectives resolved = ResolveCollectives(t);
  std::vector<LaidKernel> laid;
  for (int rank = 0; rank < t.world; ++rank) {
    const std::string path = fmt::format("{}/rank-{}.json", dir, rank);
    RankWriter rw(t, groups, rank);
    TS_RETURN_IF_ERROR(rw.Open(path));
    const int worker = t.WorkerOfRank(rank);
    const int64_t pid = 100000 + rank;
    for (int step = 0; step < t.steps; ++step) {
      const auto s = static_cast<size_t>(step);
      const int64_t base = t.step_begin_ns[s];
      rw.Event("user_annotation", fmt::format("ProfilerStep#{}", step + 1), pid, pid, base,
               t.step_len_ns[s], [](JsonWriter&) {});
      std::array<size_t, 2> layer_next{0, 0};
      for (int32_t i : ops_of[static_cast<size_t>(worker)]) {
        const auto n = static_cast<size_t>(i);
        const StepOp& op = t.graph.ops[n];
        const int64_t b = base + t.start_ns[s][n];
        const int64_t e = base + t.end_ns[s][n];
        if (op.type == StepOpType::kForward || op.type == StepOpType::kBackward) {
          WriteComputeOp(t, resolved, step, n, worker, layer_next, laid, rw);
          continue;
        }
        const GraphComm comm = GraphCommOf(t, op);
        if (comm.writes && comm.group == GroupKind::kTp) {  // inside the worker
          rw.Nccl(comm.collective, comm.group, comm.stream, rw.Queue(comm.stream, b, e - b), e - b,
                  comm.bytes, comm.fp32, comm.collective_name);
        } else if (comm.writes) {
          const Placement& p = resolved.node[s][n];
          rw.Nccl(comm.collective, comm.group, comm.stream, p.start, p.end - p.start, comm.bytes,
                  comm.fp32, comm.collective_name);
        } else if (op.type == StepOpType::kOptimizer && e <= t.cut_ns) {
          rw.Kernel("void multi_tensor_apply_kernel<TensorListMetadata<4>, AdamFunctor<float>>", b,
                    e - b);
        } else if (op.type == StepOpType::kGc && e > b && e <= t.cut_ns) {
          rw.Event("python_function", "gc.collect", pid, pid, b, e - b, [](JsonWriter&) {});
        }
      }
    }
    TS_RETURN_IF_ERROR(rw.Close());
    summary->kineto_events += rw.events();
    if (rank < 4 || rank + 1 == t.world) summary->files.push_back(path);
    if (t.options.on_rank_file) t.options.on_rank_file(rank + 1, t.world);
  }
  return OkStatus();
}

}  // namespace trainscope::workload::internal
