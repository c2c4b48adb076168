// SPDX-License-Identifier: Apache-2.0
// RunReplays: chunked parallel replays with reused buffers.
#include "whatif/replay_batch.h"

#include <algorithm>

#include "base/parallel.h"
#include "graph/simulator.h"

namespace trainscope::whatif {

void RunReplays(const graph::DepGraph& graph, const std::vector<ReplayTask>& tasks, int threads) {
  if (tasks.empty()) return;
  if (threads <= 0) threads = DefaultThreadCount();
  const size_t chunks = std::min<size_t>(static_cast<size_t>(threads), tasks.size());
  ParallelFor(chunks, static_cast<int>(chunks), [&](size_t chunk) {
    const size_t begin = tasks.size() * chunk / chunks, end = tasks.size() * (chunk + 1) / chunks;
    graph::Simulator sim(graph);
    std::vector<int64_t> dur;
    const std::vector<int64_t>* loaded = nullptr;
    for (size_t k = begin; k < end; ++k) {
      const ReplayTask& t = tasks[k];
      if (loaded != t.base) {
        dur = *t.base;
        loaded = t.base;
      }
      if (t.rows != nullptr)
        for (int32_t r : *t.rows) dur[r] = (*t.overlay)[r];
      t.step_end_ns->resize(graph.num_steps());
      sim.Run(dur, {}, *t.step_end_ns);
      if (t.rows != nullptr)
        for (int32_t r : *t.rows) dur[r] = (*t.base)[r];
    }
  });
}

}  // namespace trainscope::whatif
