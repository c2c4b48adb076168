// SPDX-License-Identifier: Apache-2.0
// Renders a JobReport into one self-contained HTML page.
#include "report/job_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "report/html.h"
#include "report/svg_chart.h"

namespace trainscope::report {
namespace {

std::string Pct(double fraction) { return fmt::format("{:.1f}%", 100 * fraction); }
std::string GiB(double bytes) { return fmt::format("{:.1f} GiB", bytes / (1024.0 * 1024 * 1024)); }

std::vector<Bar> ToBars(const std::vector<NamedValue>& values) {
  std::vector<Bar> bars;
  for (const NamedValue& v : values) {
    bars.push_back(Bar{v.detail.empty() ? v.name : v.name + " (" + v.detail + ")", v.value, ""});
  }
  return bars;
}

// The straggler verdict's tone and title; an inconclusive analysis names no S as the verdict.
std::pair<Tone, std::string> StragglerHeadline(const StragglerPart& s) {
  if (!s.inconclusive.empty()) {
    return {Tone::kWarn,
            fmt::format("Straggler analysis inconclusive (S = {:.3f} is not trusted)", s.slowdown)};
  }
  if (s.straggling) {
    return {Tone::kBad, fmt::format("Straggling: the job runs {:.2f}x slower than without "
                                    "stragglers ({} of its GPU time wasted)",
                                    s.slowdown, Pct(s.waste_fraction))};
  }
  return {Tone::kGood, fmt::format("No significant straggling (S = {:.3f})", s.slowdown)};
}

void RenderVerdict(const JobReport& r, HtmlDocument& doc) {
  doc.BeginSection("verdict", "Verdict");
  std::vector<HtmlDocument::Figure> figures;
  bool any = false;
  if (r.stragglers) {
    const StragglerPart& s = *r.stragglers;
    const bool straggling = s.straggling;
    any = true;
    const auto [tone, title] = StragglerHeadline(s);
    std::vector<std::string> lines;
    if (!s.inconclusive.empty()) {
      lines.push_back("Why: " + s.inconclusive);
    } else {
      if (!s.cause_pattern.empty()) lines.push_back("Likely cause: " + s.cause_pattern);
      for (const std::string& e : s.cause_evidence) lines.push_back(e);
    }
    lines.push_back(fmt::format("Replay of the measured trace reproduces step times within {}",
                                Pct(s.simulation_error)));
    doc.Callout(tone, title, lines);
    figures.push_back({fmt::format("{:.3f}", s.slowdown), "slowdown S (>= 1.1 = straggling)",
                       straggling ? Tone::kBad : Tone::kGood});
    figures.push_back(
        {Pct(s.waste_fraction), "GPU time wasted", straggling ? Tone::kWarn : Tone::kNeutral});
    if (s.wasted_gpu_hours) {
      figures.push_back(
          {fmt::format("{:.1f}", *s.wasted_gpu_hours),
           s.traced_steps > 0
               ? fmt::format("GPU-hours wasted in the {} traced steps ({:.1f} traced)",
                             s.traced_steps, s.traced_gpu_hours)
               : "GPU-hours wasted in the traced steps"});
    }
  }
  if (r.faults) {
    const FaultPart& f = *r.faults;
    any = true;
    if (f.alerts.empty() && f.inconclusive) {
      doc.Callout(Tone::kWarn,
                  fmt::format("Faulty machine: inconclusive ({} machines)", f.machines),
                  f.inconclusive_reasons);
      figures.push_back({"inconclusive", "faulty machine", Tone::kWarn});
    } else if (f.alerts.empty()) {
      doc.Callout(Tone::kGood, fmt::format("No faulty machine among {} machines", f.machines),
                  {"No machine stayed different from its peers for the continuity window."});
      figures.push_back({"none", "faulty machine", Tone::kGood});
    } else {
      const FaultAlert& a = f.alerts.front();
      doc.Callout(Tone::kBad, fmt::format("Faulty machine: {}", a.machine),
                  {fmt::format("Metric {} differs from all {} peers from t = {:.0f} s to {:.0f} s",
                               a.metric, f.machines - 1, a.start_s, a.end_s),
                   fmt::format("Score {:.2f} (threshold {:.2f}); margin over the next machine "
                               "{:.2f}",
                               a.score, f.threshold, a.margin)});
      figures.push_back({a.machine, "faulty machine", Tone::kBad});
    }
  }
  if (r.plan) {
    figures.push_back({fmt::format("{:.2f} s", r.plan->step_time_s), "predicted step time"});
    figures.push_back({Pct(r.plan->mfu), "predicted MFU"});
  }
  if (!any) doc.Paragraph("No trace or metrics were given: only the plan is shown.");
  doc.Figures(figures);
}

void RenderStragglers(const StragglerPart& s, HtmlDocument& doc) {
  doc.BeginSection("stragglers", "Stragglers: who slows the job down");
  doc.Paragraph(
      "Each value is the slowdown when only that group keeps its measured durations and "
      "everything else is idealised (1.0 = that group costs nothing).");
  auto heatmap = [&](const std::vector<std::vector<double>>& grid, const char* id,
                     const char* caption) {
    if (grid.empty() || grid[0].empty()) return;
    HeatmapSpec heat;
    heat.id = id;
    heat.caption = caption;
    for (size_t r = 0; r < grid.size(); ++r) heat.row_labels.push_back(fmt::format("{}", r));
    for (size_t c = 0; c < grid[0].size(); ++c) {
      heat.column_labels.push_back(fmt::format("{}", c));
    }
    heat.row_axis = "DP rank";
    heat.column_axis = "pipeline stage";
    heat.values = grid;
    double hi = 1.0;
    for (const auto& row : grid) {
      for (double v : row) {
        if (std::isfinite(v)) hi = std::max(hi, v);
      }
    }
    heat.min_value = 1.0;
    heat.max_value = std::max(1.05, hi);
    heat.value_format = "{:.3f}";
    doc.Raw(Heatmap(heat));
  };
  heatmap(s.worker_scores, "worker-heatmap",
          "Worker score (DP rank x pipeline stage): min(S of its DP rank, S of its stage), the "
          "paper's heatmap");
  heatmap(s.worker_alone, "worker-alone-heatmap",
          "Slowdown with only this worker's measured durations (all others ideal): an isolated "
          "hot cell is a slow worker");
  if (!s.per_step.empty()) {
    LineChartSpec line;
    line.id = "per-step-slowdown";
    line.caption = "Slowdown S per step (flat = persistent cause; spikes = transient)";
    line.x_label = "step";
    line.y_label = "S";
    LineSeries series{"S per step", {}, {}, true};
    for (size_t i = 0; i < s.per_step.size(); ++i) {
      double step = std::strtod(s.per_step[i].name.c_str(), nullptr);
      series.x.push_back(std::isfinite(step) ? step : static_cast<double>(i));
      series.y.push_back(s.per_step[i].value);
    }
    line.series.push_back(std::move(series));
    line.y_reference = {1.0, 1.1};
    doc.Raw(LineChart(line));
  }
  auto bars = [&](const char* id, const char* caption, const std::vector<NamedValue>& v) {
    if (v.empty()) return;
    doc.Heading3(caption);
    BarChartSpec spec;
    spec.id = id;
    spec.caption = caption;
    spec.bars = ToBars(v);
    spec.reference = 1.0;
    doc.Raw(BarChart(spec));
  };
  bars("by-op-type", "Slowdown by op class", s.by_op_type);
  bars("by-stage", "Slowdown by pipeline stage", s.by_stage);
  bars("by-dp-rank", "Slowdown by DP rank", s.by_dp_rank);
  bars("by-rank", "Slowdown with only this rank's measured durations", s.by_rank);
  if (!s.top_workers.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const NamedValue& w : s.top_workers) {
      rows.push_back({w.name, fmt::format("{:.3f}", w.value), w.detail});
    }
    doc.Heading3("Top workers by score");
    doc.Table("top-workers", {"worker", "score", "detail"}, rows, {1});
  }
}

void RenderFaults(const FaultPart& f, HtmlDocument& doc) {
  doc.BeginSection("faults", "Faulty machines (Minder)");
  LineChartSpec line;
  line.id = "minder-score";
  line.caption = fmt::format(
      "Per-machine dissimilarity score over time, metric {} (faulty "
      "machine highlighted; shaded: alert window; dashed: threshold)",
      f.deciding_metric.empty() ? "-" : f.deciding_metric);
  line.x_label = "time (s)";
  line.y_label = "score";
  for (const MachineSeries& m : f.series) {
    bool hot = false;
    for (const FaultAlert& a : f.alerts) hot = hot || a.machine == m.machine;
    line.series.push_back(LineSeries{m.machine, m.t_s, m.score, hot});
  }
  for (const FaultAlert& a : f.alerts) line.marked.push_back({a.start_s, a.end_s, a.machine});
  if (f.threshold > 0) line.y_reference = {f.threshold};
  doc.Raw(LineChart(line));
  std::vector<std::vector<std::string>> rows;
  for (const FaultAlert& a : f.alerts) {
    rows.push_back({a.machine, a.metric, fmt::format("{:.0f}", a.start_s),
                    fmt::format("{:.0f}", a.end_s), fmt::format("{:.2f}", a.score),
                    fmt::format("{:.2f}", a.margin)});
  }
  if (rows.empty()) {
    doc.Paragraph("No alerts: every machine stayed similar to its peers.");
  } else {
    doc.Table("alerts", {"machine", "metric", "start (s)", "end (s)", "score", "margin"}, rows,
              {2, 3, 4, 5});
  }
}

// ", 828868 GPU-hours (5.4 days on 64 GPUs) to train the token budget (1.0e+12 tokens)".
std::string BudgetText(const PlanPart& p) {
  std::string text = fmt::format(", {:.0f} GPU-hours", *p.gpu_hours);
  if (p.calendar_days > 0)
    text += fmt::format(" ({:.1f} days on {} GPUs)", p.calendar_days, p.gpus);
  text += " to train the whole token budget";
  if (p.tokens_total > 0)
    text += fmt::format(" of {:.3g} tokens at this step time", p.tokens_total);
  return text;
}

void RenderPlan(const PlanPart& p, HtmlDocument& doc) {
  doc.BeginSection("plan", "Plan: predicted step time and memory");
  doc.Paragraph(fmt::format("{} on {} GPUs: step {:.3f} s, MFU {}{}", p.name, p.gpus, p.step_time_s,
                            Pct(p.mfu), p.gpu_hours ? BudgetText(p) : std::string()));
  StackedBarSpec stack;
  stack.id = "step-breakdown";
  stack.caption = "Where one step's time goes (critical path of the simulated schedule)";
  stack.unit = "s";
  stack.segments = {{"compute", p.compute_s},
                    {"exposed communication", p.exposed_comm_s},
                    {"pipeline bubble", p.bubble_s},
                    {"other", p.other_s}};
  doc.Raw(StackedBar(stack));
  if (!p.memory_breakdown_bytes.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const NamedValue& m : p.memory_breakdown_bytes) rows.push_back({m.name, GiB(m.value)});
    rows.push_back({"total", GiB(p.memory_per_gpu_bytes)});
    rows.push_back({"GPU capacity", GiB(p.memory_capacity_bytes)});
    doc.Heading3(p.memory_per_gpu_bytes <= p.memory_capacity_bytes
                     ? "Memory per GPU (fits)"
                     : "Memory per GPU (DOES NOT FIT)");
    doc.Table("memory", {"component", "per GPU"}, rows, {1});
  }
}

