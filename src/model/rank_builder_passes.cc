// SPDX-License-Identifier: Apache-2.0
// The cross-event passes of RankTraceBuilder::Finish(): launch links, steps, collective types.
#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <unordered_map>

#include "model/rank_builder.h"

namespace trainscope::model {

void RankTraceBuilder::LinkLaunches(Diagnostics* diagnostics) {
  EventTable& e = trace_.events;
  ReserveOnHugePages(e.link, e.size());
  e.link.assign(e.size(), EventId::Invalid());
  // Correlation ids are small and dense in Kineto traces (a counter per process): then the launch
  // row of each id is found in a table indexed by id - min. Otherwise (ids spread far apart) in
  // a sorted list of (correlation, launch row) pairs by binary search.
  int64_t min_id = INT64_MAX, max_id = INT64_MIN;
  size_t launch_count = 0;
  for (uint32_t i = 0; i < e.size(); ++i) {
    if (e.kind[i] == EventKind::kCudaRuntime && e.correlation[i] != 0) {
      min_id = std::min(min_id, e.correlation[i]);
      max_id = std::max(max_id, e.correlation[i]);
      ++launch_count;
    }
  }
  if (launch_count == 0) return;
  const uint64_t span = static_cast<uint64_t>(max_id) - static_cast<uint64_t>(min_id);
  const bool dense = span < 4 * static_cast<uint64_t>(e.size()) + 1024;
  Column<uint32_t> by_id;  // dense: launch row + 1 of id min_id + k (0 = none)
  Column<std::pair<int64_t, uint32_t>> launches;  // sparse
  if (dense) {
    ReserveOnHugePages(by_id, span + 1);
    by_id.assign(span + 1, 0);
  } else {
    ReserveOnHugePages(launches, launch_count);
  }
  for (uint32_t i = 0; i < e.size(); ++i) {
    if (e.kind[i] != EventKind::kCudaRuntime || e.correlation[i] == 0) continue;
    if (!dense) {
      launches.emplace_back(e.correlation[i], i);
      continue;
    }
    uint32_t& slot = by_id[static_cast<uint64_t>(e.correlation[i]) - static_cast<uint64_t>(min_id)];
    if (slot == 0) slot = i + 1;  // the first call with an id, as the sorted search finds
  }
  // Kineto writes runtime calls in correlation order, so this is usually already sorted.
  if (!std::is_sorted(launches.begin(), launches.end())) {
    std::sort(launches.begin(), launches.end());
  }
  size_t next_launch = 0;  // sparse: where the next GPU op's launch probably is
  for (uint32_t i = 0; i < e.size(); ++i) {
    if (!IsGpuKind(e.kind[i]) || e.correlation[i] == 0) continue;
    const int64_t id = e.correlation[i];
    uint32_t launch = 0;
    if (dense) {
      if (id < min_id || id > max_id) continue;
      const uint32_t slot = by_id[static_cast<uint64_t>(id) - static_cast<uint64_t>(min_id)];
      if (slot == 0) continue;
      launch = slot - 1;
    } else {
      // GPU ops come mostly in correlation order: try the pair after the last one found (the
      // first of its id, as the search below would give) before searching.
      size_t at = next_launch;
      if (at >= launches.size() || launches[at].first != id || (at > 0 && launches[at - 1].first == id)) {
        at = static_cast<size_t>(
            std::lower_bound(launches.begin(), launches.end(), std::pair<int64_t, uint32_t>(id, 0)) -
            launches.begin());
        if (at == launches.size() || launches[at].first != id) continue;
      }
      next_launch = at + 1;
      launch = launches[at].second;
    }
    e.link[i] = EventId(launch);
    if (!e.link[launch].valid()) e.link[launch] = EventId(i);
    if (e.ts[i] < e.ts[launch] && diagnostics != nullptr) {
      // A GPU op cannot start before the CPU call that launched it: the two clocks disagree.
      // Recovery: keep both timestamps as written.
      diagnostics->Add("gpu_op_before_launch", trace_.source,
                       fmt::format("correlation {}", e.correlation[i]),
                       fmt::format("GPU op '{}' starts {} ns before its launch; timestamps kept",
                                   trace_.strings.Get(e.name[i]), e.ts[launch] - e.ts[i]));
    }
  }
}

void RankTraceBuilder::AssignSteps() {
  EventTable& e = trace_.events;
  constexpr std::string_view kPrefix = "ProfilerStep#";
  for (uint32_t i = 0; i < e.size(); ++i) {
    if (e.kind[i] != EventKind::kUserAnnotation) continue;
    std::string_view name = trace_.strings.Get(e.name[i]);
    if (name.substr(0, kPrefix.size()) != kPrefix) continue;
    int64_t number = 0;
    std::string_view digits = name.substr(kPrefix.size());
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) continue;
    trace_.steps.push_back(Step{number, e.ts[i], e.dur[i], EventId(i)});
  }
  // Events are sorted by ts, so steps are too.
  const std::vector<Step>& steps = trace_.steps;
  ReserveOnHugePages(e.step, e.size());
  e.step.assign(e.size(), StepIndex::Invalid());
  if (steps.empty()) return;
  // The step of time t is the last one starting at or before t (if t is inside it). Events are
  // in ts order (GPU ops nearly so, by their launch's ts), so the last answer is tried first.
  size_t last = 0;
  auto starts_by = [&](size_t k, int64_t t) { return steps[k].ts <= t; };
  for (uint32_t i = 0; i < e.size(); ++i) {
    int64_t t = e.link[i].valid() && IsGpuKind(e.kind[i]) ? e.ts[e.link[i].value()] : e.ts[i];
    size_t k = last;
    if (!(starts_by(k, t) && (k + 1 == steps.size() || !starts_by(k + 1, t)))) {
      auto it = std::upper_bound(steps.begin(), steps.end(), t,
                                 [](int64_t value, const Step& s) { return value < s.ts; });
      if (it == steps.begin()) continue;
      k = static_cast<size_t>(it - steps.begin()) - 1;
    }
    last = k;
    const Step& step = steps[k];
    if (t < step.ts + step.dur || (t == step.ts && step.dur == 0)) {
      e.step[i] = StepIndex(static_cast<uint32_t>(k));
    }
  }
}

