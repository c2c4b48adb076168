// SPDX-License-Identifier: Apache-2.0
// Kineto ingestion throughput: the streaming simdjson reader against nlohmann-json (SAX into
// the same model, bench/ingest_nlohmann.h) on the same bytes, in the same run, one thread.
// Cases: the real traces of ../shared/data/traces (decompressed in memory first; their gzip
// files as a separate case), a generated trace of >= 1 GiB read from /tmp (made on first use),
// and a tiny Smoke case for CI. Counters: GB/s of both, the speed-up, model bytes per event,
// peak RSS of the process so far (for the generated trace also peak_rss_MB_ours: the peak
// during our reader's iterations alone, VmHWM reset before them).
// Run: build/bench/ingest_bench --benchmark_filter=Ingest   (ingest_bench is under bench/)
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>
#include <algorithm>

#include "base/byte_source.h"
#include "base/cpu_time.h"
#include "ingest/kineto/demo_trace.h"
#include "ingest/kineto/kineto_reader.h"
#include "ingest_nlohmann.h"
#include "ingest_trace_gen.h"

namespace trainscope::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Input {
  std::string name;
  std::string bytes;  // decompressed JSON
};

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// Restarts the process's peak-RSS count (Linux: "5" to /proc/self/clear_refs resets VmHWM), so
// a case's peak is not an earlier case's (nlohmann's pre-faulted mapping of the 1 GB trace).
void ResetPeakRss() {
  if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

// Peak RSS since the last ResetPeakRss (VmHWM); falls back to the process-lifetime peak.
double PeakRssSinceResetMb() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return PeakRssMb();
  char line[256];
  double kb = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmHWM: %lf kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb >= 0 ? kb / 1024.0 : PeakRssMb();
}

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

model::RankTrace ReadOurs(ByteSource& source) {
  ingest::kineto::RankFileInfo info;
  Diagnostics diags;
  Result<model::RankTrace> trace = ingest::kineto::ReadKinetoRank(source, &info, &diags);
  return trace.has_value() ? std::move(trace).value() : model::RankTrace{};
}

struct Timing {
  double wall = 0, cpu = 0;
};

void Report(benchmark::State& state, double bytes, Timing ours, Timing nlohmann, size_t events,
            size_t model_bytes) {
  state.counters["ours_GBps_wall"] = bytes / ours.wall / 1e9;
  state.counters["ours_GBps_cpu"] = bytes / ours.cpu / 1e9;
  state.counters["nlohmann_GBps_wall"] = bytes / nlohmann.wall / 1e9;
  state.counters["nlohmann_GBps_cpu"] = bytes / nlohmann.cpu / 1e9;
  state.counters["speedup_wall"] = nlohmann.wall / ours.wall;
  state.counters["speedup_cpu"] = nlohmann.cpu / ours.cpu;
  state.counters["events"] = static_cast<double>(events);
  state.counters["model_bytes_per_event"] =
      events > 0 ? static_cast<double>(model_bytes) / static_cast<double>(events) : 0;
  state.counters["peak_rss_MB"] = PeakRssMb();
}

// Uncompressed inputs already in memory: both parsers read the same bytes.
void BM_IngestMemory(benchmark::State& state, const std::vector<Input>* inputs) {
  double bytes = 0;
  Timing ours, nl;
  size_t events = 0, model_bytes = 0;
  for (auto _ : state) {
    auto start = Clock::now();
    double cpu_start = ThreadCpuSeconds();
    events = model_bytes = 0;
    for (const Input& input : *inputs) {
      auto source = MemoryByteSource(input.name, input.bytes.data(), input.bytes.size());
      model::RankTrace trace = ReadOurs(*source);
      events += trace.events.size();
      model_bytes += trace.MemoryBytes();
    }
    double s = Since(start);
    state.SetIterationTime(s);
    ours.wall += s;
    ours.cpu += ThreadCpuSeconds() - cpu_start;
  }
  for (const Input& input : *inputs) bytes += static_cast<double>(input.bytes.size());
  ours.wall /= static_cast<double>(state.iterations());
  ours.cpu /= static_cast<double>(state.iterations());
  auto start = Clock::now();
  double cpu_start = ThreadCpuSeconds();
  size_t nl_events = 0;
  for (const Input& input : *inputs) {
    nl_events += LoadWithNlohmann(input.bytes.data(), input.bytes.size()).events.size();
  }
  nl.wall = Since(start);
  nl.cpu = ThreadCpuSeconds() - cpu_start;
  if (nl_events != events) state.SkipWithError("nlohmann and simdjson models differ");
  // nlohmann's DOM (parse the document, then walk it), the way it is usually used.
  start = Clock::now();
  cpu_start = ThreadCpuSeconds();
  size_t dom_events = 0;
  for (const Input& input : *inputs) {
    dom_events += LoadWithNlohmannDom(input.bytes.data(), input.bytes.size()).events.size();
  }
  const double dom_wall = Since(start), dom_cpu = ThreadCpuSeconds() - cpu_start;
  if (dom_events != events) state.SkipWithError("nlohmann DOM and simdjson models differ");
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  Report(state, bytes, ours, nl, events, model_bytes);
  state.counters["nlohmann_dom_GBps_cpu"] = bytes / dom_cpu / 1e9;
  state.counters["speedup_dom_cpu"] = dom_cpu / ours.cpu;
  state.counters["speedup_dom_wall"] = dom_wall / ours.wall;
}

