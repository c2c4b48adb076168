// SPDX-License-Identifier: Apache-2.0
// Human-readable summary and tables of a what-if result (`trainscope whatif` without --json).
// Thread safety: reentrant.
#pragma once

#include <string>

#include "base/diagnostics.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/scenario.h"

namespace trainscope::whatif {

// `top`: rows of the worker table.
std::string RenderWhatIfText(const OpJob& job, const JobModel& model, const WhatIfResult& result,
                             const Cause& cause, const Diagnostics& diagnostics, int top,
                             const std::vector<ScenarioResult>& scenarios = {});

}  // namespace trainscope::whatif
