// SPDX-License-Identifier: Apache-2.0
// ReplayBatch: runs many "mixed" replays of one DepGraph in parallel without per-replay
// allocation: replay k uses durations `base` except on `rows`, which take `overlay`.
// Tasks are split into one contiguous chunk per thread; each chunk owns one Simulator and one
// duration buffer, applies a task's rows, replays, and restores them (cost O(rows), not O(ops)).
// Units: ns. Thread safety: Run() is reentrant; tasks must not alias their outputs.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/dep_graph.h"

namespace trainscope::whatif {

struct ReplayTask {
  const std::vector<int64_t>* base = nullptr;
  const std::vector<int64_t>* overlay = nullptr;  // may be null when rows is empty
  const std::vector<int32_t>* rows = nullptr;     // may be null (= plain replay of base)
  std::vector<int64_t>* step_end_ns = nullptr;    // resized to num_steps
};

void RunReplays(const graph::DepGraph& graph, const std::vector<ReplayTask>& tasks, int threads);

}  // namespace trainscope::whatif
