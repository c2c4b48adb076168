// SPDX-License-Identifier: Apache-2.0
// Detection tests: distance kernel vs brute force, an injected deviation found with the right
// machine and time, continuity against a short spike, missingness, single machine, hysteresis
// and per-channel thresholds, the busy-node trap and the reference that handles it, fault
// injection victims, detector defaults files, the evaluation's once-only counting of overlaps.
#include "minder/detector.h"

#include <cmath>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "minder/eval_internal.h"
#include "minder/inject.h"
#include "minder/replay.h"
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

// The last `keep` machines of `t` (m0003 is the one JobWithFault takes out).
model::MetricTable LastMachines(const model::MetricTable& t, int keep) {
  model::MetricTable out;
  for (const auto& m : t.metrics().names()) out.InternMetric(m);
  const int first = t.machines().size() - keep;
  for (int m = first; m < t.machines().size(); ++m) out.InternMachine(t.machines().Name(m));
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.machine()[i] < first) continue;
    out.Append(t.ts()[i], t.machine()[i] - first, t.metric()[i], t.gpu()[i], t.value()[i]);
  }
  return out;
}

TEST(DetectTest, UnreachableMachineNamedInSmallJobs) {
  // With 2 or 3 machines one absent machine is more than a quarter of the job; it is still the
  // only one absent, so missingness names it (peer distances cannot: two machines cannot say
  // which one differs).
  for (int n : {2, 3}) {
    SCOPED_TRACE(n);
    ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(LastMachines(JobWithFault(4, 200, 800, 2), n), GridOptions{}, nullptr));
    ASSERT_EQ(g.machines.size(), static_cast<size_t>(n));
    ASSERT_OK_AND_ASSIGN(Detection d, Detect(g, nullptr, Options(240)));
    ASSERT_EQ(d.alerts.size(), 1u);
    EXPECT_EQ(d.alerts[0].machine, "m0003");
    EXPECT_TRUE(d.alerts[0].missing);
  }
}

TEST(DetectTest, ManyAbsentMachinesAreNotOneFault) {
  // Machines 3..5 of 8 gone together (3 > a quarter of 8): a shared outage, no machine named.
  model::MetricTable t = JobWithFault(8, 0, 0, 0), out;
  for (const auto& m : t.metrics().names()) out.InternMetric(m);
  for (const auto& m : t.machines().names()) out.InternMachine(m);
  for (size_t i = 0; i < t.size(); ++i) {
    const int64_t sec = t.ts()[i] / kS;
    if (t.machine()[i] >= 3 && t.machine()[i] <= 5 && sec >= 200 && sec < 800) continue;
    out.Append(t.ts()[i], t.machine()[i], t.metric()[i], t.gpu()[i], t.value()[i]);
  }
  ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(out, GridOptions{}, nullptr));
  ASSERT_OK_AND_ASSIGN(Detection d, Detect(g, nullptr, Options(240)));
  for (const Alert& a : d.alerts) EXPECT_FALSE(a.missing) << a.machine;
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
  // Issue 15: one machine cannot be judged, and says so (inconclusive), instead of "healthy".
  ASSERT_OK_AND_ASSIGN(Detection one, Detect(g, nullptr, Options(1)));
  EXPECT_EQ(VerdictOf(one), Verdict::kInconclusive);
  ASSERT_FALSE(one.inconclusive.empty());
  EXPECT_THAT(one.inconclusive[0], ::testing::HasSubstr("1 machine(s)"));
  model::MetricTable two;
  SynthesizeJob(SynthJobOptions{.machines = 3, .seconds = 60}, &two);
  ASSERT_OK_AND_ASSIGN(Grid g3, BuildGrid(two, GridOptions{}, nullptr));
  DetectOptions o = Options(240);
  o.method = Method::kMinder;
  EXPECT_THAT(Detect(g3, nullptr, o), testing::StatusIs(StatusCode::kFailedPrecondition, "models"));
}

// Hand-made per-window outcomes: machine 2 on top for 300 windows, z alternating 7 and 4.
ChannelScores Alternating(int windows) {
  ChannelScores s;
  s.name = "cpu";
  s.Reset(static_cast<size_t>(windows));
  s.candidate.assign(static_cast<size_t>(windows), 2);
  for (int w = 0; w < windows; ++w) s.z[static_cast<size_t>(w)] = w % 2 == 0 ? 7.f : 4.f;
  s.margin.assign(static_cast<size_t>(windows), 1.f);
  return s;
}

