// SPDX-License-Identifier: Apache-2.0
// RankTraceBuilder: how a reader fills one RankTrace. The reader adds rows in file order
// (events, tracks, NCCL kernels with their collective args); Finish() then does everything that
// needs the whole rank: applies the base time, sorts events by time, links CPU launches to GPU
// ops by correlation id, finds ProfilerStep#N spans and assigns every event to a step (GPU ops
// through their launch, since kernels run after the step that launched them may have ended),
// and types old-style NCCL kernels from their enclosing `nccl:<coll>` CPU annotation.
// Thread safety: none; one builder per rank (ranks are built in parallel threads).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/diagnostics.h"
#include "model/event_order.h"
#include "model/trace.h"

namespace trainscope::model {

// One event as the reader saw it. Times are ns on the file's own clock (before base time).
struct EventRow {
  int64_t ts = 0;
  int64_t dur = 0;
  StringId name;
  EventKind kind = EventKind::kOther;
  TrackId track;
  int64_t correlation = 0;
  int64_t external_id = 0;
};

// Collective metadata from a kernel's args (recent Kineto). Views must live until the call
// returns; absent values keep their defaults.
struct CollectiveArgs {
  std::string_view collective_name;  // "allreduce", ...
  int64_t in_nelems = -1;
  int64_t out_nelems = -1;
  std::string_view dtype;
  std::string_view group_name;
  std::string_view group_description;
  std::string_view group_ranks;  // "[0, 1]"
  int64_t seq = -1;
  int64_t group_size = -1;  // "Group size"
};

// Bytes per element of a Kineto dtype spelling ("Float", "BFloat16", "int8_t", ...); 0 if unknown.
int DtypeBytes(std::string_view dtype);

class RankTraceBuilder {
 public:
  RankTraceBuilder(int rank, std::string source);

  StringPool& strings() { return trace_.strings; }
  // The track for (pid, tid), added on first use.
  TrackId Track(int64_t pid, int64_t tid, bool gpu);
  void SetTrackName(int64_t pid, int64_t tid, std::string_view name);
  void Reserve(size_t events);

  // Adds an event; returns its insertion index (valid until Finish).
  uint32_t AddEvent(const EventRow& row);
  // Marks event `index` (a NCCL kernel) as a collective of `kernel_type` (from its name).
  void AddCollective(uint32_t index, CollectiveType kernel_type, const CollectiveArgs& args,
                     int64_t stream);
  // Adds a process group from distributedInfo.pg_config. When events already named it with
  // other members, pg_config's list is kept and the events' goes to conflicting_groups.
  void AddProcessGroup(ProcessGroup group);
  void AddStreamWait(const StreamWait& wait) { trace_.stream_waits.push_back(wait); }

  size_t event_count() const { return trace_.events.size(); }

  // Completes the rank (see file comment). Oddities go to `diagnostics`.
  RankTrace Finish(int64_t base_time_ns, Diagnostics* diagnostics) &&;

 private:
  ProcessGroupId GroupFor(const CollectiveArgs& args);
  // Records another member list given for a group (RankTrace::conflicting_groups).
  void NoteConflict(ProcessGroup group);
  void SortEvents();
  void LinkLaunches(Diagnostics* diagnostics);
  void AssignSteps();
  void TypeCollectivesFromAnnotations();

  RankTrace trace_;
  // Per process group: the last "Process Group Ranks" text found equal to its member list, so
  // that the list is parsed once, not on every collective.
  std::vector<std::string> group_ranks_text_;
  struct TrackKey {
    int64_t pid, tid;
    bool gpu;
    bool operator==(const TrackKey&) const = default;
  };
  struct TrackKeyHash {
    size_t operator()(const TrackKey& k) const {
      // Unsigned arithmetic: wraps instead of overflowing on extreme ids.
      uint64_t h = static_cast<uint64_t>(k.pid) * 1000003u + static_cast<uint64_t>(k.tid) * 2u;
      return std::hash<uint64_t>()(h + (k.gpu ? 1u : 0u));
    }
  };
  std::unordered_map<TrackKey, TrackId, TrackKeyHash> track_index_;
  TrackKey last_key_{0, 0, false};
  TrackId last_track_;
};

}  // namespace trainscope::model
