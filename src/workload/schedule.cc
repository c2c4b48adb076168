// SPDX-License-Identifier: Apache-2.0
// Pipeline schedule order, step graph construction and replay (schedule.h).
#include "workload/schedule.h"

#include <algorithm>
#include <cmath>

#include "base/check.h"

namespace trainscope::workload {

const char* StepOpName(StepOpType type) {
  switch (type) {
    case StepOpType::kForward: return "forward-compute";
    case StepOpType::kBackward: return "backward-compute";
    case StepOpType::kSendForward: return "forward-send";
    case StepOpType::kSendBackward: return "backward-send";
    case StepOpType::kVisionForward: return "vision-forward";
    case StepOpType::kVisionBackward: return "vision-backward";
    case StepOpType::kGradSync: return "grads-reduce-scatter";
    case StepOpType::kBarrier: return "optimizer-clip-main-grad";
    case StepOpType::kOptimizer: return "optimizer";
    case StepOpType::kParamGather: return "params-all-gather";
  }
  return "?";
}

std::vector<ComputeSlot> PipelineOrder(int pp, int vpp, int microbatches, int stage) {
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
    return ComputeSlot{forward, chunk, vpp == 1 ? k : microbatch};
  };
  std::vector<ComputeSlot> order;
  order.reserve(static_cast<size_t>(2 * total));
  for (int k = 0; k < warmup; ++k) order.push_back(slot(k, true));
  for (int i = 0; i < total - warmup; ++i) {
    order.push_back(slot(warmup + i, true));
    order.push_back(slot(i, false));
  }
  for (int k = total - warmup; k < total; ++k) order.push_back(slot(k, false));
  return order;
}