TEST(DetectTest, HysteresisKeepsAFluctuatingOutlierAndPerChannelThresholds) {
  Grid g;
  g.machines = {"a", "b", "c", "d"};
  ChannelScores s = Alternating(300);
  DetectOptions o;
  o.threshold = 6;
  o.continuity_windows = 240;
  o.hold_fraction = 0.5;  // 4 >= 3 keeps the run
  std::vector<Alert> a = FindAlerts(g, s, o);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].machine, "c");
  EXPECT_EQ(a[0].windows, 300);
  EXPECT_NEAR(a[0].score, 5.5, 1e-6);  // mean of 7 and 4
  o.hold_fraction = 1.0;  // every other window a gap: 150 gaps > 5 % of 240
  EXPECT_TRUE(FindAlerts(g, s, o).empty());
  o.hold_fraction = 0.5;
  o.channel_thresholds["cpu"] = 8;  // no window starts a run
  EXPECT_TRUE(FindAlerts(g, s, o).empty());
  EXPECT_EQ(o.ThresholdFor("cpu"), 8);
  EXPECT_EQ(o.ThresholdFor("gpu_util"), 6);
  // Another machine on top for a window is a gap in c's run (a short spike elsewhere)...
  o.channel_thresholds.clear();
  s.candidate[150] = 1;
  s.z[150] = 9;
  a = FindAlerts(g, s, o);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].machine, "c");
  EXPECT_EQ(a[0].windows, 299);
  // ...but on top for longer than the gap budget (12 windows) it breaks the run and starts its
  // own, which c interrupts in turn: no 4-minute run is left.
  for (int w = 140; w < 160; ++w) {
    s.candidate[static_cast<size_t>(w)] = 1;
    s.z[static_cast<size_t>(w)] = 9;
  }
  EXPECT_TRUE(FindAlerts(g, s, o).empty());
  // Unless c stays an outlier under the other machine: second with z 5 >= the hold level 3, the
  // run goes through those 20 windows. Score: (1650 - (10*7 + 10*4) + 20*5) / 300; the margin
  // counts only the windows c leads (280 of 300, margin 1 each).
  for (int w = 140; w < 160; ++w) {
    s.runner_up[static_cast<size_t>(w)] = 2;
    s.runner_up_z[static_cast<size_t>(w)] = 5;
  }
  a = FindAlerts(g, s, o);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].machine, "c");
  EXPECT_EQ(a[0].windows, 300);
  EXPECT_NEAR(a[0].score, 1640.0 / 300, 1e-6);
  EXPECT_NEAR(a[0].margin, 280.0 / 300, 1e-6);
  // Second but under the hold level (2 < 3): a gap again, the run breaks.
  for (int w = 140; w < 160; ++w) s.runner_up_z[static_cast<size_t>(w)] = 2;
  EXPECT_TRUE(FindAlerts(g, s, o).empty());
}

// The outlier test by hand: scores 1, 2, 3, 10, 9: median 3, MAD 2 (deviations 2, 1, 0, 7, 6),
// denominator 1.4826 * 2 + 0.05; top machine 3 (z 7 / denom), runner-up machine 4 (z 6 / denom).
TEST(DetectTest, OutlierTestNamesTopAndRunnerUp) {
  std::vector<std::vector<float>> score = {{1, 2, 3, 10, 9}};
  ChannelScores out;
  out.Reset(1);
  DetectOptions o;
  o.threads = 1;
  o.relative_spread_floor = 0;  // the fixed floor alone
  RankWindows(&score, false, o, &out);
  const double denom = 1.4826 * 2 + 0.05;
  EXPECT_EQ(out.candidate[0], 3);
  EXPECT_NEAR(out.z[0], 7 / denom, 1e-5);
  EXPECT_NEAR(out.margin[0], 1 / denom, 1e-5);
  EXPECT_EQ(out.runner_up[0], 4);
  EXPECT_NEAR(out.runner_up_z[0], 6 / denom, 1e-5);
}

