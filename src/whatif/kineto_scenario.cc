// SPDX-License-Identifier: Apache-2.0
// RunKinetoScenarios: scale / fix-rank / fix-step replays on a Kineto job (kineto_scenario.h).
#include "whatif/kineto_scenario.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "whatif/replay_batch.h"

namespace trainscope::whatif {
namespace {

// True when attribution group `group` belongs to scaling class `op_class`.
bool InClass(const std::string& group, const std::string& op_class) {
  if (op_class == "comm") return group.rfind("comm ", 0) == 0;
  return group == op_class || group == "comm " + op_class;
}

}  // namespace

Result<std::vector<ScenarioResult>> RunKinetoScenarios(const KinetoJobModel& m,
                                                       const KinetoWhatIfResult& r,
                                                       const std::vector<Scenario>& scenarios,
                                                       int threads) {
  const size_t count = scenarios.size();
  std::vector<std::vector<int64_t>> overlay(count, r.actual_ns), steps(count);
  std::vector<std::vector<int32_t>> rows(count);
  for (size_t k = 0; k < count; ++k) {
    const Scenario& sc = scenarios[k];
    int32_t worker = -1, step = -1;
    if (sc.kind == Scenario::Kind::kFixRank) {
      for (int32_t w = 0; w < m.num_workers(); ++w)
        if (m.ranks[w] == sc.value) worker = w;
      if (worker < 0) return InvalidArgumentError("--fix-rank {}: rank not in the trace", sc.value);
    } else if (sc.kind == Scenario::Kind::kFixStep) {
      for (int32_t s = 0; s < m.num_steps(); ++s)
        if (m.steps[s] == sc.value) step = s;
      if (step < 0) return InvalidArgumentError("--fix-step {}: step not simulated", sc.value);
    }
    for (int32_t i = 0; i < m.num_nodes(); ++i) {
      bool selected = false;
      switch (sc.kind) {
        case Scenario::Kind::kScale:
          selected = m.group[i] >= 0 && InClass(m.group_names[m.group[i]], sc.op_class);
          if (selected) {
            overlay[k][i] = std::llround(static_cast<double>(r.actual_ns[i]) * sc.factor);
          }
          break;
        case Scenario::Kind::kFixRank:
          selected = m.worker[i] == worker;
          break;
        case Scenario::Kind::kFixStep:
          selected = m.step_index[i] == step;
          break;
      }
      if (selected && sc.kind != Scenario::Kind::kScale) overlay[k][i] = r.ideal_ns[i];
      if (selected) rows[k].push_back(i);
    }
    if (sc.kind == Scenario::Kind::kScale && rows[k].empty()) {
      std::string classes = "comm";
      for (const std::string& g : m.group_names) classes += ", " + g;
      return InvalidArgumentError("--scale {}: no op of class '{}' in this job (classes: {})",
                                  sc.op_class, sc.op_class, classes);
    }
  }
  std::vector<ReplayTask> tasks;
  for (size_t k = 0; k < count; ++k)
    tasks.push_back({&r.actual_ns, &overlay[k], &rows[k], &steps[k]});
  RunReplays(m.graph, tasks, threads);
  double baseline = 0;
  for (double t : r.step_nodelay_s) baseline += t / static_cast<double>(r.step_nodelay_s.size());
  std::vector<ScenarioResult> out;
  for (size_t k = 0; k < count; ++k) {
    ScenarioResult sr;
    sr.name = scenarios[k].Describe();
    sr.baseline_s = baseline;
    sr.scenario_s = MeanSeconds(steps[k]);
    sr.speedup = sr.scenario_s > 0 ? baseline / sr.scenario_s : 0;
    for (int64_t t : steps[k]) sr.step_s.push_back(static_cast<double>(t) * 1e-9);
    out.push_back(std::move(sr));
  }
  return out;
}

}  // namespace trainscope::whatif
