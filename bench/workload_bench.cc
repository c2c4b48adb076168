// SPDX-License-Identifier: Apache-2.0
// Plan throughput. Baseline: one prediction from scratch (a fresh Planner, so the step graph is
// built and compiled every time). Candidate: a layout sweep through one Planner (graphs reused
// by pipeline shape). Both on the GPT-3 175B preset, one thread; counters: configs/s and the
// sweep's per-config speed-up over the single prediction measured in the same run.
// Floor (issue 6): >= 10,000 configs/s for the sweep.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "workload/config_io.h"
#include "workload/predictor.h"
#include "workload/sweep.h"

namespace trainscope::workload {
namespace {

JobConfig Preset175b() {
  Result<JobConfig> job = LoadPreset("gpt3-175b");
  if (!job.ok()) {
    std::fprintf(stderr, "%s\n", job.error().ToString().c_str());
    std::abort();
  }
  return *job;
}

void BM_PlanSingle(benchmark::State& state) {
  const JobConfig job = Preset175b();
  for (auto _ : state) {
    Result<Prediction> p = Predict(job);
    benchmark::DoNotOptimize(p);
  }
  state.counters["configs_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void RunSweep(benchmark::State& state, const std::vector<SweepAxis>& axes) {
  const JobConfig job = Preset175b();
  // Baseline in the same run: time single predictions first.
  const auto t0 = std::chrono::steady_clock::now();
  const int single_runs = 20;
  for (int i = 0; i < single_runs; ++i) benchmark::DoNotOptimize(Predict(job));
  const double single_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / single_runs;
  Planner planner;
  int64_t configs = 0, fitting = 0, predicted = 0;
  for (auto _ : state) {
    Result<SweepResult> r = Sweep(job, axes, planner);
    configs += r->evaluated;
    fitting += r->fitting;
    for (const SweepEntry& e : r->entries) predicted += e.valid ? 1 : 0;
  }
  state.counters["configs_per_s"] =
      benchmark::Counter(static_cast<double>(configs), benchmark::Counter::kIsRate);
  // Layouts that passed validation and were fully predicted (the rest are rejected early).
  state.counters["predicted_per_s"] =
      benchmark::Counter(static_cast<double>(predicted), benchmark::Counter::kIsRate);
  state.counters["single_configs_per_s"] = 1.0 / single_s;
  state.counters["fitting_per_sweep"] =
      static_cast<double>(fitting) / static_cast<double>(state.iterations());
  state.counters["layouts_per_sweep"] =
      static_cast<double>(configs) / static_cast<double>(state.iterations());
}

void BM_PlanSweep(benchmark::State& state) {
  RunSweep(state, {{"tp", {1, 2, 4, 8}}, {"pp", {1, 2, 4, 8, 16}}, {"vpp", {1, 2, 3}},
                   {"mb", {1, 2}}, {"gpus", {64, 128, 256, 512}}});
}

void BM_PlanSweep_Smoke(benchmark::State& state) {
  RunSweep(state, {{"tp", {4, 8}}, {"pp", {8}}});
}

BENCHMARK(BM_PlanSingle)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PlanSweep)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlanSweep_Smoke)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace trainscope::workload

BENCHMARK_MAIN();