// The relative spread floor by hand (issue 15 item 2): window 0 as above (median 3), window 14
// (the floor samples every 14th window) scores 1, 1, 1, 1, 5 (median 1, MAD 0), the windows
// between them too few machines. Median of the sampled medians (3, 1) = 2, floor
// max(0.05, 0.5 * 2) = 1: window 14's z is (5 - 1) / (0 + 1) = 4, not 4 / 0.05 = 80; window 0's
// is 7 / (1.4826 * 2 + 1).
TEST(DetectTest, RelativeSpreadFloorKeepsIdenticalPeersFromMakingAHugeZ) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<std::vector<float>> score(15, std::vector<float>{1, 2, nan, nan, nan});
  score[0] = {1, 2, 3, 10, 9};
  score[14] = {1, 1, 1, 1, 5};
  ChannelScores out;
  out.Reset(15);
  DetectOptions o;
  o.threads = 1;
  ASSERT_DOUBLE_EQ(o.relative_spread_floor, 0.5);
  RankWindows(&score, false, o, &out);
  EXPECT_EQ(out.candidate[14], 4);
  EXPECT_NEAR(out.z[14], 4.0, 1e-5);
  EXPECT_EQ(out.candidate[7], -1);
  EXPECT_NEAR(out.z[0], 7 / (1.4826 * 2 + 1), 1e-5);
}

// The report's per-machine z is the detector's statistic (issue 16 item 2), also for an even
// count of present machines, where a median of the upper middle value would differ. Scores 1, 2,
// 4, 9 (machine 4 absent): median (2 + 4) / 2 = 3, deviations 2, 1, 1, 6, MAD (1 + 2) / 2 = 1.5;
// floor max(0.05, 0.5 x 3) = 1.5 (the one sampled window's median); machine 3's z
// = (9 - 3) / (1.4826 x 1.5 + 1.5) = 6 / 3.7239. (Upper medians would give 4 and 3, z 5 / 5.9478.)
TEST(DetectTest, MachineRobustZIsTheDetectorsZOnAnEvenCount) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<std::vector<float>> score = {{1, 2, 4, 9, nan}};
  ChannelScores out;
  out.Reset(1);
  DetectOptions o;
  o.threads = 1;
  RankWindows(&score, false, o, &out);
  ASSERT_EQ(out.candidate[0], 3);
  EXPECT_NEAR(out.z[0], 6 / 3.7239, 1e-5);
  const double floor = SpreadFloor(score, false, o);
  EXPECT_DOUBLE_EQ(floor, 1.5);
  const std::vector<float> z = MachineRobustZ(score[0], floor);
  ASSERT_EQ(z.size(), 5u);
  EXPECT_EQ(z[3], out.z[0]);  // bit for bit
  ASSERT_EQ(out.runner_up[0], 2);
  EXPECT_EQ(z[2], out.runner_up_z[0]);
  EXPECT_NEAR(z[0], (1 - 3) / 3.7239, 1e-5);
  EXPECT_TRUE(std::isnan(z[4]));
  // Fewer than 3 present: the detector judges no such window, and no machine gets a z.
  for (float x : MachineRobustZ({1, 5, nan}, floor)) EXPECT_TRUE(std::isnan(x));
}

// m0003 has a different role (twice the GPU utilisation level and swing of its peers) all the
// time; from second 1500 to 1800 it stalls to its peers' pattern (a busy node going quiet).
model::MetricTable BusyNodeJob(bool stall) {
  model::MetricTable t;
  SynthesizeJob(SynthJobOptions{.machines = 6, .seconds = 2400, .start_s = 0, .seed = 9}, &t);
  model::MetricTable out;
  for (const auto& m : t.machines().names()) out.InternMachine(m);
  for (const auto& m : t.metrics().names()) out.InternMetric(m);
  for (size_t i = 0; i < t.size(); ++i) {
    int64_t s = t.ts()[i] / kS;
    bool busy = t.machine()[i] == 3 && t.metrics().Name(t.metric()[i]) == "gpu_util";
    bool stalled = stall && s >= 1500 && s < 1800;
    out.Append(t.ts()[i], t.machine()[i], t.metric()[i], t.gpu()[i],
               busy && !stalled ? 2 * t.value()[i] : t.value()[i]);
  }
  return out;
}

