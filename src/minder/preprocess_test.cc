// SPDX-License-Identifier: Apache-2.0
// Pre-processing tests: grid, nearest fill within 3 s, gaps, duplicates, order, skew, GPUs.
#include "minder/preprocess.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "minder/detector.h"
#include "minder/replay.h"
#include "support/status_matchers.h"

namespace trainscope::minder {
namespace {

constexpr int64_t kS = model::kNanosPerSecond;

TEST(PreprocessTest, FillsShortGapsAndReportsLongOnes) {
  model::MetricTable t;
  int32_t a = t.InternMachine("a"), cpu = t.InternMetric("cpu");
  // Samples at 0..3, then a 2 s hole (4, 5), sample at 6, then a 10 s hole, sample at 17.
  for (int s : {0, 1, 2, 3, 6, 17}) t.Append(s * kS + 100, a, cpu, model::kNoGpu, s);
  t.Append(2 * kS, a, cpu, model::kNoGpu, 4);  // duplicate second 2 (and out of order)
  Diagnostics d;
  GridOptions opt;
  opt.expected_machines = {"a", "ghost"};
  ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(t, opt, &d));
  ASSERT_EQ(g.steps, 18);
  EXPECT_EQ(g.absent, std::vector<std::string>{"ghost"});
  EXPECT_EQ(d.Count("machine_absent"), 1);
  EXPECT_EQ(d.Count("duplicate_timestamp"), 1);
  EXPECT_EQ(d.Count("non_monotonic_time"), 1);
  EXPECT_FLOAT_EQ(g.At(0, 0, 2), 3.f);  // mean of the duplicates 2 and 4
  EXPECT_FLOAT_EQ(g.At(0, 0, 4), 3.f);  // nearest is second 3 (1 s) before 6 (2 s)
  EXPECT_FLOAT_EQ(g.At(0, 0, 5), 6.f);
  EXPECT_FLOAT_EQ(g.At(0, 0, 9), 6.f);      // 3 s from 6: filled
  EXPECT_TRUE(std::isnan(g.At(0, 0, 10)));  // 4 s from either side: missing
  EXPECT_FLOAT_EQ(g.At(0, 0, 14), 17.f);
}

// A pull whose grid would be mostly empty (samples days apart on many metrics) is refused with
// its sizes before the grid is allocated; the same metrics sampled every second are built.
TEST(PreprocessTest, SparseGridIsRefusedDenseOneBuilt) {
  model::MetricTable sparse;
  const int32_t a = sparse.InternMachine("a"), b = sparse.InternMachine("b");
  for (int k = 0; k < 10; ++k) {
    const int32_t metric = sparse.InternMetric(std::string(1, static_cast<char>('a' + k)));
    sparse.Append(0, a, metric, model::kNoGpu, 1);
    sparse.Append(1000000 * kS, b, metric, model::kNoGpu, 2);  // 11.6 days later
  }
  // 10 metrics x 2 machines x 1,000,001 s = 20 M cells for 20 samples.
  EXPECT_THAT(BuildGrid(sparse, GridOptions{}, nullptr).status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "make a grid of 20 M cells"));
  GridOptions one_metric;  // 1 x 2 x 1,000,001 = 2 M cells for 2 samples: still too sparse
  one_metric.metrics = {"a"};
  EXPECT_THAT(BuildGrid(sparse, one_metric, nullptr).status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "make a grid of 2 M cells"));
  model::MetricTable dense;
  const int32_t da = dense.InternMachine("a"), db = dense.InternMachine("b");
  const int32_t m = dense.InternMetric("m");
  for (int s = 0; s < 3600; ++s) {
    dense.Append(s * kS, da, m, model::kNoGpu, s);
    dense.Append(s * kS, db, m, model::kNoGpu, s);
  }
  ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(dense, GridOptions{}, nullptr));
  EXPECT_EQ(g.steps, 3600);
}

TEST(PreprocessTest, PerGpuMeanMinAndMissingGpu) {
  model::MetricTable t;
  int32_t a = t.InternMachine("a"), util = t.InternMetric("gpu_util");
  for (int s = 0; s < 10; ++s) {
    t.Append(s * kS, a, util, 0, 90);
    t.Append(s * kS, a, util, 1, s < 5 ? 80 : 20);
    if (s < 3) t.Append(s * kS, a, util, 2, 70);  // GPU 2 drops at second 3
  }
  ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(t, GridOptions{}, nullptr));
  ASSERT_EQ(g.channels.size(), 2u);
  EXPECT_EQ(g.channels[1].name, "gpu_util[min]");
  EXPECT_FLOAT_EQ(g.At(0, 0, 0), 80.f);
  EXPECT_FLOAT_EQ(g.At(1, 0, 0), 70.f);
  EXPECT_EQ(g.channels[1].gpu[0], 2);
  EXPECT_FLOAT_EQ(g.At(1, 0, 4), 70.f);  // GPU 2 filled from second 2 (2 s away)
  EXPECT_FLOAT_EQ(g.At(1, 0, 5), 20.f);  // GPU 2 still filled (3 s); GPU 1 now lower
  EXPECT_EQ(g.channels[1].gpu[5], 1);
  EXPECT_TRUE(std::isnan(g.At(1, 0, 6)));  // then missing: the min is missing, GPU 2 named
  EXPECT_EQ(g.channels[1].gpu[6], 2);
  EXPECT_FLOAT_EQ(g.At(0, 0, 6), 55.f);  // mean over the GPUs present
}

