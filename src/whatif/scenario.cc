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

namespace {

// True when node `i` belongs to scaling class `op_class`.
bool InClass(const ReplayModel& m, int32_t i, const std::string& op_class) {
  if (m.fixed[i] || m.group[i] < 0) return false;
  if (op_class == "comm") return m.role_of(i) == GroupRole::kComm;
  if (op_class == "compute") return m.role_of(i) == GroupRole::kCompute;
  const std::string& group = m.group_names[m.group[i]];
  if (group == op_class || group == "comm " + op_class) return true;
  return m.input == InputKind::kOpTable && m.class_names[m.ideal_class[i]] == op_class;
}

std::string ClassList(const ReplayModel& m) {
  std::string classes = "comm, compute";
  for (const std::string& g : m.group_names) classes += ", " + g;
  return classes;
}

// Rows the scenario changes, with their durations in `overlay`.
Result<std::vector<int32_t>> SelectRows(const ReplayModel& m, const WhatIfResult& r,
                                        const Scenario& sc, std::vector<int64_t>& overlay) {
  int32_t worker = -1, step = -1;
  if (sc.kind == Scenario::Kind::kFixRank) {
    for (int32_t w = 0; w < m.num_workers(); ++w)
      if (m.worker_rank[w] == sc.value) worker = w;
    if (worker < 0) return InvalidArgumentError("--fix-rank {}: no such rank in {}", sc.value, m.name);
  } else if (sc.kind == Scenario::Kind::kFixStep) {
    for (int32_t s = 0; s < m.num_steps(); ++s)
      if (m.steps[s] == sc.value) step = s;
    if (step < 0) {
      return InvalidArgumentError("--fix-step {}: no such step simulated in {}", sc.value, m.name);
    }
  }
  std::vector<int32_t> rows;
  // The replay adds durations on an int64 ns clock: a factor that takes the scaled ops past it
  // would wrap around and read as a speed-up (comm x1e30 came out 1.002x faster), so the sum of
  // every duration after scaling must stay below 2^62 ns (146 years).
  constexpr double kMaxTotalNs = 4.611686018427387904e18;
  double total_ns = 0;
  for (int64_t d : r.actual_ns) total_ns += static_cast<double>(d);
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    switch (sc.kind) {
      case Scenario::Kind::kScale: {
        if (!InClass(m, i, sc.op_class)) continue;
        const double scaled = static_cast<double>(r.actual_ns[i]) * sc.factor;
        total_ns += scaled - static_cast<double>(r.actual_ns[i]);
        if (!(total_ns < kMaxTotalNs)) {
          return OutOfRangeError(
              "--scale {}: the ops would add up to more than {:.3g} s (146 years), past what the "
              "replay's nanosecond clock holds; use a smaller factor",
              sc.Describe(), kMaxTotalNs * 1e-9);
        }
        overlay[i] = std::llround(scaled);
        break;
      }
      case Scenario::Kind::kFixRank:
        if (m.worker[i] != worker) continue;
        overlay[i] = r.ideal_ns[i];
        break;
      case Scenario::Kind::kFixStep:
        if (m.step_index[i] != step) continue;
        overlay[i] = r.ideal_ns[i];
        break;
    }
    rows.push_back(i);
  }
  if (sc.kind == Scenario::Kind::kScale && rows.empty()) {
    return InvalidArgumentError("--scale {}: no op of class '{}' in {} (classes: {})",
                                sc.Describe(), sc.op_class, m.name, ClassList(m));
  }
  return rows;
}

}  // namespace

Result<std::vector<ScenarioResult>> RunScenarios(const ReplayModel& m, const WhatIfResult& r,
                                                 const std::vector<Scenario>& scenarios,
                                                 int threads) {
  const size_t k = scenarios.size();
  std::vector<std::vector<int64_t>> overlay(k, r.actual_ns);
  std::vector<std::vector<int32_t>> rows(k);
  for (size_t s = 0; s < k; ++s) {
    TS_ASSIGN_OR_RETURN(rows[s], SelectRows(m, r, scenarios[s], overlay[s]));
  }
  std::vector<std::vector<int64_t>> steps(k + 1);
  std::vector<ReplayTask> tasks = {{&r.actual_ns, nullptr, nullptr, &steps[k]}};
  for (size_t s = 0; s < k; ++s) tasks.push_back({&r.actual_ns, &overlay[s], &rows[s], &steps[s]});
  RunReplays(m.graph, tasks, threads);
  std::vector<ScenarioResult> out;
  const double baseline = MeanSeconds(steps[k]);
  for (size_t s = 0; s < k; ++s) {
    ScenarioResult sr{scenarios[s].Describe(), baseline, MeanSeconds(steps[s]), 0, {}};
    sr.speedup = sr.scenario_s > 0 ? baseline / sr.scenario_s : 0;
    for (int64_t t : steps[s]) sr.step_s.push_back(static_cast<double>(t) * 1e-9);
    out.push_back(std::move(sr));
  }
  return out;
}

}  // namespace trainscope::whatif
