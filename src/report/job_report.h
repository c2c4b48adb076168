// SPDX-License-Identifier: Apache-2.0
// JobReport: the view model of trainscope's HTML report, and its renderer.
//
// The CLI fills a JobReport from whatever the user gave (what-if results of a trace, Minder
// alerts on metrics, a plan prediction, Flux overlap estimates); each part is optional and its
// section appears only when present. Diagnostics and assumptions are always shown. Everything is
// aggregated (per rank, stage, step, machine): the page stays light for a 1,024-rank job.
// Section ids (a public contract with tests/browser/check_report.py): verdict, stragglers,
// faults, plan, savings, diagnostics, traces.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace trainscope::report {

struct NamedValue {
  std::string name;
  double value = 0;
  std::string detail;  // optional extra text (e.g. "rank 3, stage 1")
};

struct StragglerPart {
  double slowdown = 1.0;                   // S
  bool straggling = false;                 // S at or above the analysis' threshold
  std::string inconclusive;                // why no verdict can be given (empty: one can)
  std::string verdict;                     // inconclusive, straggling or not_straggling
  double waste_fraction = 0.0;             // 1 - 1/S
  std::optional<double> wasted_gpu_hours;  // over the traced steps
  double traced_gpu_hours = 0;             // GPUs x the traced steps' time
  int traced_steps = 0;
  double simulation_error = 0.0;  // median relative error of the faithful replay
  std::string cause_pattern;      // classifier output, e.g. "one persistent slow worker"
  std::vector<std::string> cause_evidence;
  // Worker heatmap: rows = DP ranks, columns = PP stages, values = worker score.
  std::vector<std::vector<double>> worker_scores;
  // Same grid: slowdown when only that worker keeps its measured durations (isolates one cell).
  std::vector<std::vector<double>> worker_alone;
  std::vector<NamedValue> per_step;  // name = step id
  std::vector<NamedValue> by_op_type;
  std::vector<NamedValue> by_stage;
  std::vector<NamedValue> by_dp_rank;
  std::vector<NamedValue> by_rank;      // only that rank's measured durations (Kineto input)
  std::vector<NamedValue> top_workers;  // highest scores first
};

struct MachineSeries {
  std::string machine;
  std::vector<double> t_s;    // seconds since the start of the pull
  std::vector<double> score;  // Minder similarity score of this machine
};

struct FaultAlert {
  std::string machine;
  std::string metric;
  double start_s = 0;
  double end_s = 0;
  double score = 0;
  double margin = 0;
};

struct FaultPart {
  std::string deciding_metric;
  double threshold = 0;
  std::vector<MachineSeries> series;  // per machine, for the deciding metric
  std::vector<FaultAlert> alerts;     // empty: no faulty machine found (or inconclusive)
  int machines = 0;
  bool inconclusive = false;  // the data could not support a verdict
  std::vector<std::string> inconclusive_reasons;
};

struct PlanPart {
  std::string name;
  double step_time_s = 0;
  double compute_s = 0;
  double exposed_comm_s = 0;
  double bubble_s = 0;
  double other_s = 0;
  double mfu = 0;
  double memory_per_gpu_bytes = 0;
  double memory_capacity_bytes = 0;
  std::vector<NamedValue> memory_breakdown_bytes;
  std::optional<double> gpu_hours;  // to train the whole token budget
  double tokens_total = 0;          // the budget (with gpu_hours)
  double calendar_days = 0;         // gpu_hours on `gpus` GPUs
  int gpus = 0;
};

struct Saving {
  std::string action;         // "fix the straggling worker dp 3 / stage 1"
  double gpu_hours = 0;       // GPU-hours saved per `basis`
  std::string basis = "day";  // "day" (steady state) or "incident" (one fault)
  double step_time_gain = 0;  // fraction of step time saved (0 when not a step-time effect)
  std::string evidence;
};

struct JobReport {
  std::string title = "trainscope report";
  std::string subtitle;
  std::optional<StragglerPart> stragglers;
  std::optional<FaultPart> faults;
  std::optional<PlanPart> plan;
  std::vector<Saving> savings;
  std::vector<std::string> assumptions;
  std::vector<std::string> diagnostics;  // data loss, missing ranks, clock skew, ...
  std::vector<std::pair<std::string, std::string>> trace_links;  // (file, description)
};

// Renders the whole page (self-contained HTML).
std::string RenderJobReport(const JobReport& report);

}  // namespace trainscope::report
