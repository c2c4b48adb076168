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
#include "overlap/bench_stats.h"

namespace trainscope::overlap {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// One timed step: barrier, run, max over ranks of the elapsed time.
Result<double> TimeStep(PeerWorld& world, double timeout_s, const std::function<Status()>& run) {
  TS_RETURN_IF_ERROR(world.Barrier(world.NextEpoch(), timeout_s));
  const auto start = std::chrono::steady_clock::now();
  TS_RETURN_IF_ERROR(run());
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return world.AllMax(elapsed, timeout_s);
}

// Emulated link bandwidth that makes (T_c - T_g) / T_c equal `share` for a measured T_g, given
// the busiest agent's bytes and transfers per call and the per-transfer latency.
Result<double> LinkBandwidthFor(double share, double t_gemm, double bytes, int64_t transfers,
                                double latency_s) {
  const double pacing = t_gemm * share / (1 - share) - static_cast<double>(transfers) * latency_s;
  if (!(pacing > 0) || bytes <= 0) {
    return InvalidArgumentError(
        "cannot reach comm share {}: T_g {:.3g} s, {} transfers x {:.3g} s latency, {} bytes",
        share, t_gemm, transfers, latency_s, bytes);
  }
  return bytes / pacing;
}

// Timed steps per repetition: with a comm-share target one T_g to derive the link; then T_g +
// T_c, T_g + T_m, T_g + T_f, the tile loop and the preset loop; the MPI baseline joins when
// the link is real.
int64_t StepsPerRep(const BenchConfig& config, bool mpi_baseline) {
  const bool emulated = config.options.link.emulated() || config.target_comm_share > 0;
  return (config.target_comm_share > 0 ? 1 : 0) + 8 + (mpi_baseline && !emulated ? 1 : 0);
}

// One repetition's timings (max over ranks each).
struct RepTimes {
  double g_c = 0, c = 0, g_m = 0, m = 0, g_f = 0, f = 0;  // each method after its own T_g
  double tile_loop = 0, preset = 0, mpi = kNan, link_bytes_per_s = 0;

  RepetitionTimes Public() const {
    return {g_c, c, g_m, m, g_f, f, tile_loop, preset, mpi, link_bytes_per_s};
  }
};

struct BenchContext {
  PeerWorld& world;
  const BenchConfig& config;
  BenchResult& result;
  std::unique_ptr<FusedOperator>& fused;
  std::vector<float>&a, &b, &c;
  const ExternalBaseline& mpi_baseline;
  Progress* progress;

  std::function<Status()> Fn(Method method) {
    return [this, method] { return fused->Run(a.data(), b.data(), c.data(), method); };
  }
  Result<double> Time(const std::function<Status()>& fn) {
    TS_ASSIGN_OR_RETURN(double t, TimeStep(world, config.options.timeout_s, fn));
    if (progress != nullptr) progress->Advance();
    return t;
  }
  Result<double> Time(Method method) { return Time(Fn(method)); }

  // Link bandwidth that makes (T_c - T_g) / T_c the target share for this T_g.
  Result<double> LinkFor(double t_gemm) const {
    return LinkBandwidthFor(config.target_comm_share, t_gemm, result.link_bytes,
                            result.link_transfers, config.options.link.latency_s);
  }