// zlib's inflate alone (no parsing) over a gzip file's bytes, into a reused 512 KiB buffer:
// what reading .json.gz cost before ISA-L, and a floor for any zlib-based reader. Returns the
// decompressed size, 0 on error.
size_t ZlibInflateOnly(const std::string& gz) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return 0;
  std::vector<char> out(size_t{512} << 10);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  size_t total = 0;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&zs, Z_NO_FLUSH);
    total += out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // another member
    } else if (rc != Z_OK) {
      total = 0;
      break;
    }
  }
  inflateEnd(&zs);
  return total;
}

// The real traces' .json.gz files, inflated (ISA-L) while streaming and parsed; throughput in
// decompressed bytes per CPU second. Baseline in the same run: zlib's inflate alone over the same
// files, held in memory (counters zlib_inflate_only_GBps_cpu, speedup_vs_zlib_inflate_only).
void BM_IngestGzip(benchmark::State& state, std::vector<std::string> paths, double plain_bytes) {
  size_t events = 0;
  double ours_cpu = 0;
  for (auto _ : state) {
    const double cpu_start = ThreadCpuSeconds();
    events = 0;
    for (const std::string& path : paths) {
      auto source = OpenByteSource(path);
      if (!source.has_value()) return state.SkipWithError("cannot open trace");
      events += ReadOurs(**source).events.size();
    }
    ours_cpu += ThreadCpuSeconds() - cpu_start;
  }
  ours_cpu /= static_cast<double>(state.iterations());
  std::vector<std::string> compressed;
  for (const std::string& path : paths) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return state.SkipWithError("cannot open trace");
    std::string bytes;
    char chunk[1 << 16];
    for (size_t n; (n = std::fread(chunk, 1, sizeof chunk, f)) > 0;) bytes.append(chunk, n);
    std::fclose(f);
    compressed.push_back(std::move(bytes));
  }
  double zlib_cpu = 1e30;  // best of 3: the baseline is not penalised by a noisy run
  for (int rep = 0; rep < 3; ++rep) {
    const double cpu_start = ThreadCpuSeconds();
    size_t inflated = 0;
    for (const std::string& gz : compressed) inflated += ZlibInflateOnly(gz);
    zlib_cpu = std::min(zlib_cpu, ThreadCpuSeconds() - cpu_start);
    if (static_cast<double>(inflated) != plain_bytes) return state.SkipWithError("zlib inflate size differs");
  }
  state.SetBytesProcessed(static_cast<int64_t>(plain_bytes) * state.iterations());
  state.counters["events"] = static_cast<double>(events);
  state.counters["ours_GBps_cpu"] = plain_bytes / ours_cpu / 1e9;
  state.counters["zlib_inflate_only_GBps_cpu"] = plain_bytes / zlib_cpu / 1e9;
  state.counters["speedup_vs_zlib_inflate_only"] = zlib_cpu / ours_cpu;
  state.counters["peak_rss_MB"] = PeakRssMb();
}

