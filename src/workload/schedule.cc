// SPDX-License-Identifier: Apache-2.0
// Pipeline schedule order, step graph construction and replay (schedule.h).
#include "workload/schedule.h"

#include <algorithm>
#include <cmath>

#include "base/check.h"
#include "workload/pipeline_replay.h"

namespace trainscope::workload {

const char* StepOpName(StepOpType type) {
  switch (type) {
    case StepOpType::kForward:
      return "forward-compute";
    case StepOpType::kBackward:
      return "backward-compute";
    case StepOpType::kForwardSend:
      return "forward-send";
    case StepOpType::kForwardRecv:
      return "forward-recv";
    case StepOpType::kBackwardSend:
      return "backward-send";
    case StepOpType::kBackwardRecv:
      return "backward-recv";
    case StepOpType::kParamGather:
      return "params-all-gather";
    case StepOpType::kGradSync:
      return "grads-reduce-scatter";
    case StepOpType::kSeparateGradSync:
      return "separate-grads-all-reduce";
    case StepOpType::kGc:
      return "gc";
    case StepOpType::kLayernormAllReduce:
      return "layernorm-grads-all-reduce";
    case StepOpType::kEmbeddingAllReduce:
      return "embedding-grads-all-reduce";
    case StepOpType::kClipGrad:
      return "optimizer-clip-main-grad";
    case StepOpType::kOptimizer:
      return "optimizer";
    case StepOpType::kWeightGrad:
      return "weight-grad-compute";
  }
  return "?";
}

bool IsComputeOp(StepOpType t) {
  return t == StepOpType::kForward || t == StepOpType::kBackward || t == StepOpType::kWeightGrad;
}

std::vector<ComputeSlot> PipelineOrder(int pp, int vpp, int microbatches, int stage) {
  std::vector<ComputeSlot> order;
  PipelineOrder(pp, vpp, microbatches, stage, &order);
  return order;
}

void PipelineOrder(int pp, int vpp, int microbatches, int stage, std::vector<ComputeSlot>* out) {
  const int total = microbatches * vpp;
  int warmup = 0;
  if (vpp == 1) {
    warmup = std::min(pp - stage - 1, microbatches);
  } else {
    warmup = std::min((pp - stage - 1) * 2 + (vpp - 1) * pp, total);
  }
  // Megatron's get_model_chunk_id / microbatch mapping for the k-th forward or backward.
  const auto slot = [&](int k, bool forward) {
    const int in_group = k % (pp * vpp);
    int chunk = in_group / pp;
    if (!forward) chunk = vpp - 1 - chunk;
    const int microbatch = (k / (pp * vpp)) * pp + k % pp;
    return ComputeSlot{forward ? SlotKind::kForward : SlotKind::kBackward, chunk,
                       vpp == 1 ? k : microbatch};
  };
  std::vector<ComputeSlot>& order = *out;
  order.clear();
  order.reserve(static_cast<size_t>(2 * total));
  for (int k = 0; k < warmup; ++k) order.push_back(slot(k, true));
  for (int i = 0; i < total - warmup; ++i) {
    order.push_back(slot(warmup + i, true));
    order.push_back(slot(i, false));
  }
  for (int k = total - warmup; k < total; ++k) order.push_back(slot(k, false));
}

namespace {

// Builds one worker's ops and intra-worker edges; records what the cross-worker pass needs.
// Sends and recvs are kept per channel: DualPipe's two directions are two channels (chunk 0
// sends forward to the next rank, chunk 1 to the previous one); other schedules use one.
struct WorkerNodes {
  // Real ones, in order, per channel.
  std::vector<graph::NodeId> fwd_send[2], fwd_recv[2], bwd_send[2], bwd_recv[2];
  std::vector<graph::NodeId> param_gather, grad_sync;
  graph::NodeId separate = -1, embedding = -1, clip = -1;
};

// A worker's pipeline ops as built: the streams (chained afterwards) and each chunk's first
// forward and last backward compute.
struct PipelineNodes {
  std::vector<graph::NodeId> compute;
  std::vector<graph::NodeId> fsend[2], frecv[2], bsend[2], brecv[2];  // per channel
  std::vector<graph::NodeId> first_fwd, last_bwd;
};

class StepBuilder {
 public:
  explicit StepBuilder(const StepShape& s) : s_(s) {
    // Per worker: recv, compute and send for each of 2 m v slots (and W passes), gathers,
    // reduce-scatters and the tail; about two edges per node. Reserved so big steps are not
    // regrown while built.
    const int64_t per_worker = int64_t{7} * s.microbatches * s.vpp + 2 * s.vpp + 8;
    const int64_t nodes = per_worker * s.pp * s.dp;
    builder_.Reserve(static_cast<int32_t>(nodes), 2 * nodes);
    ops_.reserve(static_cast<size_t>(nodes));
  }

