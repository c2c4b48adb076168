// SPDX-License-Identifier: Apache-2.0
// Op durations of the step graph (step_costs.h).
#include "workload/step_costs.h"

namespace trainscope::workload {

StepShape StepCosts::Shape() const {
  StepShape shape;
  shape.pp = pp;
  shape.vpp = vpp;
  shape.microbatches = microbatches;
  shape.schedule = schedule;
  return shape;
}

size_t StepCosts::StageIndex(const StepOp& op) const {
  return static_cast<size_t>(ModelStageOf(Shape(), op.stage, op.chunk));
}

double StepCosts::Seconds(const StepOp& op) const {
  switch (op.type) {
    case StepOpType::kForward: {
      const double base = fwd_s[StageIndex(op)];
      return base + (op.seq == 0 && op.stage == 0 ? vision_fwd_s : 0.0);
    }
    case StepOpType::kBackward: {
      const size_t i = StageIndex(op);
      const double base = op.input_only ? bwd_s[i] - wgrad_s[i] : bwd_s[i];
      return base + (op.seq == PassesPerWorker(Shape()) - 1 && op.stage == 0 ? vision_bwd_s : 0.0);
    }
    case StepOpType::kWeightGrad: return wgrad_s[StageIndex(op)];
    case StepOpType::kForwardSend:
    case StepOpType::kForwardRecv:
    case StepOpType::kBackwardSend:
    case StepOpType::kBackwardRecv: return op.noop ? 0.0 : p2p_s;
    case StepOpType::kParamGather: return param_gather_s;
    case StepOpType::kGradSync: return grad_sync_s + (op.chunk == 0 ? vision_grad_s : 0.0);
    case StepOpType::kSeparateGradSync:
    case StepOpType::kGc: return 0.0;
    case StepOpType::kLayernormAllReduce:
    case StepOpType::kClipGrad: return latency_s;
    case StepOpType::kEmbeddingAllReduce: return embedding_s;
    case StepOpType::kOptimizer: return optimizer_s;
  }
  return 0.0;
}

StepShape StepShapeOf(const ParallelPlan& plan, int microbatches) {
  StepShape shape;
  shape.pp = plan.pp;
  shape.microbatches = microbatches;
  shape.dp_overlap = plan.dp_overlap;
  switch (plan.schedule) {
    case PpSchedule::k1f1b:
      break;
    case PpSchedule::kInterleaved:
      shape.vpp = plan.vpp;
      break;
    case PpSchedule::kZeroBubbleH1:
      shape.schedule = StepSchedule::kZeroBubbleH1;
      break;
    case PpSchedule::kDualPipe:
      shape.schedule = StepSchedule::kDualPipe;
      shape.vpp = 2;
      break;
    case PpSchedule::kDualPipeV:
      shape.schedule = StepSchedule::kDualPipeV;
      shape.vpp = 2;
      break;
  }
  return shape;
}

StepCosts MakeStepCosts(const JobConfig& job, const BlockTiming& t, const BlockConfig* vision,
                        const BlockTiming& vision_timing, double vision_imbalance,
                        const StepShape& shape) {
  const BlockConfig& main = job.blocks[static_cast<size_t>(MainBlockIndex(job))];
  const ParallelPlan& plan = main.plan;
  StepCosts c;
  c.pp = shape.pp;
  c.vpp = shape.vpp;
  c.microbatches = shape.microbatches;
  c.schedule = shape.schedule;
  // DualPipe's two chunks per rank are two of the pp model stages (each rank holds two).
  const bool dualpipe = shape.schedule == StepSchedule::kDualPipe;
  const int virtual_stages = dualpipe ? shape.pp : shape.pp * shape.vpp;
  const int base_layers = main.layers / virtual_stages;
  const int extra_layers = main.layers % virtual_stages;
  for (int vs = 0; vs < virtual_stages; ++vs) {
    const double layers = base_layers + (vs < extra_layers ? 1 : 0);
    const bool last = vs == virtual_stages - 1;  // holds the output head and the MTP modules
    c.fwd_s.push_back(layers * t.layer_fwd_s + (vs == 0 ? t.embed_fwd_s : 0) +
                      (last ? t.head_fwd_s + t.mtp_fwd_s : 0));
    c.bwd_s.push_back(layers * t.layer_bwd_s + (vs == 0 ? t.embed_bwd_s : 0) +
                      (last ? t.head_bwd_s + t.mtp_bwd_s : 0));
    c.wgrad_s.push_back(layers * t.layer_wgrad_s + (last ? t.head_wgrad_s + t.mtp_wgrad_s : 0));
  }
  if (vision != nullptr) {
    c.vision_fwd_s = vision->layers * vision_timing.layer_fwd_s * vision_imbalance;
    c.vision_bwd_s = vision->frozen ? 0.0
                                    : vision->layers * vision_timing.layer_bwd_s * vision_imbalance;
    c.vision_grad_s = vision_timing.dp_grad_s + vision_timing.dp_param_s;
  }
  c.p2p_s = t.p2p_s * job.system.pp_p2p_blocking;
  // Per chunk: its share of the rank's parameters (under DualPipe the rank's two stages,
  // BlockMemory: the pair all-reduce between a stage's two holders is folded into the DP reduce).
  c.param_gather_s = shape.dp_overlap ? t.dp_param_s / shape.vpp : t.dp_param_s;
  c.grad_sync_s = t.dp_grad_s / shape.vpp;
  const ClusterConfig& cl = job.cluster;
  c.latency_s = 2 * cl.hop_latency_s;
  if (shape.pp > 1 && main.vocab > 0 && !main.frozen) {
    const double bytes = job.system.grad_reduce_bytes * static_cast<double>(main.vocab) *
                         static_cast<double>(main.hidden) / plan.tp;
    const int stride = plan.tp * plan.cp * DataParallelSize(main, cl.gpus) * (shape.pp - 1);
    c.embedding_s = CollectiveSeconds(cl, Collective::kAllReduce, 2, stride, bytes);
  }
  // Overlapped DP reduces still contend with compute for SMs and HBM: charge
  // dp_exposed_fraction of them at the tail.
  const double contention = shape.dp_overlap ? job.system.dp_exposed_fraction * t.dp_grad_s : 0.0;
  c.optimizer_s = t.optimizer_s + vision_timing.optimizer_s + contention +
                  job.system.step_overhead_s;
  return c;
}

}  // namespace trainscope::workload