// >= 1 GiB generated trace read from its file by the streaming reader; nlohmann gets the same
// file memory-mapped and pre-faulted (its fastest input), parsed once.
void BM_IngestGenerated(benchmark::State& state, std::string path) {
  double bytes = static_cast<double>(fs::file_size(path));
  Timing ours, nl;
  size_t events = 0, model_bytes = 0;
  ResetPeakRss();
  for (auto _ : state) {
    auto start = Clock::now();
    double cpu_start = ThreadCpuSeconds();
    auto source = OpenByteSource(path);
    if (!source.has_value()) return state.SkipWithError("cannot open generated trace");
    model::RankTrace trace = ReadOurs(**source);
    double s = Since(start);
    state.SetIterationTime(s);
    ours.wall += s;
    ours.cpu += ThreadCpuSeconds() - cpu_start;
    events = trace.events.size();
    model_bytes = trace.MemoryBytes();
  }
  ours.wall /= static_cast<double>(state.iterations());
  ours.cpu /= static_cast<double>(state.iterations());
  double ours_peak = PeakRssSinceResetMb();
  int fd = open(path.c_str(), O_RDONLY);
  void* map =
      mmap(nullptr, static_cast<size_t>(bytes), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  auto start = Clock::now();
  double cpu_start = ThreadCpuSeconds();
  size_t nl_events =
      LoadWithNlohmann(static_cast<const char*>(map), static_cast<size_t>(bytes)).events.size();
  nl.wall = Since(start);
  nl.cpu = ThreadCpuSeconds() - cpu_start;
  // nlohmann's DOM holds the whole document (about 12x the file here): only with the memory.
  double dom_cpu = 0;
  size_t dom_events = events;
  if (static_cast<double>(sysconf(_SC_AVPHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE)) >
      16 * bytes) {
    cpu_start = ThreadCpuSeconds();
    dom_events = LoadWithNlohmannDom(static_cast<const char*>(map), static_cast<size_t>(bytes)).events.size();
    dom_cpu = ThreadCpuSeconds() - cpu_start;
  }
  munmap(map, static_cast<size_t>(bytes));
  close(fd);
  if (nl_events != events) state.SkipWithError("nlohmann and simdjson models differ");
  if (dom_events != events) state.SkipWithError("nlohmann DOM and simdjson models differ");
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  Report(state, bytes, ours, nl, events, model_bytes);
  state.counters["peak_rss_MB_ours"] = ours_peak;
  if (dom_cpu > 0) {
    state.counters["nlohmann_dom_GBps_cpu"] = bytes / dom_cpu / 1e9;
    state.counters["speedup_dom_cpu"] = dom_cpu / ours.cpu;
  }
}

std::vector<std::string> TraceFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().string().ends_with(".json.gz")) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Input>* Decompress(const std::vector<std::string>& files) {
  auto* inputs = new std::vector<Input>();  // lives for the whole run
  for (const std::string& f : files) {
    Result<std::string> text = ReadFileToString(f);
    if (text.has_value()) inputs->push_back({f, std::move(text).value()});
  }
  return inputs;
}

void RegisterAll() {
  auto* smoke = new std::vector<Input>();
  for (const auto& file : ingest::kineto::DemoTraceFiles()) {
    smoke->push_back({file.name, std::string(file.bytes, file.size)});
  }
  benchmark::RegisterBenchmark("BM_Ingest_Smoke", BM_IngestMemory, smoke)->UseManualTime();
  for (const char* set : {"param-dlrm-8rank", "hta-sampled-2rank", "hta-nccl-pg"}) {
    std::vector<std::string> files = TraceFiles(std::string(TS_DATA_DIR) + "/traces/" + set);
    if (files.empty()) continue;
    std::vector<Input>* inputs = Decompress(files);
    double plain = 0;
    for (const Input& input : *inputs) plain += static_cast<double>(input.bytes.size());
    benchmark::RegisterBenchmark((std::string("BM_Ingest/") + set).c_str(), BM_IngestMemory, inputs)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((std::string("BM_IngestGzip/") + set).c_str(), BM_IngestGzip,
                                 files, plain)
        ->Unit(benchmark::kMillisecond);
  }
  const char* env = std::getenv("TS_BENCH_GENERATED_BYTES");
  uint64_t target = env != nullptr ? std::stoull(env) : (uint64_t{1} << 30) + (uint64_t{1} << 24);
  std::string path = "/tmp/trainscope_ingest_bench_" + std::to_string(target) + ".json";
  benchmark::RegisterBenchmark("BM_Ingest/generated",
                               [path, target](benchmark::State& state) {
                                 std::error_code ec;
                                 if (!fs::exists(path, ec) || fs::file_size(path, ec) < target) {
                                   if (!WriteSyntheticKinetoTrace(path, target))
                                     return state.SkipWithError("cannot write trace");
                                 }
                                 BM_IngestGenerated(state, path);
                               })
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond)
      ->Iterations(3);
}

}  // namespace
}  // namespace trainscope::bench

int main(int argc, char** argv) {
  trainscope::bench::RegisterAll();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
