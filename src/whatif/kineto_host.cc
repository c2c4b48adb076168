// SPDX-License-Identifier: Apache-2.0
// MeasureHostTime: where each rank's GPU sat idle in the traced steps and what its CPU was doing
// meanwhile (kineto_model.h, ReplayModel::host).
//
// Per rank and step, the window runs from the rank's own ProfilerStep start to the step's end;
// the time before the rank's start is its entry skew (it happened before the rank's traced
// window). Inside the window, the GPU is idle where none of the rank's GPU ops runs. Each idle
// interval ends at a GPU op; the part of the interval after that op's CPU launch call began is
// launch latency, the part before it is split by what the launching CPU thread was doing:
// blocking CUDA calls (synchronize, synchronous copies), then data loading (DataLoader, batch
// copies to the GPU), then CUDA launch calls, then everything else (Python / framework time,
// traced or not). Coverage is measured on per-thread unions of each category's events, so nested
// events count once. After a rank's last GPU op of the step it has nothing left to run (the
// others finish theirs): that tail is not host time.
#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "whatif/internal/kineto_build.h"

namespace trainscope::whatif::internal {
namespace {

using model::EventId;
using model::EventKind;
using Interval = std::pair<int64_t, int64_t>;

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool IsBlockingCall(std::string_view name) {
  return Contains(name, "Synchronize") || name == "cudaMemcpy" || name == "cudaMemset" ||
         name == "cuMemcpyDtoH_v2" || name == "cuMemcpyHtoD_v2";
}

bool IsDataLoading(std::string_view name) {
  return Contains(name, "DataLoader") || Contains(name, "dataloader") ||
         Contains(name, "copy_batch_to_gpu") || Contains(name, "data_load") ||
         Contains(name, "wait_for_batch") || Contains(name, "next_batch");
}

// Sorted, merged intervals.
std::vector<Interval> Union(std::vector<Interval> v) {
  std::sort(v.begin(), v.end());
  std::vector<Interval> out;
  for (const Interval& i : v) {
    if (!out.empty() && i.first <= out.back().second) {
      out.back().second = std::max(out.back().second, i.second);
    } else {
      out.push_back(i);
    }
  }
  return out;
}

// Length of [a, b) covered by a merged interval list.
int64_t Covered(const std::vector<Interval>& merged, int64_t a, int64_t b) {
  if (b <= a) return 0;
  auto it = std::upper_bound(merged.begin(), merged.end(), Interval{a, INT64_MAX});
  if (it != merged.begin()) --it;
  int64_t covered = 0;
  for (; it != merged.end() && it->first < b; ++it)
    covered += std::max<int64_t>(0, std::min(b, it->second) - std::max(a, it->first));
  return covered;
}

// One CPU thread's events by category: cumulative unions (blocking; blocking + data; blocking +
// data + launch) and the named blocking and data events for the evidence.
struct ThreadCpu {
  std::vector<Interval> blocking, blocking_data, blocking_data_launch;
  std::vector<std::pair<Interval, EventId>> named_blocking, named_data;
};

std::map<uint32_t, ThreadCpu> IndexCpuThreads(const model::RankTrace& rank) {
  const model::EventTable& ev = rank.events;
  std::map<uint32_t, std::vector<Interval>> blocking, data, launch;
  std::map<uint32_t, ThreadCpu> threads;
  for (size_t e = 0; e < ev.size(); ++e) {
    const EventKind kind = ev.kind[e];
    if (kind != EventKind::kCudaRuntime && kind != EventKind::kCpuOp &&
        kind != EventKind::kUserAnnotation && kind != EventKind::kPythonFunction) {
      continue;
    }
    const EventId id(static_cast<uint32_t>(e));
    const std::string_view name = rank.Name(id);
    if (name.starts_with("ProfilerStep#")) continue;
    const uint32_t track = ev.track[e].value();
    const Interval span{ev.ts[e], ev.ts[e] + ev.dur[e]};
    if (kind == EventKind::kCudaRuntime && IsBlockingCall(name)) {
      blocking[track].push_back(span);
      threads[track].named_blocking.push_back({span, id});
    } else if (IsDataLoading(name)) {
      data[track].push_back(span);
      threads[track].named_data.push_back({span, id});
    } else if (kind == EventKind::kCudaRuntime) {
      launch[track].push_back(span);
    }
  }
  for (auto* by_track : {&blocking, &data, &launch})
    for (const auto& entry : *by_track) threads.try_emplace(entry.first);
  for (auto& [track, t] : threads) {
    std::vector<Interval> all = blocking[track];
    t.blocking = Union(all);
    all.insert(all.end(), data[track].begin(), data[track].end());
    t.blocking_data = Union(all);
    all.insert(all.end(), launch[track].begin(), launch[track].end());
    t.blocking_data_launch = Union(std::move(all));
  }
  return threads;
}

void AddNamed(const model::RankTrace& rank, const std::vector<std::pair<Interval, EventId>>& named,
              int64_t a, int64_t b, std::map<std::string, int64_t>& out) {
  for (const auto& [span, id] : named) {
    const int64_t overlap = std::min(b, span.second) - std::max(a, span.first);
    if (overlap > 0) out[std::string(rank.Name(id))] += overlap;
  }
}

std::vector<std::pair<std::string, int64_t>> Largest(const std::map<std::string, int64_t>& by_name) {
  std::vector<std::pair<std::string, int64_t>> v(by_name.begin(), by_name.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  if (v.size() > 3) v.resize(3);
  return v;
}

// Splits one idle interval [a, b) ending at GPU op `node` into the HostTime categories.
void SplitIdle(const KinetoBuild& b, const model::RankTrace& rank,
               const std::map<uint32_t, ThreadCpu>& threads, int32_t node, int64_t a,
               int64_t end, HostTime& h, std::map<std::string, int64_t>& data_names) {
  h.idle_ns += end - a;
  const EventId launch = rank.events.link[b.m.event[node]];
  if (!launch.valid()) {
    h.framework_ns += end - a;
    return;
  }
  const int64_t launch_ts = std::clamp(rank.events.ts[launch.value()], a, end);
  h.launch_ns += end - launch_ts;
  auto it = threads.find(rank.events.track[launch.value()].value());
  if (it == threads.end()) {
    h.framework_ns += launch_ts - a;
    return;
  }
  const ThreadCpu& t = it->second;
  const int64_t sync = Covered(t.blocking, a, launch_ts);
  const int64_t sync_data = Covered(t.blocking_data, a, launch_ts);
  const int64_t all = Covered(t.blocking_data_launch, a, launch_ts);
  h.sync_ns += sync;
  h.data_loading_ns += sync_data - sync;
  h.launch_ns += all - sync_data;
  h.framework_ns += launch_ts - a - all;
  AddNamed(rank, t.named_data, a, launch_ts, data_names);
}

// Time in blocking calls inside [a, b) on every thread, GPU busy or not: while the CPU waits for
// the GPU it cannot queue work ahead.
void AddBlocked(const model::RankTrace& rank, const std::map<uint32_t, ThreadCpu>& threads,
                int64_t a, int64_t b, HostTime& h, std::map<std::string, int64_t>& names) {
  for (const auto& [track, t] : threads) {
    h.blocked_ns += Covered(t.blocking, a, b);
    AddNamed(rank, t.named_blocking, a, b, names);
  }
}

}  // namespace

void MeasureHostTime(KinetoBuild& b) {
  ReplayModel& m = b.m;
  const int32_t workers = static_cast<int32_t>(b.job.ranks.size());
  const int32_t steps = m.num_steps();
  // Nodes of each (worker, step), in start order.
  std::vector<std::vector<int32_t>> nodes(static_cast<size_t>(workers) * steps);
  for (int32_t i = 0; i < m.num_nodes(); ++i)
    nodes[static_cast<size_t>(m.worker[i]) * steps + m.step_index[i]].push_back(i);
  m.host.assign(workers, HostTime{});
  for (int32_t w = 0; w < workers; ++w) {
    const model::RankTrace& rank = b.job.ranks[w];
    const std::map<uint32_t, ThreadCpu> threads = IndexCpuThreads(rank);
    HostTime& h = m.host[w];
    std::map<std::string, int64_t> data_names, sync_names;
    for (int32_t s = 0; s < steps; ++s) {
      std::vector<int32_t>& ops = nodes[static_cast<size_t>(w) * steps + s];
      const int64_t step_start = m.step_start_ns[s];
      const int64_t step_end = step_start + m.step_time_ns[s];
      const int64_t entry = std::clamp(b.rank_step_start[w][s], step_start, step_end);
      h.entry_ns += entry - step_start;
      h.window_ns += step_end - entry;
      std::sort(ops.begin(), ops.end(), [&](int32_t x, int32_t y) {
        return b.start_abs[x] != b.start_abs[y] ? b.start_abs[x] < b.start_abs[y] : x < y;
      });
      AddBlocked(rank, threads, entry, step_end, h, sync_names);
      int64_t busy_until = entry;  // GPU busy up to here (union of the ops so far)
      for (int32_t node : ops) {
        if (b.start_abs[node] > busy_until) {
          SplitIdle(b, rank, threads, node, busy_until, b.start_abs[node], h, data_names);
        }
        busy_until = std::max(busy_until, b.end_abs[node]);
      }
      // After the rank's last op it has nothing left in the step (the others finish theirs):
      // not host time.
    }
    h.data_loading_ops = Largest(data_names);
    h.sync_ops = Largest(sync_names);
  }
}

}  // namespace trainscope::whatif::internal
