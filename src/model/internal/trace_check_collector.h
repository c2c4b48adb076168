// SPDX-License-Identifier: Apache-2.0
// The trace checker's shared parts (trace_check.h): the violation collector and the checks of
// trace_check_collectives.cc. Private to src/model. Thread safety: one collector per check.
#pragma once

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "model/trace_check.h"

namespace trainscope::model::internal {

// Counts violations and keeps the first examples of each kind.
class Collector {
 public:
  Collector(const JobTrace& job, const TraceCheckOptions& options) : job_(job) {
    result_.options = options;
  }

  // Counts one violation; true when the caller should build its example (Keep).
  bool Count(ViolationKind kind, int64_t amount_ns) {
    const auto k = static_cast<size_t>(kind);
    ++result_.violations;
    ++result_.by_kind[k];
    result_.worst_ns[k] = std::max(result_.worst_ns[k], amount_ns);
    const int64_t cap = result_.options.max_examples_per_kind;
    return cap < 0 || static_cast<int64_t>(examples_[k].size()) < cap;
  }
  void Keep(Violation v) { examples_[static_cast<size_t>(v.kind)].push_back(std::move(v)); }

  EventRef Ref(size_t rank_index, EventId id) const {
    const RankTrace& rank = job_.ranks[rank_index];
    const size_t i = id.value();
    const Track& track = rank.tracks[rank.events.track[i].value()];
    const int64_t offset = rank_index < job_.clocks.size() ? job_.clocks[rank_index].offset_ns : 0;
    EventRef ref;
    ref.rank = rank.rank;
    ref.stream = track.gpu ? track.tid : -1;
    ref.name = std::string(rank.Name(id));
    ref.ts = rank.events.ts[i];
    ref.dur = rank.events.dur[i];
    ref.file_ts_us = static_cast<double>(ref.ts - rank.base_time_ns - offset) / 1e3;
    return ref;
  }
  int64_t StepOf(size_t rank_index, EventId id) const {
    const RankTrace& rank = job_.ranks[rank_index];
    const StepIndex s = rank.events.step[id.value()];
    return s.valid() ? rank.steps[s.value()].number : -1;
  }

  TraceCheckCoverage& coverage() { return result_.coverage; }
  const TraceCheckOptions& options() const { return result_.options; }

  TraceCheckResult Finish() && {
    for (auto& list : examples_) {
      for (Violation& v : list) result_.examples.push_back(std::move(v));
    }
    return std::move(result_);
  }

 private:
  const JobTrace& job_;
  TraceCheckResult result_;
  std::array<std::vector<Violation>, kViolationKindCount> examples_;
};

// (b) and (c) of trace_check.h (trace_check_collectives.cc).
void CheckCollectives(const JobTrace& job, Collector& c);
void CheckProcessGroups(const JobTrace& job, Collector& c);

}  // namespace trainscope::model::internal
