// SPDX-License-Identifier: Apache-2.0
// Writing the report and its terminal / JSON summary (shared by `report` and `demo`).
#pragma once

#include <string>
#include <vector>

#include "base/json_writer.h"
#include "base/status.h"
#include "report/job_report.h"

namespace trainscope::cli {

// Writes `<dir>/report.html`; returns its path.
Result<std::string> WriteReportHtml(const report::JobReport& report, const std::string& dir);

// The verdict as JSON fields of an open object: `slowdown`, `waste_fraction`, `straggling`,
// `cause`, `faulty_machines`, `alerts`, `plan`, `savings`, `diagnostics`.
void WriteReportJsonFields(const report::JobReport& report, JsonWriter& json);

// Prints the short summary (text) or a JSON document with the report path and the verdict.
void PrintReportSummary(const report::JobReport& report, const std::string& html_path, bool json,
                        bool quiet);

}  // namespace trainscope::cli
