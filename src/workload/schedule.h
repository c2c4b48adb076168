// SPDX-License-Identifier: Apache-2.0
// The dependency graph of one training step, built on graph::DepGraph (the engine the what-if
// analysis uses), and its replay.
//
// Workers are (DP replica, pipeline stage) pairs, as in the what-if op tables. The ops and edges
// are those of the Megatron dependency model of whatif/megatron_model.h (Lin et al., OSDI'25), so
// a synthesised op table replays to the same step time under the what-if analysis:
//  - compute stream: forward/backward of every (model chunk, microbatch) in Megatron's order
//    (1F1B, or interleaved with v chunks: Megatron-LM
//    `forward_backward_pipelining_with_interleaving`, warm-up (p - r - 1) * 2 + (v - 1) * p),
//    or in a schedule that splits backwards into input-gradient (B) and weight-gradient (W)
//    passes (ZB-H1, DualPipe: see StepSchedule);
//  - per forward (backward) compute a recv before it and a send after it; sends and recvs whose
//    peer virtual stage does not exist are no-ops; the k-th real send of a stage and the k-th
//    real recv of the next (previous) stage form one collective (the transfer starts when both
//    are posted); the previous compute of the same direction precedes a recv; the first backward
//    send/recv waits for the forward two computes before the first backward;
//  - DP stream: a params all-gather per chunk before the chunk's first forward (one in all when
//    DP comm is not overlapped), a grads reduce-scatter per chunk after its last backward
//    (overlapped) or in the step tail; DP ops are collectives over the DP replicas;
//  - tail: last compute -> gc -> layernorm all-reduce -> embedding all-reduce (first + last
//    stage) -> [separate-grads-all-reduce | reduce-scatters] -> clip-grad (all workers) ->
//    optimizer. Each stream is a chain.
// The bubble is whatever idle time the replay leaves: no bubble formula is used.
// Thread safety: a StepGraph is immutable once built; SimulateStep needs its own scratch.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "base/status.h"
#include "graph/dep_graph.h"
#include "graph/simulator.h"

