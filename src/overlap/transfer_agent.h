// SPDX-License-Identifier: Apache-2.0
// TransferAgent: the per-rank thread that moves comm tiles (brief 3.2, 6): for each op of its
// list it waits for the op's input signals, copies (or sums / accumulates) rows with memcpy-
// class loops, holds the transfer until its emulated-link completion time, then release-
// stores the output signal. The GEMM thread never copies remote data itself.
//
// Emulated link (brief 6): t_done = max(t_issue, t_prev_done) + latency + bytes / bandwidth,
// reached by sleeping, so the link costs no CPU. Test hooks add a random sleep before every
// op and can withhold one op (its signal is never set, the consumer reports a timeout).
// Thread safety: Start/Finish are called by the owning rank's GEMM thread only.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"
#include "overlap/problem.h"

namespace trainscope::overlap {

struct TransferOp {
  enum class Kind : uint8_t {
    kCopy,        // dst = src
    kSum,         // dst = src + src2 (ring reduce-scatter step)
    kAccumulate,  // under *lock: dst = src (first of the epoch) or dst += src; ++*counter
  };
  Kind kind = Kind::kCopy;
  const uint32_t* wait_flag = nullptr;  // acquire-wait until == wait_value (if set)
  uint32_t wait_value = 0;
  int wait_peer = -1;
  const uint32_t* wait_flag2 = nullptr;
  uint32_t wait_value2 = 0;
  int wait_peer2 = -1;
  const float* src = nullptr;
  const float* src2 = nullptr;
  float* dst = nullptr;
  int64_t count = 0;             // floats (full rows, contiguous)
  uint32_t* set_flag = nullptr;  // release-store set_value when done (if set)
  uint32_t set_value = 0;
  uint32_t* lock = nullptr;     // kAccumulate only
  uint32_t* counter = nullptr;  // kAccumulate: (epoch << 8) | sources added
  bool local = false;           // stays in this rank's memory: not paced by the link
  int target_rank = -1;         // whose signal this op sets (for tests/reports)
  int64_t signal = -1;          // comm tile index
};

// Accumulation counter value meaning "`added` sources summed in call `epoch`".
inline uint32_t AccumulateCount(uint32_t epoch, uint32_t added) { return (epoch << 8) | added; }

class TransferAgent {
 public:
  TransferAgent(int rank, const OverlapOptions& options);
  ~TransferAgent();
  TransferAgent(const TransferAgent&) = delete;
  TransferAgent& operator=(const TransferAgent&) = delete;

  // Hands `ops` (kept alive by the caller until Finish) to the agent thread.
  void Start(const std::vector<TransferOp>* ops, uint32_t epoch);
  // Waits until the list is done; returns the first wait timeout, if any.
  Status Finish();
  // Replaces the emulated link for the next lists (the bench re-derives it each repetition).
  // Call only between Finish and Start; the link's idle time is kept.
  void SetLink(const LinkModel& link);
  // Ops completed in the last list (their index), in execution order.
  const std::vector<int64_t>& delivered() const { return delivered_; }

 private:
  void Loop();
  Status Execute(const TransferOp& op, uint32_t epoch);

  int rank_;
  OverlapOptions options_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  const std::vector<TransferOp>* ops_ = nullptr;
  uint32_t epoch_ = 0;
  bool busy_ = false;
  bool stop_ = false;
  Status status_;
  std::vector<int64_t> delivered_;
  uint64_t rng_state_;
  double link_free_at_s_ = 0.0;  // steady-clock seconds when the emulated link is idle
};

}  // namespace trainscope::overlap
