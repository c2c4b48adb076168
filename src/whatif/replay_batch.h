// SPDX-License-Identifier: Apache-2.0
// ReplayBatch: runs many "mixed" replays of one DepGraph in parallel without per-replay
// allocation: replay k uses durations `base` except on `rows`, which take `overlay` (and, when
// given, their launch delays).
// Tasks are split into one contiguous chunk per thread; each chunk owns one Simulator and one
// duration buffer, applies a task's rows, replays, and restores them (cost O(rows), not O(ops)).
// With a TaskDistributor the tasks are first split over processes (e.g. MPI ranks,
// whatif/mpi/mpi_distributor.h): each process replays its contiguous share with its threads and
// the step times are all-gathered, so every process ends with every task's result. Replays are
// integer arithmetic and each task's result depends only on its inputs, so results are bitwise
// identical however the tasks are split.
// Units: ns. Thread safety: Run() is reentrant; tasks must not alias their outputs; a
// distributor is called from the calling thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "base/status.h"
#include "graph/dep_graph.h"

namespace trainscope::whatif {

struct ReplayTask {
  const std::vector<int64_t>* base = nullptr;
  const std::vector<int64_t>* overlay = nullptr;  // may be null when rows is empty
  const std::vector<int32_t>* rows = nullptr;     // may be null (= plain replay of base)
  std::vector<int64_t>* step_end_ns = nullptr;    // resized to num_steps
  // Launch delays of `rows` (every other op without delay); null: no delays at all.
  const std::vector<int64_t>* delay = nullptr;
  // Launch delays of every op (by NodeId); when set, `delay` is not used.
  const std::vector<int64_t>* all_delays = nullptr;
};

// Spreads independent tasks over cooperating processes. Collective: every process calls Run()
// with the same count and width, in the same order.
class TaskDistributor {
 public:
  // Fills out[0, (end - begin) * width) with the results of tasks [begin, end), task-major.
  using LocalRun = std::function<void(size_t begin, size_t end, int64_t* out)>;

  virtual ~TaskDistributor() = default;
  // Runs `run` on this process's share of [0, count) (contiguous, a function of count and the
  // process count only) and returns all count * width values, task-major, on every process.
  virtual Status Run(size_t count, size_t width, const LocalRun& run,
                     std::vector<int64_t>* all) = 0;
  virtual int process_count() const = 0;
  virtual int process_index() const = 0;
};

// The contiguous share [*begin, *end) of `count` tasks for process `index` of `processes`.
void TaskShare(size_t count, int processes, int index, size_t* begin, size_t* end);

void RunReplays(const graph::DepGraph& graph, const std::vector<ReplayTask>& tasks, int threads);

// Same, split over processes when `distributor` is non-null (collective then).
Status RunReplays(const graph::DepGraph& graph, const std::vector<ReplayTask>& tasks, int threads,
                  TaskDistributor* distributor);

}  // namespace trainscope::whatif
