// SPDX-License-Identifier: Apache-2.0
// One `trainscope minder detect` call, end to end, on a healthy lock-step job written as a long
// CSV.gz (SynthesizeJob, 7 Minder metrics, time-major rows, values as `{:.6g}`, gzip level 6 like
// `gzip`): N = 1,024 machines x 900 s is 62 MB of CSV, 12.5 MB of gzip. Baseline measured in the
// same run: `zcat FILE > /dev/null` on the same file, the two commands alternated. Counters:
// min and median wall seconds of both and `ratio` = median detect / median zcat (the floor is
// 3); `ratio_min` the smallest pairwise ratio. The files are made on first use under /tmp.
// BM_DetectStages times the stages of the same call in this process (read + parse + rates,
// name mapping, grid, detection) to show where the time goes.
// Run: build/bench/minder_call_bench --benchmark_filter=DetectCommand/1024
#include <benchmark/benchmark.h>
#include <fmt/core.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "base/huge_buffer.h"
#include "ingest/metrics/metric_readers.h"
#include "minder/detector.h"
#include "minder/model_set.h"
#include "minder/replay.h"
#include "minder/synth.h"
#include "model/metric_names.h"

#ifndef TS_TRAINSCOPE_BIN
#define TS_TRAINSCOPE_BIN "trainscope"
#endif

