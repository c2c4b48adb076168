// SPDX-License-Identifier: Apache-2.0
// JSON rendering of a what-if result (the `trainscope whatif --json` document, a public
// interface): top level `slowdown`, `waste_fraction`, `wasted_gpu_hours`, `straggling`,
// `simulation_error`, `cause` {`pattern`, `evidence`}, then the tables. Thread safety: none.
#pragma once

#include "base/diagnostics.h"
#include "base/json_writer.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/scenario.h"

namespace trainscope::whatif {

void WriteWhatIfJson(const OpJob& job, const JobModel& model, const WhatIfResult& result,
                     const Cause& cause, const Diagnostics& diagnostics, JsonWriter& w,
                     const std::vector<ScenarioResult>& scenarios = {});

}  // namespace trainscope::whatif
