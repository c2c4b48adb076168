// SPDX-License-Identifier: Apache-2.0
// Deadline-bounded waits on shared-memory signals.
#include "overlap/signal.h"

#include <sched.h>

#include <thread>

namespace trainscope::overlap {

Status WaitForSignal(const uint32_t* word, uint32_t expected, bool at_least, double timeout_s,
                     WaitStyle style, const WaitSite& site) {
  auto ready = [&](uint32_t value) { return at_least ? value >= expected : value == expected; };
  uint32_t seen = LoadAcquire(word);
  if (ready(seen)) return OkStatus();
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  auto sleep = std::chrono::microseconds(1);
  for (uint64_t spin = 0;; ++spin) {
    seen = LoadAcquire(word);
    if (ready(seen)) return OkStatus();
    if ((spin & 63) == 0 && Clock::now() > deadline) break;
    if (style == WaitStyle::kBackoff && spin > 64) {
      std::this_thread::sleep_for(sleep);
      sleep = std::min(sleep * 2, std::chrono::microseconds(50));
    } else {
      sched_yield();
    }
  }
  return FailedPreconditionError(
      "rank {}: timed out after {:.3g} s{} waiting on {} {} in rank {}'s memory for epoch {} "
      "(saw {})",
      site.rank, timeout_s, site.tile >= 0 ? fmt::format(" at GEMM tile {}", site.tile) : "",
      site.what, site.signal, site.peer, expected, seen);
}

}  // namespace trainscope::overlap
