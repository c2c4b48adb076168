// SPDX-License-Identifier: Apache-2.0
// One Minder detection call on 15 min of 7 metrics for N machines (shipped models), with the
// raw-distance baseline (no VAE) timed in the same run: counter `ratio_to_raw`; `cpu_s` and
// `raw_cpu_s` are process CPU seconds over all threads (wall time on a shared 2-core machine
// depends on its load); the label names the kernels' instruction set. Also the time to train one
// metric's LSTM-VAE. The `_Smoke` case is what CI runs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>

#include "base/huge_buffer.h"
#include "minder/detector.h"
#include "minder/internal/kernels.h"
#include "minder/synth.h"
#include "minder/train.h"

namespace trainscope::minder {
namespace {

// Process-wide, as trainscope's main() sets it: freed memory stays in the heap.
[[maybe_unused]] const bool kFreedMemoryKept = (KeepFreedMemory(), true);

const ModelSet& Models() {
  static ModelSet* set = [] {
    auto loaded = ModelSet::Load(DefaultModelsDir());
    return loaded.ok() ? new ModelSet(std::move(loaded).value()) : nullptr;
  }();
  return *set;
}

const Grid& JobGrid(int machines, int seconds) {
  static std::map<std::pair<int, int>, std::unique_ptr<Grid>> cache;
  auto& slot = cache[{machines, seconds}];
  if (!slot) {
    model::MetricTable t;
    SynthesizeJob(SynthJobOptions{.machines = machines, .seconds = seconds, .seed = 9}, &t);
    slot = std::make_unique<Grid>(std::move(BuildGrid(t, GridOptions{}, nullptr)).value());
  }
  return *slot;
}

void RunDetect(benchmark::State& state, int machines, int seconds) {
  if (ModelSet::Load(DefaultModelsDir()).ok() == false) {
    state.SkipWithError("no models in models/minder");
    return;
  }
  const Grid& grid = JobGrid(machines, seconds);
  DetectOptions minder;
  minder.first_channel_decides = false;  // every channel scored: the worst case of one call
  DetectOptions raw = minder;
  raw.method = Method::kRawDistance;
  auto cpu_seconds = [](std::clock_t since) {
    return static_cast<double>(std::clock() - since) / CLOCKS_PER_SEC;
  };
  auto t0 = std::chrono::steady_clock::now();
  std::clock_t c0 = std::clock();
  benchmark::DoNotOptimize(Detect(grid, nullptr, raw));
  double raw_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double raw_cpu = cpu_seconds(c0);
  double total = 0, cpu = 0;
  int64_t n = 0;
  for (auto _ : state) {
    auto s = std::chrono::steady_clock::now();
    std::clock_t c = std::clock();
    auto det = Detect(grid, &Models(), minder);
    benchmark::DoNotOptimize(det);
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count();
    cpu += cpu_seconds(c);
    ++n;
  }
  const double runs = static_cast<double>(std::max<int64_t>(n, 1));
  state.counters["machines"] = machines;
  state.counters["raw_distance_s"] = raw_s;
  state.counters["ratio_to_raw"] = n > 0 ? (total / runs) / raw_s : 0;
  state.counters["cpu_s"] = cpu / runs;
  state.counters["raw_cpu_s"] = raw_cpu;
  state.SetLabel(internal::IsaName(internal::Isa::kAuto));
}

void BM_DetectCall(benchmark::State& state) { RunDetect(state, static_cast<int>(state.range(0)), 900); }
BENCHMARK(BM_DetectCall)->Arg(4)->Arg(128)->Arg(1024)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

void BM_DetectCall_Smoke(benchmark::State& state) { RunDetect(state, 4, 120); }
BENCHMARK(BM_DetectCall_Smoke)->Unit(benchmark::kMillisecond)->UseRealTime();

// Training one metric's model on 10,000 windows (30 epochs max), vs one epoch as the baseline.
void BM_TrainMetric(benchmark::State& state) {
  const Grid& grid = JobGrid(8, 1800);
  Grid g = grid;
  for (Channel& ch : g.channels) {
    FitBounds(&ch);
    Normalise(&ch);
  }
  Eigen::MatrixXd windows = HealthyWindows(g, 2, 1);
  VaeTrainOptions one;
  one.max_epochs = 1;
  LstmVae base;
  base.Initialize(1);
  auto t0 = std::chrono::steady_clock::now();
  base.Train(windows, one);
  double epoch_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  VaeTrainReport report;
  for (auto _ : state) {
    LstmVae vae;
    vae.Initialize(1);
    report = vae.Train(windows, VaeTrainOptions{});
  }
  state.counters["epochs"] = report.epochs;
  state.counters["mse"] = report.final_mse;
  state.counters["ratio_to_one_epoch"] = report.seconds / epoch_s;
}
BENCHMARK(BM_TrainMetric)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace trainscope::minder

BENCHMARK_MAIN();
