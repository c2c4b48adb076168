// SPDX-License-Identifier: Apache-2.0
// What-if benchmarks. Baseline measured in the same run: one replay of the job's dependency
// graph (the validation replay: actual durations and launch delays). Cases: replay throughput on
// bytedance-wia-AR (ops/s per core), the full AR analysis end to end from the CSV on one thread
// (reported as multiples of one replay), the full analysis of a generated 1,024-worker, 50-step
// job (same counters), and tiny synthetic `_Smoke` cases for CI. BM_WhatIfVsArtifact times the
// authors' whole pipeline (OSDI'25 artifact: wia.py, compute_ms.py, compute_mw.py) against the
// `trainscope whatif` process on AR, ST and SE, through bench/artifact_pipeline.py (alternating
// pairs, same S checked); it needs TS_WIA_ARTIFACT=<checkout of ByteDance-Seed/StragglerAnalysis>
// and python3-pandas, and skips with the reason otherwise. Issue 17's floor: 50x on AR.
#include <ctime>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "base/cpu_time.h"
#include "graph/simulator.h"
#include "ingest/optable/op_table_reader.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/megatron_model.h"
#include "whatif/synthetic_job.h"

namespace trainscope::whatif {
namespace {

const std::string kArDir = std::string(TS_DATA_DIR) + "/traces/bytedance-wia-AR";

struct Loaded {
  OpJob job;
  ReplayModel model;
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

// CPU seconds per validation replay of `job` (actual durations and launch delays; mean of `reps`
// runs after one warm-up).
double SecondsPerReplay(const ReplayModel& model, int reps) {
  graph::Simulator sim(model.graph);
  const std::vector<int64_t> dur = model.transfer_ns;
  std::vector<int64_t> step_end(model.num_steps());
  sim.Run(dur, model.launch_delay_ns, step_end);
  const double t0 = ProcessCpuSeconds();
  for (int k = 0; k < reps; ++k) {
    sim.Run(dur, model.launch_delay_ns, step_end);
    benchmark::DoNotOptimize(step_end.data());
  }
  return (ProcessCpuSeconds() - t0) / reps;
}

void BM_WhatIfReplayAR(benchmark::State& state) {
  static std::unique_ptr<Loaded> ar = Load(kArDir);
  if (!ar) {
    state.SkipWithError("bytedance-wia-AR absent or unreadable");
    return;
  }
  graph::Simulator sim(ar->model.graph);
  std::vector<int64_t> dur = ar->model.transfer_ns;
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
  if (!ar) {
    state.SkipWithError("bytedance-wia-AR unreadable");
    return;
  }
  const double replay_s = SecondsPerReplay(ar->model, 200);
  AnalysisOptions options;
  options.threads = 1;
  int64_t sims = 0;
  double t_read = 0, t_model = 0, t_analysis = 0, t_cause = 0;
  for (auto _ : state) {
    const double t0 = ProcessCpuSeconds();
    auto table = ingest::ReadOpTable(kArDir);
    auto job = OpJobFromTable(std::move(*table));
    const double t1 = ProcessCpuSeconds();
    auto model = BuildMegatronModel(*job);
    const double t2 = ProcessCpuSeconds();
    auto result = AnalyzeWhatIf(*model, options);
    const double t3 = ProcessCpuSeconds();
    Cause cause = ClassifyCause(*model, *result, 1);
    const double t4 = ProcessCpuSeconds();
    benchmark::DoNotOptimize(cause.pattern);
    sims = result->simulations;
    t_read += t1 - t0, t_model += t2 - t1, t_analysis += t3 - t2, t_cause += t4 - t3;
  }
  const double n = static_cast<double>(state.iterations());
  const double total = (t_read + t_model + t_analysis + t_cause) / n;
  state.counters["replay_ms"] = replay_s * 1e3;
  state.counters["read_ms"] = t_read / n * 1e3;
  state.counters["model_ms"] = t_model / n * 1e3;
  state.counters["analysis_ms"] = t_analysis / n * 1e3;
  state.counters["cause_ms"] = t_cause / n * 1e3;
  state.counters["total_ms"] = total * 1e3;
  state.counters["simulations"] = static_cast<double>(sims);
  // The whole run and the analysis alone as multiples of one replay (the in-run baseline).
  state.counters["x_one_replay"] = total / replay_s;
  state.counters["analysis_x_replay"] = t_analysis / n / replay_s;
}
BENCHMARK(BM_WhatIfFullAnalysisAR)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// A generated 1F1B job: DP x PP workers, `steps` steps, 8 microbatches, noise and one slow worker.
std::unique_ptr<Loaded> Generate(int32_t dp, int32_t pp, int32_t steps) {
  SyntheticJobSpec spec;
  spec.dp = dp, spec.pp = pp, spec.microbatches = 8, spec.steps = steps;
  spec.op_noise = 0.1, spec.microbatch_noise = 0.2, spec.gc_ns = 1'000'000;
  spec.worker_factor.assign(static_cast<size_t>(dp) * pp, 1.0);
  spec.worker_factor[static_cast<size_t>(dp / 2) * pp + 1] = 1.5;
  auto job = GenerateSyntheticJob(spec);
  if (!job) return nullptr;
  auto model = BuildMegatronModel(*job);
  if (!model) return nullptr;
  return std::make_unique<Loaded>(Loaded{std::move(*job), std::move(*model)});
}

// Model build + AnalyzeWhatIf (validation, ideal, every attribution replay, M_W / M_S) + the
// cause classifier (one replay per worker) on one thread, from a generated job in memory.
void FullAnalysisOfGenerated(benchmark::State& state, const Loaded& loaded) {
  const double replay_s = SecondsPerReplay(loaded.model, 3);
  AnalysisOptions options;
  options.threads = 1;
  int64_t sims = 0;
  double t_model = 0, t_analysis = 0, t_cause = 0;
  for (auto _ : state) {
    const double t0 = ProcessCpuSeconds();
    auto model = BuildMegatronModel(loaded.job);
    const double t1 = ProcessCpuSeconds();
    auto result = AnalyzeWhatIf(*model, options);
    const double t2 = ProcessCpuSeconds();
    Cause cause = ClassifyCause(*model, *result, 1);
    const double t3 = ProcessCpuSeconds();
    benchmark::DoNotOptimize(cause.pattern);
    sims = result->simulations;
    t_model += t1 - t0, t_analysis += t2 - t1, t_cause += t3 - t2;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["ops"] = static_cast<double>(loaded.job.size());
  state.counters["workers"] = static_cast<double>(loaded.model.num_workers());
  state.counters["replay_ms"] = replay_s * 1e3;
  state.counters["replay_ops_per_s"] = static_cast<double>(loaded.job.size()) / replay_s;
  state.counters["model_ms"] = t_model / n * 1e3;
  state.counters["analysis_ms"] = t_analysis / n * 1e3;
  state.counters["cause_ms"] = t_cause / n * 1e3;
  state.counters["simulations"] = static_cast<double>(sims);
  state.counters["analysis_x_replay"] = t_analysis / n / replay_s;
  state.counters["x_one_replay"] = (t_model + t_analysis + t_cause) / n / replay_s;
}

void BM_WhatIfFullAnalysis1024Workers(benchmark::State& state) {
  static std::unique_ptr<Loaded> job = Generate(256, 4, 50);  // 1,024 workers, 50 steps
  if (!job) {
    state.SkipWithError("generating the job failed");
    return;
  }
  FullAnalysisOfGenerated(state, *job);
}
BENCHMARK(BM_WhatIfFullAnalysis1024Workers)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->Iterations(1);

void BM_WhatIfFullAnalysis_Smoke(benchmark::State& state) {
  static std::unique_ptr<Loaded> job = Generate(4, 4, 2);
  if (!job) {
    state.SkipWithError("generating the job failed");
    return;
  }
  FullAnalysisOfGenerated(state, *job);
}
BENCHMARK(BM_WhatIfFullAnalysis_Smoke)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

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

// ---- The authors' pipeline against trainscope, as whole processes ----

// Nanoseconds as exact decimal seconds ("-0.000001500").
std::string Seconds(int64_t ns) {
  const uint64_t abs = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  return fmt::format("{}{}.{:09}", ns < 0 ? "-" : "", abs / 1000000000, abs % 1000000000);
}

// The folder of trial `name` with meta-<name>.yaml and trace-<name>.csv.gz: the shared data's
// copy (AR, ST) or, for tables the artifact ships only as Parquet (SE), a CSV written here from
// trainscope's own Parquet read (the artifact's scripts are run on it through a pickle, as Debian
// has no pyarrow). Empty with `why` set when it cannot be had.
std::string TrialFolder(const std::string& name, const std::string& artifact, std::string* why) {
  const std::string shared = std::string(TS_DATA_DIR) + "/traces/bytedance-wia-" + name;
  if (std::filesystem::exists(shared + "/trace-" + name + ".csv.gz")) return shared;
  const std::string parquet = artifact + "/data/trace-" + name + ".parquet";
  const std::string meta = artifact + "/data/meta-" + name + ".yaml";
  if (!std::filesystem::exists(parquet) || !std::filesystem::exists(meta)) {
    *why = fmt::format("no trace-{0}.csv.gz in {1} nor {2}", name, shared, parquet);
    return "";
  }
  const auto dir = std::filesystem::temp_directory_path() / ("ts-wia-" + name);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(meta, dir / ("meta-" + name + ".yaml"),
                             std::filesystem::copy_options::overwrite_existing);
  auto table = ingest::ReadOpTable(parquet);
  if (!table) {
    *why = table.status().message();
    return "";
  }
  std::ofstream csv(dir / ("trace-" + name + ".csv"));
  csv << "dp_rank,stage,rank,step,optype,start_ts,duration,seq_id,mc,mb_id,gmc\n";
  for (size_t i = 0; i < table->size(); ++i) {
    csv << fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", table->dp_rank[i], table->stage[i],
                       table->rank[i], table->step[i], table->optype_names[table->optype[i]],
                       Seconds(table->start_ns[i]), Seconds(table->dur_ns[i]), table->seq_id[i],
                       table->mc[i], table->mb_id[i], table->gmc[i]);
  }
  return dir.string();
}

// One figure from the driver's one-line JSON ({"ratio": 51.2, ...}).
double JsonNumber(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  return at == std::string::npos ? -1 : std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

void BM_WhatIfVsArtifact(benchmark::State& state, const std::string& name) {
  const char* artifact = std::getenv("TS_WIA_ARTIFACT");
  if (artifact == nullptr || !std::filesystem::exists(std::string(artifact) + "/analyzer/wia.py")) {
    state.SkipWithError(
        "set TS_WIA_ARTIFACT to a checkout of github.com/ByteDance-Seed/StragglerAnalysis");
    return;
  }
  if (std::system("/usr/bin/python3 -c 'import pandas, scipy, yaml' >/dev/null 2>&1") != 0) {
    state.SkipWithError(
        "/usr/bin/python3 lacks pandas/scipy/yaml (python3-pandas python3-scipy "
        "python3-yaml)");
    return;
  }
  std::string why;
  const std::string folder = TrialFolder(name, artifact, &why);
  if (folder.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  // trainscope reads the shared folder (Parquet and CSV: it picks the Parquet copy) when there is
  // one, else the folder written above.
  const std::string shared = std::string(TS_DATA_DIR) + "/traces/bytedance-wia-" + name;
  const std::string ours = std::filesystem::exists(shared) ? shared : folder;
  const std::string command = fmt::format(
      "/usr/bin/python3 {} --json --runs 5 --trainscope {} --traces {} --trainscope-input {} "
      "--artifact {}",
      TS_ARTIFACT_DRIVER, TS_TRAINSCOPE_BIN, folder, ours, artifact);
  std::string output;
  for (auto _ : state) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), &pclose);
    char buffer[4096];
    output.clear();
    while (pipe && std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) output += buffer;
  }
  const double ratio = JsonNumber(output, "ratio");
  if (ratio <= 0) {
    state.SkipWithError(("artifact_pipeline.py: " + output).c_str());
    return;
  }
  state.counters["artifact_s"] = JsonNumber(output, "artifact_s");
  state.counters["trainscope_s"] = JsonNumber(output, "trainscope_s");
  state.counters["ratio"] = ratio;
  state.counters["ratio_min"] = JsonNumber(output, "ratio_min");
  state.counters["slowdown"] = JsonNumber(output, "slowdown");
}
BENCHMARK_CAPTURE(BM_WhatIfVsArtifact, AR, std::string("AR"))
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_WhatIfVsArtifact, ST, std::string("ST"))
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_WhatIfVsArtifact, SE, std::string("SE"))
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

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
