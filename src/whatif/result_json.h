// SPDX-License-Identifier: Apache-2.0
// The `trainscope whatif --json` document (a public interface, one writer for op tables and
// Kineto traces; the schema is documented in docs/whatif.md): top level `slowdown`,
// `waste_fraction`, `wasted_gpu_hours`, `straggling`, `simulation_error`, `cause` {`pattern`,
// `evidence`, ...}, then `input`, the job, the model's edge counts and the tables. Sections an
// input cannot fill (stages, DP ranks, M_S without pipeline stages) are left out.
// Thread safety: none.
#pragma once

#include <vector>

#include "base/diagnostics.h"
#include "base/json_writer.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/replay_model.h"
#include "whatif/scenario.h"

namespace trainscope::whatif {

void WriteWhatIfJson(const ReplayModel& model, const WhatIfResult& result, const Cause& cause,
                     const Diagnostics& diagnostics, JsonWriter& w,
                     const std::vector<ScenarioResult>& scenarios = {});

}  // namespace trainscope::whatif