  graph::NodeId Add(StepOp op) {
    op.seq = seq_[Key(op)]++;
    ops_.push_back(op);
    return builder_.AddNode(op.replica * s_.pp + op.stage, Stream(op.type), 0);
  }
  void Edge(graph::NodeId a, graph::NodeId b) {
    if (a >= 0 && b >= 0) builder_.AddEdge(a, b);
  }
  void Chain(const std::vector<graph::NodeId>& nodes) {
    for (size_t i = 1; i < nodes.size(); ++i) Edge(nodes[i - 1], nodes[i]);
  }

  graph::NodeId Op(StepOpType t, int replica, int stage, int chunk = -1, int mb = -1,
                   bool noop = false, bool input_only = false) {
    StepOp o{t,  noop,    input_only, static_cast<int16_t>(stage), static_cast<int16_t>(chunk),
             mb, replica, 0};
    return Add(o);
  }

  // The channel of a chunk's sends and recvs.
  int Channel(int chunk) const { return IsDualPipe(s_.schedule) ? chunk : 0; }
  // Position along the data flow of (stage, chunk): the forward recv of position 0 and the
  // forward send of the last position have no peer.
  int Position(int stage, int chunk) const {
    return IsDualPipe(s_.schedule) ? ModelStageOf(s_, stage, chunk) : chunk * s_.pp + stage;
  }
  int LastPosition() const {
    return s_.schedule == StepSchedule::kDualPipe ? s_.pp - 1 : s_.pp * s_.vpp - 1;
  }
  // DualPipeV's turn: the last rank hands chunk 0's output to its own chunk 1 (and chunk 1's
  // input gradient back to chunk 0) in memory; its compute order keeps the dependency.
  bool LocalHandOver(int pos, bool send, bool forward) const {
    if (s_.schedule != StepSchedule::kDualPipeV) return false;
    const int turn_from = forward ? s_.pp - 1 : s_.pp;  // position whose output turns
    return pos == (send ? turn_from : 2 * s_.pp - 1 - turn_from);
  }

  // Recv, compute and send of one forward or backward slot; the recv or send is a no-op at the
  // pipeline's ends and at DualPipeV's turn. (Overlapped F&B pairs add their edges in
  // PipelineOps.)
  struct SlotNodes {
    graph::NodeId recv, comp, send;
  };
  SlotNodes PassOps(const ComputeSlot& slot, int replica, int stage, WorkerNodes& w,
                    PipelineNodes& n) {
    const int pos = Position(stage, slot.chunk), ch = Channel(slot.chunk);
    const bool fwd = slot.forward();
    const bool recv_noop =
        (fwd ? pos == 0 : pos == LastPosition()) || LocalHandOver(pos, false, fwd);
    const bool send_noop =
        (fwd ? pos == LastPosition() : pos == 0) || LocalHandOver(pos, true, fwd);
    SlotNodes x;
    x.recv = Op(fwd ? StepOpType::kForwardRecv : StepOpType::kBackwardRecv, replica, stage, -1, -1,
                recv_noop);
    x.comp = Op(fwd ? StepOpType::kForward : StepOpType::kBackward, replica, stage, slot.chunk,
                slot.microbatch, false, slot.kind == SlotKind::kBackwardInput);
    x.send = Op(fwd ? StepOpType::kForwardSend : StepOpType::kBackwardSend, replica, stage, -1, -1,
                send_noop);
    (fwd ? n.frecv : n.brecv)[ch].push_back(x.recv);
    (fwd ? n.fsend : n.bsend)[ch].push_back(x.send);
    if (!recv_noop) (fwd ? w.fwd_recv : w.bwd_recv)[ch].push_back(x.recv);
    if (!send_noop) (fwd ? w.fwd_send : w.bwd_send)[ch].push_back(x.send);
    return x;
  }

