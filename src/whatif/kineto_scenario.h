// SPDX-License-Identifier: Apache-2.0
// User what-if scenarios on a Kineto job (the op-table ones of scenario.h, on the Kineto model):
// scale an op class ("comm=0.5": collectives twice as fast), fix one rank or one step (its ops at
// ideal durations). Classes: `compute`, `memcpy`, `memset`, `comm` (every synchronised
// collective) or one collective type (`all_reduce`, `all_to_all`, ...). Ops kept measured
// (collectives over incomplete groups) are never changed. Each scenario is one replay against the
// no-delay baseline. Units: seconds in results. Thread safety: reentrant.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "whatif/kineto_analysis.h"
#include "whatif/kineto_model.h"
#include "whatif/scenario.h"

namespace trainscope::whatif {

// Scale scenarios come from ParseScaleSyntax (scenario.h); their class is checked against the
// model when the scenario runs.
// Errors name an unknown class (listing the job's classes), rank or step.
Result<std::vector<ScenarioResult>> RunKinetoScenarios(const KinetoJobModel& model,
                                                       const KinetoWhatIfResult& result,
                                                       const std::vector<Scenario>& scenarios,
                                                       int threads);

}  // namespace trainscope::whatif
