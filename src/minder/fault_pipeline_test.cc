// SPDX-License-Identifier: Apache-2.0
// The fault pipeline on synthetic jobs: the stalled machine named in one call and under the
// replay schedule, a healthy job, the chart series, and detector.txt absent (built-in defaults,
// diagnosed) or corrupt (an error).
#include "minder/fault_pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "minder/model_set.h"
#include "minder/synth.h"
#include "support/status_matchers.h"

namespace trainscope::minder {
namespace {

using ::trainscope::testing::StatusIs;
constexpr int64_t kS = model::kNanosPerSecond;

// A synthetic 8-machine job of `seconds` s where m0003's GPU utilisation and power drop to a
// tenth from `stall_from` to `stall_to` (no stall when they are equal).
model::MetricTable JobWithStall(int seconds, int stall_from, int stall_to) {
  model::MetricTable t;
  SynthesizeJob(SynthJobOptions{.machines = 8, .seconds = seconds, .start_s = 0, .seed = 4}, &t);
  model::MetricTable out;
  for (const auto& m : t.machines().names()) out.InternMachine(m);
  for (const auto& m : t.metrics().names()) out.InternMetric(m);
  for (size_t i = 0; i < t.size(); ++i) {
    const int64_t s = t.ts()[i] / kS;
    const std::string& name = t.metrics().Name(t.metric()[i]);
    const bool hit = t.machine()[i] == 3 && s >= stall_from && s < stall_to &&
                     (name == "gpu_util" || name == "gpu_power");
    out.Append(t.ts()[i], t.machine()[i], t.metric()[i], t.gpu()[i],
               hit ? t.value()[i] * 0.1 : t.value()[i]);
  }
  return out;
}

FaultRunOptions Options() {
  FaultRunOptions o;
  o.threads = 2;
  return o;
}

// A models folder with the shipped models and, when `detector` is not null, that detector.txt.
std::string ModelsDir(const std::string& name, const char* detector) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& entry : std::filesystem::directory_iterator(DefaultModelsDir())) {
    if (entry.path().extension() == ".vae") {
      std::filesystem::copy_file(entry.path(), dir / entry.path().filename());
    }
  }
  if (detector != nullptr) std::ofstream(dir / "detector.txt") << detector;
  return dir.string();
}

double MaxZ(const MachineScoreSeries& s) {
  double best = -INFINITY;
  for (double z : s.z) {
    if (std::isfinite(z)) best = std::max(best, z);
  }
  return best;
}

TEST(FaultPipelineTest, NamesTheStalledMachineInOneCall) {
  ASSERT_OK_AND_ASSIGN(FaultRun run, RunFaultDetection(JobWithStall(900, 300, 700), Options()));
  EXPECT_EQ(run.calls, 1);  // 900 s fit in one pull
  EXPECT_EQ(run.verdict, Verdict::kFaulty);
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].machine, "m0003");
  EXPECT_EQ(run.deciding_metric, run.alerts[0].metric);
  EXPECT_EQ(run.machines, 8);
  EXPECT_EQ(run.seconds, 900);
  EXPECT_EQ(run.t0_ns, 0);
  EXPECT_GT(run.threshold, 0);
  // One series per machine, at most max_points bins, in time order; the stalled machine stands
  // out the most and passes the threshold.
  ASSERT_EQ(run.series.size(), 8u);
  size_t top = 0;
  for (size_t m = 0; m < run.series.size(); ++m) {
    const MachineScoreSeries& s = run.series[m];
    ASSERT_EQ(s.t_s.size(), s.z.size());
    EXPECT_LE(s.z.size(), Options().max_points);
    EXPECT_TRUE(std::is_sorted(s.t_s.begin(), s.t_s.end()));
    if (MaxZ(s) > MaxZ(run.series[top])) top = m;
  }
  EXPECT_EQ(run.series[top].machine, "m0003");
  EXPECT_GE(MaxZ(run.series[top]), run.threshold);
}

TEST(FaultPipelineTest, ReplaysTheProductionScheduleOnALongerRecording) {
  FaultRunOptions o = Options();
  o.pull_seconds = 600;
  o.every_seconds = 300;
  ASSERT_OK_AND_ASSIGN(FaultRun run, RunFaultDetection(JobWithStall(1500, 800, 1200), o));
  EXPECT_GT(run.calls, 1);
  EXPECT_EQ(run.verdict, Verdict::kFaulty);
  ASSERT_FALSE(run.alerts.empty());
  EXPECT_EQ(run.alerts[0].machine, "m0003");
  EXPECT_GE(run.alerts[0].start_ns, 700 * kS);
}

