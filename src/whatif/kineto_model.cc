// SPDX-License-Identifier: Apache-2.0
// BuildKinetoModel: GPU ops as nodes, program order and event-wait edges, times (kineto_model.h).
#include "whatif/kineto_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>
#include <utility>

#include "whatif/internal/kineto_build.h"

namespace trainscope::whatif {
namespace {

using internal::KinetoBuild;
using model::EventKind;

bool IsGpuOp(EventKind kind) {
  return kind == EventKind::kKernel || kind == EventKind::kMemcpy || kind == EventKind::kMemset ||
         kind == EventKind::kCollective;
}

// Steps every present rank traced; the others are dropped (and listed).
void ChooseSteps(KinetoBuild& b) {
  std::map<int64_t, int> seen;
  for (const model::RankTrace& rank : b.job.ranks) {
    std::set<int64_t> numbers;
    for (const model::Step& s : rank.steps) numbers.insert(s.number);
    for (int64_t n : numbers) ++seen[n];
  }
  const int present = static_cast<int>(b.job.ranks.size());
  for (const auto& [number, count] : seen) {
    (count == present ? b.m.steps : b.m.dropped_steps).push_back(number);
  }
  b.m.step_start_ns.assign(b.m.steps.size(), std::numeric_limits<int64_t>::max());
  for (const model::RankTrace& rank : b.job.ranks) {
    std::vector<int32_t> map(rank.steps.size(), -1);
    std::vector<int64_t> starts(b.m.steps.size(), 0);
    for (size_t i = 0; i < rank.steps.size(); ++i) {
      auto it = std::lower_bound(b.m.steps.begin(), b.m.steps.end(), rank.steps[i].number);
      if (it == b.m.steps.end() || *it != rank.steps[i].number) continue;
      const auto s = static_cast<int32_t>(it - b.m.steps.begin());
      // A number traced twice by one rank (restarted profiler): the first span is the step.
      if (std::find(map.begin(), map.end(), s) != map.end()) continue;
      map[i] = s;
      starts[s] = rank.steps[i].ts;
      b.m.step_start_ns[s] = std::min(b.m.step_start_ns[s], rank.steps[i].ts);
    }
    b.step_of_index.push_back(std::move(map));
    b.rank_step_start.push_back(std::move(starts));
  }
}

// A GPU op longer than an hour, or ten times its rank's ProfilerStep and more than a second, is
// a corrupt record: reported (file, rank, event) and left out, so one cannot poison every step.
bool IsImplausible(KinetoBuild& b, const model::RankTrace& rank, uint32_t e) {
  constexpr int64_t kHourNs = 3'600'000'000'000, kSecondNs = 1'000'000'000;
  const model::EventTable& ev = rank.events;
  const int64_t dur = ev.dur[e];
  const model::StepIndex si = ev.step[e];
  const int64_t step_dur = si.valid() ? rank.steps[si.value()].dur : 0;
  if (dur <= kHourNs && (dur <= kSecondNs || dur <= 10 * step_dur)) return false;
  ++b.m.stats.implausible_ops;
  if (b.diagnostics != nullptr) {
    b.diagnostics->Add(
        "implausible_duration", rank.source,
        fmt::format("rank {} event #{} '{}' at ts {} us", rank.rank, e,
                    rank.Name(model::EventId(e)), ev.ts[e] / 1000),
        fmt::format("a GPU op of {:.3f} s in a ProfilerStep of {:.3f} s on rank {}: a corrupt "
                    "record, left out of the analysis",
                    static_cast<double>(dur) * 1e-9, static_cast<double>(step_dur) * 1e-9,
                    rank.rank));
  }
  return true;
}

void AddNodes(KinetoBuild& b) {
  ReplayModel& m = b.m;
  int32_t streams = 0;
  for (size_t w = 0; w < b.job.ranks.size(); ++w) {
    const model::RankTrace& rank = b.job.ranks[w];
    const model::EventTable& ev = rank.events;
    std::vector<int32_t> stream_of_track(rank.tracks.size(), -1);
    std::vector<int32_t> last_of_stream;
    b.node_of_event.emplace_back(ev.size(), -1);
    for (size_t e = 0; e < ev.size(); ++e) {
      const EventKind kind = ev.kind[e];
      if (!IsGpuOp(kind)) continue;
      const model::StepIndex si = ev.step[e];
      const int32_t step = si.valid() ? b.step_of_index[w][si.value()] : -1;
      if (step < 0) {
        ++m.stats.ops_outside_steps;
        continue;
      }
      if (IsImplausible(b, rank, static_cast<uint32_t>(e))) continue;
      const uint32_t track = ev.track[e].value();
      if (stream_of_track[track] < 0) {
        stream_of_track[track] = streams++;
        last_of_stream.resize(streams, -1);
      }
      const int32_t stream = stream_of_track[track];
      const graph::NodeId n = b.builder.AddNode(static_cast<int32_t>(w), stream, step);
      b.node_of_event[w][e] = n;
      m.worker.push_back(static_cast<int32_t>(w));
      m.step_index.push_back(step);
      m.event.push_back(static_cast<uint32_t>(e));
      m.dur_ns.push_back(ev.dur[e]);
      b.start_abs.push_back(ev.ts[e]);
      b.end_abs.push_back(ev.ts[e] + ev.dur[e]);
      b.launch_abs.push_back(ev.link[e].valid() ? ev.ts[ev.link[e].value()] : ev.ts[e]);
      b.stream.push_back(stream);
      std::string name(rank.Name(model::EventId(static_cast<uint32_t>(e))));
      m.op_name.push_back(b.NameId(name));
      m.track.push_back(rank.tracks[track].tid);
      m.phase.push_back(Phase::kNone);
      const char* prefix = kind == EventKind::kMemcpy   ? "memcpy"
                           : kind == EventKind::kMemset ? "memset"
                                                        : "compute";
      // Collectives get their class and group from the matcher.
      m.ideal_class.push_back(
          kind == EventKind::kCollective ? -1 : b.ClassId(prefix + (" " + name), false));
      m.group.push_back(kind == EventKind::kCollective ? -1 : b.GroupId(prefix));
      m.is_comm.push_back(0);
      m.fixed.push_back(0);
      const int32_t prev = last_of_stream[stream];
      if (prev >= 0 && m.step_index[prev] == step) {
        b.builder.AddEdge(prev, n);
        ++m.stats.stream_edges;
      }
      last_of_stream[stream] = n;
    }
  }
}

// Where the trace names the event a cudaStreamWaitEvent waits for (cuda_sync "Stream Wait
// Event": the stream it was recorded on and its cudaEventRecord call), the source is exact: the
// op launched last on that stream before the record call. Per rank, by wait correlation id.
std::unordered_map<int64_t, int32_t> ExactWaitSources(const KinetoBuild& b, size_t w) {
  const model::RankTrace& rank = b.job.ranks[w];
  std::unordered_map<int64_t, int32_t> source_of_wait;
  if (rank.stream_waits.empty()) return source_of_wait;
  const model::EventTable& ev = rank.events;
  std::unordered_map<int64_t, int64_t> record_ts;  // cudaEventRecord correlation -> ts
  for (size_t e = 0; e < ev.size(); ++e) {
    if (ev.kind[e] == EventKind::kCudaRuntime && ev.correlation[e] != 0 &&
        rank.Name(model::EventId(static_cast<uint32_t>(e))) == "cudaEventRecord") {
      record_ts.emplace(ev.correlation[e], ev.ts[e]);
    }
  }
  std::unordered_map<int64_t, std::vector<std::pair<int64_t, int32_t>>> launches;  // by stream
  for (size_t e = 0; e < ev.size(); ++e) {
    const int32_t n = b.node_of_event[w][e];
    if (n < 0 || !ev.link[e].valid()) continue;
    launches[b.m.track[n]].push_back({ev.ts[ev.link[e].value()], n});
  }
  for (auto& [stream, list] : launches) std::sort(list.begin(), list.end());
  for (const model::StreamWait& wait : rank.stream_waits) {
    const auto record = record_ts.find(wait.record_correlation);
    const auto list = launches.find(wait.wait_on_stream);
    if (record == record_ts.end() || list == launches.end()) continue;
    auto it = std::lower_bound(list->second.begin(), list->second.end(),
                               std::pair<int64_t, int32_t>(record->second, INT32_MIN));
    if (it == list->second.begin()) continue;
    source_of_wait[wait.correlation] = std::prev(it)->second;
  }
  return source_of_wait;
}

// cudaStreamWaitEvent: the next op launched by the thread waits for its event's op: exactly
// known where the trace records the event (ExactWaitSources), else taken to be the op launched
// last (before the call) on another stream; an NCCL launch without a recorded wait implies one.
// `recent[0]` is the last launched op, `recent[1]` the last one on a stream other than
// recent[0]'s.
void AddEventWaits(KinetoBuild& b) {
  for (size_t w = 0; w < b.job.ranks.size(); ++w) {
    const model::RankTrace& rank = b.job.ranks[w];
    const model::EventTable& ev = rank.events;
    const std::unordered_map<int64_t, int32_t> exact = ExactWaitSources(b, w);
    int32_t recent[2] = {-1, -1};
    struct Pending {
      int32_t recent0, recent1, exact;
    };
    std::map<uint32_t, Pending> pending;  // CPU track -> what the wait waits for
    for (size_t e = 0; e < ev.size(); ++e) {
      if (ev.kind[e] != EventKind::kCudaRuntime) continue;
      const uint32_t track = ev.track[e].value();
      if (rank.Name(model::EventId(static_cast<uint32_t>(e))) == "cudaStreamWaitEvent") {
        const auto it = exact.find(ev.correlation[e]);
        pending[track] = {recent[0], recent[1], it == exact.end() ? -1 : it->second};
        continue;
      }
      const model::EventId target = ev.link[e];
      const int32_t n = target.valid() ? b.node_of_event[w][target.value()] : -1;
      if (n < 0) continue;
      auto it = pending.find(track);
      const bool recorded = it != pending.end();
      // ProcessGroupNCCL always makes its stream wait for the current stream before a
      // collective, so an NCCL launch implies the wait even when the trace omits the call.
      if (recorded || ev.kind[target.value()] == EventKind::kCollective) {
        const Pending p = recorded ? it->second : Pending{recent[0], recent[1], -1};
        const int32_t src = p.exact >= 0                                           ? p.exact
                            : p.recent0 >= 0 && b.stream[p.recent0] != b.stream[n] ? p.recent0
                                                                                   : p.recent1;
        const bool agrees = src >= 0 && b.stream[src] != b.stream[n] &&
                            b.m.step_index[src] == b.m.step_index[n] &&
                            b.end_abs[src] <= b.start_abs[n];
        if (agrees) b.builder.AddEdge(src, n);
        ModelStats& st = b.m.stats;
        ++(recorded ? (agrees ? st.event_wait_edges : st.event_waits_unresolved)
                    : (agrees ? st.nccl_sync_edges : st.nccl_syncs_unresolved));
        if (recorded && p.exact >= 0) ++st.exact_event_waits;
        if (recorded) pending.erase(it);
      }
      if (recent[0] >= 0 && b.stream[recent[0]] != b.stream[n]) recent[1] = recent[0];
      recent[0] = n;
    }
  }
}

// Transfer times of collective members, launch delays and measured step times.
void ComputeTimes(KinetoBuild& b) {
  ReplayModel& m = b.m;
  const graph::RawGraph& raw = b.builder.raw();
  const size_t n = m.worker.size();
  m.transfer_ns = m.dur_ns;
  for (size_t c = 0; c + 1 < raw.collective_begin.size(); ++c) {
    int64_t latest = std::numeric_limits<int64_t>::min();
    for (int32_t i = raw.collective_begin[c]; i < raw.collective_begin[c + 1]; ++i)
      latest = std::max(latest, b.start_abs[raw.collective_members[i]]);
    for (int32_t i = raw.collective_begin[c]; i < raw.collective_begin[c + 1]; ++i) {
      const graph::NodeId node = raw.collective_members[i];
      int64_t t = b.end_abs[node] - latest;
      if (t <= -internal::kClipNs) {
        t = 0;
        ++m.stats.clipped_transfers;
      } else if (t < 0) {
        ++m.stats.negative_transfers;
      }
      m.transfer_ns[node] = t;
    }
  }
  std::vector<int64_t> ready(n, std::numeric_limits<int64_t>::min());
  for (size_t e = 0; e < raw.edge_from.size(); ++e)
    ready[raw.edge_to[e]] = std::max(ready[raw.edge_to[e]], b.end_abs[raw.edge_from[e]]);
  m.launch_delay_ns.resize(n);
  m.launch_wait_ns.resize(n);
  m.entry_delay_ns.assign(n, 0);
  m.start_ns.resize(n);
  m.step_time_ns.assign(m.steps.size(), 0);
  for (size_t i = 0; i < n; ++i) {
    const int64_t step_start = m.step_start_ns[m.step_index[i]];
    const int64_t base = ready[i] == std::numeric_limits<int64_t>::min() ? step_start : ready[i];
    int64_t delay = b.start_abs[i] - base;
    if (delay <= -internal::kClipNs) {
      delay = 0;
      ++m.stats.clipped_delays;
    }
    m.launch_delay_ns[i] = delay;
    m.launch_wait_ns[i] =
        std::clamp<int64_t>(b.launch_abs[i] - base, 0, std::max<int64_t>(delay, 0));
    if (ready[i] == std::numeric_limits<int64_t>::min()) {  // waits from the step start
      const int64_t entry = b.rank_step_start[m.worker[i]][m.step_index[i]] - step_start;
      m.entry_delay_ns[i] = std::clamp<int64_t>(entry, 0, std::max<int64_t>(delay, 0));
    }
    m.start_ns[i] = b.start_abs[i] - step_start;
    int64_t& t = m.step_time_ns[m.step_index[i]];
    t = std::max(t, b.end_abs[i] - step_start);
  }
}

// GPU ops per step of each worker, on average (work imbalance evidence).
void CountOpsPerStep(ReplayModel& m) {
  m.worker_ops_per_step.assign(m.num_workers(), 0);
  for (int32_t i = 0; i < m.num_nodes(); ++i) m.worker_ops_per_step[m.worker[i]] += 1;
  for (double& count : m.worker_ops_per_step) count /= std::max(1, m.num_steps());
}

int32_t Find(std::vector<int32_t>& parent, int32_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

// Weakly connected parts per step beyond one; names an op of the first extra part.
void CheckConnectivity(KinetoBuild& b, const graph::NodeDescriber& describe) {
  const graph::RawGraph& raw = b.builder.raw();
  const auto n = static_cast<int32_t>(b.m.worker.size());
  std::vector<int32_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto unite = [&](int32_t x, int32_t y) { parent[Find(parent, x)] = Find(parent, y); };
  for (size_t e = 0; e < raw.edge_from.size(); ++e) unite(raw.edge_from[e], raw.edge_to[e]);
  for (size_t c = 0; c + 1 < raw.collective_begin.size(); ++c)
    for (int32_t i = raw.collective_begin[c] + 1; i < raw.collective_begin[c + 1]; ++i)
      unite(raw.collective_members[i - 1], raw.collective_members[i]);
  std::vector<int32_t> first_root(b.m.steps.size(), -1);
  int32_t example = -1;
  for (int32_t i = 0; i < n; ++i) {
    if (Find(parent, i) != i) continue;
    int32_t& root = first_root[b.m.step_index[i]];
    if (root < 0) {
      root = i;
    } else {
      ++b.m.stats.disconnected_parts;
      if (example < 0) example = i;
    }
  }
  if (example >= 0 && b.diagnostics != nullptr) {
    b.diagnostics->Add("graph_disconnected", b.m.name, describe(example),
                       fmt::format("{} parts of steps share no recorded dependency with the rest "
                                   "(streams without event waits or collectives); they are "
                                   "replayed independently from the step start",
                                   b.m.stats.disconnected_parts));
  }
}

}  // namespace

namespace internal {

int32_t KinetoBuild::ClassId(const std::string& class_name, bool comm) {
  auto [it, inserted] = class_ids.emplace(class_name, static_cast<int32_t>(m.class_names.size()));
  if (inserted) {
    m.class_names.push_back(class_name);
    m.class_is_comm.push_back(comm ? 1 : 0);
  }
  return it->second;
}

int32_t KinetoBuild::GroupId(const std::string& group_name) {
  auto [it, inserted] = group_ids.emplace(group_name, static_cast<int32_t>(m.group_names.size()));
  if (inserted) {
    m.group_names.push_back(group_name);
    m.group_roles.push_back(group_name == "compute"             ? GroupRole::kCompute
                            : group_name.rfind("comm ", 0) == 0 ? GroupRole::kComm
                                                                : GroupRole::kOther);
  }
  return it->second;
}

int32_t KinetoBuild::NameId(const std::string& op_name) {
  auto [it, inserted] = name_ids.emplace(op_name, static_cast<int32_t>(m.op_names.size()));
  if (inserted) m.op_names.push_back(op_name);
  return it->second;
}

}  // namespace internal

std::string DescribeKinetoOp(const model::JobTrace& job, const ReplayModel& m, graph::NodeId node) {
  const model::RankTrace& rank = job.ranks[m.worker[node]];
  const model::EventId e(m.event[node]);
  std::string name(rank.Name(e));
  if (name.size() > 60) name = name.substr(0, 57) + "...";
  const int32_t step = m.step_index[node];
  return fmt::format("rank {} stream {} '{}' step {} at +{:.3f} ms", rank.rank,
                     rank.tracks[rank.events.track[e.value()].value()].tid, name, m.steps[step],
                     static_cast<double>(rank.events.ts[e.value()] - m.step_start_ns[step]) * 1e-6);
}

Result<ReplayModel> BuildKinetoModel(const model::JobTrace& job, const std::string& name,
                                     Diagnostics* diagnostics) {
  ReplayModel m;
  m.input = InputKind::kKineto;
  m.name = name;
  m.world_size = std::max<int32_t>(job.world_size, static_cast<int32_t>(job.ranks.size()));
  m.gpus = static_cast<int32_t>(job.ranks.size());
  if (job.ranks.empty()) return InvalidArgumentError("{}: the trace holds no rank", name);
  std::vector<uint8_t> present(static_cast<size_t>(m.world_size), 0);
  for (const model::RankTrace& rank : job.ranks) {
    m.worker_rank.push_back(rank.rank);
    if (rank.rank >= 0 && rank.rank < m.world_size) present[rank.rank] = 1;
  }
  for (int32_t r = 0; r < m.world_size; ++r)
    if (!present[r]) m.absent_ranks.push_back(r);
  KinetoBuild b{job, m, diagnostics, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
  ChooseSteps(b);
  if (m.steps.empty()) {
    return InvalidArgumentError(
        "{}: no ProfilerStep#N annotation is traced by every rank; the what-if analysis needs "
        "steps (profile with torch.profiler.schedule / prof.step())",
        name);
  }
  AddNodes(b);
  if (m.worker.empty()) {
    return InvalidArgumentError("{}: no GPU op was launched inside a ProfilerStep", name);
  }
  AddEventWaits(b);
  internal::MatchKinetoCollectives(b);
  ComputeTimes(b);
  auto describe = [&](graph::NodeId node) { return DescribeKinetoOp(job, m, node); };
  graph::BuildOptions options;
  options.require_connected_steps = false;
  Result<graph::DepGraph> graph = b.builder.Build(options, describe);
  if (!graph.has_value()) {
    return InvalidArgumentError(
        "{}: {} (likely collectives issued in different orders on different ranks)", name,
        graph.error().message());
  }
  m.graph = std::move(*graph);
  CheckConnectivity(b, describe);
  internal::MeasureHostTime(b);
  CountOpsPerStep(m);
  return m;
}

}  // namespace trainscope::whatif
