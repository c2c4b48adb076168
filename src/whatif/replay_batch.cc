// SPDX-License-Identifier: Apache-2.0
// RunReplays: chunked parallel replays with reused buffers, optionally split over processes.
#include "whatif/replay_batch.h"

#include <algorithm>

#include "base/parallel.h"
#include "graph/simulator.h"

namespace trainscope::whatif {

void TaskShare(size_t count, int processes, int index, size_t* begin, size_t* end) {
  const size_t p = static_cast<size_t>(std::max(processes, 1));
  const size_t i = static_cast<size_t>(std::clamp(index, 0, static_cast<int>(p) - 1));
  *begin = count * i / p;
  *end = count * (i + 1) / p;
}

namespace {

// Per-node vectors (durations, delays) permuted into replay order, once per distinct vector.
class ByPosition {
 public:
  explicit ByPosition(const graph::DepGraph& graph) : node_at_(graph.node_at()) {}
  std::vector<int64_t>& Of(const std::vector<int64_t>* by_node) {
    for (size_t k = 0; k < sources_.size(); ++k)
      if (sources_[k] == by_node) return permuted_[k];
    sources_.push_back(by_node);
    std::vector<int64_t>& out = permuted_.emplace_back(node_at_.size());
    for (size_t p = 0; p < node_at_.size(); ++p) out[p] = (*by_node)[node_at_[p]];
    return out;
  }

 private:
  std::span<const graph::NodeId> node_at_;
  std::vector<const std::vector<int64_t>*> sources_;
  std::vector<std::vector<int64_t>> permuted_;
};

}  // namespace

// Durations and delays are kept in replay order (Simulator::RunInReplayOrder: no gather by node
// in the loop): each distinct base is permuted once per chunk (task lists alternate between two
// or three), a task's overlay rows are written at their positions and put back after its replay.
void RunReplays(const graph::DepGraph& graph, const std::vector<ReplayTask>& tasks, int threads) {
  if (tasks.empty()) return;
  if (threads <= 0) threads = DefaultThreadCount();
  const size_t chunks = std::min<size_t>(static_cast<size_t>(threads), tasks.size());
  ParallelFor(chunks, static_cast<int>(chunks), [&](size_t chunk) {
    const size_t begin = tasks.size() * chunk / chunks, end = tasks.size() * (chunk + 1) / chunks;
    graph::Simulator sim(graph);
    ByPosition bases(graph), all_delays(graph);
    std::vector<int64_t> delay;
    for (size_t k = begin; k < end; ++k) {
      const ReplayTask& t = tasks[k];
      std::vector<int64_t>& dur = bases.Of(t.base);
      if (t.rows != nullptr)
        for (int32_t r : *t.rows) dur[graph.position_of(r)] = (*t.overlay)[r];
      t.step_end_ns->resize(graph.num_steps());
      if (t.all_delays != nullptr) {
        sim.RunInReplayOrder(dur, all_delays.Of(t.all_delays), *t.step_end_ns);
      } else if (t.delay != nullptr && t.rows != nullptr) {
        delay.resize(dur.size(), 0);
        for (int32_t r : *t.rows) delay[graph.position_of(r)] = (*t.delay)[r];
        sim.RunInReplayOrder(dur, delay, *t.step_end_ns);
        for (int32_t r : *t.rows) delay[graph.position_of(r)] = 0;
      } else {
        sim.RunInReplayOrder(dur, {}, *t.step_end_ns);
      }
      if (t.rows != nullptr)
        for (int32_t r : *t.rows) dur[graph.position_of(r)] = (*t.base)[r];
    }
  });
}

Status RunReplays(const graph::DepGraph& graph, const std::vector<ReplayTask>& tasks, int threads,
                  TaskDistributor* distributor) {
  if (distributor == nullptr || distributor->process_count() <= 1) {
    RunReplays(graph, tasks, threads);
    return OkStatus();
  }
  const size_t width = static_cast<size_t>(graph.num_steps());
  std::vector<int64_t> all;
  TS_RETURN_IF_ERROR(distributor->Run(
      tasks.size(), width,
      [&](size_t begin, size_t end, int64_t* out) {
        // This process's share, replayed into scratch vectors, then packed task-major.
        std::vector<std::vector<int64_t>> steps(end - begin);
        std::vector<ReplayTask> mine(tasks.begin() + static_cast<std::ptrdiff_t>(begin),
                                     tasks.begin() + static_cast<std::ptrdiff_t>(end));
        for (size_t k = 0; k < mine.size(); ++k) mine[k].step_end_ns = &steps[k];
        RunReplays(graph, mine, threads);
        for (size_t k = 0; k < steps.size(); ++k)
          std::copy(steps[k].begin(), steps[k].end(), out + k * width);
      },
      &all));
  if (all.size() != tasks.size() * width)
    return InternalError("task distributor returned {} values, expected {} tasks x {} steps",
                         all.size(), tasks.size(), width);
  for (size_t k = 0; k < tasks.size(); ++k) {
    const auto first = all.begin() + static_cast<std::ptrdiff_t>(k * width);
    tasks[k].step_end_ns->assign(first, first + static_cast<std::ptrdiff_t>(width));
  }
  return OkStatus();
}

}  // namespace trainscope::whatif