  Result<RepTimes> Rep(int rep) {
    RepTimes t;
    LinkModel link = result.config.options.link;
    if (config.target_comm_share > 0) {
      TS_ASSIGN_OR_RETURN(double t_gemm, Time(Method::kWholeGemm));
      TS_ASSIGN_OR_RETURN(link.bandwidth_bytes_per_s, LinkFor(t_gemm));
      fused->SetLink(link);
      result.config.options.link = link;
    }
    t.link_bytes_per_s = link.bandwidth_bytes_per_s;
    struct Pair {
      Method method;
      double *gemm, *time;
    };
    const Pair pairs[] = {{Method::kSequential, &t.g_c, &t.c},
                          {Method::kDecomposed, &t.g_m, &t.m},
                          {Method::kFused, &t.g_f, &t.f}};
    for (int idx = 0; idx < 3; ++idx) {
      const Pair& pair = pairs[(idx + rep) % 3];  // rotate which method goes first
      TS_ASSIGN_OR_RETURN(*pair.gemm, Time(Method::kWholeGemm));
      TS_ASSIGN_OR_RETURN(*pair.time, Time(pair.method));
    }
    TS_ASSIGN_OR_RETURN(t.tile_loop, Time(Method::kTileLoop));
    TS_ASSIGN_OR_RETURN(t.preset, Time(Method::kSignalsPreset));
    if (mpi_baseline && !link.emulated()) {
      TS_ASSIGN_OR_RETURN(t.mpi,
                          Time([this] { return mpi_baseline(a.data(), b.data(), c.data()); }));
    }
    return t;
  }
};

template <typename F>
std::vector<double> Column(const std::vector<RepTimes>& reps, F field) {
  std::vector<double> out;
  for (const RepTimes& rep : reps) out.push_back(field(rep));
  return out;
}

void Summarise(const std::vector<RepTimes>& reps, BenchResult& r) {
  const bool ag = r.config.op == OpKind::kAgGemm;
  r.t_gemm_s = Median(Column(reps, [](const RepTimes& t) { return t.g_c; }));
  r.t_own_gemm_s = Median(Column(reps, [](const RepTimes& t) { return t.tile_loop; }));
  r.t_preset_s = Median(Column(reps, [](const RepTimes& t) { return t.preset; }));
  r.t_nonoverlap_agent_s = Median(Column(reps, [](const RepTimes& t) { return t.c; }));
  r.t_decomp_s = Median(Column(reps, [](const RepTimes& t) { return t.m; }));
  r.t_fused_s = Median(Column(reps, [](const RepTimes& t) { return t.f; }));
  r.t_nonoverlap_mpi_s = std::isnan(reps[0].mpi)
                             ? kNan
                             : Median(Column(reps, [](const RepTimes& t) { return t.mpi; }));
  r.t_nonoverlap_s = r.t_nonoverlap_agent_s;
  const bool emulated = r.config.options.link.emulated();
  r.nonoverlap_collective =
      emulated ? "transfer agent through the emulated link" : "transfer agent (memcpy)";
  bool use_mpi = false;
  if (!std::isnan(r.t_nonoverlap_mpi_s) && r.t_nonoverlap_mpi_s < r.t_nonoverlap_agent_s) {
    use_mpi = true;
    r.t_nonoverlap_s = r.t_nonoverlap_mpi_s;
    r.nonoverlap_collective = ag ? "MPI_Allgatherv" : "MPI_Reduce_scatter";
  }
  PairedStats& p = r.paired;
  std::vector<double> e_f, e_m, gain, speedup, share;
  int wins = 0;
  for (const RepTimes& t : reps) {
    p.repetitions.push_back(t.Public());
    const double t_c = use_mpi ? t.mpi : t.c;
    const double ect_c = t_c - t.g_c;
    e_f.push_back(1 - (t.f - t.g_f) / ect_c);
    e_m.push_back(1 - (t.m - t.g_m) / ect_c);
    gain.push_back(e_f.back() - e_m.back());
    speedup.push_back(t.m / t.f);
    share.push_back(ect_c / t_c);
    wins += t.f < t.m ? 1 : 0;
  }
  p.e_fused = MedianInterval(e_f);
  p.e_decomp = MedianInterval(e_m);
  p.e_gain = MedianInterval(gain);
  p.speedup_vs_decomp = MedianInterval(speedup);
  p.comm_share = MedianInterval(share);
  p.comm_share_min = *std::min_element(share.begin(), share.end());
  p.comm_share_max = *std::max_element(share.begin(), share.end());
  p.fused_beats_decomp = WilsonInterval(wins, static_cast<int>(reps.size()));
  const std::vector<double> links =
      Column(reps, [](const RepTimes& t) { return t.link_bytes_per_s; });
  // The simulator and the report see the median link of the repetitions.
  r.config.options.link.bandwidth_bytes_per_s = Median(links);
  p.link_bytes_per_s_min = *std::min_element(links.begin(), links.end());
  p.link_bytes_per_s_max = *std::max_element(links.begin(), links.end());
  const double s = p.comm_share.median;
  const double tp = r.config.problem.tp();
  p.e_bound = std::min(1.0, (1 - s) / s);
  p.e_decomp_ideal = std::min(1.0, (1 - 1 / tp) * (1 - s) / s);
  // The headline numbers: E per repetition (median), not E of the medians.
  r.efficiency_fused = p.e_fused.median;
  r.efficiency_decomp = p.e_decomp.median;
  r.speedup_vs_nonoverlap = r.t_nonoverlap_s / r.t_fused_s;
  r.speedup_vs_decomp = p.speedup_vs_decomp.median;
  r.fusion_overhead = r.t_preset_s / r.t_own_gemm_s - 1.0;
  r.comm_share = s;
}

// The tuner's candidates: the configured comm tile, then doublings up to the largest shard.
std::vector<int64_t> CommRowsCandidates(const BenchConfig& config) {
  const std::vector<int64_t>& rows = config.problem.rows_per_rank;
  const int64_t largest = *std::max_element(rows.begin(), rows.end());
  std::vector<int64_t> out;
  for (int64_t r = std::max<int64_t>(1, config.options.comm_rows); r < largest; r *= 2) {
    out.push_back(r);
  }
  out.push_back(largest);
  return out;
}

// Median of kTuneRuns fused runs of one candidate, its link set for the target share from the
// median of kTuneRuns GEMM runs. A warm-up of each first: the first candidate would otherwise
// time a cold GEMM (first touch of its buffers), get a slower link and lose for that alone.
Result<double> TimeCandidate(PeerWorld& world, const BenchConfig& config, FusedOperator& op,
                             std::vector<float>& a, std::vector<float>& b, std::vector<float>& c) {
  constexpr int kTuneRuns = 3;
  const double timeout = config.options.timeout_s;
  const auto run = [&](Method method) {
    return TimeStep(world, timeout, [&] { return op.Run(a.data(), b.data(), c.data(), method); });
  };
  const auto median = [&](Method method) -> Result<double> {
    std::vector<double> times;
    for (int i = 0; i < kTuneRuns; ++i) {
      TS_ASSIGN_OR_RETURN(double t, run(method));
      times.push_back(t);
    }
    std::sort(times.begin(), times.end());
    return times[kTuneRuns / 2];
  };
  TS_RETURN_IF_ERROR(run(Method::kWholeGemm).status());
  TS_ASSIGN_OR_RETURN(double t_gemm, median(Method::kWholeGemm));
  const FusedOperator::LinkLoad load = op.PlannedLinkLoad();
  TS_ASSIGN_OR_RETURN(double bytes, world.AllMax(load.bytes, timeout));
  TS_ASSIGN_OR_RETURN(double transfers, world.AllMax(static_cast<double>(load.transfers), timeout));
  LinkModel link = config.options.link;
  TS_ASSIGN_OR_RETURN(link.bandwidth_bytes_per_s,
                      LinkBandwidthFor(config.target_comm_share, t_gemm, bytes,
                                       static_cast<int64_t>(transfers), link.latency_s));
  op.SetLink(link);
  TS_RETURN_IF_ERROR(run(Method::kFused).status());
  return median(Method::kFused);
}

// Flux tunes its tile shapes by profiling; the CPU operator's trade-off is the comm tile of RS:
// each closed run of GEMM rows is one cblas_sgemm call that packs B again (about 1% of a
// 1,024-row GEMM per call on these cores), while finer tiles start the transfers sooner. The
// fastest candidate wins; every rank times the same runs (max over ranks), so all agree.
Result<int64_t> TuneCommRows(PeerWorld& world, const BenchConfig& config, std::vector<float>& a,
                             std::vector<float>& b, std::vector<float>& c,
                             std::vector<CommRowsTrial>* tried) {
  int64_t best = config.options.comm_rows;
  double best_s = std::numeric_limits<double>::infinity();
  for (int64_t rows : CommRowsCandidates(config)) {
    OverlapOptions options = config.options;
    options.comm_rows = rows;
    TS_ASSIGN_OR_RETURN(size_t payload,
                        FusedOperator::PayloadBytes(config.op, config.problem, options));
    if (payload + PeerWorld::kHeaderBytes > world.segment_bytes()) continue;
    TS_ASSIGN_OR_RETURN(auto op, FusedOperator::Create(world, config.op, config.problem, options));
    TS_ASSIGN_OR_RETURN(double t, TimeCandidate(world, config, *op, a, b, c));
    tried->push_back({rows, t});
    if (t < best_s) best_s = t, best = rows;
  }
  return best;
}

}  // namespace