void RenderSavings(const std::vector<Saving>& savings, HtmlDocument& doc) {
  doc.BeginSection("savings", "What fixing each finding would save");
  std::vector<Saving> sorted = savings;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Saving& a, const Saving& b) { return a.gpu_hours > b.gpu_hours; });
  // One unit on the chart's axis: GPU-hours per day of training. Savings per incident (a faulty
  // machine) are not on that scale; they are in the table.
  BarChartSpec spec;
  spec.id = "savings-chart";
  spec.caption = "GPU-hours saved per day of training, largest first";
  spec.reference = 0;
  spec.value_format = "{:.1f}";
  std::vector<std::vector<std::string>> rows;
  bool per_incident = false;
  for (const Saving& s : sorted) {
    std::string value = fmt::format("{:.1f} per {}", s.gpu_hours, s.basis);
    if (s.basis == "day") {
      spec.bars.push_back(Bar{s.action, s.gpu_hours, value});
    } else {
      per_incident = true;
    }
    rows.push_back(
        {s.action, value, s.step_time_gain > 0 ? Pct(s.step_time_gain) : "-", s.evidence});
  }
  if (per_incident) spec.caption += " (savings per incident, for faulty machines, in the table)";
  if (!spec.bars.empty()) doc.Raw(BarChart(spec));
  doc.Table("savings-table", {"action", "GPU-hours saved", "step time saved", "evidence"}, rows,
            {1, 2});
}

}  // namespace

