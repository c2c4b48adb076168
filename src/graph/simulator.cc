// SPDX-License-Identifier: Apache-2.0
// Simulator::Run: the allocation-free replay loop over the compiled CSR arrays.
#include "graph/simulator.h"

#include <algorithm>
#include <array>

#include "base/check.h"

namespace trainscope::graph {

// The replay loop's view of the graph and of one replay's inputs and outputs.
struct Simulator::Arrays {
  const std::array<int32_t, 2>* dep_pairs;  // DepGraph::dep_pairs(), for kPairs replays
  const int32_t* unit_begin;
  const int32_t* dep_begin;
  const int32_t* dep_pos;
  const NodeId* node_at;
  const int32_t* step_at;
  const int64_t* dur;
  const int64_t* delay;
  int64_t* end_at;
  int64_t* ready_at;
  int64_t* step_end;
};

namespace {

using Arrays = Simulator::Arrays;

// Index of position p's duration and delay: its node, or p itself when the caller keeps them in
// replay order (RunInReplayOrder).
template <bool kByPosition>
inline int32_t Slot(const Arrays& a, int32_t p) {
  if constexpr (kByPosition) return p;
  return a.node_at[p];
}

// Without dependencies a node is ready at the step start (0); otherwise at the latest end of its
// dependencies (not clamped at 0: a negative transfer time may make that negative); + delay.
template <bool kDelay, bool kByPosition = false, bool kPairs = false>
inline int64_t Ready(const Arrays& a, int32_t p) {
  if constexpr (kPairs) {  // the sentinels make this the same rule without a branch
    const std::array<int32_t, 2> d = a.dep_pairs[p];
    int64_t ready = std::max(a.end_at[d[0]], a.end_at[d[1]]);
    if constexpr (kDelay) ready += a.delay[Slot<kByPosition>(a, p)];
    return ready;
  }
  const int32_t d0 = a.dep_begin[p], d1 = a.dep_begin[p + 1];
  int64_t ready = 0;
  if (d0 != d1) {
    ready = a.end_at[a.dep_pos[d0]];
    for (int32_t k = d0 + 1; k < d1; ++k) ready = std::max(ready, a.end_at[a.dep_pos[k]]);
  }
  if constexpr (kDelay) ready += a.delay[Slot<kByPosition>(a, p)];
  return ready;
}

// Latest end per step, kept in a register while consecutive positions share a step (the replay
// order is step by step when steps are separate) instead of a load/store per op to the same slot.
class StepEnds {
 public:
  explicit StepEnds(int64_t* step_end) : step_end_(step_end) {}
  void Add(int32_t step, int64_t end) {
    if (step != step_) {
      Flush();
      step_ = step;
      max_ = INT64_MIN;
    }
    max_ = std::max(max_, end);
  }
  void Flush() {
    if (step_ >= 0) step_end_[step_] = std::max(step_end_[step_], max_);
  }

