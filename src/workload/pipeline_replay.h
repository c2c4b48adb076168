// SPDX-License-Identifier: Apache-2.0
// Replay of a Megatron 1F1B or interleaved 1F1B step straight from each stage's compute order,
// without building the step graph.
//
// A sweep predicts many short steps (a few to a few hundred microbatches) whose whole graph
// would otherwise be built once per distinct (pp, vpp, microbatches): building it costs far more
// than replaying it. This replay walks the same ops, edges and collectives as BuildStepGraph
// (schedule.h) for one DP replica (compute, forward recv / send, backward recv / send, DP and
// tail streams) and applies graph::Simulator's rule (a plain op ends at the latest end of its
// dependencies plus its duration; the members of a collective end at the latest of their ready
// times plus their own durations). So its step time is SimulateStep's to the nanosecond
// (steady_state_test checks it against the graph on random shapes and costs).
//
// The order of evaluation is driven by demand: a stage computes its slots in order; a slot's
// recv, when real, needs the ready time of its peer's send, so the peer's computes up to that
// send (recursively) and its send stream up to it; the pair's ends are set together. Driven
// round by round (the k-th slot of every stage), a transfer mostly pairs slots of the same or an
// earlier round, so the recursion stays shallow (about pp frames); the graph is acyclic, so it
// ends. Deeper than kMaxDepth, Run reports an error and the caller replays the step graph.
// Durations as for StepReplayer: asked once per duration class (type, stage, chunk, noop, first
// forward / last backward of the worker). The slots of the 8 most recent step lengths are kept
// (a sweep meets each length several times). Not thread-safe: one per thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "base/status.h"
#include "workload/schedule.h"

namespace trainscope::workload {

class MegatronStepReplay {
 public:
  struct Replayed {
    int64_t step_ns = 0;
    std::vector<int64_t> busy_ns;  // per stage: summed forward+backward ns
  };
  // shape.schedule must be kMegatron and shape.dp 1; interleaving needs microbatches % pp == 0
  // (as BuildStepGraph).
  Result<Replayed> Run(const StepShape& shape, const OpDuration& duration);

 private:
  // One compute slot of a stage (2 m v of them) with its recv and send: their end times, each
  // written before it is read (the cursors' order), so a kept layout needs no reset. Kept
  // together: a step's slots outgrow the caches, and the replay touches a slot's fields together.
  struct Slot {
    int64_t comp_end, recv_end, send_end;
    int32_t prev_same_dir;               // previous slot of the same direction, -1 for none
    int32_t peer_of_recv, peer_of_send;  // the peer stage's slot of the transfer, -1: no-op
    int16_t chunk;
    bool forward;
  };
  struct Stage {
    std::vector<Slot> slots;
    std::vector<int32_t> dir_slots[2];  // [forward?]: the slots of each direction, in order
    std::vector<int32_t> first_fwd_of_chunk, last_bwd_of_chunk;
    int32_t first_backward = -1;
    int peer[2][2] = {};  // [forward?][send?]: the stage a transfer stream talks to
    // Cursors: the next slot to compute; per direction, the next send (index into dir_slots).
    int32_t comp_at = 0;
    int32_t send_at[2] = {};
    bool computing = false;  // ComputeThrough is on this stage's stack
    int64_t busy_ns = 0;
    std::vector<int64_t> gather_end;  // DP params all-gathers, by chunk (one when not overlapped)
    // Durations (ns): forward [first, other] and backward [last, other] by chunk; transfers
    // [real, no-op] per direction and kind.
    std::vector<int64_t> fwd_first_ns, fwd_ns, bwd_last_ns, bwd_ns;
    int64_t recv_ns[2][2] = {}, send_ns[2][2] = {};  // [forward?][noop?]
  };

  // Recursion bound of the demand-driven evaluation (frames of ComputeThrough); the round-by-
  // round order keeps it near pp. Deeper steps are left to the step graph.
  static constexpr int kMaxDepth = 512;

  // Slots of one (pp, vpp, microbatches), kept for the next step of the same length.
  struct Layout {
    int pp = 0, vpp = 0, microbatches = 0;
    std::vector<Stage> stages;
    uint64_t used = 0;  // clock_ when last used
  };
  static constexpr size_t kLayouts = 8;

  Stage& StageAt(int s) { return (*stages_)[static_cast<size_t>(s)]; }
  void Prepare(const StepShape& shape, const OpDuration& duration);
  void UseLayout();
  void PrepareSlots(int s);
  void PrepareDurations(int s, const OpDuration& duration);
  void PairTransfers();
  bool ComputeThrough(int s, int32_t k);
  bool Receive(int s, int32_t k);
  bool SendReady(int s, bool fwd, int32_t target, int64_t* ready_out);
  // The DP reduce-scatters and the tail; returns the step end (the latest end of any op).
  int64_t Tail(const OpDuration& duration, std::vector<int64_t>* busy);
  void Seen(int64_t end) { step_max_ = std::max(step_max_, end); }

  StepShape shape_;
  std::vector<Layout> layouts_;
  std::vector<Stage>* stages_ = nullptr;  // the current layout's
  uint64_t clock_ = 0;
  std::vector<int64_t> tail_end_, dp_end_;
  std::vector<int> chunk_order_;
  std::vector<ComputeSlot> order_;
  int64_t step_max_ = 0;
  int depth_ = 0;
};

}  // namespace trainscope::workload