TEST(DetectTest, BusyNodeTrapAndTheReferenceThatHandlesIt) {
  DetectOptions o = Options(240);
  o.metric_order = {"gpu_util"};
  ASSERT_OK_AND_ASSIGN(Grid healthy, BuildGrid(BusyNodeJob(false), GridOptions{}, nullptr));
  // Pure peer comparison over one group of all (--no-groups) names the busy node although nothing
  // is wrong...
  DetectOptions one_group = o;
  one_group.find_groups = false;
  ASSERT_OK_AND_ASSIGN(Detection trap, Detect(SliceGrid(healthy, 900, 1500), nullptr, one_group));
  ASSERT_FALSE(trap.persistent.empty());
  EXPECT_EQ(trap.persistent[0].machine, "m0003");
  // ... as a difference without onset, which is no alert and no "healthy" either (issue 15).
  EXPECT_TRUE(trap.alerts.empty());
  EXPECT_EQ(VerdictOf(trap), Verdict::kInconclusive);
  // Peer groups scale each machine by its own level where levels differ: no alert, and the stall
  // (the busy node dropping to half its level) is found without a reference.
  ASSERT_OK_AND_ASSIGN(Detection grouped, Detect(SliceGrid(healthy, 900, 1500), nullptr, o));
  EXPECT_TRUE(grouped.alerts.empty());
  ASSERT_OK_AND_ASSIGN(Grid stalled, BuildGrid(BusyNodeJob(true), GridOptions{}, nullptr));
  ASSERT_OK_AND_ASSIGN(Detection stall_found, Detect(SliceGrid(stalled, 900, 1500), nullptr, o));
  ASSERT_FALSE(stall_found.alerts.empty());
  for (const Alert& a : stall_found.alerts) {
    EXPECT_EQ(a.machine, "m0003") << a.metric << " " << a.start_ns / kS << "-" << a.end_ns / kS;
  }
  // A reference from the first 15 min (per-machine bounds and score baselines): silent.
  Reference ref = LearnReference(SliceGrid(healthy, 0, 900), nullptr, o, /*per_machine_bounds=*/true);
  DetectOptions with_ref = o;
  with_ref.reference = &ref;
  ASSERT_OK_AND_ASSIGN(Detection quiet, Detect(SliceGrid(healthy, 900, 1500), nullptr, with_ref));
  EXPECT_TRUE(quiet.alerts.empty());
  // ... and the busy node's stall (it becomes like its peers) is found, in time.
  ASSERT_OK_AND_ASSIGN(Grid faulty, BuildGrid(BusyNodeJob(true), GridOptions{}, nullptr));
  ASSERT_OK_AND_ASSIGN(Detection found, Detect(SliceGrid(faulty, 900, 1500), nullptr, with_ref));
  ASSERT_EQ(found.alerts.size(), 1u);
  EXPECT_EQ(found.alerts[0].machine, "m0003");
  EXPECT_NEAR(static_cast<double>(found.alerts[0].start_ns / kS), 1500 - 7, 8);
  EXPECT_NEAR(static_cast<double>(found.alerts[0].end_ns / kS), 1800, 8);
}

// Issue 15 item 4: a reference that holds seconds most machines miss leaves them out (and says
// how many) instead of learning the gap; detection with it still names the stalled machine.
TEST(DetectTest, ReferenceLeavesOutSecondsMostMachinesMiss) {
  ASSERT_OK_AND_ASSIGN(Grid healthy, BuildGrid(JobWithFault(8, 0, 0, 0), GridOptions{}, nullptr));
  Grid ref_grid = SliceGrid(healthy, 0, 600);
  const size_t T = static_cast<size_t>(ref_grid.steps);
  for (Channel& ch : ref_grid.channels) {
    for (size_t m = 0; m < 6; ++m) {  // 6 of 8 machines silent for seconds 100..159
      for (size_t t = 100; t < 160; ++t) ch.values[m * T + t] = std::numeric_limits<float>::quiet_NaN();
    }
  }
  DetectOptions o = Options(240);
  Reference ref = LearnReference(ref_grid, nullptr, o);
  EXPECT_EQ(ref.seconds, 600);
  EXPECT_EQ(ref.excluded_seconds, 60);
  EXPECT_EQ(ref.group_of.size(), 8u);  // every machine in a group learned while healthy
  ASSERT_OK_AND_ASSIGN(Grid faulty, BuildGrid(JobWithFault(8, 300, 700, 1), GridOptions{}, nullptr));
  DetectOptions with_ref = o;
  with_ref.reference = &ref;
  ASSERT_OK_AND_ASSIGN(Detection d, Detect(SliceGrid(faulty, 0, 900), nullptr, with_ref));
  ASSERT_FALSE(d.alerts.empty());
  EXPECT_EQ(d.alerts[0].machine, "m0003");
}

