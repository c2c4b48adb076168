// SPDX-License-Identifier: Apache-2.0
// Chrome-JSON export of a JobTrace for the Perfetto UI (see perfetto_export.h).
#include "model/perfetto_export.h"

#include <fmt/core.h>

#include <algorithm>
#include <limits>

#include "base/trace_event_writer.h"
#include "model/collective_match.h"

namespace trainscope::model {
namespace {

std::string TrackName(const RankTrace& rank, const Track& track) {
  std::string_view name = rank.strings.Get(track.name);
  std::string base = track.gpu ? fmt::format("GPU {} stream {}", track.pid, track.tid)
                               : fmt::format("thread {}", track.tid);
  return name.empty() ? base : fmt::format("{} ({})", base, name);
}

// The job's first event: time zero of the file.
int64_t Origin(const JobTrace& job) {
  int64_t origin = std::numeric_limits<int64_t>::max();
  for (const RankTrace& rank : job.ranks) {
    if (rank.events.size() > 0) origin = std::min(origin, rank.events.ts[0]);
  }
  return origin == std::numeric_limits<int64_t>::max() ? 0 : origin;
}

// One process per rank, one thread per track, every event a slice.
void WriteRank(const RankTrace& rank, int64_t origin, TraceEventWriter& trace,
               PerfettoExportStats& stats) {
  trace.ProcessName(rank.rank, fmt::format("rank {}", rank.rank));
  trace.ProcessSortIndex(rank.rank, rank.rank);
  for (size_t t = 0; t < rank.tracks.size(); ++t) {
    trace.ThreadName(rank.rank, static_cast<int64_t>(t), TrackName(rank, rank.tracks[t]));
  }
  const EventTable& e = rank.events;
  for (size_t i = 0; i < e.size(); ++i) {
    const TraceSlice slice{.name = rank.strings.Get(e.name[i]),
                           .category = EventKindName(e.kind[i]),
                           .pid = rank.rank,
                           .tid = e.track[i].value(),
                           .ts_ns = e.ts[i] - origin,
                           .dur_ns = e.dur[i]};
    if (e.step[i].valid()) {
      trace.Complete(slice, [&](JsonWriter& args) {
        args.Field("step", rank.steps[e.step[i].value()].number);
      });
    } else {
      trace.Complete(slice);
    }
    ++stats.slices;
  }
}

// Flow arrows: first member -> every other member of each matched collective instance, each
// end bound to the member's kernel (the slice enclosing its ts on its track).
void WriteCollectiveFlows(const JobTrace& job, int64_t origin, TraceEventWriter& trace,
                          PerfettoExportStats& stats) {
  uint64_t flow_id = 1;
  for (const CollectiveInstance& instance : MatchCollectives(job)) {
    const auto& from = instance.members.front();
    const RankTrace& src = job.ranks[from.rank_index];
    const EventId src_event = src.collectives.event[from.row];
    const std::string name(CollectiveTypeName(src.collectives.type[from.row]));
    for (size_t m = 1; m < instance.members.size(); ++m) {
      const RankTrace& dst = job.ranks[instance.members[m].rank_index];
      const EventId dst_event = dst.collectives.event[instance.members[m].row];
      trace.FlowStart({.id = flow_id,
                       .name = name,
                       .category = "collective",
                       .pid = src.rank,
                       .tid = src.events.track[src_event.value()].value(),
                       .ts_ns = src.events.ts[src_event.value()] - origin});
      trace.FlowEnd({.id = flow_id,
                     .name = name,
                     .category = "collective",
                     .pid = dst.rank,
                     .tid = dst.events.track[dst_event.value()].value(),
                     .ts_ns = dst.events.ts[dst_event.value()] - origin});
      ++flow_id;
      ++stats.flows;
    }
  }
}

}  // namespace

Result<PerfettoExportStats> WritePerfettoJson(const JobTrace& job, const std::string& path) {
  TraceEventWriter trace;  // exact microseconds: nanosecond times survive
  TS_RETURN_IF_ERROR(trace.Open(path));
  trace.json().Field("displayTimeUnit", "ns");
  trace.BeginEvents();
  PerfettoExportStats stats;
  const int64_t origin = Origin(job);
  for (const RankTrace& rank : job.ranks) WriteRank(rank, origin, trace, stats);
  WriteCollectiveFlows(job, origin, trace, stats);
  TS_RETURN_IF_ERROR(trace.Close());
  stats.bytes = trace.bytes();
  return stats;
}

}  // namespace trainscope::model
