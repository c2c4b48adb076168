// SPDX-License-Identifier: Apache-2.0
// What-if benchmarks. Baseline measured in the same run: one replay of the job's dependency
// graph. Cases: replay throughput on bytedance-wia-AR (ops/s per core), the full AR analysis end to
// end from the CSV on one thread (reported as multiples of one replay), and a tiny synthetic
// `_Smoke` case for CI.
#include <ctime>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>

#include "graph/simulator.h"
#include "ingest/optable/op_table_reader.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/megatron_model.h"

namespace trainscope::whatif {
namespace {

const std::string kArDir = std::string(TS_DATA_DIR) + "/traces/bytedance-wia-AR";

struct Loaded {
  OpJob job;
  JobModel model;
};

std::unique_ptr<Loaded> Load(const std::string& dir) {
  auto table = ingest::ReadOpTable(dir);
  if (!table) return nullptr;
  auto job = OpJobFromTable(std::move(*table));
  if (!job) return nullptr;
  auto model = BuildMegatronModel(*job);
  if (!model) return nullptr;
  return std::make_unique<Loaded>(Loaded{std::move(*job), std::move(*model)});
}

// Seconds per replay of `model` (median-free mean of `reps` runs).
double SecondsPerReplay(const JobModel& model, const std::vector<int64_t>& dur, int reps) {
  graph::Simulator sim(model.graph);
  std::vector<int64_t> step_end(model.num_steps());
  sim.Run(dur, {}, step_end);
  timespec a, b;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);  // CPU time: comparable with the phases below
  for (int k = 0; k < reps; ++k) {
    sim.Run(dur, {}, step_end);
    benchmark::DoNotOptimize(step_end.data());
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  return (static_cast<double>(b.tv_sec - a.tv_sec) +
          static_cast<double>(b.tv_nsec - a.tv_nsec) * 1e-9) /
         reps;
}

void BM_WhatIfReplayAR(benchmark::State& state) {
  static std::unique_ptr<Loaded> ar = Load(kArDir);
  if (!ar) {
    state.SkipWithError("bytedance-wia-AR absent or unreadable");
    return;
  }
  graph::Simulator sim(ar->model.graph);
  std::vector<int64_t> dur = ar->model.ActualDurations(ar->job);
  std::vector<int64_t> step_end(ar->model.num_steps());
  for (auto _ : state) {
    sim.Run(dur, {}, step_end);
    benchmark::DoNotOptimize(step_end.data());
  }
  state.counters["ops_per_s"] = benchmark::Counter(
      static_cast<double>(ar->job.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WhatIfReplayAR)->Unit(benchmark::kMillisecond);

void BM_WhatIfFullAnalysisAR(benchmark::State& state) {
  if (!std::filesystem::exists(kArDir)) {
    state.SkipWithError("bytedance-wia-AR absent");
    return;
  }
  std::unique_ptr<Loaded> ar = Load(kArDir);
  const double replay_s = SecondsPerReplay(ar->model, ar->model.ActualDurations(ar->job), 50);
  AnalysisOptions options;
  options.threads = 1;
  int64_t sims = 0;
  double t_read = 0, t_model = 0, t_analysis = 0, t_cause = 0;
  // Phases in process CPU time (the machine may be shared; one thread runs the analysis).
  struct Clock {
    static double now() {
      timespec ts;
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
      return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }
  };
  auto secs = [](double a, double b) { return b - a; };
  for (auto _ : state) {
    auto t0 = Clock::now();
    auto table = ingest::ReadOpTable(kArDir);
    auto job = OpJobFromTable(std::move(*table));
    auto t1 = Clock::now();
    auto model = BuildMegatronModel(*job);
    auto t2 = Clock::now();
    auto result = AnalyzeWhatIf(*job, *model, options);
    auto t3 = Clock::now();
    Cause cause = ClassifyCause(*job, *model, *result, 1);
    auto t4 = Clock::now();
    benchmark::DoNotOptimize(cause.pattern);
    sims = result->simulations + static_cast<int64_t>(cause.cell_slowdown.size());
    t_read += secs(t0, t1), t_model += secs(t1, t2), t_analysis += secs(t2, t3),
        t_cause += secs(t3, t4);
  }
  const double n = static_cast<double>(state.iterations());
  const double total = (t_read + t_model + t_analysis + t_cause) / n;
  state.counters["replay_ms"] = replay_s * 1e3;
  state.counters["read_ms"] = t_read / n * 1e3;
  state.counters["model_ms"] = t_model / n * 1e3;
  state.counters["analysis_ms"] = t_analysis / n * 1e3;
  state.counters["cause_ms"] = t_cause / n * 1e3;
  state.counters["simulations"] = static_cast<double>(sims);
  // The whole analysis as a multiple of one replay (the in-run baseline).
  state.counters["x_one_replay"] = total / replay_s;
}
BENCHMARK(BM_WhatIfFullAnalysisAR)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// Model construction alone (template, instantiation, graph checks and compilation) on AR.
void BM_WhatIfModelAR(benchmark::State& state) {
  static std::unique_ptr<Loaded> ar = Load(kArDir);
  if (!ar) {
    state.SkipWithError("bytedance-wia-AR absent or unreadable");
    return;
  }
  for (auto _ : state) {
    auto model = BuildMegatronModel(ar->job);
    benchmark::DoNotOptimize(model->graph.num_edges());
  }
  state.counters["edges"] = static_cast<double>(ar->model.graph.num_edges());
}
BENCHMARK(BM_WhatIfModelAR)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// Tiny synthetic graph: 64 workers x 32 ops in chains, a collective every 8 ops.
void BM_WhatIfReplay_Smoke(benchmark::State& state) {
  graph::GraphBuilder b;
  const int workers = 64, len = 32;
  for (int w = 0; w < workers; ++w)
    for (int k = 0; k < len; ++k) {
      graph::NodeId n = b.AddNode(w, 0, 0);
      if (k > 0) b.AddEdge(n - 1, n);
    }
  for (int k = 7; k < len; k += 8) {
    std::vector<graph::NodeId> members;
    for (int w = 0; w < workers; ++w) members.push_back(w * len + k);
    b.AddCollective(members);
  }
  auto g = b.Build();
  if (!g) {
    state.SkipWithError("graph build failed");
    return;
  }
  graph::Simulator sim(*g);
  std::vector<int64_t> dur(g->num_nodes());
  for (size_t i = 0; i < dur.size(); ++i) dur[i] = static_cast<int64_t>(1000 + (i * 7919) % 500);
  std::vector<int64_t> step_end(1);
  for (auto _ : state) {
    sim.Run(dur, {}, step_end);
    benchmark::DoNotOptimize(step_end.data());
  }
  state.counters["ops_per_s"] =
      benchmark::Counter(static_cast<double>(dur.size()) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WhatIfReplay_Smoke);

}  // namespace
}  // namespace trainscope::whatif

// Like the CLI command: keep freed memory in the heap instead of returning it to the kernel, so
// repeated large temporaries do not pay first-touch page faults again.
int main(int argc, char** argv) {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
