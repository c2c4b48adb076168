// SPDX-License-Identifier: Apache-2.0
// Report file and summary output.
#include "cli/app/report_output.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "report/job_report.h"

namespace trainscope::cli {

Result<std::string> WriteReportHtml(const report::JobReport& report, const std::string& dir) {
  std::string path = (std::filesystem::path(dir) / "report.html").string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError("{}: cannot write the report", path);
  out << report::RenderJobReport(report);
  out.close();
  if (!out) return IoError("{}: write failed", path);
  return path;
}

void WriteReportJsonFields(const report::JobReport& r, JsonWriter& json) {
  if (r.stragglers) {
    const report::StragglerPart& s = *r.stragglers;
    json.Field("slowdown", s.slowdown).Field("waste_fraction", s.waste_fraction);
    json.Field("straggling", s.straggling).Field("simulation_error", s.simulation_error);
    json.Field("verdict", s.verdict);
    json.Key("cause").BeginObject().Field("pattern", s.cause_pattern);
    json.Key("evidence").BeginArray();
    for (const std::string& e : s.cause_evidence) json.String(e);
    json.EndArray().EndObject();
    json.Key("top_workers").BeginArray();
    for (const report::NamedValue& w : s.top_workers) {
      json.BeginObject()
          .Field("worker", w.name)
          .Field("score", w.value)
          .Field("detail", w.detail)
          .EndObject();
    }
    json.EndArray();
  }
  if (r.faults) {
    json.Key("faulty_machines").BeginArray();
    for (const report::FaultAlert& a : r.faults->alerts) json.String(a.machine);
    json.EndArray();
    json.Key("alerts").BeginArray();
    for (const report::FaultAlert& a : r.faults->alerts) {
      json.BeginObject().Field("machine", a.machine).Field("metric", a.metric);
      json.Field("start", a.start_s).Field("end", a.end_s).Field("score", a.score);
      json.Field("margin", a.margin).EndObject();
    }
    json.EndArray();
    json.Field("minder_threshold", r.faults->threshold).Field("machines", r.faults->machines);
    json.Field("minder_verdict", !r.faults->alerts.empty() ? "faulty"
                                 : r.faults->inconclusive  ? "inconclusive"
                                                           : "healthy");
    json.Key("minder_inconclusive").BeginArray();
    for (const std::string& reason : r.faults->inconclusive_reasons) json.String(reason);
    json.EndArray();
  }
  if (r.plan) {
    const report::PlanPart& p = *r.plan;
    json.Key("plan").BeginObject().Field("name", p.name).Field("gpus", p.gpus);
    json.Field("step_time_s", p.step_time_s).Field("mfu", p.mfu);
    json.Field("compute_s", p.compute_s).Field("exposed_comm_s", p.exposed_comm_s);
    json.Field("bubble_s", p.bubble_s).Field("memory_per_gpu_bytes", p.memory_per_gpu_bytes);
    json.Field("fits", p.memory_per_gpu_bytes <= p.memory_capacity_bytes).EndObject();
  }
  json.Key("savings").BeginArray();
  for (const report::Saving& s : r.savings) {
    json.BeginObject().Field("action", s.action).Field("gpu_hours", s.gpu_hours);
    json.Field("per", s.basis).Field("step_time_gain", s.step_time_gain).EndObject();
  }
  json.EndArray();
  json.Key("diagnostics").BeginArray();
  for (const std::string& d : r.diagnostics) json.String(d);
  json.EndArray();
}

void PrintReportSummary(const report::JobReport& r, const std::string& html_path, bool json,
                        bool quiet) {
  if (json) {
    JsonWriter w(stdout);
    w.BeginObject().Field("report", html_path);
    WriteReportJsonFields(r, w);
    w.EndObject();
    w.Flush();
    std::fputc('\n', stdout);
    return;
  }
  const bool color = isatty(STDOUT_FILENO) == 1;
  const char* bold = color ? "\033[1m" : "";
  const char* red = color ? "\033[1;31m" : "";
  const char* green = color ? "\033[1;32m" : "";
  const char* reset = color ? "\033[0m" : "";
  // An inconclusive part says so: 'none among 8 machines' on 15-s samples (and S with a verdict
  // colour on a replay that misses the job) read as results the data cannot support.
  if (r.stragglers && !r.stragglers->inconclusive.empty()) {
    fmt::print("{}Stragglers{}: inconclusive ({})\n", bold, reset, r.stragglers->inconclusive);
  } else if (r.stragglers) {
    const report::StragglerPart& s = *r.stragglers;
    bool bad = s.slowdown >= 1.1;
    fmt::print("{}Stragglers{}: S = {}{:.3f}{} ({:.1f}% of GPU time wasted){}\n", bold, reset,
               bad ? red : green, s.slowdown, reset, 100 * s.waste_fraction,
               bad ? ", likely cause: " + s.cause_pattern : "");
    if (!quiet) {
      for (const std::string& e : s.cause_evidence) fmt::print("  evidence: {}\n", e);
    }
  }
  if (r.faults) {
    if (r.faults->alerts.empty() && r.faults->inconclusive) {
      fmt::print("{}Faulty machine{}: inconclusive among {} machines ({})\n", bold, reset,
                 r.faults->machines, fmt::join(r.faults->inconclusive_reasons, "; "));
    } else if (r.faults->alerts.empty()) {
      fmt::print("{}Faulty machine{}: {}none{} among {} machines\n", bold, reset, green, reset,
                 r.faults->machines);
    }
    for (const report::FaultAlert& a : r.faults->alerts) {
      fmt::print(
          "{}Faulty machine{}: {}{}{} (metric {}, t = {:.0f}-{:.0f} s, score {:.1f}, "
          "margin {:.1f})\n",
          bold, reset, red, a.machine, reset, a.metric, a.start_s, a.end_s, a.score, a.margin);
    }
  }
  if (r.plan) {
    fmt::print("{}Plan{}: {} on {} GPUs: step {:.2f} s, MFU {:.1f}%\n", bold, reset, r.plan->name,
               r.plan->gpus, r.plan->step_time_s, 100 * r.plan->mfu);
  }
  if (!quiet) {
    for (const report::Saving& s : r.savings) {
      fmt::print("  saving: {:.1f} GPU-h per {}: {}\n", s.gpu_hours, s.basis, s.action);
    }
  }
  fmt::print("Report: {}\n", html_path);
}

}  // namespace trainscope::cli
