// SPDX-License-Identifier: Apache-2.0
// Dynamic parallel-for over std::thread.
#include "base/parallel.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

namespace trainscope {

int DefaultThreadCount() {
  if (const char* env = std::getenv("TRAINSCOPE_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

void ParallelFor(size_t count, int threads, const std::function<void(size_t)>& fn) {
  if (threads <= 0) threads = DefaultThreadCount();
  size_t workers = std::min<size_t>(static_cast<size_t>(threads), count);
  if (workers <= 1) {
    for (size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

}  // namespace trainscope