TEST(PreprocessTest, AlignsClockSkew) {
  model::MetricTable t;
  int32_t cpu = t.InternMetric("cpu");
  for (int m = 0; m < 5; ++m) {
    std::string name = "n";
    name += std::to_string(m);
    int32_t id = t.InternMachine(name);
    int skew = m == 3 ? 2 : 0;  // n3's clock runs 2 s ahead
    for (int s = 0; s < 300; ++s) {
      double v = std::sin(s * 0.7) + ((s / 13) % 2);
      t.Append((s + skew) * kS, id, cpu, model::kNoGpu, v);
    }
  }
  Diagnostics d;
  ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(t, GridOptions{}, &d));
  EXPECT_EQ(g.skew_seconds[3], 2);
  EXPECT_EQ(g.skew_seconds[0], 0);
  EXPECT_EQ(d.Count("clock_skew"), 1);
  EXPECT_FLOAT_EQ(g.At(0, 3, 100), g.At(0, 0, 100));
}

// issue 15: the `[min]` channel works for NICs named by the input exactly as for GPUs, and an
// alert on it names the device and its kind.
TEST(PreprocessTest, NicMinChannelNamesTheDevice) {
  model::MetricTable t;
  int32_t a = t.InternMachine("a"), b = t.InternMachine("b"), rx = t.InternMetric("rdma_rx_MBps");
  ASSERT_OK_AND_ASSIGN(int16_t a0, t.InternDevice(a, "ens11np0", model::DeviceKind::kNic));
  ASSERT_OK_AND_ASSIGN(int16_t a1, t.InternDevice(a, "ens18np0", model::DeviceKind::kNic));
  ASSERT_OK_AND_ASSIGN(int16_t b0, t.InternDevice(b, "unknown", model::DeviceKind::kNic));
  for (int s = 0; s < 20; ++s) {
    t.Append(s * kS, a, rx, a0, 900);
    t.Append(s * kS, a, rx, a1, s < 10 ? 800 : 5);  // ens18np0 of `a` stops carrying traffic
    t.Append(s * kS, b, rx, b0, 850);
  }
  ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(t, GridOptions{}, nullptr));
  ASSERT_EQ(g.channels.size(), 2u);
  EXPECT_EQ(g.channels[1].name, "rdma_rx_MBps[min]");
  // NIC minima are taken over 8-s trailing means (bursts alternate between NICs): at second 12,
  // ens18np0's mean over seconds 5..12 is (5 x 800 + 3 x 5) / 8; from second 17 on it is 5. The
  // mean channel stays per second: (900 + 5) / 2.
  EXPECT_FLOAT_EQ(g.At(1, 0, 12), (5 * 800.f + 3 * 5.f) / 8);
  EXPECT_FLOAT_EQ(g.At(1, 0, 17), 5.f);
  EXPECT_FLOAT_EQ(g.At(0, 0, 12), (900.f + 5.f) / 2);
  const int16_t at_min = g.channels[1].gpu[12];
  EXPECT_EQ(g.DeviceOf(0, at_min), (std::pair<std::string, std::string>{"ens18np0", "nic"}));
  EXPECT_EQ(g.DeviceOf(1, g.channels[1].gpu[20 + 12]),
            (std::pair<std::string, std::string>{"unknown", "nic"}));
  EXPECT_EQ(g.DeviceOf(0, -1), (std::pair<std::string, std::string>{}));
  EXPECT_EQ(g.DeviceOf(0, 9), (std::pair<std::string, std::string>{"9", "gpu"}));  // bare index
  Grid slice = SliceGrid(g, 10, 10);
  EXPECT_EQ(slice.DeviceOf(0, at_min).first, "ens18np0");
  // An alert on the min channel names the device that gave the min.
  ChannelScores scores;
  scores.name = g.channels[1].name;
  scores.Reset(8);
  for (size_t w = 0; w < 8; ++w) {
    scores.candidate[w] = 0;
    scores.z[w] = 10.f;
    scores.gpu[w] = at_min;
  }
  DetectOptions opt;
  opt.continuity_windows = 3;
  std::vector<Alert> alerts = FindAlerts(slice, scores, opt);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].machine, "a");
  EXPECT_EQ(alerts[0].device, "ens18np0");
  EXPECT_EQ(alerts[0].device_kind, "nic");
}

TEST(PreprocessTest, RobustBoundsIgnoreOutliers) {
  Channel ch;
  for (int k = 0; k < 1000; ++k) ch.values.push_back(static_cast<float>(k % 100));
  ch.values.push_back(1e6f);
  ch.values.push_back(std::nanf(""));
  FitBounds(&ch);
  EXPECT_NEAR(ch.lo, 0.0, 1.0);
  EXPECT_NEAR(ch.hi, 99.0, 1.0);
  Normalise(&ch);
  EXPECT_FLOAT_EQ(ch.values[1000], 1.5f);  // clipped
}

TEST(PreprocessTest, EmptyPullIsAnError) {
  model::MetricTable t;
  t.InternMetric("cpu");
  EXPECT_THAT(BuildGrid(t, GridOptions{}, nullptr),
              testing::StatusIs(StatusCode::kFailedPrecondition, "empty pull"));
}

}  // namespace
}  // namespace trainscope::minder
