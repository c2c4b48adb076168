// SPDX-License-Identifier: Apache-2.0
// Synthesis size and time per rank-step (issue 18 item 4). Baseline: the same job simulated with
// no output written (the step timelines alone). Candidate: Kineto rank files for a detail window
// (one step of 64 ranks of Seaweed-7B's 1,024), the op table and metrics skipped. Counters:
// bytes and milliseconds per rank-step written; compare the two times of one run for what
// writing the window adds to simulating the job.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "workload/config_io.h"
#include "workload/synth.h"

namespace trainscope::workload {
namespace {

constexpr int kSteps = 2, kWindowRanks = 64;

JobConfig Seaweed() {
  Result<JobConfig> job = LoadPreset("seaweed7b");
  if (!job.ok()) {
    std::fprintf(stderr, "%s\n", job.error().ToString().c_str());
    std::abort();
  }
  return *job;
}

std::string TempDir() {
  std::string dir = (std::filesystem::temp_directory_path() / "ts-synth-bench-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) std::abort();
  return dir;
}

double Run(const JobConfig& job, SynthOptions options) {
  Result<SynthSummary> s = Synthesize(job, options);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().ToString().c_str());
    std::abort();
  }
  return s->mean_step_s;
}

void BM_SynthSimulateOnly(benchmark::State& state) {
  const JobConfig job = Seaweed();
  const std::string dir = TempDir();
  SynthOptions o;
  o.steps = kSteps;
  o.out_dir = dir;
  o.write_kineto = o.write_metrics = o.write_op_table = false;
  for (auto _ : state) benchmark::DoNotOptimize(Run(job, o));
  std::filesystem::remove_all(dir);
}

void BM_SynthKinetoWindow(benchmark::State& state) {
  const JobConfig job = Seaweed();
  const std::string dir = TempDir();
  SynthOptions o;
  o.steps = kSteps;
  o.out_dir = dir;
  o.write_metrics = o.write_op_table = false;
  o.detail_first_step = 1;
  o.detail_steps = 1;
  for (int r = 0; r < kWindowRanks; ++r) o.detail_ranks.push_back(r);
  uintmax_t bytes = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto begin = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(Run(job, o));
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    state.PauseTiming();
    bytes = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) bytes += e.file_size();
    state.ResumeTiming();
  }
  const double rank_steps = kWindowRanks;
  state.counters["bytes_per_rank_step"] = static_cast<double>(bytes) / rank_steps;
  state.counters["rank_steps"] = rank_steps;
  state.counters["ms_per_rank_step"] =
      seconds * 1e3 / static_cast<double>(std::max<int64_t>(1, state.iterations())) / rank_steps;
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_SynthSimulateOnly)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SynthKinetoWindow)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace trainscope::workload

BENCHMARK_MAIN();
