// SPDX-License-Identifier: Apache-2.0
// Compute-stream orders of the schedules that split backwards into B and W passes (schedule.h).
#include <algorithm>
#include <deque>
#include <utility>
#include <vector>

#include "base/check.h"
#include "workload/schedule.h"

namespace trainscope::workload {
namespace {

// ZB-H1 as the authors' Megatron patch (commit 95212f70) schedules stage r: 1F1B's warm-up and
// F/B order; W passes deferred by r.
std::vector<ComputeSlot> ZeroBubbleH1Order(int pp, int microbatches, int stage) {
  const int warmup = std::min(pp - stage - 1, microbatches);
  const int remaining = microbatches - warmup;
  const bool splits = stage > 0;  // stage 0 never splits (the patch keeps its batched p2p)
  std::vector<ComputeSlot> order;
  std::deque<int> deferred;  // microbatches whose W is queued, oldest first
  const auto weight = [&] {
    order.push_back({SlotKind::kWeightGrad, 0, deferred.front()});
    deferred.pop_front();
  };
  const auto backward = [&](int mb, bool split) {
    order.push_back({split ? SlotKind::kBackwardInput : SlotKind::kBackward, 0, mb});
    if (split) deferred.push_back(mb);
  };
  for (int mb = 0; mb < warmup; ++mb) order.push_back({SlotKind::kForward, 0, mb});
  for (int i = 0; i < remaining; ++i) {
    order.push_back({SlotKind::kForward, 0, warmup + i});
    const bool last = i == remaining - 1;
    backward(i, splits && (i < stage || last));
    if (last && splits && i >= stage) weight();
  }
  for (int i = 0; i < warmup; ++i) {
    backward(remaining + i, splits);
    if (splits && remaining + i >= stage) weight();
  }
  while (!deferred.empty()) weight();
  return order;
}

// DualPipe's 8 steps (deepseek-ai/DualPipe, dualpipe.py `step`) for rank `stage`. A phase is
// the rank's local view: phase 0 is direction 0 on the first half of the ranks and direction 1
// on the second half. Microbatches 0 .. m/2 - 1 flow in direction 0, the rest in direction 1,
// each in order; W passes run first in, first out. DualPipeV (dualpipev.py) runs the same steps
// with the whole pipeline as one "half": phase = chunk, every microbatch through both chunks,
// the last rank in the role of DualPipe's middle ranks.
class DualPipeOrder {
 public:
  DualPipeOrder(int pp, int microbatches, int stage, bool v_shape)
      : second_half_(!v_shape && stage >= pp / 2),
        v_shape_(v_shape),
        half_microbatches_(v_shape ? microbatches : microbatches / 2) {
    const int half = v_shape ? pp : pp / 2;
    const int hr = v_shape ? stage : std::min(stage, pp - 1 - stage);
    const bool middle = v_shape ? stage == pp - 1 : stage == half - 1 || stage == half;
    for (int i = 0; i < (half - hr - 1) * 2; ++i) Forward(0);  // 1: nF0
    for (int i = 0; i < hr + 1; ++i) Forward(0), Forward(1);   // 2: nF0F1
    for (int i = 0; i < half - hr - 1; ++i) {                  // 3: nB1W1F1
      Backward(1, true), Weight(), Forward(1);
    }
    for (int i = 0; i < half_microbatches_ - 2 * half + hr + 1; ++i) {  // 4: nF0B1F1B0
      // The middle ranks do not overlap their first pair, to shorten the bubble.
      if (i == 0 && middle) {
        Forward(0), Backward(1, false);
      } else {
        Pair(0, 1);
      }
      Pair(1, 0);
    }
    for (int i = 0; i < half - hr - 1; ++i) Backward(1, false), Pair(1, 0);  // 5: nB1F1B0
    bool zb = false;                                                         // 6: nB1B0
    for (int i = 0; i < hr + 1; ++i) {
      if (i == (hr + 1) / 2 && hr % 2 == 1) zb = true;
      Backward(1, zb);
      if (i == (hr + 1) / 2 && hr % 2 == 0) zb = true;
      Backward(0, zb);
    }
    for (int i = 0; i < half - hr - 1; ++i) Weight(), Backward(0, true);  // 7: nWB0
    for (int i = 0; i < hr + 1; ++i) Weight();                            // 8: nW
    TS_CHECK(deferred_.empty() && next_[0][0] == half_microbatches_ &&
                 next_[0][1] == half_microbatches_ && next_[1][0] == half_microbatches_ &&
                 next_[1][1] == half_microbatches_,
             "DualPipe order does not run every microbatch once");
  }
  std::vector<ComputeSlot> Take() { return std::move(order_); }

