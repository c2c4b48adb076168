// SPDX-License-Identifier: Apache-2.0
// Order-statistic median intervals and Wilson intervals against hand-computed values, and the
// paired statistics of a small threaded benchmark run.
#include "overlap/bench_stats.h"

#include <gtest/gtest.h>

#include <cmath>

#include "overlap/bench.h"
#include "support/status_matchers.h"

namespace trainscope::overlap {
namespace {

// n = 9: P(Bin(9, 1/2) <= 1) = 10/512 = 0.0195 <= 0.025 < P(<= 2) = 46/512, so the 95% interval
// is [x_(2), x_(8)] with coverage 1 - 20/512 = 0.9609.
TEST(BenchStats, MedianIntervalNineSamplesByHand) {
  const Interval i = MedianInterval({9, 1, 8, 2, 7, 3, 6, 4, 5});
  EXPECT_DOUBLE_EQ(i.median, 5);
  EXPECT_DOUBLE_EQ(i.low, 2);
  EXPECT_DOUBLE_EQ(i.high, 8);
  EXPECT_NEAR(i.coverage, 1 - 20.0 / 512, 1e-12);
  EXPECT_EQ(i.samples, 9);
}

// n = 5: even [min, max] covers only 1 - 2/32 = 0.9375 < 0.95; n = 20: l = 6 (P(<= 5) =
// 21700/1048576 = 0.0207), coverage 1 - 2 x 0.0207 = 0.9586.
TEST(BenchStats, MedianIntervalSmallAndLargerSamples) {
  const Interval five = MedianInterval({3, 1, 2, 5, 4});
  EXPECT_DOUBLE_EQ(five.low, 1);
  EXPECT_DOUBLE_EQ(five.high, 5);
  EXPECT_NEAR(five.coverage, 0.9375, 1e-12);
  std::vector<double> twenty;
  for (int v = 1; v <= 20; ++v) twenty.push_back(v);
  const Interval i = MedianInterval(twenty);
  EXPECT_DOUBLE_EQ(i.median, 10.5);
  EXPECT_DOUBLE_EQ(i.low, 6);
  EXPECT_DOUBLE_EQ(i.high, 15);
  EXPECT_NEAR(i.coverage, 1 - 2 * 21700.0 / 1048576, 1e-12);
  EXPECT_TRUE(std::isnan(MedianInterval({}).median));
}

// Wilson 95% intervals (Newcombe 1998 method 3): 7/9 -> [0.4526, 0.9368], 10/20 -> [0.2993,
// 0.7007], 0/10 -> [0, 0.2775].
TEST(BenchStats, WilsonIntervalPublishedValues) {
  Proportion p = WilsonInterval(7, 9);
  EXPECT_NEAR(p.low, 0.4526, 1e-4);
  EXPECT_NEAR(p.high, 0.9368, 1e-4);
  p = WilsonInterval(10, 20);
  EXPECT_NEAR(p.low, 0.2993, 1e-4);
  EXPECT_NEAR(p.high, 0.7007, 1e-4);
  p = WilsonInterval(0, 10);
  EXPECT_DOUBLE_EQ(p.low, 0);
  EXPECT_NEAR(p.high, 0.2775, 1e-4);
  EXPECT_TRUE(std::isnan(WilsonInterval(0, 0).share));
}

// A small problem with 8-row tiles and comm tiles and a 1 us link latency.
BenchConfig SmallBench(OpKind op, const ShardedProblem& problem, int reps, double share) {
  BenchConfig config;
  config.op = op;
  config.problem = problem;
  config.options.tile_m = 8;
  config.options.tile_n = 64;
  config.options.comm_rows = 8;
  config.options.link.latency_s = 1e-6;
  config.reps = reps;
  config.target_comm_share = share;
  return config;
}

// A small threaded run: every repetition is counted, intervals hold their medians, the link is
// re-derived per repetition (a range, all positive) and the bounds follow the median share.
TEST(BenchStats, PairedRunIsConsistent) {
  for (int tp : {2, 4}) {
    const BenchConfig config = SmallBench(tp == 2 ? OpKind::kAgGemm : OpKind::kGemmRs,
                                          ShardedProblem::Even(64, 128, 96, tp), 5, 0.4);
    ASSERT_OK_AND_ASSIGN(size_t bytes,
                         FusedOperator::PayloadBytes(config.op, config.problem, config.options));
    ThreadWorldGroup group(tp, bytes);
    std::vector<BenchResult> results(static_cast<size_t>(tp));
    ASSERT_OK(group.RunOnAllRanks([&](PeerWorld& world) -> Status {
      TS_ASSIGN_OR_RETURN(results[static_cast<size_t>(world.rank())],
                          RunBenchmark(world, config, nullptr));
      return OkStatus();
    }));
    const PairedStats& p = results[0].paired;
    EXPECT_EQ(p.e_fused.samples, 5);
    EXPECT_EQ(p.fused_beats_decomp.trials, 5);
    for (const Interval* i : {&p.e_fused, &p.e_decomp, &p.e_gain, &p.speedup_vs_decomp}) {
      EXPECT_LE(i->low, i->median);
      EXPECT_LE(i->median, i->high);
    }
    EXPECT_GT(p.link_bytes_per_s_min, 0);
    EXPECT_LE(p.link_bytes_per_s_min, p.link_bytes_per_s_max);
    const double s = p.comm_share.median;
    EXPECT_DOUBLE_EQ(p.e_bound, std::min(1.0, (1 - s) / s));
    EXPECT_DOUBLE_EQ(p.e_decomp_ideal, std::min(1.0, (1 - 1.0 / tp) * (1 - s) / s));
    EXPECT_DOUBLE_EQ(results[0].efficiency_fused, p.e_fused.median);
    // Every rank derived the same link (from the all-max T_g).
    EXPECT_EQ(results[1].config.options.link.bandwidth_bytes_per_s,
              results[0].config.options.link.bandwidth_bytes_per_s);
  }
}

// A NaN share passes '< 0 || >= 1' and ran with no link emulation at all; every rank refuses it.
TEST(BenchStats, NanCommShareIsRefused) {
  const BenchConfig config =
      SmallBench(OpKind::kGemmRs, ShardedProblem::Even(64, 128, 96, 2), 1, std::nan(""));
  ASSERT_OK_AND_ASSIGN(size_t bytes,
                       FusedOperator::PayloadBytes(config.op, config.problem, config.options));
  ThreadWorldGroup group(2, bytes);
  EXPECT_THAT(group.RunOnAllRanks([&](PeerWorld& world) -> Status {
    return RunBenchmark(world, config, nullptr).status();
  }),
              testing::StatusIs(StatusCode::kInvalidArgument,
                                "target comm share nan must be in [0, 1)"));
}

// The RS comm-tile tuner: candidates from the configured tile doubled up to the shard, each
// timed; every rank picks the same fastest one and the run uses it.
TEST(BenchStats, TunerPicksTheFastestCommTileOnEveryRank) {
  // 48 rows per shard.
  BenchConfig config = SmallBench(OpKind::kGemmRs, ShardedProblem::Even(96, 64, 96, 2), 2, 0.3);
  config.tune_comm_rows = true;
  ASSERT_OK_AND_ASSIGN(size_t bytes,
                       FusedOperator::PayloadBytes(config.op, config.problem, config.options));
  ThreadWorldGroup group(2, bytes);
  std::vector<BenchResult> results(2);
  ASSERT_OK(group.RunOnAllRanks([&](PeerWorld& world) -> Status {
    TS_ASSIGN_OR_RETURN(results[static_cast<size_t>(world.rank())],
                        RunBenchmark(world, config, nullptr));
    return OkStatus();
  }));
  const std::vector<CommRowsTrial>& tried = results[0].comm_rows_tried;
  ASSERT_EQ(tried.size(), 4u);
  const int64_t want[] = {8, 16, 32, 48};
  size_t best = 0;
  for (size_t i = 0; i < tried.size(); ++i) {
    EXPECT_EQ(tried[i].comm_rows, want[i]);
    EXPECT_GT(tried[i].fused_s, 0);
    if (tried[i].fused_s < tried[best].fused_s) best = i;
  }
  EXPECT_EQ(results[0].config.options.comm_rows, tried[best].comm_rows);
  EXPECT_EQ(results[1].config.options.comm_rows, results[0].config.options.comm_rows);
  EXPECT_EQ(results[0].paired.e_fused.samples, 2);
}

}  // namespace
}  // namespace trainscope::overlap