namespace trainscope::minder {
namespace {

// Process-wide, as trainscope's main() sets it: freed memory stays in the heap.
[[maybe_unused]] const bool kFreedMemoryKept = (KeepFreedMemory(), true);

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Writes the job's long CSV.gz once (time-major: every machine's row of one second, then the
// next second, as a Prometheus dump would be exported) and returns its path.
std::string JobFile(int machines, int seconds) {
  const fs::path dir = fs::temp_directory_path() / "trainscope-bench";
  const fs::path path = dir / fmt::format("minder-{}x{}.csv.gz", machines, seconds);
  if (fs::exists(path)) return path.string();
  fs::create_directories(dir);
  model::MetricTable t;
  SynthesizeJob(SynthJobOptions{.machines = machines, .seconds = seconds, .seed = 9}, &t);
  const int metrics = t.metrics().size();  // 7; SynthesizeJob appends them per (machine, second)
  const fs::path tmp = path.string() + ".tmp";
  gzFile gz = gzopen(tmp.c_str(), "wb6");
  if (gz == nullptr) return {};
  std::string out = "timestamp,machine";
  for (const std::string& m : t.metrics().names()) out += "," + m;
  out += '\n';
  for (int s = 0; s < seconds; ++s) {
    for (int m = 0; m < machines; ++m) {
      const size_t row =
          (static_cast<size_t>(m) * static_cast<size_t>(seconds) + static_cast<size_t>(s)) *
          static_cast<size_t>(metrics);
      out += fmt::format("{},{}", t.ts()[row] / model::kNanosPerSecond,
                         t.machines().Name(t.machine()[row]));
      for (int k = 0; k < metrics; ++k)
        out += fmt::format(",{:.5g}", t.value()[row + static_cast<size_t>(k)]);
      out += '\n';
    }
    if (out.size() > (1u << 20)) {
      gzwrite(gz, out.data(), static_cast<unsigned>(out.size()));
      out.clear();
    }
  }
  gzwrite(gz, out.data(), static_cast<unsigned>(out.size()));
  gzclose(gz);
  fs::rename(tmp, path);
  return path.string();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t k = v.size() / 2;
  return v.size() % 2 == 1 ? v[k] : 0.5 * (v[k - 1] + v[k]);
}

// Wall seconds of a shell command; negative when it fails.
double TimeCommand(const std::string& command) {
  const auto start = Clock::now();
  const int rc = std::system(command.c_str());
  const double s = Since(start);
  return rc == 0 ? s : -1;
}

void BM_DetectCommand(benchmark::State& state, int machines, int seconds) {
  const std::string file = JobFile(machines, seconds);
  if (file.empty()) {
    state.SkipWithError("cannot write the job's CSV.gz under the temp directory");
    return;
  }
  const std::string zcat = fmt::format("zcat '{}' > /dev/null", file);
  const std::string detect =
      fmt::format("'{}' --quiet minder detect '{}' > /dev/null", TS_TRAINSCOPE_BIN, file);
  if (TimeCommand(zcat) < 0 || TimeCommand(detect) < 0) {  // warm-up (page cache, models)
    state.SkipWithError("zcat or trainscope minder detect failed");
    return;
  }
  std::vector<double> zcat_s, detect_s, ratio;
  for (auto _ : state) {
    const double z = TimeCommand(zcat);
    const double d = TimeCommand(detect);
    if (z < 0 || d < 0) {
      state.SkipWithError("zcat or trainscope minder detect failed");
      return;
    }
    state.SetIterationTime(d);
    zcat_s.push_back(z);
    detect_s.push_back(d);
    ratio.push_back(d / z);
  }
  state.counters["machines"] = machines;
  state.counters["zcat_s_min"] = *std::min_element(zcat_s.begin(), zcat_s.end());
  state.counters["zcat_s_med"] = Median(zcat_s);
  state.counters["detect_s_min"] = *std::min_element(detect_s.begin(), detect_s.end());
  state.counters["detect_s_med"] = Median(detect_s);
  state.counters["ratio"] = Median(detect_s) / Median(zcat_s);
  state.counters["ratio_min"] = *std::min_element(ratio.begin(), ratio.end());
  state.counters["gz_MB"] = static_cast<double>(fs::file_size(file)) / 1e6;
}
BENCHMARK_CAPTURE(BM_DetectCommand, 1024, 1024, 900)
    ->Iterations(7)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DetectCommand, Smoke, 16, 120)
    ->Iterations(2)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// The stages of the command's work (cli/minder_command.cc RunDetect), timed in this process.
void BM_DetectStages(benchmark::State& state, int machines, int seconds) {
  const std::string file = JobFile(machines, seconds);
  auto models = ModelSet::Load(DefaultModelsDir());
  auto defaults = LoadDetectorDefaults(DefaultModelsDir());
  if (file.empty() || !models.ok() || !defaults.ok()) {
    state.SkipWithError("no job file or no models in models/minder");
    return;
  }
  DetectOptions options;
  options.threshold = defaults->threshold;
  options.channel_thresholds = defaults->channel_thresholds;
  options.metric_order = defaults->order;
  double load = 0, map = 0, grid_s = 0, detect = 0;
  size_t alerts = 0;
  for (auto _ : state) {
    Diagnostics diags;
    auto t0 = Clock::now();
    auto table = ingest::LoadMetrics({file}, {}, &diags);
    load += Since(t0);
    t0 = Clock::now();
    model::MetricTable mapped =
        model::MapMetricNames(std::move(*table), model::DefaultMetricMappings(), true, &diags);
    map += Since(t0);
    t0 = Clock::now();
    auto grid = BuildGrid(mapped, GridOptions{}, &diags);
    if (grid->steps > 900) *grid = SliceGrid(*grid, grid->steps - 900, 900);
    grid_s += Since(t0);
    t0 = Clock::now();
    auto det = Detect(std::move(*grid), &*models, options);
    detect += Since(t0);
    alerts = det->alerts.size();
  }
  const double n = static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  state.counters["load_s"] = load / n;
  state.counters["map_s"] = map / n;
  state.counters["grid_s"] = grid_s / n;
  state.counters["detect_s"] = detect / n;
  state.counters["alerts"] = static_cast<double>(alerts);
}
BENCHMARK_CAPTURE(BM_DetectStages, 1024, 1024, 900)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_DetectStages, Smoke, 16, 120)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace trainscope::minder

BENCHMARK_MAIN();
