// SPDX-License-Identifier: Apache-2.0
// User what-if scenarios on a job, op table or Kineto: "communication 2x faster" (scale an op
// class), "fix rank R" (its ops at ideal durations), "fix step N". Scaling classes: `comm` (every
// synchronised collective), `compute` (compute ops: forward/backward compute of op tables,
// kernels of Kineto traces), an op class of the tables (`optimizer`, `memcpy`, `comm all_reduce`
// or `all_reduce`, ...) or an op kind of an op table (`forward-send`). Ops kept measured
// (collectives over incomplete groups) are never changed. Each scenario is one replay against the
// no-delay baseline. Units: seconds in results. Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "whatif/analysis.h"
#include "whatif/replay_model.h"

namespace trainscope::whatif {

struct Scenario {
  enum class Kind { kScale, kFixRank, kFixStep };
  Kind kind = Kind::kScale;
  std::string op_class;  // kScale: "compute", "comm", an op class or an op kind
  double factor = 1;     // kScale: duration multiplier (0.5 = twice as fast)
  int32_t value = 0;     // kFixRank: global rank; kFixStep: step number
  std::string Describe() const;
};

// Parses "CLASS=FACTOR" (e.g. "comm=0.5") into a scaling scenario; CLASS is checked against the
// job's classes when the scenario runs.
Result<Scenario> ParseScaleSyntax(const std::string& text);

struct ScenarioResult {
  std::string name;
  double baseline_s = 0;  // mean no-delay step time
  double scenario_s = 0;  // mean step time under the scenario
  double speedup = 1;     // baseline / scenario
  std::vector<double> step_s;
};

// Errors name an unknown class (listing the job's classes), rank or step.
Result<std::vector<ScenarioResult>> RunScenarios(const ReplayModel& model,
                                                 const WhatIfResult& result,
                                                 const std::vector<Scenario>& scenarios,
                                                 int threads);

}  // namespace trainscope::whatif