 private:
  int64_t* step_end_;
  int32_t step_ = -1;
  int64_t max_ = INT64_MIN;
};

// Members of the largest unit (collective), at least 1.
int32_t MaxUnitSize(const DepGraph& graph) {
  const std::span<const int32_t> begin = graph.unit_begin();
  int32_t size = 1;
  for (size_t u = 0; u + 1 < begin.size(); ++u) size = std::max(size, begin[u + 1] - begin[u]);
  return size;
}

template <bool kDelay, bool kNodes, bool kByPosition = false, bool kPairs = false>
void Replay(const Arrays& a, int32_t num_units, int64_t* start_ns, int64_t* end_ns) {
  static_assert(!(kNodes && kByPosition), "per-node outputs are indexed by NodeId");
  StepEnds steps(a.step_end);
  int32_t first = a.unit_begin[0];
  for (int32_t u = 0; u < num_units; ++u) {
    const int32_t last = a.unit_begin[u + 1];
    if (last - first == 1) {  // a plain op (most units)
      const int32_t p = first;
      const int64_t ready = Ready<kDelay, kByPosition, kPairs>(a, p);
      const int64_t end = ready + a.dur[Slot<kByPosition>(a, p)];
      a.end_at[p] = end;
      steps.Add(a.step_at[p], end);
      if constexpr (kNodes) start_ns[a.node_at[p]] = ready, end_ns[a.node_at[p]] = end;
    } else {  // a collective: every member starts when the last one is ready
      int64_t group_start = INT64_MIN;
      for (int32_t p = first; p < last; ++p) {
        a.ready_at[p - first] = Ready<kDelay, kByPosition, kPairs>(a, p);
        group_start = std::max(group_start, a.ready_at[p - first]);
      }
      for (int32_t p = first; p < last; ++p) {
        const int64_t end = group_start + a.dur[Slot<kByPosition>(a, p)];
        a.end_at[p] = end;
        steps.Add(a.step_at[p], end);
        if constexpr (kNodes) {
          start_ns[a.node_at[p]] = a.ready_at[p - first];
          end_ns[a.node_at[p]] = end;
        }
      }
    }
    first = last;
  }
  steps.Flush();
}

}  // namespace

Simulator::Simulator(const DepGraph& graph)
    : graph_(graph),
      end_at_(new int64_t[static_cast<size_t>(graph.num_nodes()) + 2]),  // + pair sentinels
      ready_at_(new int64_t[static_cast<size_t>(MaxUnitSize(graph))]) {}

// Checks the sizes of a replay's inputs and outputs, resets the step ends and returns the arrays
// the replay loop reads.
Arrays Simulator::Prepare(std::span<const int64_t> dur, std::span<const int64_t> delay,
                          std::span<int64_t> step_end_ns) {
  const int32_t n = graph_.num_nodes();
  TS_CHECK(static_cast<int32_t>(dur.size()) == n, "durations: {} for {} nodes", dur.size(), n);
  TS_CHECK(delay.empty() || static_cast<int32_t>(delay.size()) == n, "delays: {} for {} nodes",
           delay.size(), n);
  TS_CHECK(static_cast<int32_t>(step_end_ns.size()) == graph_.num_steps(),
           "step ends: {} for {} steps", step_end_ns.size(), graph_.num_steps());
  std::fill(step_end_ns.begin(), step_end_ns.end(), INT64_MIN);
  return Arrays{graph_.dep_pairs().data(),
                graph_.unit_begin().data(),
                graph_.dep_begin().data(),
                graph_.dep_pos().data(),
                graph_.node_at().data(),
                graph_.step_at().data(),
                dur.data(),
                delay.empty() ? nullptr : delay.data(),
                end_at_.get(),
                ready_at_.get(),
                step_end_ns.data()};
}

void Simulator::Run(std::span<const int64_t> dur_ns, std::span<const int64_t> delay_ns,
                    std::span<int64_t> step_end_ns, std::span<int64_t> start_ns,
                    std::span<int64_t> end_ns) {
  const bool want_nodes = !start_ns.empty();
  TS_CHECK(start_ns.size() == end_ns.size() &&
               (!want_nodes || static_cast<int32_t>(start_ns.size()) == graph_.num_nodes()),
           "per-node outputs must both be empty or have {} entries", graph_.num_nodes());
  const Arrays a = Prepare(dur_ns, delay_ns, step_end_ns);
  // One instantiation per (delays, per-node outputs) so the loop carries no per-op flag tests.
  if (want_nodes) {
    if (a.delay != nullptr)
      Replay<true, true>(a, graph_.num_units(), start_ns.data(), end_ns.data());
    else
      Replay<false, true>(a, graph_.num_units(), start_ns.data(), end_ns.data());
  } else if (a.delay != nullptr) {
    Replay<true, false>(a, graph_.num_units(), nullptr, nullptr);
  } else {
    Replay<false, false>(a, graph_.num_units(), nullptr, nullptr);
  }
}

void Simulator::RunInReplayOrder(std::span<const int64_t> dur_by_pos,
                                 std::span<const int64_t> delay_by_pos,
                                 std::span<int64_t> step_end_ns) {
  const Arrays a = Prepare(dur_by_pos, delay_by_pos, step_end_ns);
  // Sentinel slots of the dependency pairs: "no dependency" ends at 0, "no second" never.
  end_at_[graph_.no_deps_position()] = 0;
  end_at_[graph_.no_more_deps_position()] = INT64_MIN;
  const bool pairs = !graph_.dep_pairs().empty();
  if (a.delay != nullptr) {
    if (pairs)
      Replay<true, false, true, true>(a, graph_.num_units(), nullptr, nullptr);
    else
      Replay<true, false, true>(a, graph_.num_units(), nullptr, nullptr);
  } else if (pairs) {
    Replay<false, false, true, true>(a, graph_.num_units(), nullptr, nullptr);
  } else {
    Replay<false, false, true>(a, graph_.num_units(), nullptr, nullptr);
  }
}

}  // namespace trainscope::graph
