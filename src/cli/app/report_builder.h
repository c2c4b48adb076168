// SPDX-License-Identifier: Apache-2.0
// Turns analysis results (what-if, Minder, plan) into the report's view model and estimates what
// fixing each finding saves. Used by `trainscope report` and `trainscope demo`.
// The savings model itself is report/savings.h; this file only maps results onto it.
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

}  // namespace trainscope::cli