std::string RenderJobReport(const JobReport& r) {
  HtmlDocument doc(r.title);
  if (!r.subtitle.empty()) doc.Paragraph(r.subtitle);
  RenderVerdict(r, doc);
  if (r.stragglers) RenderStragglers(*r.stragglers, doc);
  if (r.faults) RenderFaults(*r.faults, doc);
  if (r.plan) RenderPlan(*r.plan, doc);
  if (!r.savings.empty()) RenderSavings(r.savings, doc);
  doc.BeginSection("diagnostics", "Assumptions and diagnostics");
  doc.Heading3("Diagnostics (data loss, missing ranks, clock skew)");
  if (r.diagnostics.empty()) {
    doc.Paragraph("None: every input was complete and consistent.");
  } else {
    doc.List(r.diagnostics);
  }
  doc.Heading3("Assumptions");
  if (r.assumptions.empty()) {
    doc.Paragraph("None beyond the methods' defaults.");
  } else {
    doc.List(r.assumptions);
  }
  if (!r.trace_links.empty()) {
    doc.BeginSection("traces", "Traces to open in Perfetto");
    doc.Paragraph(
        "Open https://ui.perfetto.dev and drop one of these files on it (they stay on "
        "your machine).");
    for (const auto& [file, description] : r.trace_links) doc.Link(file, description);
  }
  doc.EndSection();
  return doc.Finish();
}

}  // namespace trainscope::report
