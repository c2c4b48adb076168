// SPDX-License-Identifier: Apache-2.0
// RankTraceBuilder: row appends, then the whole-rank passes of Finish().
#include "model/rank_builder.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <type_traits>

#include "model/event_order.h"

namespace trainscope::model {
namespace {

// Reorders the n rows of `column` by `order` through `scratch` (>= 8 bytes a row), which all
// columns share: fresh memory is expensive to touch on our VMs.
template <typename T>
void Permute(Column<T>& column, const uint32_t* order, size_t n, void* scratch) {
  static_assert(sizeof(T) <= sizeof(int64_t) && std::is_trivially_copyable_v<T>);
  T* tmp = static_cast<T*>(scratch);
  for (size_t i = 0; i < n; ++i) tmp[i] = column[order[i]];
  std::memcpy(column.data(), tmp, n * sizeof(T));
}

std::vector<int> ParseRankList(std::string_view text) {
  // "[0, 1, 2]" -> {0, 1, 2}; anything that is not a digit separates numbers.
  std::vector<int> ranks;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    if (*p >= '0' && *p <= '9') {
      int value = 0;
      auto [next, ec] = std::from_chars(p, end, value);
      if (ec == std::errc()) ranks.push_back(value);
      p = next == p ? p + 1 : next;
    } else {
      ++p;
    }
  }
  return ranks;
}

}  // namespace

int DtypeBytes(std::string_view dtype) {
  static const std::pair<std::string_view, int> kSizes[] = {
      {"Float", 4},   {"float", 4},   {"Half", 2},      {"BFloat16", 2},     {"Double", 8},
      {"double", 8},  {"Int", 4},     {"int", 4},       {"int32_t", 4},      {"Long", 8},
      {"int64_t", 8}, {"Short", 2},   {"Byte", 1},      {"Char", 1},         {"Bool", 1},
      {"int8_t", 1},  {"uint8_t", 1}, {"c10::Half", 2}, {"c10::BFloat16", 2}};
  for (const auto& [name, size] : kSizes) {
    if (dtype == name) return size;
  }
  return 0;
}

RankTraceBuilder::RankTraceBuilder(int rank, std::string source) {
  trace_.rank = rank;
  trace_.source = std::move(source);
}

TrackId RankTraceBuilder::Track(int64_t pid, int64_t tid, bool gpu) {
  TrackKey key{pid, tid, gpu};
  if (last_track_.valid() && key == last_key_) return last_track_;
  auto [it, added] =
      track_index_.try_emplace(key, TrackId(static_cast<uint32_t>(trace_.tracks.size())));
  if (added) trace_.tracks.push_back(model::Track{pid, tid, gpu, StringId(0)});
  last_key_ = key;
  last_track_ = it->second;
  return it->second;
}

void RankTraceBuilder::SetTrackName(int64_t pid, int64_t tid, std::string_view name) {
  StringId id = trace_.strings.Intern(name);
  for (bool gpu : {false, true}) {
    auto it = track_index_.find(TrackKey{pid, tid, gpu});
    if (it != track_index_.end()) trace_.tracks[it->second.value()].name = id;
  }
}

void RankTraceBuilder::Reserve(size_t events) {
  EventTable& e = trace_.events;
  ReserveOnHugePages(e.ts, events), ReserveOnHugePages(e.dur, events);
  ReserveOnHugePages(e.name, events), ReserveOnHugePages(e.kind, events);
  ReserveOnHugePages(e.track, events), ReserveOnHugePages(e.correlation, events);
  ReserveOnHugePages(e.external_id, events);
}

uint32_t RankTraceBuilder::AddEvent(const EventRow& row) {
  EventTable& e = trace_.events;
  auto index = static_cast<uint32_t>(e.ts.size());
  e.ts.push_back(row.ts);
  e.dur.push_back(row.dur);
  e.name.push_back(row.name);
  e.kind.push_back(row.kind);
  e.track.push_back(row.track);
  e.correlation.push_back(row.correlation);
  e.external_id.push_back(row.external_id);
  return index;
}

ProcessGroupId RankTraceBuilder::GroupFor(const CollectiveArgs& args) {
  if (args.group_name.empty()) return ProcessGroupId::Invalid();
  auto& groups = trace_.process_groups;
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].name != args.group_name) continue;
    // Most events repeat the text already checked: compare it before parsing anything.
    if (!args.group_ranks.empty() && args.group_ranks != group_ranks_text_[i]) {
      std::vector<int> ranks = ParseRankList(args.group_ranks);
      if (groups[i].ranks.empty()) groups[i].ranks = ranks;
      if (ranks == groups[i].ranks) {
        group_ranks_text_[i] = std::string(args.group_ranks);
      } else {
        NoteConflict(ProcessGroup{groups[i].name, groups[i].description, std::move(ranks)});
      }
    }
    return ProcessGroupId(static_cast<uint32_t>(i));
  }
  groups.push_back(ProcessGroup{std::string(args.group_name), std::string(args.group_description),
                                ParseRankList(args.group_ranks)});
  group_ranks_text_.emplace_back(args.group_ranks);
  return ProcessGroupId(static_cast<uint32_t>(groups.size() - 1));
}

