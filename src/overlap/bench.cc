// SPDX-License-Identifier: Apache-2.0
// Interleaved timing of all methods and the paper's metrics.
#include "overlap/bench.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <random>

#include "base/progress.h"
#include "base/stats.h"

namespace trainscope::overlap {
namespace {

// One timed step: barrier, run, max over ranks of the elapsed time.
Result<double> TimeStep(PeerWorld& world, double timeout_s, const std::function<Status()>& run) {
  TS_RETURN_IF_ERROR(world.Barrier(world.NextEpoch(), timeout_s));
  const auto start = std::chrono::steady_clock::now();
  TS_RETURN_IF_ERROR(run());
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return world.AllMax(elapsed, timeout_s);
}

// Timed steps of RunBenchmark: the comm-share calibration, then every method each rep (the MPI
// baseline joins when the link is real; a comm-share target emulates one).
int64_t TimedSteps(const BenchConfig& config, bool mpi_baseline) {
  const int64_t calibration = config.target_comm_share > 0 ? config.warmup + 3 : 0;
  const bool emulated = config.options.link.emulated() || config.target_comm_share > 0;
  const int64_t methods = mpi_baseline && !emulated ? 7 : 6;
  return calibration + static_cast<int64_t>(config.warmup + config.reps) * methods;
}

}  // namespace

Result<BenchResult> RunBenchmark(PeerWorld& world, const BenchConfig& config,
                                 const ExternalBaseline& mpi_baseline) {
  if (config.reps < 1 || config.warmup < 0) {
    return InvalidArgumentError("reps {} must be >= 1 and warmup {} >= 0", config.reps,
                                config.warmup);
  }
  BenchResult result;
  result.config = config;
  const ShardedProblem& problem = config.problem;
  const int rank = world.rank();
  const int64_t m = problem.total_rows();
  const bool ag = config.op == OpKind::kAgGemm;
  std::mt19937 rng(static_cast<uint32_t>(rank) + 1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(static_cast<size_t>((ag ? problem.rows_per_rank[rank] : m) * problem.k));
  std::vector<float> b(static_cast<size_t>(problem.k * problem.n));
  std::vector<float> c(static_cast<size_t>((ag ? m : problem.rows_per_rank[rank]) * problem.n));
  for (float& v : a) v = dist(rng);
  for (float& v : b) v = dist(rng);
  const double timeout = config.options.timeout_s;
  // One progress line, on rank 0 only: every timed step (a barrier, a run, an all-max).
  auto progress = rank == 0 ? std::make_unique<Progress>(
                                  "overlap bench", TimedSteps(config, static_cast<bool>(mpi_baseline)), "timed runs")
                            : nullptr;

  TS_ASSIGN_OR_RETURN(auto fused, FusedOperator::Create(world, config.op, problem, config.options));
  auto run = [&](Method method) {
    return
        [&fused, &a, &b, &c, method] { return fused->Run(a.data(), b.data(), c.data(), method); };
  };
  const FusedOperator::LinkLoad load = fused->PlannedLinkLoad();
  TS_ASSIGN_OR_RETURN(result.link_bytes, world.AllMax(load.bytes, timeout));
  TS_ASSIGN_OR_RETURN(double transfers, world.AllMax(static_cast<double>(load.transfers), timeout));
  result.link_transfers = static_cast<int64_t>(transfers);
  result.gemm_flops = 2.0 * static_cast<double>(m) * static_cast<double>(problem.n) *
                      static_cast<double>(problem.k);

  if (config.target_comm_share > 0) {
    if (config.target_comm_share >= 1) {
      return InvalidArgumentError("target comm share {} must be in (0, 1)",
                                  config.target_comm_share);
    }
    std::vector<double> samples;
    for (int rep = 0; rep < config.warmup + 3; ++rep) {
      TS_ASSIGN_OR_RETURN(double t, TimeStep(world, timeout, run(Method::kWholeGemm)));
      if (rep >= config.warmup) samples.push_back(t);
      if (progress) progress->Advance();
    }
    const double t_gemm = Median(samples);
    const double share = config.target_comm_share;
    const double t_comm = t_gemm * share / (1 - share);
    const double pacing =
        t_comm - static_cast<double>(result.link_transfers) * config.options.link.latency_s;
    if (!(pacing > 0) || result.link_bytes <= 0) {
      return InvalidArgumentError(
          "cannot reach comm share {}: T_g {:.3g} s, {} transfers x {:.3g} s latency, {} bytes",
          share, t_gemm, result.link_transfers, config.options.link.latency_s, result.link_bytes);
    }
    result.config.options.link.bandwidth_bytes_per_s = result.link_bytes / pacing;
    fused.reset();  // the agent's link is fixed at creation
    TS_ASSIGN_OR_RETURN(fused,
                        FusedOperator::Create(world, config.op, problem, result.config.options));
  }
  const bool emulated = result.config.options.link.emulated();

  struct Entry {
    const char* name;
    std::function<Status()> fn;
    std::vector<double> samples;
  };
  std::vector<Entry> entries = {{"whole_gemm", run(Method::kWholeGemm), {}},
                                {"tile_loop", run(Method::kTileLoop), {}},
                                {"signals_preset", run(Method::kSignalsPreset), {}},
                                {"sequential", run(Method::kSequential), {}},
                                {"decomposed", run(Method::kDecomposed), {}},
                                {"fused", run(Method::kFused), {}}};
  if (mpi_baseline && !emulated) {
    entries.push_back({"mpi", [&] { return mpi_baseline(a.data(), b.data(), c.data()); }, {}});
  }
  for (int rep = 0; rep < config.warmup + config.reps; ++rep) {
    for (size_t idx = 0; idx < entries.size(); ++idx) {
      Entry& entry = entries[(idx + static_cast<size_t>(rep)) % entries.size()];  // rotate
      TS_ASSIGN_OR_RETURN(double t, TimeStep(world, timeout, entry.fn));
      if (rep >= config.warmup) entry.samples.push_back(t);
      if (progress) progress->Advance();
    }
  }
  if (progress) progress->Finish();
  result.t_gemm_s = Median(entries[0].samples);
  result.t_own_gemm_s = Median(entries[1].samples);
  result.t_preset_s = Median(entries[2].samples);
  result.t_nonoverlap_agent_s = Median(entries[3].samples);
  result.t_decomp_s = Median(entries[4].samples);
  result.t_fused_s = Median(entries[5].samples);
  result.t_nonoverlap_mpi_s =
      entries.size() > 6 ? Median(entries[6].samples) : std::numeric_limits<double>::quiet_NaN();
  result.t_nonoverlap_s = result.t_nonoverlap_agent_s;
  result.nonoverlap_collective =
      emulated ? "transfer agent through the emulated link" : "transfer agent (memcpy)";
  if (!std::isnan(result.t_nonoverlap_mpi_s) &&
      result.t_nonoverlap_mpi_s < result.t_nonoverlap_agent_s) {
    result.t_nonoverlap_s = result.t_nonoverlap_mpi_s;
    result.nonoverlap_collective = ag ? "MPI_Allgatherv" : "MPI_Reduce_scatter";
  }
  result.efficiency_decomp =
      OverlapEfficiency(result.t_decomp_s, result.t_gemm_s, result.t_nonoverlap_s);
  result.efficiency_fused =
      OverlapEfficiency(result.t_fused_s, result.t_gemm_s, result.t_nonoverlap_s);
  result.speedup_vs_nonoverlap = result.t_nonoverlap_s / result.t_fused_s;
  result.speedup_vs_decomp = result.t_decomp_s / result.t_fused_s;
  result.fusion_overhead = result.t_preset_s / result.t_own_gemm_s - 1.0;
  result.comm_share = (result.t_nonoverlap_s - result.t_gemm_s) / result.t_nonoverlap_s;
  return result;
}

SimHardware CpuHardwareFromBench(const BenchResult& result) {
  SimHardware hw;
  hw.workers = 1;
  hw.gemm_flops_per_s = result.gemm_flops / result.t_gemm_s;
  hw.fused_gemm_efficiency = result.t_gemm_s / result.t_own_gemm_s;
  const LinkModel& link = result.config.options.link;
  // A real shared-memory link: model it as the measured agent collective's rate.
  const double agent_comm = result.t_nonoverlap_agent_s - result.t_gemm_s;
  hw.link_bandwidth_bytes_per_s =
      link.emulated() ? link.bandwidth_bytes_per_s : result.link_bytes / std::max(agent_comm, 1e-9);
  hw.link_latency_s = link.latency_s;
  hw.bytes_per_element = 4;
  return hw;
}

}  // namespace trainscope::overlap
