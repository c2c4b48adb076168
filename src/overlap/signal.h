// SPDX-License-Identifier: Apache-2.0
// Cross-rank signals: 32-bit words in shared memory written with release stores and read
// with acquire loads (brief 3.4), plus the deadline-bounded spin every wait goes through.
//
// Signals carry epoch values: "ready for call e" means the word equals e, so no reset pass is
// needed between calls (the upstream Flux repo needed one, bytedance/flux PR #19). A wait that
// passes its deadline returns kFailedPrecondition with rank, tile, signal index, expected epoch
// and the value seen, so a lost transfer is reported instead of hanging.
// Thread/process safety: the words are accessed only through std::atomic_ref (lock-free for
// uint32_t, so valid across processes mapping the same memory).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace trainscope::overlap {

static_assert(std::atomic_ref<uint32_t>::is_always_lock_free);

inline void StoreRelease(uint32_t* word, uint32_t value) {
  std::atomic_ref<uint32_t>(*word).store(value, std::memory_order_release);
}
inline uint32_t LoadAcquire(const uint32_t* word) {
  return std::atomic_ref<uint32_t>(*const_cast<uint32_t*>(word)).load(std::memory_order_acquire);
}

// Who is waiting on what, for the timeout report.
struct WaitSite {
  int rank = -1;        // waiting rank
  int64_t tile = -1;    // GEMM tile id, or -1 when not a tile wait
  int64_t signal = -1;  // signal (comm tile) index
  int peer = -1;        // rank whose memory holds the signal
  const char* what = "signal";
};

enum class WaitStyle {
  kSpinYield,  // GEMM thread: spin with sched_yield (ranks may be oversubscribed)
  kBackoff,    // agent: yield, then sleep with growing intervals (costs no CPU)
};

// Waits until *word == expected (or >= expected when `at_least`), for at most timeout_s.
Status WaitForSignal(const uint32_t* word, uint32_t expected, bool at_least, double timeout_s,
                     WaitStyle style, const WaitSite& site);

}  // namespace trainscope::overlap
