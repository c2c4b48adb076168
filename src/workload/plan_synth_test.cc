// SPDX-License-Identifier: Apache-2.0
// One step time (issue 18 item 3): plan's step time includes the wait for the slowest worker's
// sample mix of variable-length data, and fault-free synthesis of the same job agrees with it
// within 3%. The expected slowest work is checked against brute force.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "support/status_matchers.h"
#include "workload/config_io.h"
#include "workload/model_math.h"
#include "workload/predictor.h"
#include "workload/synth.h"

namespace trainscope::workload {
namespace {

// A small video DiT: 16 H100, `pp` stages, `replicas` DP workers with `m` microbatches each.
std::string SmallDit(int pp, int gpus, int global_batch) {
  return fmt::format(R"(
name: small-dit
blocks:
  - name: dit
    kind: dit
    layers: 8
    hidden: 1024
    heads: 8
    ffn_act: swiglu
    samples:
      - {{name: video, width: 640, height: 480, frames: 48, weight: 0.5}}
      - {{name: video-short, width: 640, height: 480, frames: 16, weight: 0.3}}
      - {{name: image, width: 640, height: 480, frames: 1, weight: 0.2}}
    parallel: {{tp: 1, pp: {}, dp_mode: zero1, micro_batch: 1, recompute: selective}}
cluster: {{gpu: H100, gpus: {}, gpus_per_node: 8}}
training: {{global_batch: {}}}
)",
                     pp, gpus, global_batch);
}

std::string TempDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ts_plan_synth_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(PlanSynth, ExpectedSlowestWorkMatchesBruteForce) {
  const std::vector<double> work = {1.7, 0.9, 0.2};
  const std::vector<double> weights = {0.4, 0.35, 0.25};
  // Mean work 1.7*0.4 + 0.9*0.35 + 0.2*0.25 = 1.045 per draw.
  std::mt19937_64 rng(7);
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  for (const auto& [m, n] : std::vector<std::pair<int, int>>{{1, 1}, {1, 64}, {3, 16}, {8, 5}}) {
    const double exact = ExpectedSlowestWork(work, weights, m, n);
    double sum = 0;
    const int trials = 40000;
    for (int t = 0; t < trials; ++t) {
      double slowest = 0;
      for (int r = 0; r < n; ++r) {
        double w = 0;
        for (int j = 0; j < m; ++j) w += work[static_cast<size_t>(pick(rng))];
        slowest = std::max(slowest, w);
      }
      sum += slowest;
    }
    EXPECT_NEAR(exact, sum / trials, 0.01 * exact) << "m " << m << " n " << n;
  }
  // One worker, one draw: the mean; many workers: the largest value.
  EXPECT_NEAR(ExpectedSlowestWork(work, weights, 1, 1), 1.045, 1e-12);
  EXPECT_NEAR(ExpectedSlowestWork(work, weights, 2, 10000), 3.4, 1e-6);
}

TEST(PlanSynth, FaultFreeSynthesisAgreesWithPlan) {
  for (const auto& [pp, gpus, batch] :
       std::vector<std::tuple<int, int, int>>{{1, 16, 32}, {1, 16, 16}, {2, 16, 64}}) {
    SCOPED_TRACE(fmt::format("pp {} gpus {} batch {}", pp, gpus, batch));
    ASSERT_OK_AND_ASSIGN(JobConfig job, ParseJobConfig(SmallDit(pp, gpus, batch), "small-dit"));
    ASSERT_OK_AND_ASSIGN(Prediction p, Predict(job));
    // The mix makes workers unequal: plan shows the wait and the balanced figure beside it.
    EXPECT_GT(p.sample_wait_s, 0.02 * p.step_time_s);
    EXPECT_NEAR(p.step_time_s, p.step_time_balanced_s + p.sample_wait_s, 1e-12);
    SynthOptions options;
    options.steps = 24;
    options.seed = 3;
    options.out_dir = TempDir(std::to_string(pp) + "_" + std::to_string(batch));
    options.write_kineto = false;
    options.write_metrics = false;
    options.write_op_table = false;
    ASSERT_OK_AND_ASSIGN(SynthSummary s, Synthesize(job, options));
    std::filesystem::remove_all(options.out_dir);
    EXPECT_NEAR(s.mean_step_s, p.step_time_s, 0.03 * p.step_time_s)
        << "balanced " << p.step_time_balanced_s;
    // Without the wait plan would be off by more than the tolerance (the test can fail).
    EXPECT_GT(std::abs(s.mean_step_s - p.step_time_balanced_s), 0.03 * p.step_time_s);
  }
}

}  // namespace
}  // namespace trainscope::workload
