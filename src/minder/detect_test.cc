// SPDX-License-Identifier: Apache-2.0
// Detection tests: distance kernel vs brute force, an injected deviation found with the right
// machine and time, continuity against a short spike, missingness, single machine.
#include "minder/detector.h"

#include <cmath>

#include <gtest/gtest.h>

#include "minder/synth.h"
#include "support/status_matchers.h"

namespace trainscope::minder {
namespace {

constexpr int64_t kS = model::kNanosPerSecond;

TEST(DetectTest, DistanceKernelMatchesBruteForce) {
  uint64_t rng = 3;
  for (int n : {2, 3, 17, 100}) {
    Eigen::MatrixXd e = NormalMatrix(kWindow, n, &rng);
    Eigen::MatrixXf ef = e.cast<float>();
    std::vector<float> s(static_cast<size_t>(n));
    MeanPairwiseDistances(ef.data(), kWindow, n, s.data());
    for (int i = 0; i < n; ++i) {
      double ref = 0;
      for (int j = 0; j < n; ++j) ref += (e.col(i) - e.col(j)).norm();
      EXPECT_NEAR(s[static_cast<size_t>(i)], ref / (n - 1), 1e-4 * (1 + ref / (n - 1)));
    }
  }
}

// A job where machine m0003 drops its GPU utilisation to idle from second 300 to 700.
model::MetricTable JobWithFault(int machines, int fault_start, int fault_end, int drop_machine) {
  model::MetricTable t;
  SynthJobOptions opt;
  opt.machines = machines;
  opt.seconds = 900;
  opt.start_s = 0;
  SynthesizeJob(opt, &t);
  model::MetricTable out;
  for (const auto& m : t.machines().names()) out.InternMachine(m);
  for (const auto& m : t.metrics().names()) out.InternMetric(m);
  for (size_t i = 0; i < t.size(); ++i) {
    int64_t s = t.ts()[i] / kS;
    bool hit = t.machine()[i] == 3 && s >= fault_start && s < fault_end;
    const std::string& name = t.metrics().Name(t.metric()[i]);
    if (hit && drop_machine == 1 && (name == "gpu_util" || name == "gpu_power")) {
      out.Append(t.ts()[i], t.machine()[i], t.metric()[i], t.gpu()[i], t.value()[i] * 0.1);
    } else if (hit && drop_machine == 2) {
      continue;  // machine unreachable: no samples
    } else {
      out.Append(t.ts()[i], t.machine()[i], t.metric()[i], t.gpu()[i], t.value()[i]);
    }
  }
  return out;
}

DetectOptions Options(int continuity) {
  DetectOptions o;
  o.method = Method::kRawDistance;
  o.metric_order = {"gpu_util", "cpu"};
  o.continuity_windows = continuity;
  o.threshold = 6;
  return o;
}

TEST(DetectTest, FindsTheDeviatingMachineWithContinuity) {
  ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(JobWithFault(8, 300, 700, 1), GridOptions{}, nullptr));
  ASSERT_OK_AND_ASSIGN(Detection d, Detect(g, nullptr, Options(240)));
  ASSERT_EQ(d.alerts.size(), 1u);
  EXPECT_EQ(d.alerts[0].machine, "m0003");
  EXPECT_EQ(d.alerts[0].metric, "gpu_util");
  EXPECT_NEAR(static_cast<double>(d.alerts[0].start_ns / kS), 300 - 7, 8);
  EXPECT_NEAR(static_cast<double>(d.alerts[0].end_ns / kS), 700, 8);
  EXPECT_GT(d.alerts[0].score, 6);
  EXPECT_GT(d.alerts[0].margin, 1);
}

TEST(DetectTest, ShortSpikeNeedsContinuityOff) {
  ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(JobWithFault(8, 300, 340, 1), GridOptions{}, nullptr));
  ASSERT_OK_AND_ASSIGN(Detection on, Detect(g, nullptr, Options(240)));
  EXPECT_TRUE(on.alerts.empty());
  ASSERT_OK_AND_ASSIGN(Detection off, Detect(g, nullptr, Options(1)));
  ASSERT_FALSE(off.alerts.empty());
  EXPECT_EQ(off.alerts[0].machine, "m0003");
}

TEST(DetectTest, UnreachableMachineNamedFromMissingness) {
  ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(JobWithFault(6, 200, 800, 2), GridOptions{}, nullptr));
  ASSERT_OK_AND_ASSIGN(Detection d, Detect(g, nullptr, Options(240)));
  ASSERT_EQ(d.alerts.size(), 1u);
  EXPECT_EQ(d.alerts[0].machine, "m0003");
  EXPECT_TRUE(d.alerts[0].missing);
}

TEST(DetectTest, HealthyJobAndMahalanobisBaseline) {
  ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(JobWithFault(8, 0, 0, 0), GridOptions{}, nullptr));
  ASSERT_OK_AND_ASSIGN(Detection d, Detect(g, nullptr, Options(240)));
  EXPECT_TRUE(d.alerts.empty());
  DetectOptions md = Options(240);
  md.method = Method::kMahalanobis;
  ASSERT_OK_AND_ASSIGN(Grid f, BuildGrid(JobWithFault(8, 300, 700, 1), GridOptions{}, nullptr));
  ASSERT_OK_AND_ASSIGN(Detection m, Detect(f, nullptr, md));
  ASSERT_FALSE(m.alerts.empty());
  EXPECT_EQ(m.alerts[0].machine, "m0003");
}

TEST(DetectTest, SingleMachineAndMissingModels) {
  model::MetricTable t;
  SynthesizeJob(SynthJobOptions{.machines = 1, .seconds = 60}, &t);
  ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(t, GridOptions{}, nullptr));
  EXPECT_THAT(Detect(g, nullptr, Options(240)),
              testing::StatusIs(StatusCode::kFailedPrecondition, "single machine"));
  model::MetricTable two;
  SynthesizeJob(SynthJobOptions{.machines = 3, .seconds = 60}, &two);
  ASSERT_OK_AND_ASSIGN(Grid g3, BuildGrid(two, GridOptions{}, nullptr));
  DetectOptions o = Options(240);
  o.method = Method::kMinder;
  EXPECT_THAT(Detect(g3, nullptr, o), testing::StatusIs(StatusCode::kFailedPrecondition, "models"));
}

}  // namespace
}  // namespace trainscope::minder