TEST(DetectTest, ReductionFaultsLandOnMachinesWithActivityToLose) {
  // Machine i0 is idle (activity 0); the others work. A pure-reduction fault ("stall") can only
  // show on a working machine; an additive one ("spin") anywhere.
  model::MetricTable t;
  const int32_t act = t.InternMetric("act");
  for (int m = 0; m < 4; ++m) t.InternMachine("i" + std::to_string(m));
  for (int64_t s = 0; s < 40000; ++s) {
    for (int32_t m = 0; m < 4; ++m) t.Append(s * kS, m, act, model::kNoGpu, m == 0 ? 0.0 : 50.0);
  }
  std::vector<FaultEffect> stall = {{"stall", 1, "act", "scale", 0.1}};
  std::vector<FaultEffect> spin = {{"spin", 1, "act", "add", 10}};
  auto victims = [&](const std::vector<FaultEffect>& p, bool uniform) {
    InjectOptions io;
    io.realism = false;
    io.controls = 0;
    io.uniform_victims = uniform;
    std::vector<FaultLabel> labels;
    InjectFaults(t, p, io, &labels);
    std::map<std::string, int> count;
    for (const FaultLabel& l : labels) count[l.machine]++;
    return count;
  };
  auto active = victims(stall, false);
  EXPECT_EQ(active.count("i0"), 0u);
  EXPECT_GT(active.size(), 1u);
  EXPECT_GT(victims(stall, true).count("i0"), 0u);  // uniform draws hit the idle machine too
  EXPECT_GT(victims(spin, false).count("i0"), 0u);
}

TEST(DetectTest, DetectorDefaultsWithPerChannelThresholds) {
  const std::string dir = ::testing::TempDir() + "/minder_defaults";
  DetectorDefaults d;
  d.threshold = 12.5;
  d.channel_thresholds = {{"gpu_util", 3.25}, {"NET_ib0-read-KB/s", 7}};
  d.order = {"gpu_util", "cpu"};
  ASSERT_OK(SaveDetectorDefaults(d, "test", dir));
  ASSERT_OK_AND_ASSIGN(DetectorDefaults back, LoadDetectorDefaults(dir));
  EXPECT_EQ(back.threshold, 12.5);
  EXPECT_EQ(back.channel_thresholds, d.channel_thresholds);
  EXPECT_EQ(back.order, d.order);
  std::FILE* f = std::fopen((dir + "/detector.txt").c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("threshold gpu_util -1\n", f);
  std::fclose(f);
  EXPECT_THAT(LoadDetectorDefaults(dir), testing::StatusIs(StatusCode::kInvalidArgument, "detector.txt:1"));
}

// Healthy exposure and false alarms counted once where recordings overlap in time (Exathlon).
TEST(EvalTest, MergeSpansCountsOverlapsOnce) {
  using Spans = std::vector<std::pair<int64_t, int64_t>>;
  // Unsorted input; [0,10) and [5,20) overlap, [20,30) touches, [40,50) is 10 away.
  EXPECT_EQ(internal::MergeSpans(Spans{{40, 50}, {0, 10}, {20, 30}, {5, 20}}, 0), (Spans{{0, 30}, {40, 50}}));
  EXPECT_EQ(internal::MergeSpans(Spans{{40, 50}, {0, 10}, {20, 30}, {5, 20}}, 10), (Spans{{0, 50}}));
  EXPECT_EQ(internal::MergeSpans(Spans{{0, 100}, {10, 20}}, 0), (Spans{{0, 100}}));  // contained
  EXPECT_TRUE(internal::MergeSpans(Spans{}, 0).empty());
}

}  // namespace
}  // namespace trainscope::minder
