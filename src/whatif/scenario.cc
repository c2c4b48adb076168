// SPDX-License-Identifier: Apache-2.0
// User scenarios: selection of rows, durations, one replay each (batched).
#include "whatif/scenario.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "whatif/analysis.h"
#include "whatif/replay_batch.h"

namespace trainscope::whatif {

std::string Scenario::Describe() const {
  switch (kind) {
    case Kind::kScale:
      return fmt::format("{} x{}", op_class, factor);
    case Kind::kFixRank:
      return fmt::format("fix rank {}", value);
    case Kind::kFixStep:
      return fmt::format("fix step {}", value);
  }
  return "";
}

Result<Scenario> ParseScaleSyntax(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidArgumentError("--scale '{}': expected CLASS=FACTOR, e.g. comm=0.5", text);
  }
  Scenario s;
  s.kind = Scenario::Kind::kScale;
  s.op_class = text.substr(0, eq);
  const std::string number = text.substr(eq + 1);
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), s.factor);
  if (ec != std::errc() || ptr != number.data() + number.size() || !(s.factor >= 0) ||
      !std::isfinite(s.factor)) {
    return InvalidArgumentError("--scale '{}': factor must be a number >= 0", text);
  }
  return s;
}

Result<Scenario> ParseScaleScenario(const std::string& text) {
  TS_ASSIGN_OR_RETURN(Scenario s, ParseScaleSyntax(text));
  if (s.op_class != "compute" && s.op_class != "comm" && !ParseOpKind(s.op_class)) {
    return InvalidArgumentError(
        "--scale '{}': class must be compute, comm or an op kind (forward-compute, ...)", text);
  }
  return s;
}

Result<std::vector<ScenarioResult>> RunScenarios(const OpJob& job, const JobModel& model,
                                                 const std::vector<Scenario>& scenarios,
                                                 int threads) {
  const std::vector<int64_t> actual = model.ActualDurations(job);
  const std::vector<int64_t> ideal = IdealDurations(job, model);
  const size_t k = scenarios.size();
  std::vector<std::vector<int64_t>> overlay(k);
  std::vector<std::vector<int32_t>> rows(k);
  for (size_t s = 0; s < k; ++s) {
    const Scenario& sc = scenarios[s];
    if (sc.kind == Scenario::Kind::kFixRank &&
        std::find(model.worker_rank.begin(), model.worker_rank.end(), sc.value) ==
            model.worker_rank.end()) {
      return InvalidArgumentError("--fix-rank {}: no such rank in {}", sc.value, job.name);
    }
    if (sc.kind == Scenario::Kind::kFixStep &&
        std::find(model.steps.begin(), model.steps.end(), sc.value) == model.steps.end()) {
      return InvalidArgumentError("--fix-step {}: no such step in {}", sc.value, job.name);
    }
    const auto kind = ParseOpKind(sc.op_class);
    overlay[s] = sc.kind == Scenario::Kind::kScale ? actual : ideal;
    for (size_t i = 0; i < job.size(); ++i) {
      bool selected = false;
      switch (sc.kind) {
        case Scenario::Kind::kScale:
          selected = sc.op_class == "comm"      ? IsCommKind(job.kind[i])
                     : sc.op_class == "compute" ? !IsCommKind(job.kind[i])
                                                : job.kind[i] == *kind;
          if (selected) overlay[s][i] = std::llround(static_cast<double>(actual[i]) * sc.factor);
          break;
        case Scenario::Kind::kFixRank:
          selected = job.rank[i] == sc.value;
          break;
        case Scenario::Kind::kFixStep:
          selected = job.step[i] == sc.value;
          break;
      }
      if (selected) rows[s].push_back(static_cast<int32_t>(i));
    }
  }
  std::vector<std::vector<int64_t>> steps(k + 1);
  std::vector<ReplayTask> tasks = {{&actual, nullptr, nullptr, &steps[k]}};
  for (size_t s = 0; s < k; ++s) tasks.push_back({&actual, &overlay[s], &rows[s], &steps[s]});
  RunReplays(model.graph, tasks, threads);
  std::vector<ScenarioResult> out;
  const double baseline = MeanSeconds(steps[k]);
  for (size_t s = 0; s < k; ++s) {
    ScenarioResult r{scenarios[s].Describe(), baseline, MeanSeconds(steps[s]), 0, {}};
    r.speedup = baseline / r.scenario_s;
    for (int64_t t : steps[s]) r.step_s.push_back(static_cast<double>(t) * 1e-9);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace trainscope::whatif
