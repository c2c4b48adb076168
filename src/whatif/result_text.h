// SPDX-License-Identifier: Apache-2.0
// Human-readable summary and tables of a what-if result (`trainscope whatif` without --json),
// one renderer for op tables and Kineto traces. Thread safety: reentrant.
#pragma once

#include <string>
#include <vector>

#include "base/diagnostics.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/replay_model.h"
#include "whatif/scenario.h"

namespace trainscope::whatif {

// `top`: rows of the op-class and worker tables.
std::string RenderWhatIfText(const ReplayModel& model, const WhatIfResult& result,
                             const Cause& cause, const Diagnostics& diagnostics, int top,
                             const std::vector<ScenarioResult>& scenarios = {});

// "0-3, 5, 7-127".
std::string FormatRankRanges(const std::vector<int32_t>& ranks);

}  // namespace trainscope::whatif
