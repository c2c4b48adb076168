// SPDX-License-Identifier: Apache-2.0
// Predictor: JobConfig -> parameters, FLOPs, memory, communication, step time (replayed on the
// step's dependency graph), MFU/HFU, tokens/s and whole-job GPU-hours, with the assumptions used.
// A Planner caches compiled step graphs by pipeline shape so sweeps over layouts reuse them, and
// replays short Megatron steps without one (pipeline_replay.h).
// Thread safety: Planner is not thread-safe (one per thread); Prediction is a value.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "base/status.h"
#include "workload/config.h"
#include "workload/cost_model.h"
#include "workload/model_math.h"
#include "workload/pipeline_replay.h"
#include "workload/schedule.h"
#include "workload/step_costs.h"

namespace trainscope::workload {

struct BlockSummary {
  std::string name;
  BlockKind kind;
  bool frozen = false;
  ParamCounts params;
  double params_on_rank = 0;
  StepFlops flops;
  double tokens_per_step = 0;  // tokens this block processes per step
  MemoryBreakdown memory;
};

struct Prediction {
  std::string name;
  int gpus = 0;
  int dp = 0;                  // main block's DP size
  int64_t global_batch = 0;    // sequences (samples) per step of the main block
  int64_t microbatches = 0;    // per pipeline
  double tokens_per_step = 0;  // main block tokens
  std::vector<BlockSummary> blocks;
  double params_total = 0, params_active = 0, params_per_rank = 0;
  double model_flops = 0;         // per step, full-attention convention (Megatron MFU)
  double model_flops_causal = 0;  // per step, causal convention
  double hardware_flops = 0;      // per step, with recompute, as the kernels compute
  double memory_per_gpu_bytes = 0;
  MemoryBreakdown memory;  // summed over blocks
  bool fits = false;
  double hbm_bytes = 0;
  std::vector<CommVolume> comm;
  double step_time_s = 0;           // what a step takes, incl. the wait for the slowest sample mix
  double step_time_balanced_s = 0;  // the same step with every worker at the mean sample mix
  double sample_wait_s = 0;         // step_time_s - step_time_balanced_s (saving of balancing)
  double mfu_balanced = 0;          // MFU at step_time_balanced_s
  double compute_s = 0;             // busiest stage's forward+backward time
  double bubble_fraction = 0;       // idle share of the compute stream of the busiest stage
  double mfu = 0, mfu_causal = 0, hfu = 0;
  double tokens_per_s = 0;
  double tflops_per_gpu = 0;  // model FLOPs (full convention) / s / GPU
  bool has_budget = false;
  double tokens_total = 0, steps_total = 0, gpu_hours = 0, calendar_days = 0;
  double effective_time_ratio = 1;
  std::vector<Assumption> assumptions;
  std::vector<std::string> notes;
  // What the model leaves out makes these figures bounds, not estimates (the notes say why):
  // the step time (and so MFU, GPU-hours) may be longer; the memory per GPU may be larger.
  bool step_time_lower_bound = false;
  bool memory_lower_bound = false;
};

// What the trace synthesiser needs besides the numbers: per-layer kernels and op costs.
struct PlanDetail {
  BlockTiming main_timing;
  StepCosts costs;
  StepShape shape;
};

class Planner {
 public:
  // `detail`, when given, receives the kernel lists and step costs behind the prediction.
  Result<Prediction> Predict(const JobConfig& job, PlanDetail* detail = nullptr);
  // Step graph for a shape, compiled once.
  Result<const StepGraph*> Graph(const StepShape& shape);
  // true: replay every step's whole graph (the reference) instead of ReplaySteadyState, which
  // gives the same step time to the nanosecond (steady_state_test, predictor test).
  void set_full_replay(bool full) { full_replay_ = full; }
  // Drops the cached graphs (a sweep done with one pipeline shape frees them for the next).
  void ClearGraphs() { graphs_.clear(); }

 private:
  // `memory_only`: stop once counts, FLOPs and memory (and so `fits`) are known.
  Result<Prediction> PredictAsGiven(const JobConfig& job, PlanDetail* detail,
                                    bool memory_only = false);
  // Graph and replayer for a shape, built once (the 64 most recent shapes are kept).
  Result<StepReplayer*> Replayer(const StepShape& shape);
  struct CachedGraph {
    std::unique_ptr<StepGraph> graph;
    std::unique_ptr<StepReplayer> replayer;
  };
  std::vector<CachedGraph> graphs_;
  MegatronStepReplay graph_free_;  // short Megatron steps, without a step graph
  bool full_replay_ = false;
};

// One-off prediction (a fresh Planner).
Result<Prediction> Predict(const JobConfig& job);

// Microbatches per pipeline and the realised global batch (sequences) of the main block.
Result<std::pair<int64_t, int64_t>> Microbatches(const JobConfig& job);

// Fraction of peak the published GPU-hours imply: model FLOPs of `tokens_total` tokens at this
// prediction's FLOPs per token over gpu_hours x 3600 x peak.
double ImpliedMfu(const Prediction& p, const JobConfig& job, double published_gpu_hours);

}  // namespace trainscope::workload
