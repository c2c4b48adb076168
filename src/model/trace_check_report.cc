// SPDX-License-Identifier: Apache-2.0
// Renderings of a trace check (trace_check.h): JSON (public keys) and text.
#include <fmt/format.h>

#include "model/trace_check.h"

namespace trainscope::model {
namespace {

constexpr std::array<std::string_view, kViolationKindCount> kWhat = {
    "GPU ops that overlap on one CUDA stream",
    "groups whose members' collective sequences differ in a step (not matched)",
    "collective members that do not overlap in time",
    "collective members that do not end together",
    "ranks listed in a process group whose trace lacks the group",
    "process groups listed with different members",
    "collectives whose size arguments contradict their group's member count"};

void WriteEvent(const EventRef& e, JsonWriter& out) {
  out.Field("rank", e.rank).Field("stream", e.stream).Field("event", e.name);
  out.Field("ts_ns", e.ts).Field("dur_ns", e.dur).Field("file_ts_us", e.file_ts_us);
}

std::string Micros(int64_t ns) { return fmt::format("{:.3f} us", static_cast<double>(ns) / 1e3); }

std::string Duration(int64_t ns) {
  const double v = static_cast<double>(ns);
  if (ns >= 1'000'000'000) return fmt::format("{:.3f} s", v / 1e9);
  if (ns >= 1'000'000) return fmt::format("{:.3f} ms", v / 1e6);
  return Micros(ns);
}

std::string ShortName(const std::string& name) {
  constexpr size_t kMax = 72;
  return name.size() <= kMax ? name : name.substr(0, kMax - 3) + "...";
}

// "rank 3 stream 7 'gemm' at 1700000000003645.000 us (dur 3099.000 us)"
std::string Describe(const EventRef& e) {
  std::string out = fmt::format("rank {}", e.rank);
  if (e.stream >= 0) out += fmt::format(" stream {}", e.stream);
  if (e.dur > 0 || e.ts != 0) {
    out +=
        fmt::format(" '{}' at {:.3f} us (dur {})", ShortName(e.name), e.file_ts_us, Micros(e.dur));
  } else {
    out += " " + e.name;
  }
  return out;
}

}  // namespace

void WriteTraceCheckJson(const TraceCheckResult& r, const Diagnostics& diagnostics,
                         JsonWriter& out) {
  out.BeginObject();
  out.Field("violations", r.violations);
  out.Key("by_kind").BeginObject();
  for (int k = 0; k < kViolationKindCount; ++k) {
    out.Field(ViolationKindName(static_cast<ViolationKind>(k)), r.by_kind[static_cast<size_t>(k)]);
  }
  out.EndObject();
  out.Key("worst_ns").BeginObject();
  for (int k = 0; k < kViolationKindCount; ++k) {
    out.Field(ViolationKindName(static_cast<ViolationKind>(k)), r.worst_ns[static_cast<size_t>(k)]);
  }
  out.EndObject();
  out.Key("examples").BeginArray();
  for (const Violation& v : r.examples) {
    out.BeginObject().Field("kind", ViolationKindName(v.kind));
    WriteEvent(v.event, out);
    out.Field("group", v.group).Field("step", v.step).Field("amount_ns", v.amount_ns);
    out.Field("detail", v.detail);
    out.Key("other");
    if (v.other.rank >= 0) {
      out.BeginObject();
      WriteEvent(v.other, out);
      out.EndObject();
    } else {
      out.Null();
    }
    out.EndObject();
  }
  out.EndArray();
  const TraceCheckCoverage& c = r.coverage;
  out.Key("coverage").BeginObject();
  out.Field("gpu_ops", c.gpu_ops).Field("streams", c.streams);
  out.Field("collective_instances", c.collective_instances);
  out.Field("collective_ops_unmatched", c.collective_ops_unmatched);
  out.Field("p2p_unpaired", c.p2p_unpaired).Field("single_member_ops", c.single_member_ops);
  out.Field("process_groups", c.process_groups);
  out.EndObject();
  out.Key("tolerances_ns").BeginObject();
  out.Field("stream", r.options.stream_tolerance_ns);
  out.Field("collective_end", r.options.end_tolerance_ns);
  out.EndObject();
  out.Field("end_tolerance_share", r.options.end_tolerance_share);
  out.Key("diagnostics");
  WriteDiagnosticsJson(diagnostics, out);
  out.EndObject();
}

std::string FormatTraceCheckText(const TraceCheckResult& r, const Diagnostics& diagnostics) {
  const TraceCheckCoverage& c = r.coverage;
  std::string out = fmt::format("trace check: {} violation(s)\n", r.violations);
  for (int k = 0; k < kViolationKindCount; ++k) {
    const auto i = static_cast<size_t>(k);
    out += fmt::format("  {:<22} {:>10}", ViolationKindName(static_cast<ViolationKind>(k)),
                       r.by_kind[i]);
    if (r.worst_ns[i] > 0) out += fmt::format("  (worst {})", Duration(r.worst_ns[i]));
    out += "\n";
  }
  out += fmt::format(
      "checked: {} GPU ops on {} streams (tolerance {}), {} collective instances (ends within "
      "{} or {:g}% of the shortest member), {} process groups; not checked: {} send/recv ops in "
      "groups of more than 2 ranks (peers unnamed), {} ops with no other member present, {} ops "
      "of unmatched groups\n",
      c.gpu_ops, c.streams, Micros(r.options.stream_tolerance_ns), c.collective_instances,
      Micros(r.options.end_tolerance_ns), 100 * r.options.end_tolerance_share, c.process_groups,
      c.p2p_unpaired, c.single_member_ops, c.collective_ops_unmatched);
  size_t next = 0;
  for (int k = 0; k < kViolationKindCount; ++k) {
    const auto kind = static_cast<ViolationKind>(k);
    const int64_t count = r.by_kind[static_cast<size_t>(k)];
    if (count == 0) continue;
    out += fmt::format("\n{} ({}): {}\n", ViolationKindName(kind), count,
                       kWhat[static_cast<size_t>(k)]);
    int64_t shown = 0;
    for (; next < r.examples.size() && r.examples[next].kind == kind; ++next, ++shown) {
      const Violation& v = r.examples[next];
      out += "  " + Describe(v.event);
      // A channel without group info is the stream the event names already.
      if (!v.group.empty() && v.group != fmt::format("stream {}", v.event.stream)) {
        out += ", " + v.group;
      }
      if (v.step >= 0) out += fmt::format(", step {}", v.step);
      out += ": " + v.detail;
      if (v.other.rank >= 0) out += "; other: " + Describe(v.other);
      out += "\n";
    }
    if (shown < count) out += fmt::format("  ... and {} more\n", count - shown);
  }
  if (!diagnostics.empty()) out += "\ndiagnostics:\n";
  for (const Diagnostic& d : diagnostics.items()) out += "  " + FormatDiagnostic(d) + "\n";
  return out;
}

}  // namespace trainscope::model
