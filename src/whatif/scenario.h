// SPDX-License-Identifier: Apache-2.0
// User what-if scenarios on a job: "communication 2x faster" (scale an op class), "fix rank R"
// (its ops at ideal durations), "fix step N". Each is one replay against the no-delay baseline.
// Units: seconds in results. Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "whatif/megatron_model.h"

namespace trainscope::whatif {

struct Scenario {
  enum class Kind { kScale, kFixRank, kFixStep };
  Kind kind = Kind::kScale;
  std::string op_class;  // kScale: "compute", "comm", or an op kind name ("forward-compute", ...)
  double factor = 1;     // kScale: duration multiplier (0.5 = twice as fast)
  int32_t value = 0;     // kFixRank: global rank; kFixStep: step number
  std::string Describe() const;
};

// Parses "CLASS=FACTOR" (e.g. "comm=0.5") into a scaling scenario; CLASS must be compute, comm
// or an op kind of the op-table model.
Result<Scenario> ParseScaleScenario(const std::string& text);
// The same syntax with CLASS unchecked (the Kineto path checks it against the job's classes).
Result<Scenario> ParseScaleSyntax(const std::string& text);

struct ScenarioResult {
  std::string name;
  double baseline_s = 0;  // mean no-delay step time
  double scenario_s = 0;  // mean step time under the scenario
  double speedup = 1;     // baseline / scenario
  std::vector<double> step_s;
};

Result<std::vector<ScenarioResult>> RunScenarios(const OpJob& job, const JobModel& model,
                                                 const std::vector<Scenario>& scenarios,
                                                 int threads);

}  // namespace trainscope::whatif
