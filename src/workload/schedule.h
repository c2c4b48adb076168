// SPDX-License-Identifier: Apache-2.0
// The dependency graph of one training step of one pipeline replica, built on graph::DepGraph
// (the engine the what-if analysis uses), and its replay.
//
// Workers are pipeline stages. Per stage: a compute stream running, in Megatron's order, the
// forward and backward passes of every (model chunk, microbatch) (1F1B, or interleaved 1F1B with
// v chunks: Megatron-LM `forward_backward_pipelining_with_interleaving`, warm-up
// (p - r - 1) * 2 + (v - 1) * p forwards on rank r); a p2p stream per direction carrying
// activations and gradients to the next/previous virtual stage; a DP stream with the gradient
// reduce of each chunk (after that chunk's last backward when DP comm overlaps, else after the
// last compute); then a cross-stage barrier (gradient clipping), the optimizer and the ZeRO
// parameter all-gather. Optional vision-encoder passes (Seed1.5-VL's ViT) run on every stage
// before the first forward and after the last backward.
// The bubble is whatever idle time this replay leaves: no bubble formula is used.
// Thread safety: a StepGraph is immutable once built; SimulateStep needs its own scratch.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "base/status.h"
#include "graph/dep_graph.h"
#include "graph/simulator.h"

namespace trainscope::workload {

struct StepShape {
  int pp = 1;
  int vpp = 1;
  int microbatches = 1;
  bool vision = false;       // ViT forward/backward around the pipeline
  bool dp_overlap = true;
  bool operator==(const StepShape&) const = default;
};

enum class StepOpType : uint8_t {
  kForward,
  kBackward,
  kSendForward,   // activation to the next virtual stage
  kSendBackward,  // gradient to the previous virtual stage
  kVisionForward,
  kVisionBackward,
  kGradSync,      // DP reduce of one chunk's gradients
  kBarrier,       // cross-stage gradient-norm sync
  kOptimizer,
  kParamGather,   // ZeRO all-gather of updated parameters
};
const char* StepOpName(StepOpType type);

struct StepOp {
  StepOpType type;
  int16_t stage;
  int16_t chunk;       // model chunk on this stage (-1 when not applicable)
  int32_t microbatch;  // -1 when not applicable
};

// Stream ids used in the graph.
enum StepStream : int32_t { kStreamCompute = 0, kStreamSendFwd = 1, kStreamSendBwd = 2,
                            kStreamDp = 3 };

struct StepGraph {
  StepShape shape;
  std::vector<StepOp> ops;   // by graph::NodeId
  graph::DepGraph graph;
};

// The (forward?, chunk, microbatch) order of the compute stream of `stage` (Megatron order).
struct ComputeSlot {
  bool forward;
  int chunk;
  int microbatch;
};
std::vector<ComputeSlot> PipelineOrder(int pp, int vpp, int microbatches, int stage);

// Builds and compiles the graph. Interleaving needs microbatches % pp == 0.
Result<StepGraph> BuildStepGraph(const StepShape& shape);

// Duration of each op in seconds.
using OpDuration = std::function<double(const StepOp&)>;

struct StepReplay {
  double step_s = 0;
  double compute_busy_s = 0;      // max over stages of summed forward+backward time
  std::vector<double> start_s, end_s;  // per op, when requested
};

// Replays the graph; `with_ops` fills per-op start/end (for trace synthesis).
StepReplay SimulateStep(const StepGraph& step, const OpDuration& duration, bool with_ops);

}  // namespace trainscope::workload
