// SPDX-License-Identifier: Apache-2.0
// Rendering a Prediction: human text (with the assumptions list) and the `plan --json` document.
// JSON keys step_time_s, mfu, params_total, params_active, memory_per_gpu_bytes, fits and
// gpu_hours (when a token budget is given) are a public interface (docs/workload.md).
// Thread safety: pure functions.
#pragma once

#include <string>

#include "base/json_writer.h"
#include "workload/predictor.h"
#include "workload/sweep.h"

namespace trainscope::workload {

std::string RenderPlanText(const Prediction& p, const JobConfig& job);
// Writes one JSON object (the caller opens nothing).
void WritePlanJson(const Prediction& p, const JobConfig& job, JsonWriter& w);

std::string RenderSweepText(const SweepResult& sweep, int top);
void WriteSweepJson(const SweepResult& sweep, JsonWriter& w);

}  // namespace trainscope::workload