void RankTraceBuilder::NoteConflict(ProcessGroup group) {
  for (const ProcessGroup& seen : trace_.conflicting_groups) {
    if (seen.name == group.name && seen.ranks == group.ranks) return;
  }
  trace_.conflicting_groups.push_back(std::move(group));
}

void RankTraceBuilder::AddProcessGroup(ProcessGroup group) {
  for (size_t i = 0; i < trace_.process_groups.size(); ++i) {
    ProcessGroup& g = trace_.process_groups[i];
    if (g.name != group.name) continue;
    // Events named the group first; pg_config is the reference for its members.
    if (g.ranks.empty()) {
      g.ranks = std::move(group.ranks);
    } else if (!group.ranks.empty() && g.ranks != group.ranks) {
      ProcessGroup from_events = g;
      g.ranks = std::move(group.ranks);
      NoteConflict(std::move(from_events));
      std::erase_if(trace_.conflicting_groups,
                    [&g](const ProcessGroup& c) { return c.name == g.name && c.ranks == g.ranks; });
    }
    if (g.description.empty()) g.description = std::move(group.description);
    return;
  }
  trace_.process_groups.push_back(std::move(group));
  group_ranks_text_.emplace_back();
}

void RankTraceBuilder::AddCollective(uint32_t index, CollectiveType kernel_type,
                                     const CollectiveArgs& args, int64_t stream) {
  CollectiveTable& c = trace_.collectives;
  CollectiveType type =
      args.collective_name.empty() ? kernel_type : ParseCollectiveType(args.collective_name);
  int elem_bytes = DtypeBytes(args.dtype);
  c.event.push_back(EventId(index));
  c.type.push_back(type);
  c.in_nelems.push_back(args.in_nelems);
  c.out_nelems.push_back(args.out_nelems);
  c.dtype.push_back(trace_.strings.Intern(args.dtype));
  c.bytes.push_back(args.in_nelems >= 0 && elem_bytes > 0 ? args.in_nelems * elem_bytes : -1);
  c.group.push_back(GroupFor(args));
  c.seq.push_back(args.seq);
  c.stream.push_back(stream);
  c.group_size.push_back(args.group_size >= 0 && args.group_size <= INT32_MAX
                             ? static_cast<int32_t>(args.group_size)
                             : -1);
}

void RankTraceBuilder::SortEvents() {
  EventTable& e = trace_.events;
  const size_t n = e.size();
  Column<uint32_t> order = EventOrder(e.ts.data(), e.dur.data(), n);
  if (order.empty()) return;  // already in order
  // One gather scratch (8 bytes a row) for every column, on huge pages: fresh memory is
  // expensive to touch on our VMs. Left uninitialised: every element is written first.
  HugePageAllocator<int64_t> alloc;
  std::unique_ptr<int64_t, std::function<void(int64_t*)>> scratch(
      alloc.allocate(n), [&alloc, n](int64_t* p) { alloc.deallocate(p, n); });
  Permute(e.ts, order.data(), n, scratch.get()), Permute(e.dur, order.data(), n, scratch.get());
  Permute(e.name, order.data(), n, scratch.get()), Permute(e.kind, order.data(), n, scratch.get());
  Permute(e.track, order.data(), n, scratch.get());
  Permute(e.correlation, order.data(), n, scratch.get());
  Permute(e.external_id, order.data(), n, scratch.get());
  // The old -> new row map, for the collectives' event ids.
  auto* new_index = reinterpret_cast<uint32_t*>(scratch.get());
  for (uint32_t i = 0; i < n; ++i) new_index[order[i]] = i;
  for (EventId& id : trace_.collectives.event) id = EventId(new_index[id.value()]);
}

RankTrace RankTraceBuilder::Finish(int64_t base_time_ns, Diagnostics* diagnostics) && {
  trace_.base_time_ns = base_time_ns;
  if (base_time_ns != 0) {
    for (int64_t& ts : trace_.events.ts) ts += base_time_ns;
  }
  SortEvents();
  LinkLaunches(diagnostics);
  AssignSteps();
  TypeCollectivesFromAnnotations();
  return std::move(trace_);
}

}  // namespace trainscope::model