namespace trainscope::workload {

// Pipeline schedules whose order the graph follows.
//  - kMegatron: 1F1B (vpp 1) or interleaved 1F1B (vpp > 1), as above.
//  - kZeroBubbleH1: ZB-H1 (Qi et al., "Zero Bubble Pipeline Parallelism", ICLR 2024) as the
//    authors' Megatron patch runs it (sail-sg/zero-bubble-pipeline-parallelism, branch
//    zb-h1-quick-start, commit 95212f70): 1F1B's F/B order; stage r > 0 runs the backwards of its
//    first r steady-state slots, its last one and its cool-down as B only and queues their W,
//    runs one queued W after its last steady-state B and after each cool-down B once r are
//    queued, and the rest at the end. Same activation memory as 1F1B; vpp must be 1.
//  - kDualPipe: DeepSeek-V3's DualPipe (arXiv 2412.19437 sec. 3.2.1; deepseek-ai/DualPipe,
//    dualpipe.py, its 8 steps). Microbatches enter from both ends: rank r holds model stage r
//    (direction 0, chunk 0) and stage p - 1 - r (direction 1, chunk 1), so vpp is 2 in the
//    graph; half the microbatches flow each way. A forward of one direction and a backward of
//    the other run as one overlapped F&B pair: both receives are posted before it and both
//    sends after it. Needs p even and m even, m >= 2p.
//  - kDualPipeV: DualPipe "cut in half" (deepseek-ai/DualPipe, dualpipev.py): the model is 2p
//    stages in a V; rank r holds stage r (chunk 0, data flowing down the ranks) and stage
//    2p - 1 - r (chunk 1, flowing back up), every microbatch enters at rank 0 and turns on the
//    last rank (a local hand-over, no transfer). The same 8 steps with p ranks in place of p/2.
//    Needs m >= 2p.
enum class StepSchedule : uint8_t { kMegatron, kZeroBubbleH1, kDualPipe, kDualPipeV };

struct StepShape {
  int pp = 1;
  int vpp = 1;  // chunks per worker (2 for DualPipe)
  int microbatches = 1;
  int dp = 1;  // DP replicas in the graph (1 for prediction; all for synthesis)
  bool dp_overlap = true;
  StepSchedule schedule = StepSchedule::kMegatron;
  bool operator==(const StepShape&) const = default;
};

// Forward passes (and as many backwards) each worker runs: m * vpp for Megatron, ZB-H1 and
// DualPipeV, m for DualPipe (each microbatch visits a rank once, in one of its two chunks).
int PassesPerWorker(const StepShape& shape);
// The model stage (index of the per-stage cost tables) a worker's chunk computes: chunk * pp +
// stage; for DualPipe stage (chunk 0) and pp - 1 - stage (chunk 1); for DualPipeV stage and
// 2 pp - 1 - stage.
int ModelStageOf(const StepShape& shape, int stage, int chunk);

enum class StepOpType : uint8_t {
  kForward,
  kBackward,
  kForwardSend,
  kForwardRecv,
  kBackwardSend,
  kBackwardRecv,
  kParamGather,
  kGradSync,          // grads reduce-scatter of one chunk
  kSeparateGradSync,  // overlapped DP: the tail op waiting for the reduce-scatters
  kGc,
  kLayernormAllReduce,
  kEmbeddingAllReduce,
  kClipGrad,
  kOptimizer,
  kWeightGrad,  // the W pass of a split backward (ZB-H1, DualPipe)
};
// The what-if artifact's optype string ("forward-compute", ...).
const char* StepOpName(StepOpType type);

struct StepOp {
  StepOpType type;
  bool noop = false;        // p2p without a peer (pipeline ends)
  bool input_only = false;  // a backward whose weight gradient runs later as a kWeightGrad op
  int16_t stage = 0;
  int16_t chunk = -1;  // model chunk on this stage (mc), -1 when not applicable
  int32_t microbatch = -1;
  int32_t replica = 0;  // DP rank
  int32_t seq = 0;      // order among ops of this type on this worker
  int32_t GlobalChunk(int pp) const { return chunk < 0 ? -1 : chunk * pp + stage; }
};

struct StepGraph {
  StepShape shape;
  std::vector<StepOp> ops;  // by graph::NodeId
  graph::DepGraph graph;
};

bool IsComputeOp(StepOpType t);
// DualPipe or DualPipeV: two chunks per rank on two channels, overlapped F&B pairs.
bool IsDualPipe(StepSchedule s);

// One pass of the compute stream of a stage: forward, full backward, input-gradient backward
// (its W later) or weight-gradient pass.
enum class SlotKind : uint8_t { kForward, kBackward, kBackwardInput, kWeightGrad };
struct ComputeSlot {
  SlotKind kind;
  int chunk;
  int microbatch;
  // DualPipe: this forward and the backward after it are one overlapped F&B pair.
  bool paired_with_next = false;
  bool forward() const { return kind == SlotKind::kForward; }
};
// The compute-stream order of `stage` (Megatron order).
std::vector<ComputeSlot> PipelineOrder(int pp, int vpp, int microbatches, int stage);
// The same into `out` (its capacity reused).
void PipelineOrder(int pp, int vpp, int microbatches, int stage, std::vector<ComputeSlot>* out);
// The compute-stream order of `stage` under shape.schedule.
std::vector<ComputeSlot> ScheduleOrder(const StepShape& shape, int stage);

// Builds and compiles the graph. Interleaving needs microbatches % pp == 0; ZB-H1 vpp 1;
// DualPipe pp even, vpp 2, microbatches even and >= 2 pp; DualPipeV vpp 2, microbatches >= 2 pp.
Result<StepGraph> BuildStepGraph(const StepShape& shape);

using OpDuration = std::function<double(const StepOp&)>;

struct StepReplay {
  double step_s = 0;
  double compute_busy_s = 0;  // max over workers of summed forward+backward time
};

// Replays the graph with durations from `duration` (seconds).
StepReplay SimulateStep(const StepGraph& step, const OpDuration& duration);
// Replays with durations and delays in ns (per op); fills per-op start/end (ns) when non-empty.
int64_t SimulateStepNs(const StepGraph& step, std::span<const int64_t> dur_ns,
                       std::span<const int64_t> delay_ns, std::span<int64_t> start_ns,
                       std::span<int64_t> end_ns);

// Replays one step graph many times when op durations depend only on an op's type, stage,
// chunk, replica, noop flag and whether it is its worker's first forward or last backward (as
// StepCosts' do; not with per-microbatch sample factors). The duration function is asked once
// per such class (a few per virtual stage) and the durations are laid out in replay order, so a
// replay is one pass of graph::Simulator. Results are those of SimulateStep to the nanosecond.
// It also knows each pipeline op's period (microbatch / q, q = 1 for 1F1B and pp when
// interleaved; pipeline sends and recvs take their compute's) and its counterpart one period
// later, for ReplaySteadyState. Not thread-safe (owns the simulator's scratch); `step` must
// outlive it.
class StepReplayer {
 public:
  explicit StepReplayer(const StepGraph& step);