void RankTraceBuilder::TypeCollectivesFromAnnotations() {
  // Old traces name all-to-all and p2p kernels alike (ncclKernel_SendRecv) and carry no
  // "Collective name"; the CPU side says which it was with a `nccl:<coll>` annotation around
  // the launch. Find, for each such kernel, the innermost annotation on the launch's thread.
  EventTable& e = trace_.events;
  CollectiveTable& c = trace_.collectives;
  std::unordered_map<uint32_t, std::vector<uint32_t>> annotations_by_track;
  for (uint32_t i = 0; i < e.size(); ++i) {
    if (e.kind[i] != EventKind::kUserAnnotation) continue;
    if (trace_.strings.Get(e.name[i]).substr(0, 5) == "nccl:") {
      annotations_by_track[e.track[i].value()].push_back(i);
    }
  }
  if (annotations_by_track.empty()) return;
  for (size_t row = 0; row < c.size(); ++row) {
    if (c.type[row] != CollectiveType::kSendRecv && c.type[row] != CollectiveType::kOther) {
      continue;
    }
    EventId launch = e.link[c.event[row].value()];
    if (!launch.valid()) continue;
    auto found = annotations_by_track.find(e.track[launch.value()].value());
    if (found == annotations_by_track.end()) continue;
    int64_t t = e.ts[launch.value()];
    // Annotations are in ts order; the innermost enclosing one is the last that starts at or
    // before t and contains it. Nesting is shallow, so a few steps back suffice.
    const std::vector<uint32_t>& spans = found->second;
    auto it = std::upper_bound(spans.begin(), spans.end(), t,
                               [&e](int64_t value, uint32_t i) { return value < e.ts[i]; });
    for (int back = 0; it != spans.begin() && back < 8; ++back) {
      --it;
      if (t <= e.ts[*it] + e.dur[*it]) {
        c.type[row] = ParseCollectiveType(trace_.strings.Get(e.name[*it]).substr(5));
        break;
      }
    }
  }
}

}  // namespace trainscope::model