 private:
  int Direction(int phase) const { return phase ^ (second_half_ ? 1 : 0); }
  // The next microbatch of `phase` for forwards (pass 0) or backwards (pass 1).
  int NextMicrobatch(int phase, int pass) {
    const int d = Direction(phase);
    return (v_shape_ ? 0 : d * half_microbatches_) + next_[pass][d]++;
  }
  void Forward(int phase) {
    order_.push_back({SlotKind::kForward, Direction(phase), NextMicrobatch(phase, 0)});
  }
  void Backward(int phase, bool split) {
    const int mb = NextMicrobatch(phase, 1);
    order_.push_back({split ? SlotKind::kBackwardInput : SlotKind::kBackward, Direction(phase), mb});
    if (split) deferred_.emplace_back(Direction(phase), mb);
  }
  void Weight() {
    TS_CHECK(!deferred_.empty(), "DualPipe W pass with no deferred backward");
    order_.push_back({SlotKind::kWeightGrad, deferred_.front().first, deferred_.front().second});
    deferred_.pop_front();
  }
  // Overlapped F&B: forward of phase f, full backward of phase b.
  void Pair(int f, int b) {
    Forward(f);
    order_.back().paired_with_next = true;
    Backward(b, false);
  }

  bool second_half_;
  bool v_shape_;
  int half_microbatches_;  // per direction (DualPipe) or per chunk (DualPipeV)
  int next_[2][2] = {{0, 0}, {0, 0}};  // [forward/backward][direction]
  std::deque<std::pair<int, int>> deferred_;  // (direction, microbatch)
  std::vector<ComputeSlot> order_;
};

}  // namespace

bool IsDualPipe(StepSchedule s) {
  return s == StepSchedule::kDualPipe || s == StepSchedule::kDualPipeV;
}

int PassesPerWorker(const StepShape& shape) {
  return shape.schedule == StepSchedule::kDualPipe ? shape.microbatches
                                                   : shape.microbatches * shape.vpp;
}

int ModelStageOf(const StepShape& shape, int stage, int chunk) {
  if (chunk < 0) return -1;
  if (shape.schedule == StepSchedule::kDualPipe) return chunk == 0 ? stage : shape.pp - 1 - stage;
  if (shape.schedule == StepSchedule::kDualPipeV) {
    return chunk == 0 ? stage : 2 * shape.pp - 1 - stage;
  }
  return chunk * shape.pp + stage;
}

std::vector<ComputeSlot> ScheduleOrder(const StepShape& shape, int stage) {
  switch (shape.schedule) {
    case StepSchedule::kMegatron:
      break;
    case StepSchedule::kZeroBubbleH1:
      return ZeroBubbleH1Order(shape.pp, shape.microbatches, stage);
    case StepSchedule::kDualPipe:
    case StepSchedule::kDualPipeV:
      return DualPipeOrder(shape.pp, shape.microbatches, stage,
                           shape.schedule == StepSchedule::kDualPipeV)
          .Take();
  }
  return PipelineOrder(shape.pp, shape.vpp, shape.microbatches, stage);
}

}  // namespace trainscope::workload
