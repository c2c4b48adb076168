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
#include "workload/internal/synth_host.h"

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

// Trace times start this long before the job's first GPU op: the CPU launches it earlier.
constexpr int64_t kTraceLeadNs = 1'000'000;

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
    w.Field("baseTimeNanoseconds", t_.options.start_unix_s * 1'000'000'000 - kTraceLeadNs);
    return trace_.Close();
  }

  // A slice whose "args" `write_args(JsonWriter&)` fills (Kineto always writes "args").
  template <typename ArgsFn>
  void Event(const char* cat, std::string_view name, int64_t pid, int64_t tid, int64_t ts_ns,
             int64_t dur_ns, ArgsFn&& write_args) {
    trace_.Complete({.name = name,
                     .category = cat,
                     .pid = pid,
                     .tid = tid,
                     .ts_ns = ts_ns + kTraceLeadNs,
                     .dur_ns = dur_ns},
                    write_args);
  }

  void Kernel(std::string_view name, int64_t ts_ns, int64_t dur_ns) {
    const int stream = CudaStream(StreamKind::kCompute);
    host_.Launch(HostItem::kKernel, ts_ns, ts_ns, ts_ns + dur_ns, stream, correlation_);
    last_gpu_ = {correlation_, ts_ns + dur_ns};
    compute_free_ = ts_ns + dur_ns;
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
    host_.Launch(HostItem::kMemcpy, issue_ns, ts, ts + dur_ns, stream, correlation_);
    last_gpu_ = {correlation_, ts + dur_ns};
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
  void Nccl(Collective c, GroupKind kind, StreamKind stream_kind, int64_t issue_ns, int64_t ts_ns,
            int64_t dur_ns, double bytes, bool fp32, const char* collective_name = nullptr) {
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
    host_.Launch(HostItem::kNccl, issue_ns, ts_ns, ts_ns + dur_ns, stream, correlation_);
    last_gpu_ = {correlation_, ts_ns + dur_ns};
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
  int rank() const { return rank_; }
  // The correlation id and end of the last GPU op written (id 0: none yet).
  struct GpuOp {
    int64_t correlation = 0, end = 0;
  };
  GpuOp last_gpu_op() const { return last_gpu_; }
  const std::array<int64_t, kStreamKinds>& stream_free() const { return free_; }
  // End of this rank's last compute kernel.
  int64_t compute_free() const { return compute_free_; }
  // The next GPU op written waits (cudaStreamWaitEvent) for the one of `correlation`.
  void WaitFor(int64_t correlation) { host_.WaitFor(correlation); }
  void ClearWait() { host_.ClearWait(); }
  // A GC pause of the Python thread: it launches nothing in [begin, end).
  void GcPause(int64_t begin_ns, int64_t end_ns) { host_.Pause(begin_ns, end_ns); }

  // Writes the step's CPU side: ProfilerStep#N, the runtime calls of its GPU ops, its GC pauses.
  void EndStep(int step, int64_t begin_ns, int64_t end_ns) {
    const int64_t pid = 100000 + rank_;
    const int64_t cpu_begin =
        host_.Place(begin_ns, CudaStream(StreamKind::kCompute), &correlation_);
    Event("user_annotation", fmt::format("ProfilerStep#{}", step + 1), pid, pid, cpu_begin,
          end_ns - cpu_begin, [](JsonWriter&) {});
    host_.Write([&](const HostCall& call) {
      switch (call.kind) {
        case HostCall::kGcPause:
          Event("python_function", "gc.collect", pid, pid, call.ts, call.dur, [](JsonWriter&) {});
          break;
        case HostCall::kRuntime:
          Event("cuda_runtime", call.name, pid, pid, call.ts, call.dur, [&](JsonWriter& w) {
            w.Field("External id", call.correlation).Field("cbid", call.cbid);
            w.Field("correlation", call.correlation);
          });
          break;
        case HostCall::kStreamWait:
          Event("cuda_sync", call.name, device_, call.stream, call.ts, 0, [&](JsonWriter& w) {
            w.Field("cuda_sync_kind", call.name).Field("wait_on_stream", call.wait_on_stream);
            w.Field("wait_on_cuda_event_record_corr_id", call.record_correlation);
            w.Field("stream", call.stream).Field("correlation", call.correlation);
            w.Field("device", device_);
          });
          break;
      }
    });
  }
  const HostStats& host_stats() const { return host_.stats(); }

 private:
  const Timeline& t_;
  const JobGroups& groups_;
  TraceEventWriter trace_;
  int rank_, device_;
  std::array<std::string, kGroupKinds> ranks_text_;
  std::array<int64_t, kGroupKinds> seq_{};
  std::array<int64_t, kStreamKinds> free_{};  // streams this rank places by itself
  int64_t correlation_ = 1;
  GpuOp last_gpu_;
  int64_t compute_free_ = 0;
  HostThread host_;
};

// Writes the kernels of a forward or backward op.
// `ready_ns`: when the op's dependencies on other streams (a pipeline recv) were met.
void WriteComputeOp(const Timeline& t, const ResolvedCollectives& resolved, int step, size_t i,
                    int worker, int64_t ready_ns, std::array<size_t, 2>& layer_next,
                    std::vector<LaidKernel>& laid, RankWriter& rw) {
  LayOut(t, i, step, &laid);
  // One kernel per op stands for the op's TP/CP waits too: it keeps the worker's times.
  if (t.options.kernels == KernelDetail::kPerLayer && !laid.empty()) {
    const StepOp& op = t.graph.ops[i];
    const double ratio =
        RankComputeFaultFactor(t, rw.rank(), step, op) / WorkerComputeFaultFactor(t, step, op);
    // A rank faster than its worker starts as soon as its own compute and the op's inputs allow.
    const int64_t lead =
        ratio < 1 ? std::max<int64_t>(0, laid.front().ts - std::max(ready_ns, rw.compute_free()))
                  : 0;
    RetimeForRank(t, ratio, lead, rw.stream_free(), &laid);
  }
  const auto s = static_cast<size_t>(step);
  RankWriter::GpuOp sync;  // the last TP/CP collective: compute starting after its end waited
  for (const LaidKernel& k : laid) {
    if (!k.comm) {
      if (sync.correlation != 0 && k.ts >= sync.end) rw.WaitFor(sync.correlation);
      sync = {};
      if (k.ts + k.dur <= t.cut_ns) rw.Kernel(k.name, k.ts, k.dur);
      rw.ClearWait();
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
    const int64_t before = rw.last_gpu_op().correlation;
    rw.Nccl(k.kernel->collective, c.group, c.stream, k.ts, ts, dur, bytes, false);
    if (!c.across_workers && rw.last_gpu_op().correlation != before) sync = rw.last_gpu_op();
  }
}

// The dependencies of each op on other ops of its worker (cross-stream waits come from these).
std::vector<std::vector<int32_t>> WorkerDependencies(const Timeline& t) {
  std::vector<std::vector<int32_t>> deps(t.graph.ops.size());
  for (size_t n = 0; n < deps.size(); ++n) {
    const int worker = t.WorkerOf(t.graph.ops[n]);
    for (graph::NodeId d : t.graph.graph.DependenciesOf(static_cast<graph::NodeId>(n))) {
      if (t.WorkerOf(t.graph.ops[static_cast<size_t>(d)]) == worker) deps[n].push_back(d);
    }
  }
  return deps;
}

// When the dependencies of a compute op other than compute ops were met (absolute ns).
int64_t InputsReady(const Timeline& t, const std::vector<int32_t>& deps, int step) {
  const auto s = static_cast<size_t>(step);
  int64_t ready = t.step_begin_ns[s];
  for (int32_t d : deps) {
    const StepOpType type = t.graph.ops[static_cast<size_t>(d)].type;
    if (type == StepOpType::kForward || type == StepOpType::kBackward) continue;
    ready = std::max(ready, t.step_begin_ns[s] + t.end_ns[s][static_cast<size_t>(d)]);
  }
  return ready;
}

// The GPU ops this rank wrote for each graph op of the step (the last one, id 0: none).
struct RankStep {
  std::vector<RankWriter::GpuOp> written;
};

// The next GPU op waits for the latest-ending dependency of op `n` that wrote one.
void WaitForDependencies(const std::vector<int32_t>& deps, const RankStep& state, RankWriter& rw) {
  RankWriter::GpuOp source;
  for (int32_t d : deps) {
    const RankWriter::GpuOp& op = state.written[static_cast<size_t>(d)];
    if (op.correlation != 0 && op.end >= source.end) source = op;
  }
  if (source.correlation != 0) rw.WaitFor(source.correlation);
}

// Writes the GPU ops (and GC pause) of the non-compute op `n` of `step`.
void WriteGraphOp(const Timeline& t, const ResolvedCollectives& resolved, int step, size_t n,
                  RankWriter& rw) {
  const auto s = static_cast<size_t>(step);
  const StepOp& op = t.graph.ops[n];
  const int64_t b = t.step_begin_ns[s] + t.start_ns[s][n];
  const int64_t e = t.step_begin_ns[s] + t.end_ns[s][n];
  const GraphComm comm = GraphCommOf(t, op);
  if (comm.writes && comm.group == GroupKind::kTp) {  // inside the worker
    rw.Nccl(comm.collective, comm.group, comm.stream, b, rw.Queue(comm.stream, b, e - b), e - b,
            comm.bytes, comm.fp32, comm.collective_name);
  } else if (comm.writes) {
    const Placement& p = resolved.node[s][n];
    rw.Nccl(comm.collective, comm.group, comm.stream, b, p.start, p.end - p.start, comm.bytes,
            comm.fp32, comm.collective_name);
  } else if (op.type == StepOpType::kOptimizer && e <= t.cut_ns) {
    rw.Kernel("void multi_tensor_apply_kernel<TensorListMetadata<4>, AdamFunctor<float>>", b,
              e - b);
  } else if (op.type == StepOpType::kGc && e > b && e <= t.cut_ns) {
    rw.GcPause(b, e);
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
  const std::vector<std::vector<int32_t>> deps = WorkerDependencies(t);
  std::vector<LaidKernel> laid;
  RankStep state;
  const SynthOptions& o = t.options;
  std::vector<int> ranks = o.detail_ranks;
  if (ranks.empty()) {
    for (int r = 0; r < t.world; ++r) ranks.push_back(r);
  }
  const int first_step = std::min(o.detail_first_step, t.steps);
  const int end_step = o.detail_steps < 0 ? t.steps : std::min(t.steps, first_step + o.detail_steps);
  int64_t files = 0;
  for (int rank : ranks) {
    const std::string path = fmt::format("{}/rank-{}.json", dir, rank);
    RankWriter rw(t, groups, rank);
    TS_RETURN_IF_ERROR(rw.Open(path));
    const int worker = t.WorkerOfRank(rank);
    for (int step = first_step; step < end_step; ++step) {
      const auto s = static_cast<size_t>(step);
      state.written.assign(t.graph.ops.size(), {});
      std::array<size_t, 2> layer_next{0, 0};
      for (int32_t i : ops_of[static_cast<size_t>(worker)]) {
        const auto n = static_cast<size_t>(i);
        const StepOpType type = t.graph.ops[n].type;
        const int64_t before = rw.last_gpu_op().correlation;
        WaitForDependencies(deps[n], state, rw);
        if (type == StepOpType::kForward || type == StepOpType::kBackward) {
          WriteComputeOp(t, resolved, step, n, worker, InputsReady(t, deps[n], step), layer_next,
                         laid, rw);
        } else {
          WriteGraphOp(t, resolved, step, n, rw);
        }
        rw.ClearWait();
        if (rw.last_gpu_op().correlation != before) state.written[n] = rw.last_gpu_op();
      }
      rw.EndStep(step, t.step_begin_ns[s], t.step_begin_ns[s] + t.step_len_ns[s]);
    }
    TS_RETURN_IF_ERROR(rw.Close());
    summary->kineto_events += rw.events();
    if (files < 4 || rank == ranks.back()) summary->files.push_back(path);
    ++files;
    if (t.options.on_rank_file) t.options.on_rank_file(files, static_cast<int64_t>(ranks.size()));
  }
  return OkStatus();
}

}  // namespace trainscope::workload::internal