Result<BenchResult> RunBenchmark(PeerWorld& world, const BenchConfig& config,
                                 const ExternalBaseline& mpi_baseline) {
  if (config.reps < 1 || config.warmup < 0) {
    return InvalidArgumentError("reps {} must be >= 1 and warmup {} >= 0", config.reps,
                                config.warmup);
  }
  // Written so that NaN, which fails every comparison, is refused too (0 = no emulated share).
  if (!(config.target_comm_share >= 0 && config.target_comm_share < 1)) {
    return InvalidArgumentError("target comm share {} must be in [0, 1)", config.target_comm_share);
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
  const int64_t steps =
      StepsPerRep(config, static_cast<bool>(mpi_baseline)) * (config.warmup + config.reps);
  // One progress line, on rank 0 only: every timed step (a barrier, a run, an all-max).
  auto progress =
      rank == 0 ? std::make_unique<Progress>("overlap bench", steps, "timed runs") : nullptr;
  if (config.tune_comm_rows && config.target_comm_share > 0) {
    TS_ASSIGN_OR_RETURN(result.config.options.comm_rows,
                        TuneCommRows(world, config, a, b, c, &result.comm_rows_tried));
  }
  const BenchConfig& tuned = result.config;
  TS_ASSIGN_OR_RETURN(auto fused, FusedOperator::Create(world, tuned.op, problem, tuned.options));
  const FusedOperator::LinkLoad load = fused->PlannedLinkLoad();
  TS_ASSIGN_OR_RETURN(result.link_bytes, world.AllMax(load.bytes, timeout));
  TS_ASSIGN_OR_RETURN(double transfers, world.AllMax(static_cast<double>(load.transfers), timeout));
  result.link_transfers = static_cast<int64_t>(transfers);
  result.gemm_flops = 2.0 * static_cast<double>(m) * static_cast<double>(problem.n) *
                      static_cast<double>(problem.k);
  BenchContext context{world, tuned, result, fused, a, b, c, mpi_baseline, progress.get()};
  std::vector<RepTimes> reps;
  for (int rep = 0; rep < config.warmup + config.reps; ++rep) {
    TS_ASSIGN_OR_RETURN(RepTimes times, context.Rep(rep));
    if (rep >= config.warmup) reps.push_back(times);
  }
  if (progress) progress->Finish();
  Summarise(reps, result);
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
