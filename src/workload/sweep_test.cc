// SPDX-License-Identifier: Apache-2.0
// Sweep (sweep.h) against brute force: every layout predicted on its own with the full step
// replay (recompute and dp_mode axes included), the ranking recomputed by hand from those
// predictions, and the layouts that do not fit counted one by one.
#include "workload/sweep.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "support/status_matchers.h"
#include "workload/config_io.h"
#include "workload/layout.h"

namespace trainscope::workload {
namespace {

std::vector<SweepAxis> Axes(std::initializer_list<const char*> texts) {
  std::vector<SweepAxis> axes;
  for (const char* text : texts) {
    Result<SweepAxis> axis = ParseSweepAxis(text);
    EXPECT_TRUE(axis.ok()) << text;
    if (axis.ok()) axes.push_back(*axis);
  }
  return axes;
}

JobConfig Gpt3(int64_t global_batch) {
  Result<JobConfig> job = LoadPreset("gpt3-175b");
  EXPECT_TRUE(job.ok());
  job->training.global_batch = global_batch;
  return *job;
}

// Layout text -> the full-replay prediction of that layout, made here without Sweep.
std::map<std::string, Result<Prediction>> BruteForce(const JobConfig& base,
                                                     const std::vector<SweepAxis>& axes) {
  std::map<std::string, Result<Prediction>> out;
  std::vector<size_t> at(axes.size(), 0);
  for (bool more = true; more;) {
    JobConfig job = base;
    std::string layout;
    for (size_t a = 0; a < axes.size(); ++a) {
      SetLayoutKnob(axes[a].name, axes[a].values[at[a]], &job);
      layout += (layout.empty() ? "" : " ") + axes[a].name + "=" + axes[a].labels[at[a]];
    }
    Planner reference;
    reference.set_full_replay(true);
    Status valid = ValidateJobConfig(job);
    out.emplace(layout, valid.ok() ? reference.Predict(job) : Result<Prediction>(valid));
    more = false;
    for (size_t a = 0; a < axes.size() && !more; ++a) {
      more = ++at[a] < axes[a].values.size();
      if (!more) at[a] = 0;
    }
  }
  return out;
}

TEST(Sweep, RecomputeAndDpModeAxesEqualFullReplay) {
  const JobConfig base = Gpt3(1536);
  const auto axes = Axes({"pp=4,8", "vpp=1,2", "recompute=none,selective,full",
                          "dp_mode=zero1,fsdp", "sp=true,false", "gpus=128"});
  Planner planner;
  ASSERT_OK_AND_ASSIGN(SweepResult got, Sweep(base, axes, planner, 2));
  const auto want = BruteForce(base, axes);
  ASSERT_EQ(got.entries.size(), want.size());
  std::map<double, int> distinct_memory;
  for (const SweepEntry& e : got.entries) {
    const Result<Prediction>& w = want.at(e.layout);
    ASSERT_EQ(e.valid, w.ok()) << e.layout;
    if (!e.valid) continue;
    EXPECT_EQ(e.step_time_s, w->step_time_s) << e.layout;
    EXPECT_EQ(e.mfu, w->mfu) << e.layout;
    EXPECT_EQ(e.memory_per_gpu_bytes, w->memory_per_gpu_bytes) << e.layout;
    EXPECT_EQ(e.fits, w->fits) << e.layout;
    ++distinct_memory[e.memory_per_gpu_bytes];
  }
  // The recompute and dp_mode axes reach the prediction: memory differs across them.
  EXPECT_GE(distinct_memory.size(), 16u);
}

// The schedule axis: split-backward schedules predicted as on their own (BruteForce sets the
// schedule last, as its axis comes last here), a label that contradicts vpp is invalid, and the
// axes' order does not change what a row means.
TEST(Sweep, ScheduleAxisEqualsFullReplayInAnyAxisOrder) {
  const JobConfig base = Gpt3(1536);
  const auto axes = Axes({"pp=4,8", "vpp=1,2", "gpus=128", "schedule=1f1b,zb_h1,dualpipe"});
  Planner planner;
  ASSERT_OK_AND_ASSIGN(SweepResult got, Sweep(base, axes, planner, 2));
  const auto want = BruteForce(base, axes);
  ASSERT_EQ(got.entries.size(), want.size());
  std::map<std::string, double> step;
  for (const SweepEntry& e : got.entries) {
    const Result<Prediction>& w = want.at(e.layout);
    ASSERT_EQ(e.valid, w.ok()) << e.layout;
    if (!e.valid) continue;
    EXPECT_EQ(e.step_time_s, w->step_time_s) << e.layout;
    EXPECT_EQ(e.memory_per_gpu_bytes, w->memory_per_gpu_bytes) << e.layout;
    step[e.layout] = e.step_time_s;
  }
  // vpp 2 is valid only as the (implied) interleaved schedule: every vpp=2 row here is invalid.
  EXPECT_EQ(step.size(), 6u);
  for (const char* pp : {"pp=4", "pp=8"}) {
    const std::string at = std::string(pp) + " vpp=1 gpus=128 schedule=";
    // Same work, less bubble. (DualPipe need not win at 384-768 microbatches: its bubble is
    // already small and it syncs two stages' gradients.)
    EXPECT_LT(step.at(at + "zb_h1"), step.at(at + "1f1b")) << pp;
  }
  const auto reordered = Axes({"schedule=1f1b,zb_h1,dualpipe", "pp=4,8", "vpp=1,2", "gpus=128"});
  ASSERT_OK_AND_ASSIGN(SweepResult again, Sweep(base, reordered, planner, 2));
  std::map<std::string, double> step_again;
  for (const SweepEntry& e : again.entries) {
    if (e.valid) step_again[e.layout] = e.step_time_s;
  }
  ASSERT_EQ(step_again.size(), step.size());
  for (const auto& [layout, s] : step) {
    const std::string sched = layout.substr(layout.find("schedule="));
    const std::string rest = layout.substr(0, layout.find(" schedule="));
    EXPECT_EQ(step_again.at(sched + " " + rest), s) << layout;
  }
}

TEST(Sweep, RanksByStepTimeGpuHoursAndCost) {
  // More GPUs at a fixed batch: a shorter step, but fewer microbatches per pipeline and so a
  // larger bubble, hence more GPU-hours.
  JobConfig base = Gpt3(512);
  base.training.tokens_total = 3e11;
  const auto axes = Axes({"gpus=64,256", "tp=8", "pp=8"});
  const auto want = BruteForce(base, axes);
  const Prediction& small = *want.at("gpus=64 tp=8 pp=8");
  const Prediction& large = *want.at("gpus=256 tp=8 pp=8");
  ASSERT_LT(large.step_time_s, small.step_time_s);
  ASSERT_GT(large.gpu_hours, small.gpu_hours);
  // GPU-hours by hand: steps x step time x GPUs / 3600 / effective time ratio.
  const double hand = 3e11 / small.tokens_per_step * small.step_time_s * 64 / 3600 /
                      base.training.effective_time_ratio;
  EXPECT_NEAR(small.gpu_hours, hand, 1e-9 * hand);

  Planner planner;
  SweepOptions options;
  ASSERT_OK_AND_ASSIGN(SweepResult by_time, Sweep(base, axes, planner, options));
  EXPECT_EQ(by_time.entries[0].layout, "gpus=256 tp=8 pp=8");
  options.rank_by = SweepRank::kGpuHours;
  ASSERT_OK_AND_ASSIGN(SweepResult by_hours, Sweep(base, axes, planner, options));
  EXPECT_EQ(by_hours.entries[0].layout, "gpus=64 tp=8 pp=8");
  EXPECT_NEAR(by_hours.entries[0].gpu_hours, hand, 1e-9 * hand);

  options.rank_by = SweepRank::kCost;
  EXPECT_FALSE(Sweep(base, axes, planner, options).ok());  // no price given
  options.usd_per_gpu_hour = 2.5;
  ASSERT_OK_AND_ASSIGN(SweepResult by_cost, Sweep(base, axes, planner, options));
  EXPECT_EQ(by_cost.entries[0].layout, "gpus=64 tp=8 pp=8");
  EXPECT_NEAR(by_cost.entries[0].cost_usd, 2.5 * hand, 1e-9 * hand);

  // Without a token budget: GPU-hours of 1e9 tokens, the same order.
  base.training.tokens_total = 0;
  options.rank_by = SweepRank::kGpuHours;
  ASSERT_OK_AND_ASSIGN(SweepResult per_btok, Sweep(base, axes, planner, options));
  EXPECT_EQ(per_btok.entries[0].layout, "gpus=64 tp=8 pp=8");
  EXPECT_NEAR(per_btok.entries[0].gpu_hours, hand * 1e9 / 3e11, 1e-9 * hand);
}

TEST(Sweep, CountsAndExplainsLayoutsThatDoNotFit) {
  const JobConfig base = Gpt3(1024);
  const auto axes = Axes({"tp=1,2,4,8", "pp=1,4,8", "recompute=none,full", "gpus=64,128"});
  Planner planner;
  ASSERT_OK_AND_ASSIGN(SweepResult got, Sweep(base, axes, planner, 1));
  int infeasible = 0, fitting = 0;
  for (const auto& [layout, p] : BruteForce(base, axes)) {
    infeasible += p.ok() && !p->fits ? 1 : 0;
    fitting += p.ok() && p->fits ? 1 : 0;
  }
  EXPECT_GT(infeasible, 0);
  EXPECT_GT(fitting, 0);
  EXPECT_EQ(got.infeasible, infeasible);
  EXPECT_EQ(got.fitting, fitting);
  // Fitting first (by step time), then the rest by memory needed, each with its reason.
  for (size_t i = 0; i < got.entries.size(); ++i) {
    const SweepEntry& e = got.entries[i];
    if (i < static_cast<size_t>(fitting)) {
      EXPECT_TRUE(e.valid && e.fits);
      if (i > 0) {
        EXPECT_LE(got.entries[i - 1].step_time_s, e.step_time_s);
      }
    } else if (i < static_cast<size_t>(fitting + infeasible)) {
      ASSERT_TRUE(e.valid && !e.fits) << e.layout;
      EXPECT_GT(e.memory_per_gpu_bytes, e.hbm_bytes);
      EXPECT_NE(e.reason.find(fmt::format("needs {:.1f} GB per GPU, {:.1f} GB available",
                                          e.memory_per_gpu_bytes / 1e9, e.hbm_bytes / 1e9)),
                std::string::npos)
          << e.reason;
    }
  }
}

TEST(Sweep, AxisValuesAreChecked) {
  EXPECT_FALSE(ParseSweepAxis("recompute=none,fulll").ok());
  EXPECT_FALSE(ParseSweepAxis("dp_mode=zero9").ok());
  EXPECT_FALSE(ParseSweepAxis("sp=maybe").ok());
  EXPECT_FALSE(ParseSweepAxis("tp=0").ok());
  EXPECT_FALSE(ParseSweepAxis("tpp=2").ok());
  ASSERT_OK_AND_ASSIGN(SweepAxis axis, ParseSweepAxis("dp_mode=zero1,fsdp"));
  EXPECT_EQ(axis.values,
            (std::vector<int>{static_cast<int>(DpMode::kZero1), static_cast<int>(DpMode::kFsdp)}));
  EXPECT_EQ(ParseSweepRank("gpu_hours").value(), SweepRank::kGpuHours);
  EXPECT_FALSE(ParseSweepRank("speed").ok());
}

}  // namespace
}  // namespace trainscope::workload
