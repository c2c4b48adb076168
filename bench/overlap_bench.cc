// SPDX-License-Identifier: Apache-2.0
// Overlap benchmark with threads as TP ranks: every iteration times T_g, T_c, T_m and T_f in
// one interleaved run (overlap::RunBenchmark) and reports E and the speedups as counters.
// Smoke case: tiny shapes for CI; the others use the brief's scaled-down shapes.
#include <benchmark/benchmark.h>

#include "overlap/bench.h"

namespace trainscope::overlap {
namespace {

void RunCase(benchmark::State& state, OpKind op, int64_t m, int64_t n, int64_t k, double share,
             int reps, double latency_s = 5e-6) {
  BenchConfig config;
  config.op = op;
  config.problem = ShardedProblem::Even(m, n, k, 2);
  config.options.tile_m = std::max<int64_t>(8, m / 4);
  config.options.tile_n = std::min<int64_t>(1024, n);
  config.options.comm_rows = config.options.tile_m;
  config.options.link.latency_s = latency_s;
  config.reps = reps;
  config.target_comm_share = share;
  Result<size_t> bytes = FusedOperator::PayloadBytes(op, config.problem, config.options);
  if (!bytes.ok()) {
    state.SkipWithError(bytes.status().ToString().c_str());
    return;
  }
  for (auto _ : state) {
    ThreadWorldGroup group(2, *bytes);
    std::vector<BenchResult> results(2);
    Status status = group.RunOnAllRanks([&](PeerWorld& world) -> Status {
      TS_ASSIGN_OR_RETURN(results[static_cast<size_t>(world.rank())],
                          RunBenchmark(world, config, nullptr));
      return OkStatus();
    });
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      return;
    }
    const BenchResult& r = results[0];
    state.counters["E_fused"] = r.efficiency_fused;
    state.counters["E_decomp"] = r.efficiency_decomp;
    state.counters["Tc_over_Tf"] = r.speedup_vs_nonoverlap;
    state.counters["Tm_over_Tf"] = r.speedup_vs_decomp;
    state.counters["fusion_overhead"] = r.fusion_overhead;
    state.counters["E_fused_low"] = r.paired.e_fused.low;
    state.counters["E_decomp_high"] = r.paired.e_decomp.high;
  }
}

void BM_OverlapAg_Smoke(benchmark::State& state) {
  RunCase(state, OpKind::kAgGemm, 64, 64, 64, 0.4, 1, 0);  // microseconds of GEMM: no latency
}
void BM_OverlapRs_Smoke(benchmark::State& state) {
  RunCase(state, OpKind::kGemmRs, 64, 64, 64, 0.4, 1, 0);
}
void BM_OverlapAg(benchmark::State& state) {
  RunCase(state, OpKind::kAgGemm, state.range(0), 6144 / 2, 1536, 0.4, 7);
}
void BM_OverlapRs(benchmark::State& state) {
  RunCase(state, OpKind::kGemmRs, state.range(0), 1536, 6144 / 2, 0.4, 7);
}
BENCHMARK(BM_OverlapAg_Smoke)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OverlapRs_Smoke)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OverlapAg)->Arg(256)->Arg(1024)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OverlapRs)->Arg(256)->Arg(1024)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace trainscope::overlap

BENCHMARK_MAIN();
