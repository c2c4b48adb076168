// SPDX-License-Identifier: Apache-2.0
// Replay of a Megatron 1F1B or interleaved 1F1B step straight from each stage's compute order,
// without building the step graph.
//
// A sweep predicts many short steps (a few to a few hundred microbatches) whose whole graph
// would otherwise be built once per distinct (pp, vpp, microbatches): building it costs far more
// than replaying it. This replay walks the same ops, edges and collectives as BuildStepGraph
// (schedule.h) for one DP replica, each worker's streams (compute, forward recv / send, backward
// recv / send, DP, tail) as cursors, and applies graph::Simulator's rule (a plain op ends at the
// latest end of its dependencies plus its duration; the members of a collective end at the latest
// of their ready times plus their own durations). So its step time is SimulateStep's to the
// nanosecond (steady_state_test checks it against the graph on random shapes and costs).
//
// The order of evaluation: a worker's cursors advance while their dependencies are known; a
// pipeline transfer is posted with its ready time and completes when its peer posts; a worker
// whose transfer a peer completes is visited again. The graph is acyclic, so every op completes.
// Durations as for StepReplayer: asked once per duration class (type, stage, chunk, noop, first
// forward / last backward of the worker). Not thread-safe: one per thread (it keeps its scratch
// between steps so a sweep touches fresh memory once).
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
  // Per stage, by compute slot (2 m v of them): the slot and the end times of its recv, compute
  // and send; the ready times of posted transfers. kUnknown until known.
  struct Stage {
    std::vector<ComputeSlot> order;
    std::vector<int64_t> recv_end, comp_end, send_end, recv_ready, send_ready;
    std::vector<int32_t> prev_same_dir;  // previous slot of the same direction, -1 for none
    std::vector<int32_t> peer_slot_of_recv, peer_slot_of_send;  // -1: no-op (no peer)
    std::vector<int32_t> real_recv[2], real_send[2];  // [forward?]: slots of real transfers
    std::vector<int32_t> first_fwd_of_chunk, last_bwd_of_chunk;
    std::vector<int32_t> dir_slots[2];  // [forward?]: the slots of each direction, in order
    // Cursors: the compute stream's slot; each transfer stream's index into dir_slots.
    int32_t comp_at = 0;
    int32_t xfer_at[2][2] = {};  // [forward?][send?]
    uint8_t dirty = 0;           // streams that may advance (StreamBit, kComputeStream)
    int32_t first_backward = -1;
    int64_t busy_ns = 0;
    std::vector<int64_t> gather_end;  // DP params all-gathers, by chunk (one when not overlapped)
    // Durations (ns): forward [first, other] and backward [last, other] by chunk; transfers
    // [real, no-op] per direction and kind.
    std::vector<int64_t> fwd_first_ns, fwd_ns, bwd_last_ns, bwd_ns;
    int64_t recv_ns[2][2] = {}, send_ns[2][2] = {};  // [forward?][noop?]
  };

  static constexpr uint8_t kComputeStream = 1, kAllStreams = 31;
  static constexpr uint8_t StreamBit(bool forward, bool send) {
    return static_cast<uint8_t>(2 << ((forward ? 2 : 0) + (send ? 1 : 0)));
  }

  void Prepare(const StepShape& shape, const OpDuration& duration);
  void PairTransfers();
  // Advances every cursor of stage `s` as far as its dependencies allow; queues the stages whose
  // transfers it completed.
  void Advance(int s);
  bool AdvanceTransfer(int s, bool forward, bool send);
  bool AdvanceCompute(int s);
  // The DP reduce-scatters and the tail; returns the step end (the latest end of any op).
  int64_t Tail(const OpDuration& duration, std::vector<int64_t>* busy);
  void Seen(int64_t end) { step_max_ = std::max(step_max_, end); }

  StepShape shape_;
  std::vector<Stage> stages_;
  std::vector<int> work_;  // stages to advance
  std::vector<uint8_t> queued_;
  std::vector<int64_t> tail_end_, dp_end_;
  std::vector<int> chunk_order_;
  int64_t step_max_ = 0;
};

}  // namespace trainscope::workload
