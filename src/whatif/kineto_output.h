// SPDX-License-Identifier: Apache-2.0
// Outputs of the Kineto what-if analysis: the `trainscope whatif --json` document (same top-level
// keys as the op-table path: `slowdown`, `waste_fraction`, `wasted_gpu_hours`, `straggling`,
// `simulation_error`, `cause` {`pattern`, `evidence`}, then `input` = "kineto", the job, the
// model's edge counts and the tables `by_op_class`, `by_rank`, `by_step`) and the text summary.
// Thread safety: reentrant.
#pragma once

#include <string>

#include "base/diagnostics.h"
#include "base/json_writer.h"
#include "whatif/cause.h"
#include "whatif/kineto_analysis.h"
#include "whatif/kineto_model.h"
#include "whatif/scenario.h"

namespace trainscope::whatif {

void WriteKinetoWhatIfJson(const KinetoJobModel& model, const KinetoWhatIfResult& result,
                           const Cause& cause, const Diagnostics& diagnostics, JsonWriter& w,
                           const std::vector<ScenarioResult>& scenarios = {});

// `top`: rows of the rank table.
std::string RenderKinetoWhatIfText(const KinetoJobModel& model, const KinetoWhatIfResult& result,
                                   const Cause& cause, const Diagnostics& diagnostics, int top,
                                   const std::vector<ScenarioResult>& scenarios = {});

// "0-3, 5, 7-127".
std::string FormatRankRanges(const std::vector<int32_t>& ranks);

}  // namespace trainscope::whatif
