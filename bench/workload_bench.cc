// SPDX-License-Identifier: Apache-2.0
// Plan throughput. Baseline: one prediction from scratch (a fresh Planner, so the step graph is
// built and compiled every time). Candidate: a layout sweep through one Planner (graphs reused
// by pipeline shape). Both on the GPT-3 175B preset, one thread; counters: configs/s and the
// sweep's per-config speed-up over the single prediction measured in the same run.
// Floor (issue 6): >= 10,000 configs/s for the sweep. Measured figures, against the previous
// commit's in the same session: docs/workload.md, Layout sweep.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "workload/config_io.h"
#include "workload/layout.h"
#include "workload/pipeline_replay.h"
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

std::vector<SweepAxis> Axes(std::initializer_list<const char*> texts) {
  std::vector<SweepAxis> axes;
  for (const char* text : texts) {
    Result<SweepAxis> axis = ParseSweepAxis(text);
    if (!axis.ok()) std::abort();
    axes.push_back(*axis);
  }
  return axes;
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
  RunSweep(state,
           Axes({"tp=1,2,4,8", "pp=1,2,4,8,16", "vpp=1,2,3", "mb=1,2", "gpus=64,128,256,512"}));
}

void BM_PlanSweep_Smoke(benchmark::State& state) { RunSweep(state, Axes({"tp=4,8", "pp=8"})); }

// Issue 19 item 6: realistic batches (gpt3-175b at global batch 6,144; llama3-405b at its
// 2,048). Baseline in the same run: the first 24 layouts of the sweep, each predicted by a fresh
// Planner replaying the whole step graph (the path before the steady-state replay).
void RunBigSweep(benchmark::State& state, const char* preset, int64_t global_batch,
                 const std::vector<SweepAxis>& axes) {
  Result<JobConfig> loaded = LoadPreset(preset);
  if (!loaded.ok()) std::abort();
  JobConfig job = *loaded;
  job.training.global_batch = global_batch;
  Planner probe;
  Result<SweepResult> first = Sweep(job, axes, probe);
  if (!first.ok()) std::abort();
  const auto t0 = std::chrono::steady_clock::now();
  int baseline_configs = 0;
  for (const SweepEntry& e : first->entries) {
    if (baseline_configs >= 24) break;
    JobConfig one = job;
    // Re-apply the layout string "tp=4 pp=8 ...".
    for (const SweepAxis& axis : axes) {
      const size_t at = e.layout.find(axis.name + "=");
      SetLayoutKnob(axis.name, std::atoi(e.layout.c_str() + at + axis.name.size() + 1), &one);
    }
    Planner full;
    full.set_full_replay(true);
    benchmark::DoNotOptimize(full.Predict(one));
    ++baseline_configs;
  }
  const double baseline_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
      baseline_configs;
  int64_t configs = 0;
  const auto t_sweep = std::chrono::steady_clock::now();
  for (auto _ : state) {
    Planner planner;  // fresh, as `trainscope plan --sweep` starts: graph builds included
    Result<SweepResult> r = Sweep(job, axes, planner, static_cast<int>(state.range(0)));
    configs += r->evaluated;
  }
  // Wall-clock rate (the sweep's own threads are not in the main thread's CPU time).
  const double sweep_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_sweep).count();
  state.counters["configs_per_s"] = static_cast<double>(configs) / sweep_s;
  state.counters["full_replay_configs_per_s"] = 1.0 / baseline_s;
  state.counters["layouts_per_sweep"] =
      static_cast<double>(configs) / static_cast<double>(state.iterations());
}

void BM_PlanSweep_175b_Batch6144(benchmark::State& state) {
  RunBigSweep(state, "gpt3-175b", 6144,
              Axes({"tp=1,2,4,8", "pp=1,2,4,8,16", "vpp=1,2,3", "mb=1,2", "gpus=64,128,256,512"}));
}

void BM_PlanSweep_405b(benchmark::State& state) {
  RunBigSweep(state, "llama3-405b", 2048,
              Axes({"tp=4,8", "pp=8,16", "vpp=1,2,4", "mb=1,2", "gpus=2048,4096,8192"}));
}

// One short step replayed whole (interleaved, pp 16, vpp 4, 128 microbatches: the longest of the
// llama3-405b sweep), with uneven stage costs. Arg 0: graph-free (pipeline_replay.h); arg 1:
// the step graph built and replayed (the path before, each distinct step built once per sweep);
// arg 2: the prebuilt graph replayed only (what a sweep pays when a step repeats).
void BM_ShortStepReplay(benchmark::State& state) {
  const StepShape shape{16, 4, 128, 1, true};
  const OpDuration dur = [](const StepOp& op) {
    if (op.type == StepOpType::kForward) return 1e-3 * (1 + 0.01 * op.stage);
    if (op.type == StepOpType::kBackward) return 2e-3 * (1 + 0.01 * op.stage);
    return op.noop ? 0.0 : 1e-5;
  };
  MegatronStepReplay graph_free;
  Result<StepGraph> prebuilt = BuildStepGraph(shape);
  if (!prebuilt.ok()) std::abort();
  StepReplayer prebuilt_replayer(*prebuilt);
  int64_t step_ns = 0;
  for (auto _ : state) {
    if (state.range(0) == 0) {
      step_ns = graph_free.Run(shape, dur)->step_ns;
    } else if (state.range(0) == 1) {
      Result<StepGraph> graph = BuildStepGraph(shape);
      StepReplayer replayer(*graph);
      step_ns = replayer.Run(dur, shape.microbatches).step_ns;
    } else {
      step_ns = prebuilt_replayer.Run(dur, shape.microbatches).step_ns;
    }
    benchmark::DoNotOptimize(step_ns);
  }
  state.counters["step_ms"] = static_cast<double>(step_ns) * 1e-6;
  state.counters["slots"] = 2.0 * shape.pp * shape.vpp * shape.microbatches;
}

BENCHMARK(BM_PlanSingle)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ShortStepReplay)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PlanSweep)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlanSweep_Smoke)->Unit(benchmark::kMillisecond);
// Arg: sweep threads (1, and 2 = the 2 cores the floor names).
BENCHMARK(BM_PlanSweep_175b_Batch6144)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_PlanSweep_405b)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace trainscope::workload

BENCHMARK_MAIN();
