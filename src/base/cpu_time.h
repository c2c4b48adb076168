// SPDX-License-Identifier: Apache-2.0
// CPU time of this process or thread in seconds: the cost of work on a shared machine, where
// wall time also counts other programs. Thread safety: safe anywhere (clock_gettime).
#pragma once

#include <ctime>

namespace trainscope {

inline double CpuSecondsOf(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// All threads of the process.
inline double ProcessCpuSeconds() { return CpuSecondsOf(CLOCK_PROCESS_CPUTIME_ID); }

// The calling thread only: the per-core cost, unaffected by other load on the host.
inline double ThreadCpuSeconds() { return CpuSecondsOf(CLOCK_THREAD_CPUTIME_ID); }

}  // namespace trainscope