// A fault that lasts to the end of the recording: the calls at 1200 s and 1500 s both alert, so
// the one alert runs from the stall to past the first alerting call's pull (which ends at
// 1200 s); the report showed the window ending there while the fault went on (issue 21 item 5).
TEST(FaultPipelineTest, AnAlertLastsAsLongAsTheCallsKeepSeeingIt) {
  FaultRunOptions o = Options();
  o.pull_seconds = 600;
  o.every_seconds = 300;
  ASSERT_OK_AND_ASSIGN(FaultRun run, RunFaultDetection(JobWithStall(1500, 800, 1400), o));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].machine, "m0003");
  EXPECT_GE(run.alerts[0].start_ns, 700 * kS);
  EXPECT_GT(run.alerts[0].end_ns, 1200 * kS);
  EXPECT_LE(run.alerts[0].end_ns, 1500 * kS);
}

TEST(FaultPipelineTest, HealthyJobHasNoAlertButAChart) {
  ASSERT_OK_AND_ASSIGN(FaultRun run, RunFaultDetection(JobWithStall(900, 0, 0), Options()));
  EXPECT_EQ(run.verdict, Verdict::kHealthy);
  EXPECT_TRUE(run.alerts.empty());
  EXPECT_FALSE(run.deciding_metric.empty());  // the top-priority channel present
  EXPECT_EQ(run.series.size(), 8u);
}

// The stalled job exported every 15 s (Prometheus' default scrape): report and demo judged it
// like 1 s data; now, as `minder detect`, no call is made and the reason is given.
TEST(FaultPipelineTest, SamplingCoarserThanOneSecondIsInconclusive) {
  const model::MetricTable fine = JobWithStall(900, 300, 900);
  model::MetricTable coarse;
  for (const auto& m : fine.machines().names()) coarse.InternMachine(m);
  for (const auto& m : fine.metrics().names()) coarse.InternMetric(m);
  for (size_t i = 0; i < fine.size(); ++i) {
    if ((fine.ts()[i] / kS) % 15 != 0) continue;
    coarse.Append(fine.ts()[i], fine.machine()[i], fine.metric()[i], fine.gpu()[i],
                  fine.value()[i]);
  }
  ASSERT_OK_AND_ASSIGN(FaultRun run, RunFaultDetection(std::move(coarse), Options()));
  EXPECT_EQ(run.verdict, Verdict::kInconclusive);
  EXPECT_TRUE(run.alerts.empty());
  EXPECT_EQ(run.calls, 0);
  ASSERT_EQ(run.inconclusive.size(), 1u);
  EXPECT_NE(run.inconclusive[0].find("15"), std::string::npos) << run.inconclusive[0];
}

TEST(FaultPipelineTest, ReadingDiagnosticsComeFirst) {
  Diagnostics reading;
  reading.Add("non_finite_value", "metrics.csv", "line 7", "NaN dropped");
  ASSERT_OK_AND_ASSIGN(FaultRun run,
                       RunFaultDetection(JobWithStall(900, 0, 0), Options(), std::move(reading)));
  ASSERT_FALSE(run.diagnostics.empty());
  EXPECT_EQ(run.diagnostics.items()[0].name, "non_finite_value");
  EXPECT_EQ(run.diagnostics.Count("detector_defaults_absent"), 0);
}

TEST(FaultPipelineTest, CorruptDetectorDefaultsAreAnError) {
  FaultRunOptions o = Options();
  o.models_dir = ModelsDir("fault_pipeline_corrupt", "threshold banana\n");
  EXPECT_THAT(RunFaultDetection(JobWithStall(900, 300, 700), o),
              StatusIs(StatusCode::kInvalidArgument, "detector.txt:1: bad threshold"));
}

TEST(FaultPipelineTest, AbsentDetectorDefaultsFallBackToBuiltInWithADiagnostic) {
  FaultRunOptions o = Options();
  o.models_dir = ModelsDir("fault_pipeline_absent", nullptr);
  ASSERT_OK_AND_ASSIGN(FaultRun run, RunFaultDetection(JobWithStall(900, 300, 700), o));
  EXPECT_EQ(run.diagnostics.Count("detector_defaults_absent"), 1);
  EXPECT_EQ(run.threshold, DetectorDefaults{}.threshold);
  ASSERT_FALSE(run.alerts.empty());
  EXPECT_EQ(run.alerts[0].machine, "m0003");
}

}  // namespace
}  // namespace trainscope::minder
