// SPDX-License-Identifier: Apache-2.0
// StepCosts: the duration of every op type of the step graph (schedule.h) for one job, from the
// per-layer costs of cost_model.h. Shared by the predictor and the trace synthesiser so that a
// synthesised trace replays to the predicted step time.
// Vision-encoder passes (Seed1.5-VL's ViT, outside the pipeline, on every GPU) are folded into
// stage 0's first forward and last backward: the other stages run theirs while they wait for
// stage 0 (warm-up and cool-down), so only stage 0's are on the critical path. Their DP sync is
// added to the last grads reduce.
// Thread safety: plain value.
#pragma once

#include <vector>

#include "workload/config.h"
#include "workload/cost_model.h"
#include "workload/schedule.h"

namespace trainscope::workload {

struct StepCosts {
  int pp = 1, vpp = 1, microbatches = 1;
  StepSchedule schedule = StepSchedule::kMegatron;
  // Per model stage (ModelStageOf), one microbatch. bwd_s is the whole backward; a split
  // backward (input_only) takes bwd_s - wgrad_s and its kWeightGrad op wgrad_s.
  std::vector<double> fwd_s, bwd_s, wgrad_s;
  double vision_fwd_s = 0, vision_bwd_s = 0, vision_grad_s = 0;
  double p2p_s = 0;
  double param_gather_s = 0;   // per params-all-gather op
  double grad_sync_s = 0;      // per grads-reduce-scatter op
  double embedding_s = 0;      // embedding-grads all-reduce (first + last stage)
  double latency_s = 0;        // small syncs (layernorm all-reduce, clip-grad)
  double optimizer_s = 0;      // optimizer + contention of overlapped DP comm + fixed overhead

  double Seconds(const StepOp& op) const;
  // Index into fwd_s / bwd_s / wgrad_s of a compute op.
  size_t StageIndex(const StepOp& op) const;
  StepShape Shape() const;  // the step shape these costs are for (dp 1)
};

// The step-graph shape of a plan with `microbatches` per pipeline (prediction: one replica).
StepShape StepShapeOf(const ParallelPlan& plan, int microbatches);

StepCosts MakeStepCosts(const JobConfig& job, const BlockTiming& main, const BlockConfig* vision,
                        const BlockTiming& vision_timing, double vision_imbalance,
                        const StepShape& shape);

}  // namespace trainscope::workload