  void PipelineOps(int replica, int stage, WorkerNodes& w, PipelineNodes& n) {
    n.first_fwd.assign(static_cast<size_t>(s_.vpp), -1);
    n.last_bwd.assign(static_cast<size_t>(s_.vpp), -1);
    graph::NodeId prev_fwd = -1, prev_bwd = -1;
    SlotNodes pair_fwd{-1, -1, -1};
    for (const ComputeSlot& slot : ScheduleOrder(s_, stage)) {
      if (slot.kind == SlotKind::kWeightGrad) {
        n.compute.push_back(
            Op(StepOpType::kWeightGrad, replica, stage, slot.chunk, slot.microbatch));
        n.last_bwd[static_cast<size_t>(slot.chunk)] = n.compute.back();
        continue;
      }
      const SlotNodes x = PassOps(slot, replica, stage, w, n);
      Edge(x.recv, x.comp);
      Edge(x.comp, x.send);
      if (slot.forward()) {
        Edge(prev_fwd, x.recv);
        if (n.first_fwd[static_cast<size_t>(slot.chunk)] < 0) {
          n.first_fwd[static_cast<size_t>(slot.chunk)] = x.comp;
        }
        prev_fwd = x.comp;
      } else {
        Edge(prev_bwd, x.recv);
        if (prev_bwd < 0 && n.compute.size() >= 2) {
          Edge(n.compute[n.compute.size() - 2], x.recv);  // what-if model: first backward p2p
          Edge(n.compute[n.compute.size() - 2], x.send);
        }
        if (pair_fwd.comp >= 0) {  // F&B pair: recvs before, sends after both computes
          Edge(x.recv, pair_fwd.comp);
          Edge(x.comp, pair_fwd.send);
        }
        n.last_bwd[static_cast<size_t>(slot.chunk)] = x.comp;
        prev_bwd = x.comp;
      }
      pair_fwd = slot.paired_with_next ? x : SlotNodes{-1, -1, -1};
      n.compute.push_back(x.comp);
    }
  }

  WorkerNodes Worker(int replica, int stage) {
    seq_.assign(seq_.size(), 0);
    const int p = s_.pp, v = s_.vpp;
    WorkerNodes w;
    const auto op = [&](StepOpType t, int chunk = -1) { return Op(t, replica, stage, chunk); };
    // DP parameter gathers at the step start.
    std::vector<graph::NodeId> dp_stream;
    const int gathers = s_.dp_overlap ? v : 1;
    for (int c = 0; c < gathers; ++c) {
      w.param_gather.push_back(op(StepOpType::kParamGather, c));
      dp_stream.push_back(w.param_gather.back());
    }
    PipelineNodes n;
    PipelineOps(replica, stage, w, n);
    const std::vector<graph::NodeId>& compute = n.compute;
    const std::vector<graph::NodeId>& first_fwd = n.first_fwd;
    const std::vector<graph::NodeId>& last_bwd = n.last_bwd;
    // Each channel's sends and recvs are streams of their own (DualPipe's two directions talk
    // to different peers and do not wait for each other).
    Chain(n.compute);
    for (int ch = 0; ch < 2; ++ch) {
      for (const auto* stream : {&n.fsend[ch], &n.frecv[ch], &n.bsend[ch], &n.brecv[ch]}) {
        Chain(*stream);
      }
    }
    for (int c = 0; c < gathers; ++c) Edge(w.param_gather[c], first_fwd[c]);
    if (!s_.dp_overlap) {
      for (int c = 1; c < v; ++c) Edge(w.param_gather[0], first_fwd[c]);
    }
    // Overlapped DP: each chunk's reduce-scatter after its last backward, in the order the
    // chunks finish (reverse chunk order under Megatron).
    if (s_.dp_overlap) {
      for (int c : ChunksByLastBackward(last_bwd)) {
        w.grad_sync.push_back(op(StepOpType::kGradSync, c));
        Edge(last_bwd[static_cast<size_t>(c)], w.grad_sync.back());
        dp_stream.push_back(w.grad_sync.back());
      }
    }
    // Tail.
    const graph::NodeId gc = op(StepOpType::kGc);
    Edge(compute.back(), gc);
    std::vector<graph::NodeId> tail;
    tail.push_back(op(StepOpType::kLayernormAllReduce));
    Edge(gc, tail.back());
    if (stage == 0 || stage == p - 1) {
      w.embedding = op(StepOpType::kEmbeddingAllReduce);
      tail.push_back(w.embedding);
    }
    if (s_.dp_overlap) {
      Edge(w.grad_sync.back(), tail.front());
      w.separate = op(StepOpType::kSeparateGradSync);
      tail.push_back(w.separate);
    } else {
      for (int c = v - 1; c >= 0; --c) {
        w.grad_sync.push_back(op(StepOpType::kGradSync, c));
        tail.push_back(w.grad_sync.back());
        dp_stream.push_back(w.grad_sync.back());
      }
    }
    w.clip = op(StepOpType::kClipGrad);
    tail.push_back(w.clip);
    tail.push_back(op(StepOpType::kOptimizer));
    Chain(tail);
    Chain(dp_stream);
    return w;
  }

