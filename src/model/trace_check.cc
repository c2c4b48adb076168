// SPDX-License-Identifier: Apache-2.0
// Trace check (trace_check.h): the stream-order check and the driver.
#include "model/trace_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "model/internal/trace_check_collector.h"

namespace trainscope::model {
namespace {

using internal::Collector;

bool IsStreamOp(EventKind kind) {
  return kind == EventKind::kKernel || kind == EventKind::kMemcpy || kind == EventKind::kMemset ||
         kind == EventKind::kCollective;
}

// (a) Per rank and GPU stream, in start order: an op that starts before an earlier op of the
// stream has ended (the latest end so far) overlaps that op.
void CheckStreams(const JobTrace& job, Collector& c) {
  const int64_t tolerance = std::max<int64_t>(0, c.options().stream_tolerance_ns);
  for (size_t rank_index = 0; rank_index < job.ranks.size(); ++rank_index) {
    const RankTrace& rank = job.ranks[rank_index];
    const EventTable& e = rank.events;
    std::vector<int64_t> busy_until(rank.tracks.size(), std::numeric_limits<int64_t>::min());
    std::vector<EventId> holder(rank.tracks.size());
    for (uint32_t i = 0; i < e.size(); ++i) {
      if (!IsStreamOp(e.kind[i])) continue;
      const size_t track = e.track[i].value();
      if (!rank.tracks[track].gpu) continue;
      ++c.coverage().gpu_ops;
      const int64_t end = e.ts[i] + e.dur[i];
      if (!holder[track].valid()) {
        ++c.coverage().streams;
      } else if (e.ts[i] + tolerance < busy_until[track]) {
        const int64_t overlap = std::min(busy_until[track], end) - e.ts[i];
        if (c.Count(ViolationKind::kStreamOverlap, overlap)) {
          Violation v;
          v.kind = ViolationKind::kStreamOverlap;
          v.event = c.Ref(rank_index, EventId(i));
          v.other = c.Ref(rank_index, holder[track]);
          v.step = c.StepOf(rank_index, EventId(i));
          v.amount_ns = overlap;
          v.detail = fmt::format("starts {:.3f} us before the earlier op on the stream ends",
                                 static_cast<double>(busy_until[track] - e.ts[i]) / 1e3);
          c.Keep(std::move(v));
        }
      }
      if (!holder[track].valid() || end > busy_until[track]) {
        busy_until[track] = end;
        holder[track] = EventId(i);
      }
    }
  }
}

}  // namespace

std::string_view ViolationKindName(ViolationKind kind) {
  static constexpr std::array<std::string_view, kViolationKindCount> kNames = {
      "stream_overlap", "collective_unmatched", "collective_disjoint", "collective_end_skew",
      "group_missing",  "group_ranks_differ",   "group_size_mismatch"};
  return kNames[static_cast<size_t>(kind)];
}

TraceCheckResult CheckTrace(const JobTrace& job, const TraceCheckOptions& options) {
  Collector c(job, options);
  CheckStreams(job, c);
  internal::CheckCollectives(job, c);
  internal::CheckProcessGroups(job, c);
  return std::move(c).Finish();
}

}  // namespace trainscope::model