  struct Raw {
    int64_t step_ns = 0;
    std::vector<int64_t> busy_ns;  // per worker: summed forward+backward ns
  };
  // `microbatches_in_step`: the microbatch count the duration function believes in; an op that
  // is the last backward of its worker is shown with seq = microbatches_in_step * vpp - 1, a
  // first forward with seq 0, every other forward with seq 1 and backward with seq 0.
  Raw Run(const OpDuration& duration, int microbatches_in_step);
  // Of the last Run. Per period: the common shift of its pipeline ops to their counterparts one
  // period later, or -1 when the shifts differ or an op has no counterpart.
  std::vector<int64_t> PeriodShifts();
  // Of the last Run: an upper bound on every path made only of non-pipeline ops (DP gathers and
  // reduces, the tail): such a path holds each op kind (type, chunk) at most once, so the sum
  // over kinds of the longest op. Pipeline ops leave for non-pipeline ones only from the last
  // period, so a step longer than this bound ends on a path through the last period.
  int64_t NonPipelinePathBound() const;
  // Of the last Run: per worker, the forward+backward ns one more period adds (q microbatches of
  // every chunk that is neither the worker's first forward nor its last backward).
  std::vector<int64_t> BusyPerPeriod() const;
  const StepGraph& step() const { return step_; }

 private:
  const StepGraph& step_;
  graph::Simulator sim_;
  std::vector<StepOp> class_op_;         // representative op of each duration class
  std::vector<int32_t> class_worker_;    // worker of the class's compute ops, -1 otherwise
  std::vector<uint16_t> class_at_pos_;   // duration class by replay position
  std::vector<uint16_t> class_of_node_;  // duration class by NodeId
  std::vector<int64_t> class_count_;     // ops per class
  // By replay position: period (-1: not a pipeline op) and the counterpart's position.
  void IndexPeriods();
  std::vector<int32_t> period_at_, next_at_;
  int32_t periods_ = 0;
  bool periods_indexed_ = false;
  std::vector<int64_t> class_ns_, dur_by_pos_;
};

// Step replay of `shape` through the periodic steady state of its schedule. 1F1B and
// interleaved 1F1B repeat the same ops every q microbatches (q = 1 for 1F1B, pp when
// interleaved); an op depends on ops at most R periods back (R from the warm-up depth). The
// step graph with M microbatches (M = (3R + 4) q or more, congruent to m mod q) is replayed
// with every op's end time: when R + 2 consecutive periods between warm-up and cool-down are the
// same times shifted by one common lambda, the state of the recurrence repeats, so every later
// period, the cool-down and the tail of any longer step are shifted by lambda per period too
// (max-plus linear recurrences: Baccelli et al., "Synchronization and Linearity", 1992, ch. 3).
// The step end is max(A, B): A over paths through the shifted pipeline ops, B over paths of
// non-pipeline ops only (an early op such as the first params all-gather holding the tail), and
// only A grows with m. So the tail must be shown to follow the pipeline: T(M) above the bound on
// B (NonPipelinePathBound), or else a replay with M - q microbatches ending exactly lambda
// earlier (B below T(M - q)). Then T(m) = T(M) + (m - M) / q * lambda,
// equal to the full replay to the nanosecond. A transient that outlasts the window doubles M
// (while 2 M stays within m: a window over half the step costs about what the whole graph does);
// short steps (m <= M) replay the whole step.
// Per-worker busy time is affine in m exactly.
// `replayer` returns a replayer for a shape (the caller caches them). `extrapolated`, when
// given, tells which path was taken. Durations as for StepReplayer (no per-microbatch factors).
// With `graph_free` given, short Megatron steps of one replica are replayed by it (no step graph;
// pipeline_replay.h, the same step to the ns) rather than through `replayer`, which then serves
// the windows and what the graph-free replay declines (pipelines deeper than it recurses).
using ReplayerFor = std::function<Result<StepReplayer*>(const StepShape&)>;
class MegatronStepReplay;
Result<StepReplay> ReplaySteadyState(const StepShape& shape, const OpDuration& duration,
                                     const ReplayerFor& replayer, bool* extrapolated = nullptr,
                                     MegatronStepReplay* graph_free = nullptr);

}  // namespace trainscope::workload