  // Chunks in the order their last backward (or W) runs: node ids follow the compute order.
  static std::vector<int> ChunksByLastBackward(const std::vector<graph::NodeId>& last_bwd) {
    std::vector<int> chunks(last_bwd.size());
    for (size_t c = 0; c < chunks.size(); ++c) chunks[c] = static_cast<int>(c);
    std::sort(chunks.begin(), chunks.end(), [&](int a, int b) {
      return last_bwd[static_cast<size_t>(a)] < last_bwd[static_cast<size_t>(b)];
    });
    return chunks;
  }

  // The k-th real send of a channel pairs with the k-th real recv of the peer stage's channel:
  // the next (previous) stage for forwards (backwards), wrapping round for interleaved chunks;
  // DualPipe's channel 1 flows the other way.
  void PairPipelineTransfers(const std::vector<WorkerNodes>& workers, int d, int stage) {
    const int p = s_.pp;
    const auto at = [&](int st) -> const WorkerNodes& {
      return workers[static_cast<size_t>(d * p + (st + p) % p)];
    };
    const WorkerNodes& w = at(stage);
    for (int ch = 0; ch < 2; ++ch) {
      const int step = ch == 0 ? 1 : -1;
      const WorkerNodes& next = at(stage + step);
      const WorkerNodes& prev = at(stage - step);
      TS_CHECK(w.fwd_send[ch].size() == next.fwd_recv[ch].size(), "fwd p2p count mismatch");
      TS_CHECK(w.bwd_send[ch].size() == prev.bwd_recv[ch].size(), "bwd p2p count mismatch");
      for (size_t k = 0; k < w.fwd_send[ch].size(); ++k) {
        const graph::NodeId pair[] = {w.fwd_send[ch][k], next.fwd_recv[ch][k]};
        builder_.AddCollective(pair);
      }
      for (size_t k = 0; k < w.bwd_send[ch].size(); ++k) {
        const graph::NodeId pair[] = {w.bwd_send[ch][k], prev.bwd_recv[ch][k]};
        builder_.AddCollective(pair);
      }
    }
  }

  Result<StepGraph> Build() {
    const int p = s_.pp;
    std::vector<WorkerNodes> workers;
    workers.reserve(static_cast<size_t>(s_.dp * p));
    for (int d = 0; d < s_.dp; ++d) {
      for (int stage = 0; stage < p; ++stage) workers.push_back(Worker(d, stage));
    }
    const auto at = [&](int d, int stage) -> WorkerNodes& {
      return workers[static_cast<size_t>(d * p + stage)];
    };
    std::vector<graph::NodeId> clip;
    for (int d = 0; d < s_.dp; ++d) {
      for (int stage = 0; stage < p; ++stage) {
        PairPipelineTransfers(workers, d, stage);
        clip.push_back(at(d, stage).clip);
      }
      if (p > 1) {
        const graph::NodeId pair[] = {at(d, 0).embedding, at(d, p - 1).embedding};
        builder_.AddCollective(pair);
      } else {
        const graph::NodeId one[] = {at(d, 0).embedding};
        builder_.AddCollective(one);
      }
    }
    // DP collectives: the same op on every replica of a stage.
    for (int stage = 0; stage < p; ++stage) {
      const auto group = [&](auto member) {
        std::vector<graph::NodeId> members;
        for (int d = 0; d < s_.dp; ++d) members.push_back(member(at(d, stage)));
        builder_.AddCollective(members);
      };
      for (size_t k = 0; k < at(0, stage).param_gather.size(); ++k) {
        group([&](const WorkerNodes& w) { return w.param_gather[k]; });
      }
      for (size_t k = 0; k < at(0, stage).grad_sync.size(); ++k) {
        group([&](const WorkerNodes& w) { return w.grad_sync[k]; });
      }
      if (s_.dp_overlap) group([&](const WorkerNodes& w) { return w.separate; });
    }
    builder_.AddCollective(clip);
    StepGraph out;
    out.shape = s_;
    // Connected by construction (the clip-grad collective joins every worker, and each worker's
    // ops hang off its compute chain): the union-find check would only cost time.
    graph::BuildOptions options;
    options.require_connected_steps = false;
    TS_ASSIGN_OR_RETURN(out.graph, builder_.Build(options));
    out.ops = std::move(ops_);
    return out;
  }

 private:
  static int32_t Stream(StepOpType t) {
    switch (t) {
      case StepOpType::kForwardSend:
        return 1;
      case StepOpType::kForwardRecv:
        return 2;
      case StepOpType::kBackwardSend:
        return 3;
      case StepOpType::kBackwardRecv:
        return 4;
      case StepOpType::kParamGather:
      case StepOpType::kGradSync:
        return 5;
      default:
        return 0;
    }
  }
  static size_t Key(const StepOp& op) { return static_cast<size_t>(op.type); }