Result<StepGraph> BuildStepGraph(const StepShape& shape) {
  const int p = shape.pp, v = shape.vpp, m = shape.microbatches;
  if (p < 1 || v < 1 || m < 1) return InvalidArgumentError("pipeline: pp, vpp, microbatches >= 1");
  if (v > 1 && m % p != 0) {
    return InvalidArgumentError("interleaved schedule needs microbatches ({}) divisible by pp ({})",
                                m, p);
  }
  StepGraph out;
  out.shape = shape;
  graph::GraphBuilder b;
  const auto add = [&](StepOpType type, int stage, int chunk, int mb, int stream) {
    out.ops.push_back({type, static_cast<int16_t>(stage), static_cast<int16_t>(chunk), mb});
    return b.AddNode(stage, stream, 0);
  };
  const int virtual_stages = p * v;
  // Node ids of compute and sends by (virtual stage, microbatch).
  std::vector<graph::NodeId> fwd(static_cast<size_t>(virtual_stages * m), -1);
  std::vector<graph::NodeId> bwd(fwd.size(), -1);
  std::vector<std::vector<graph::NodeId>> chunk_last_bwd(static_cast<size_t>(p),
                                                          std::vector<graph::NodeId>(v, -1));
  std::vector<graph::NodeId> last_compute(static_cast<size_t>(p), -1);
  std::vector<graph::NodeId> vision_fwd(static_cast<size_t>(p), -1);
  const auto idx = [&](int vs, int mb) { return static_cast<size_t>(vs * m + mb); };
  for (int stage = 0; stage < p; ++stage) {
    graph::NodeId prev = -1;
    if (shape.vision) {
      prev = vision_fwd[stage] = add(StepOpType::kVisionForward, stage, -1, -1, kStreamCompute);
    }
    for (const ComputeSlot& s : PipelineOrder(p, v, m, stage)) {
      const int vs = s.chunk * p + stage;
      const graph::NodeId node = add(s.forward ? StepOpType::kForward : StepOpType::kBackward,
                                     stage, s.chunk, s.microbatch, kStreamCompute);
      (s.forward ? fwd : bwd)[idx(vs, s.microbatch)] = node;
      if (prev >= 0) b.AddEdge(prev, node);
      prev = node;
      if (!s.forward) chunk_last_bwd[stage][s.chunk] = node;
    }
    last_compute[stage] = prev;
  }
  // P2P: a send node per producer, consumed by the next (fwd) / previous (bwd) virtual stage.
  const auto send = [&](StepOpType type, int vs, int mb, graph::NodeId from, graph::NodeId to) {
    const int stage = vs % p;
    const int stream = type == StepOpType::kSendForward ? kStreamSendFwd : kStreamSendBwd;
    const graph::NodeId node = add(type, stage, vs / p, mb, stream);
    b.AddEdge(from, node);
    b.AddEdge(node, to);
    return node;
  };
  for (int mb = 0; mb < m; ++mb) {
    for (int vs = 0; vs + 1 < virtual_stages; ++vs) {
      send(StepOpType::kSendForward, vs, mb, fwd[idx(vs, mb)], fwd[idx(vs + 1, mb)]);
      send(StepOpType::kSendBackward, vs + 1, mb, bwd[idx(vs + 1, mb)], bwd[idx(vs, mb)]);
    }
    b.AddEdge(fwd[idx(virtual_stages - 1, mb)], bwd[idx(virtual_stages - 1, mb)]);
    if (shape.vision) {
      for (int stage = 0; stage < p; ++stage) b.AddEdge(vision_fwd[stage], fwd[idx(0, mb)]);
    }
  }
  // Each send follows its producer, which is ordered on the compute stream, so sends leave in
  // program order without extra stream edges (transfers of one stage may overlap).
  std::vector<graph::NodeId> barrier_members;
  std::vector<graph::NodeId> tail(static_cast<size_t>(p), -1);
  for (int stage = 0; stage < p; ++stage) {
    graph::NodeId compute_end = last_compute[stage];
    if (shape.vision) {
      const graph::NodeId vb = add(StepOpType::kVisionBackward, stage, -1, -1, kStreamCompute);
      b.AddEdge(compute_end, vb);
      // Visual-token gradients come from every microbatch's stage-0 backward.
      for (int mb = 0; mb < m; ++mb) b.AddEdge(bwd[idx(0, mb)], vb);
      compute_end = vb;
    }
    graph::NodeId prev_sync = -1;
    for (int chunk = v - 1; chunk >= 0; --chunk) {
      const graph::NodeId sync = add(StepOpType::kGradSync, stage, chunk, -1, kStreamDp);
      b.AddEdge(shape.dp_overlap ? chunk_last_bwd[stage][chunk] : compute_end, sync);
      if (prev_sync >= 0) b.AddEdge(prev_sync, sync);
      prev_sync = sync;
    }
    if (shape.vision) {
      const graph::NodeId sync = add(StepOpType::kGradSync, stage, -1, -1, kStreamDp);
      b.AddEdge(compute_end, sync);
      b.AddEdge(prev_sync, sync);
      prev_sync = sync;
    }
    const graph::NodeId barrier = add(StepOpType::kBarrier, stage, -1, -1, kStreamCompute);
    b.AddEdge(compute_end, barrier);
    b.AddEdge(prev_sync, barrier);
    barrier_members.push_back(barrier);
    const graph::NodeId opt = add(StepOpType::kOptimizer, stage, -1, -1, kStreamCompute);
    b.AddEdge(barrier, opt);
    const graph::NodeId gather = add(StepOpType::kParamGather, stage, -1, -1, kStreamDp);
    b.AddEdge(opt, gather);
    tail[stage] = gather;
  }
  b.AddCollective(barrier_members);
  TS_ASSIGN_OR_RETURN(out.graph, b.Build());
  return out;
}

StepReplay SimulateStep(const StepGraph& step, const OpDuration& duration, bool with_ops) {
  const size_t n = step.ops.size();
  std::vector<int64_t> dur(n);
  for (size_t i = 0; i < n; ++i) dur[i] = std::llround(duration(step.ops[i]) * 1e9);
  graph::Simulator sim(step.graph);
  int64_t step_end = 0;
  StepReplay out;
  std::vector<int64_t> start, end;
  if (with_ops) {
    start.resize(n);
    end.resize(n);
  }
  sim.Run(dur, {}, std::span<int64_t>(&step_end, 1), start, end);
  out.step_s = static_cast<double>(step_end) * 1e-9;
  std::vector<double> busy(static_cast<size_t>(step.shape.pp), 0.0);
  for (size_t i = 0; i < n; ++i) {
    const StepOpType t = step.ops[i].type;
    if (t == StepOpType::kForward || t == StepOpType::kBackward) {
      busy[static_cast<size_t>(step.ops[i].stage)] += static_cast<double>(dur[i]) * 1e-9;
    }
  }
  out.compute_busy_s = *std::max_element(busy.begin(), busy.end());
  if (with_ops) {
    out.start_s.resize(n);
    out.end_s.resize(n);
    for (size_t i = 0; i < n; ++i) {
      out.start_s[i] = static_cast<double>(start[i]) * 1e-9;
      out.end_s[i] = static_cast<double>(end[i]) * 1e-9;
    }
  }
  return out;
}

}  // namespace trainscope::workload
