// SPDX-License-Identifier: Apache-2.0
// Scale-out measurement of the what-if attribution replays over MPI processes (not a unit test):
// generates the same synthetic 1F1B job on every process (replicated: job table and dependency
// graph), runs AnalyzeWhatIf with the replays split over the processes (MpiTaskDistributor),
// and prints, on process 0, the wall time, the slowest and fastest local share, the exchange
// time, resident memory per process and a hash of every result value (equal hashes across
// process counts = identical results). Without an MPI launcher it runs in this process alone.
// Usage: [mpirun -np N] whatif_scaleout [DP PP STEPS MICROBATCHES THREADS]
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>

#include "base/cpu_time.h"
#include "whatif/analysis.h"
#include "whatif/megatron_model.h"
#include "whatif/mpi/mpi_distributor.h"
#include "whatif/synthetic_job.h"

namespace trainscope::whatif {
namespace {

// FNV-1a over the bits of every result number (order fixed by the result layout).
uint64_t HashResult(const WhatIfResult& r) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](double x) {
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    for (int k = 0; k < 8; ++k) h = (h ^ ((bits >> (8 * k)) & 0xff)) * 1099511628211ull;
  };
  for (const auto* v : {&r.step_replay_s, &r.step_nodelay_s, &r.step_ideal_s, &r.step_slowdown})
    for (double x : *v) mix(x);
  for (const auto* table : {&r.by_op_class, &r.by_stage, &r.by_dp_rank})
    for (const Attribution& a : *table) {
      mix(a.slowdown);
      for (double x : a.per_step) mix(x);
    }
  for (const WorkerScore& w : r.workers) mix(w.score);
  for (const Explanation* e : {&r.m_w, &r.m_s})
    for (double x : {e->t_rem_s, e->t_add_s, e->rem, e->add}) mix(x);
  mix(r.slowdown);
  return h;
}

double ResidentMiB() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * 4096.0 / (1 << 20);
}

int Main(int argc, char** argv) {
  SyntheticJobSpec spec;
  spec.dp = argc > 1 ? std::atoi(argv[1]) : 256;
  spec.pp = argc > 2 ? std::atoi(argv[2]) : 4;
  spec.steps = argc > 3 ? std::atoi(argv[3]) : 50;
  spec.microbatches = argc > 4 ? std::atoi(argv[4]) : 8;
  const int threads = argc > 5 ? std::atoi(argv[5]) : 1;
  spec.op_noise = 0.1, spec.microbatch_noise = 0.2, spec.gc_ns = 1'000'000;
  spec.worker_factor.assign(static_cast<size_t>(spec.dp) * spec.pp, 1.0);
  spec.worker_factor[static_cast<size_t>(spec.dp / 2) * spec.pp + 1] = 1.5;

  auto dist = mpi::DistributorIfLaunchedByMpi();
  if (!dist.has_value()) {
    std::fprintf(stderr, "%s\n", dist.error().ToString().c_str());
    return 4;
  }
  mpi::MpiTaskDistributor* d = dist->get();
  const bool root = d == nullptr || d->is_root();
  const double rss_start = ResidentMiB();
  auto job = GenerateSyntheticJob(spec);
  if (!job) {
    std::fprintf(stderr, "%s\n", job.error().ToString().c_str());
    return 3;
  }
  auto model = BuildMegatronModel(*job);
  if (!model) {
    std::fprintf(stderr, "%s\n", model.error().ToString().c_str());
    return 3;
  }
  const double rss_model = ResidentMiB();
  AnalysisOptions options;
  options.threads = threads;
  options.distributor = d;
  if (d != nullptr) MPI_Barrier(MPI_COMM_WORLD);
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = ProcessCpuSeconds();
  auto result = AnalyzeWhatIf(*model, options);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!result) {
    std::fprintf(stderr, "%s\n", result.error().ToString().c_str());
    return 4;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  const double analysis_cpu = ProcessCpuSeconds() - cpu0;
  double local = d != nullptr ? d->local_seconds() : wall;
  double local_cpu = d != nullptr ? d->local_cpu_seconds() : analysis_cpu;
  double peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
  double model_mib = rss_model - rss_start;
  double mx[6] = {local,     peak_mib,    model_mib, d != nullptr ? d->exchange_seconds() : 0,
                  local_cpu, analysis_cpu};
  double mn[1] = {local};
  if (d != nullptr) {
    MPI_Allreduce(MPI_IN_PLACE, mx, 6, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, mn, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &cpu, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  }
  const double exchange = mx[3];
  if (root) {
    std::printf(
        "processes=%d threads=%d workers=%d steps=%d ops=%lld simulations=%lld S=%.4f\n"
        "analysis_wall_s=%.3f analysis_cpu_s_max=%.3f share_cpu_s_max=%.3f share_wall_s_max=%.3f "
        "share_wall_s_min=%.3f exchange_s_max=%.4f cpu_s_all_processes=%.2f\n"
        "rss_job_and_model_mib=%.1f peak_rss_mib_per_process=%.1f result_hash=%016llx\n",
        d != nullptr ? d->process_count() : 1, threads, model->num_workers(), model->num_steps(),
        static_cast<long long>(result->ops), static_cast<long long>(result->simulations),
        result->slowdown, wall, mx[5], mx[4], mx[0], mn[0], exchange, cpu, mx[2], mx[1],
        static_cast<unsigned long long>(HashResult(*result)));
  }
  return 0;
}

}  // namespace
}  // namespace trainscope::whatif

int main(int argc, char** argv) { return trainscope::whatif::Main(argc, argv); }
