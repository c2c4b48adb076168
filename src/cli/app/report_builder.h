// SPDX-License-Identifier: Apache-2.0
// Turns analysis results (what-if, Minder, plan) into the report's view model and estimates what
// fixing each finding saves. Used by `trainscope report` and `trainscope demo`.
// Savings model (stated in the report's assumptions):
//  - stragglers: removing them saves 1 - 1/S of the job's GPU time; fixing the M_W workers or
//    the last stage saves (T_ori - T_rem) / T_ori; per day = GPUs x 24 h x that fraction;
//  - a faulty machine found by Minder: GPUs x (manual triage time - Minder's detection delay)
//    per incident (NSDI'25: manual triage > 30 min);
//  - Flux-style TP overlap (when the plan uses TP): exposed TP communication hidden per step,
//    from the overlap simulator, x layers x microbatches x 2 (attention, MLP) x 2 (fwd, bwd).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "minder/fault_pipeline.h"
#include "pipeline/straggler_pipeline.h"
#include "report/job_report.h"
#include "workload/config.h"
#include "workload/predictor.h"

namespace trainscope::cli {

using pipeline::StragglerRun;

struct PlanInput {
  workload::JobConfig config;
  workload::Prediction prediction;
};

struct ReportInputs {
  std::string title = "trainscope report";
  std::string subtitle;
  const StragglerRun* stragglers = nullptr;
  const minder::FaultRun* faults = nullptr;
  const PlanInput* plan = nullptr;
  std::vector<std::pair<std::string, std::string>> trace_links;
  std::vector<std::string> diagnostics;  // extra lines (inputs that were skipped, ...)
};

report::JobReport BuildJobReport(const ReportInputs& inputs);

// Manual triage time per fault replaced by Minder's alert (NSDI'25 section 1: > 30 min).
inline constexpr double kManualTriageHours = 0.5;

}  // namespace trainscope::cli
