// SPDX-License-Identifier: Apache-2.0
// Job summary: counting over the model, and its text and JSON renderings.
#include "model/trace_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "model/collective_match.h"

namespace trainscope::model {
namespace {

std::string Milliseconds(int64_t ns) {
  return fmt::format("{:.3f} ms", static_cast<double>(ns) / 1e6);
}

std::string JoinSteps(const std::vector<int64_t>& steps) {
  if (steps.empty()) return "none";
  return fmt::format("{}", fmt::join(steps, ","));
}

}  // namespace

JobSummary Summarise(const JobTrace& job) {
  JobSummary s;
  s.world_size = job.world_size;
  s.begin_ns = std::numeric_limits<int64_t>::max();
  s.end_ns = std::numeric_limits<int64_t>::min();
  std::set<int64_t> steps;
  std::map<std::string, GroupSummary> groups;
  for (size_t i = 0; i < job.ranks.size(); ++i) {
    const RankTrace& rank = job.ranks[i];
    RankSummary r;
    r.rank = rank.rank;
    r.source = rank.source;
    r.events = static_cast<int64_t>(rank.events.size());
    r.collectives = static_cast<int64_t>(rank.collectives.size());
    r.base_time_ns = rank.base_time_ns;
    r.clock = i < job.clocks.size() ? job.clocks[i] : ClockAlignment{};
    r.model_bytes = rank.MemoryBytes();
    r.begin_ns = rank.events.size() > 0 ? rank.events.ts[0] : 0;
    for (size_t e = 0; e < rank.events.size(); ++e) {
      ++r.by_kind[static_cast<size_t>(rank.events.kind[e])];
      r.end_ns = std::max(r.end_ns, rank.events.ts[e] + rank.events.dur[e]);
    }
    r.kernels = r.by_kind[static_cast<size_t>(EventKind::kKernel)] +
                r.by_kind[static_cast<size_t>(EventKind::kCollective)];
    for (const Step& step : rank.steps) {
      r.steps.push_back(step.number);
      steps.insert(step.number);
    }
    for (size_t k = 0; k < r.by_kind.size(); ++k) s.by_kind[k] += r.by_kind[k];
    if (r.events > 0) {
      s.begin_ns = std::min(s.begin_ns, r.begin_ns);
      s.end_ns = std::max(s.end_ns, r.end_ns);
    }
    for (size_t row = 0; row < rank.collectives.size(); ++row) {
      GroupSummary& g = groups[CollectiveChannel(rank, row)];
      ProcessGroupId pg = rank.collectives.group[row];
      if (pg.valid() && g.ranks.empty()) {
        g.description = rank.process_groups[pg.value()].description;
        g.ranks = rank.process_groups[pg.value()].ranks;
      }
      ++g.by_type[static_cast<size_t>(rank.collectives.type[row])];
    }
    s.ranks.push_back(std::move(r));
  }
  if (s.begin_ns > s.end_ns) s.begin_ns = s.end_ns = 0;
  s.steps.assign(steps.begin(), steps.end());
  for (auto& [channel, g] : groups) {
    g.channel = channel;
    s.groups.push_back(std::move(g));
  }
  return s;
}

void WriteSummaryJson(const JobSummary& s, const Diagnostics& diagnostics, JsonWriter& out) {
  out.BeginObject();
  out.Field("world_size", s.world_size);
  out.Field("ranks_present", s.ranks.size());
  out.Key("steps").BeginArray();
  for (int64_t step : s.steps) out.Int(step);
  out.EndArray();
  out.Field("begin_ns", s.begin_ns)
      .Field("end_ns", s.end_ns)
      .Field("span_ns", s.end_ns - s.begin_ns);
  out.Key("events_by_kind").BeginObject();
  for (size_t k = 0; k < s.by_kind.size(); ++k) {
    out.Field(EventKindName(static_cast<EventKind>(k)), s.by_kind[k]);
  }
  out.EndObject();
  out.Key("ranks").BeginArray();
  for (const RankSummary& r : s.ranks) {
    out.BeginObject();
    out.Field("rank", r.rank).Field("source", r.source).Field("events", r.events);
    out.Field("kernels", r.kernels).Field("collectives", r.collectives);
    out.Key("steps").BeginArray();
    for (int64_t step : r.steps) out.Int(step);
    out.EndArray();
    out.Field("begin_ns", r.begin_ns).Field("end_ns", r.end_ns);
    out.Field("base_time_ns", r.base_time_ns);
    out.Field("clock_offset_ns", r.clock.offset_ns);
    out.Field("clock_source", ClockSourceName(r.clock.source));
    out.Field("clock_matched_collectives", r.clock.matched_collectives);
    out.Field("model_bytes", r.model_bytes);
    out.Key("events_by_kind").BeginObject();
    for (size_t k = 0; k < r.by_kind.size(); ++k) {
      out.Field(EventKindName(static_cast<EventKind>(k)), r.by_kind[k]);
    }
    out.EndObject();
    out.EndObject();
  }
  out.EndArray();
  out.Key("process_groups").BeginArray();
  for (const GroupSummary& g : s.groups) {
    out.BeginObject();
    out.Field("channel", g.channel).Field("description", g.description);
    out.Key("ranks").BeginArray();
    for (int member : g.ranks) out.Int(member);
    out.EndArray();
    out.Key("collectives").BeginObject();
    for (size_t t = 0; t < g.by_type.size(); ++t) {
      if (g.by_type[t] > 0)
        out.Field(CollectiveTypeName(static_cast<CollectiveType>(t)), g.by_type[t]);
    }
    out.EndObject();
    out.EndObject();
  }
  out.EndArray();
  out.Key("diagnostics");
  WriteDiagnosticsJson(diagnostics, out);
  out.EndObject();
}

std::string FormatSummaryText(const JobSummary& s, const Diagnostics& diagnostics) {
  std::string out =
      fmt::format("world size {}, {} rank(s) present, steps {}, span {}\n", s.world_size,
                  s.ranks.size(), JoinSteps(s.steps), Milliseconds(s.end_ns - s.begin_ns));
  out += "events by kind:";
  for (size_t k = 0; k < s.by_kind.size(); ++k) {
    if (s.by_kind[k] > 0) {
      out += fmt::format(" {} {}", EventKindName(static_cast<EventKind>(k)), s.by_kind[k]);
    }
  }
  out += "\n\n  rank   events  kernels  collectives  steps        span         clock offset\n";
  for (const RankSummary& r : s.ranks) {
    out += fmt::format("  {:>4} {:>8} {:>8} {:>12}  {:<12} {:>12} {:>+12} ns ({})\n", r.rank,
                       r.events, r.kernels, r.collectives, JoinSteps(r.steps),
                       Milliseconds(r.end_ns - r.begin_ns), r.clock.offset_ns,
                       ClockSourceName(r.clock.source));
  }
  if (!s.groups.empty()) out += "\ncollectives per process group (summed over ranks present):\n";
  for (const GroupSummary& g : s.groups) {
    out += fmt::format("  {}", g.channel);
    if (!g.description.empty()) out += fmt::format(" ({})", g.description);
    out += ":";
    for (size_t t = 0; t < g.by_type.size(); ++t) {
      if (g.by_type[t] > 0) {
        out +=
            fmt::format(" {} {}", CollectiveTypeName(static_cast<CollectiveType>(t)), g.by_type[t]);
      }
    }
    out += "\n";
  }
  if (!diagnostics.empty()) out += "\ndiagnostics:\n";
  for (const Diagnostic& d : diagnostics.items()) out += "  " + FormatDiagnostic(d) + "\n";
  return out;
}

}  // namespace trainscope::model