  StepShape s_;
  graph::GraphBuilder builder_;
  std::vector<StepOp> ops_;
  std::vector<int32_t> seq_ = std::vector<int32_t>(16, 0);
};

}  // namespace

Result<StepGraph> BuildStepGraph(const StepShape& shape) {
  const int p = shape.pp, v = shape.vpp, m = shape.microbatches;
  if (p < 1 || v < 1 || m < 1 || shape.dp < 1) {
    return InvalidArgumentError("pipeline: pp, vpp, microbatches and dp must be >= 1");
  }
  // About 60 bytes per op once built and compiled: 32M ops is ~2 GB. Megatron's schedules are
  // predicted from a window of their steady state; the others, and whole-step replays, are not.
  constexpr double kMaxOps = 32e6;
  const double ops = 7.0 * m * v * p * shape.dp;
  if (ops > kMaxOps) {
    return InvalidArgumentError(
        "pipeline: a whole step of {} microbatches x {} chunks x {} stages x {} replicas is about "
        "{:.3g} ops, above the {:.3g} one replay may hold (use fewer microbatches per step, e.g. "
        "a larger micro_batch{})",
        m, v, p, shape.dp, ops, kMaxOps,
        shape.schedule == StepSchedule::kMegatron ? "" : ", or a Megatron schedule, which is "
                                                          "extrapolated from its steady state");
  }
  switch (shape.schedule) {
    case StepSchedule::kMegatron:
      if (v > 1 && m % p != 0) {
        return InvalidArgumentError(
            "interleaved schedule needs microbatches ({}) divisible by pp ({})", m, p);
      }
      break;
    case StepSchedule::kZeroBubbleH1:
      if (v != 1) return InvalidArgumentError("ZB-H1 runs one model chunk per stage (vpp {})", v);
      break;
    case StepSchedule::kDualPipeV:
      if (v != 2 || p < 2 || m < 2 * p) {
        return InvalidArgumentError(
            "DualPipeV needs pp >= 2 ({}), 2 chunks per rank (vpp {}) and at least 2 pp "
            "microbatches ({})",
            p, v, m);
      }
      break;
    case StepSchedule::kDualPipe:
      if (v != 2 || p % 2 != 0 || m % 2 != 0 || m < 2 * p) {
        return InvalidArgumentError(
            "DualPipe needs an even pp ({}), 2 chunks per rank (vpp {}) and an even number of "
            "microbatches of at least 2 pp ({})",
            p, v, m);
      }
      break;
  }
  StepBuilder builder(shape);
  return builder.Build();
}

int64_t SimulateStepNs(const StepGraph& step, std::span<const int64_t> dur_ns,
                       std::span<const int64_t> delay_ns, std::span<int64_t> start_ns,
                       std::span<int64_t> end_ns) {
  graph::Simulator sim(step.graph);
  int64_t step_end = 0;
  sim.Run(dur_ns, delay_ns, std::span<int64_t>(&step_end, 1), start_ns, end_ns);
  return step_end;
}

StepReplay SimulateStep(const StepGraph& step, const OpDuration& duration) {
  const size_t n = step.ops.size();
  std::vector<int64_t> dur(n);
  std::vector<double> busy(static_cast<size_t>(step.shape.pp * step.shape.dp), 0.0);
  for (size_t i = 0; i < n; ++i) {
    const StepOp& op = step.ops[i];
    dur[i] = std::llround(duration(op) * 1e9);
    if (IsComputeOp(op.type)) {
      busy[static_cast<size_t>(op.replica * step.shape.pp + op.stage)] +=
          static_cast<double>(dur[i]) * 1e-9;
    }
  }
  StepReplay out;
  out.step_s = static_cast<double>(SimulateStepNs(step, dur, {}, {}, {})) * 1e-9;
  out.compute_busy_s = *std::max_element(busy.begin(), busy.end());
  return out;
}

namespace {

// Compute ops and the pipeline sends and recvs beside them (the ops that have a period).
bool IsPipeline(StepOpType t) { return t <= StepOpType::kBackwardRecv; }

// Duration class of an op: everything StepCosts looks at except the microbatch and the seq,
// with "first forward / last backward of its worker" standing in for the seq. Dense (an index
// into a table of 8 x 16 types x (vpp + 1) chunks x pp stages x dp replicas) so the replayer is
// built without a hash map.
size_t ClassKey(const StepOp& op, int last_backward_seq, const StepShape& shape) {
  const bool edge = (op.type == StepOpType::kForward && op.seq == 0) ||
                    (op.type == StepOpType::kBackward && op.seq == last_backward_seq);
  size_t key = static_cast<size_t>(op.type) * 8 + (op.input_only ? 4 : 0) + (op.noop ? 2 : 0) +
               (edge ? 1 : 0);
  key = key * static_cast<size_t>(shape.vpp + 1) + static_cast<size_t>(op.chunk + 1);
  key = key * static_cast<size_t>(shape.pp) + static_cast<size_t>(op.stage);
  return key * static_cast<size_t>(shape.dp) + static_cast<size_t>(op.replica);
}

size_t ClassKeyCount(const StepShape& shape) {
  return size_t{128} * static_cast<size_t>((shape.vpp + 1) * shape.pp * shape.dp);
}

// Pipeline ops by period: compute ops by their microbatch, pipeline sends and recvs by the
// compute they are created with (recv, compute, send of one slot get consecutive ids).
void AssignPeriods(const StepGraph& step, std::vector<int32_t>* period,
                   std::vector<int32_t>* next) {
  const int q = step.shape.vpp > 1 ? step.shape.pp : 1;
  const auto mb_of = [&](size_t n) -> const StepOp* {
    const StepOp& op = step.ops[n];
    switch (op.type) {
      case StepOpType::kForward:
      case StepOpType::kBackward:
        return &op;
      case StepOpType::kForwardRecv:
      case StepOpType::kBackwardRecv:
        return &step.ops[n + 1];
      case StepOpType::kForwardSend:
      case StepOpType::kBackwardSend:
        return &step.ops[n - 1];
      default:
        return nullptr;
    }
  };
  // Dense index of (type, chunk, stage, replica, microbatch): pipeline op types are below 8.
  const StepShape& shape = step.shape;
  const auto key = [&](const StepOp& op, const StepOp& comp, int32_t mb) {
    size_t k = static_cast<size_t>(op.type) * static_cast<size_t>(shape.vpp) +
               static_cast<size_t>(comp.chunk < 0 ? 0 : comp.chunk);
    k = k * static_cast<size_t>(shape.pp) + static_cast<size_t>(op.stage);
    k = k * static_cast<size_t>(shape.dp) + static_cast<size_t>(op.replica);
    return k * static_cast<size_t>(shape.microbatches) + static_cast<size_t>(mb);
  };
  const size_t n_ops = step.ops.size();
  period->assign(n_ops, -1);
  next->assign(n_ops, -1);
  std::vector<int32_t> node_of(size_t{8} * static_cast<size_t>(shape.vpp * shape.pp * shape.dp) *
                                   static_cast<size_t>(shape.microbatches),
                               -1);
  for (size_t n = 0; n < n_ops; ++n) {
    const StepOp* comp = mb_of(n);
    if (comp == nullptr) continue;
    TS_CHECK(comp->type == StepOpType::kForward || comp->type == StepOpType::kBackward,
             "pipeline p2p op not next to its compute");
    (*period)[n] = comp->microbatch / q;
    node_of[key(step.ops[n], *comp, comp->microbatch)] = static_cast<int32_t>(n);
  }
  for (size_t n = 0; n < n_ops; ++n) {
    const StepOp* comp = mb_of(n);
    if (comp == nullptr) continue;
    if (comp->microbatch + q >= shape.microbatches) continue;
    (*next)[n] = node_of[key(step.ops[n], *comp, comp->microbatch + q)];
  }
}

}  // namespace

StepReplayer::StepReplayer(const StepGraph& step) : step_(step), sim_(step.graph) {
  const int last_backward_seq = PassesPerWorker(step.shape) - 1;
  std::vector<int32_t> class_of(ClassKeyCount(step.shape), -1);
  const auto order = step.graph.topological_order();
  class_at_pos_.resize(order.size());
  class_of_node_.resize(order.size());
  for (size_t pos = 0; pos < order.size(); ++pos) {
    const StepOp& op = step.ops[static_cast<size_t>(order[pos])];
    int32_t& cls = class_of[ClassKey(op, last_backward_seq, step.shape)];
    if (cls < 0) {
      cls = static_cast<int32_t>(class_op_.size());
      TS_CHECK(class_op_.size() < 65535, "too many duration classes in one step graph");
      StepOp rep = op;
      rep.seq = op.type == StepOpType::kForward ? (op.seq == 0 ? 0 : 1)
                                                : (op.seq == last_backward_seq ? -1 : 0);
      class_op_.push_back(rep);
      class_worker_.push_back(IsComputeOp(op.type) ? op.replica * step.shape.pp + op.stage : -1);
      class_count_.push_back(0);
    }
    class_at_pos_[pos] = static_cast<uint16_t>(cls);
    class_of_node_[static_cast<size_t>(order[pos])] = static_cast<uint16_t>(cls);
    ++class_count_[static_cast<size_t>(cls)];
  }
  class_ns_.resize(class_op_.size());
  dur_by_pos_.resize(order.size());
}

// Periods are indexed on first use: most graphs of a sweep are short steps replayed whole, and
// only window graphs of ReplaySteadyState read their periods.
void StepReplayer::IndexPeriods() {
  if (periods_indexed_) return;
  periods_indexed_ = true;
  const auto order = step_.graph.topological_order();
  std::vector<int32_t> period_of(order.size(), -1), next_of(order.size(), -1);  // by NodeId
  // Only Megatron's schedules are replayed through their steady state (ReplaySteadyState).
  if (step_.shape.schedule == StepSchedule::kMegatron) AssignPeriods(step_, &period_of, &next_of);
  period_at_.resize(order.size());
  next_at_.resize(order.size());
  for (size_t pos = 0; pos < order.size(); ++pos) {
    const size_t node = static_cast<size_t>(order[pos]);
    period_at_[pos] = period_of[node];
    next_at_[pos] = next_of[node] < 0 ? -1 : step_.graph.position_of(next_of[node]);
    periods_ = std::max(periods_, period_of[node] + 1);
  }
}

StepReplayer::Raw StepReplayer::Run(const OpDuration& duration, int microbatches_in_step) {
  for (size_t c = 0; c < class_op_.size(); ++c) {
    StepOp op = class_op_[c];
    if (op.type == StepOpType::kBackward && op.seq < 0) {
      StepShape in_step = step_.shape;
      in_step.microbatches = microbatches_in_step;
      op.seq = PassesPerWorker(in_step) - 1;
    }
    class_ns_[c] = std::llround(duration(op) * 1e9);
  }
  Raw out;
  for (size_t pos = 0; pos < dur_by_pos_.size(); ++pos) {
    dur_by_pos_[pos] = class_ns_[class_at_pos_[pos]];
  }
  sim_.RunInReplayOrder(dur_by_pos_, {}, std::span<int64_t>(&out.step_ns, 1));
  out.busy_ns.assign(static_cast<size_t>(step_.shape.pp * step_.shape.dp), 0);
  for (size_t c = 0; c < class_op_.size(); ++c) {
    if (class_worker_[c] < 0) continue;
    out.busy_ns[static_cast<size_t>(class_worker_[c])] += class_count_[c] * class_ns_[c];
  }
  return out;
}

std::vector<int64_t> StepReplayer::PeriodShifts() {
  IndexPeriods();
  const std::span<const int64_t> end = sim_.ends_by_position();
  std::vector<int64_t> shift(static_cast<size_t>(periods_), -2);  // -2: no op seen yet
  for (size_t pos = 0; pos < period_at_.size(); ++pos) {
    if (period_at_[pos] < 0) continue;
    int64_t& s = shift[static_cast<size_t>(period_at_[pos])];
    if (next_at_[pos] < 0) {
      s = -1;
      continue;
    }
    const int64_t d = end[static_cast<size_t>(next_at_[pos])] - end[pos];
    if (s == -2) s = d;
    if (s != d) s = -1;
  }
  return shift;
}

int64_t StepReplayer::NonPipelinePathBound() const {
  // Edges between non-pipeline ops go from an op kind (type, chunk) to a later one in one fixed
  // order (gathers, reduce-scatters, gc, layernorm, embedding, separate, clip, optimizer) and a
  // collective joins ops of one kind, so a path holds each kind at most once: its length is at
  // most the sum over kinds of the longest op of that kind.
  const size_t chunks = static_cast<size_t>(step_.shape.vpp) + 1;
  std::vector<int64_t> longest(size_t{16} * chunks, 0);
  for (size_t c = 0; c < class_op_.size(); ++c) {
    const StepOp& op = class_op_[c];
    if (IsPipeline(op.type)) continue;
    int64_t& slot = longest[static_cast<size_t>(op.type) * chunks + static_cast<size_t>(op.chunk + 1)];
    slot = std::max(slot, class_ns_[c]);
  }
  int64_t bound = 0;
  for (int64_t ns : longest) bound += ns;
  return bound;
}

std::vector<int64_t> StepReplayer::BusyPerPeriod() const {
  const int q = step_.shape.vpp > 1 ? step_.shape.pp : 1;
  std::vector<int64_t> busy(static_cast<size_t>(step_.shape.pp * step_.shape.dp), 0);
  for (size_t c = 0; c < class_op_.size(); ++c) {
    const StepOp& op = class_op_[c];
    const bool interior = (op.type == StepOpType::kForward && op.seq == 1) ||
                          (op.type == StepOpType::kBackward && op.seq == 0);
    if (interior) busy[static_cast<size_t>(class_worker_[c])] += q * class_ns_[c];
  }
  return busy;
}

namespace {

StepReplay ToReplay(int64_t step_ns, const std::vector<int64_t>& busy_ns) {
  StepReplay out;
  out.step_s = static_cast<double>(step_ns) * 1e-9;
  out.compute_busy_s =
      static_cast<double>(*std::max_element(busy_ns.begin(), busy_ns.end())) * 1e-9;
  return out;
}

// Periods an op may look back: the warm-up depth in compute slots over the slots of a period.
int DependencyPeriods(const StepShape& s, int q) {
  const int warmup_slots = s.vpp == 1 ? s.pp - 1 : (s.pp - 1) * 2 + (s.vpp - 1) * s.pp;
  const int slots_per_period = q * s.vpp;
  return (warmup_slots + slots_per_period - 1) / slots_per_period + 1;
}

}  // namespace

Result<StepReplay> ReplaySteadyState(const StepShape& shape, const OpDuration& duration,
                                     const ReplayerFor& replayer, bool* extrapolated,
                                     MegatronStepReplay* graph_free) {
  const int m = shape.microbatches;
  const int q = shape.vpp > 1 ? shape.pp : 1;
  const int r = DependencyPeriods(shape, q);
  if (extrapolated != nullptr) *extrapolated = false;
  if (shape.schedule != StepSchedule::kMegatron) {  // periodicity not derived: replay it all
    TS_ASSIGN_OR_RETURN(StepReplayer * r_full, replayer(shape));
    const StepReplayer::Raw raw = r_full->Run(duration, m);
    return ToReplay(raw.step_ns, raw.busy_ns);
  }
  // M congruent to m mod q with at least 3R + 4 periods (warm-up, window, cool-down margin and
  // one spare period); doubled while the transient lasts.
  for (int periods = 3 * r + 4;; periods *= 2) {
    const int big = periods * q + m % q;
    if (m <= big) break;
    // A doubled window (the first one's transient outlasted it) pays only if it is well short
    // of the step: at more than half of it the whole graph is about as cheap and always exact.
    if (periods > 3 * r + 4 && 2 * big > m) break;
    StepShape window = shape;
    window.microbatches = big;
    TS_ASSIGN_OR_RETURN(StepReplayer * big_r, replayer(window));
    const StepReplayer::Raw after = big_r->Run(duration, m);
    // R + 2 consecutive periods with one shift, after the warm-up (R periods). A longer step
    // differs from this one only in the cool-down, backwards of the last R - 1 periods, whose
    // descendants are backwards of their own or later periods (and the tail); the shift of
    // period p reads period p + 1, so the window ends R + 2 periods before the last.
    const std::vector<int64_t> shifts = big_r->PeriodShifts();
    const int last = periods - r - 2;  // last period whose shift a window may use
    int64_t lambda = -1;
    int window_end = -1;
    for (int p = r, run = 0; p <= last && lambda < 0; ++p) {
      const int64_t s = shifts[static_cast<size_t>(p)];
      run = s > 0 && run > 0 && s == shifts[static_cast<size_t>(p - 1)] ? run + 1 : (s > 0);
      if (run >= r + 2) lambda = s, window_end = p;
    }
    if (lambda <= 0) continue;
    const std::vector<int64_t> busy_per_period = big_r->BusyPerPeriod();
    if (after.step_ns <= big_r->NonPipelinePathBound()) {
      // The tail may not follow the pipeline: replay M - q, whose own cool-down starts a period
      // earlier (the window must end R periods before it).
      if (window_end > periods - 1 - 2 * r) continue;
      window.microbatches = big - q;
      TS_ASSIGN_OR_RETURN(StepReplayer * before_r, replayer(window));
      if (after.step_ns - before_r->Run(duration, m).step_ns != lambda) continue;
    }
    const int64_t k = (m - big) / q;
    std::vector<int64_t> busy = after.busy_ns;
    for (size_t w = 0; w < busy.size(); ++w) busy[w] += k * busy_per_period[w];
    if (extrapolated != nullptr) *extrapolated = true;
    return ToReplay(after.step_ns + k * lambda, busy);
  }
  if (graph_free != nullptr && shape.dp == 1) {
    Result<MegatronStepReplay::Replayed> whole = graph_free->Run(shape, duration);
    if (whole.ok()) return ToReplay(whole->step_ns, whole->busy_ns);
    // Dependencies deeper than the graph-free replay follows: the step graph replays it.
  }
  TS_ASSIGN_OR_RETURN(StepReplayer * r_full, replayer(shape));
  const StepReplayer::Raw raw = r_full->Run(duration, m);
  return ToReplay(raw.step_ns, raw.busy_ns);
}

}  // namespace trainscope::workload
