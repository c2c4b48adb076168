// SPDX-License-Identifier: Apache-2.0
// What-if tests on synthetic jobs: a hand-computed pipeline, the re-derived Megatron model vs the
// generator's own schedule graph, slowdowns vs the reference simulator, and the cause classifier.
#include <gtest/gtest.h>

#include "graph/reference_simulator.h"
#include "graph/simulator.h"
#include "support/status_matchers.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/megatron_model.h"
#include "whatif/retime.h"
#include "whatif/scenario.h"
#include "whatif/synthetic_job.h"

namespace trainscope::whatif {
namespace {

using ::trainscope::testing::StatusIs;

double MeanOf(const std::vector<int64_t>& v) {
  double s = 0;
  for (int64_t x : v) s += static_cast<double>(x);
  return s / static_cast<double>(v.size());
}

// S computed with the plain reference simulator on the model's graph.
double ReferenceSlowdown(const ReplayModel& model) {
  graph::RawGraph raw = graph::ToRawGraph(model.graph);
  auto actual = graph::ReferenceSimulate(raw, model.transfer_ns, {});
  auto ideal = graph::ReferenceSimulate(raw, IdealDurations(model), {});
  return MeanOf(actual.step_end_ns) / MeanOf(ideal.step_end_ns);
}

// DP 1, PP 2, 2 microbatches; forward 10, backward 20, p2p 1, layernorm 1, embedding 2, clip 3,
// optimizer 4 (ns). Worked by hand (docs/whatif.md, "hand-computed pipeline"): a step ends at 102.
SyntheticJobSpec HandComputedPipeline(int steps) {
  SyntheticJobSpec spec;
  spec.dp = 1, spec.pp = 2, spec.microbatches = 2, spec.steps = steps;
  spec.fwd_ns = 10, spec.p2p_ns = 1, spec.layernorm_ns = 1, spec.embedding_ns = 2, spec.clip_ns = 3;
  spec.optimizer_ns = 4, spec.gc_ns = 0;
  return spec;
}

TEST(WhatIfTest, HandComputedTwoStagePipeline) {
  // DP 1, PP 2, 2 microbatches; forward 10, backward 20, p2p 1, layernorm 1, embedding 2, clip 3,
  // optimizer 4. Worked by hand (docs/whatif.md, "hand-computed pipeline"): the step ends at 102.
  const SyntheticJobSpec spec = HandComputedPipeline(1);
  ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
  ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
  EXPECT_EQ(model.step_time_ns[0], 102);
  AnalysisOptions options;
  ASSERT_OK_AND_ASSIGN(WhatIfResult r, AnalyzeWhatIf(model, options));
  EXPECT_DOUBLE_EQ(r.step_nodelay_s[0], 102e-9);
  EXPECT_DOUBLE_EQ(r.step_replay_s[0], 102e-9);
  EXPECT_DOUBLE_EQ(r.slowdown, 1.0);  // every op already at its ideal duration
  EXPECT_DOUBLE_EQ(r.error_max, 0.0);
}

// A huge --scale factor must not wrap the replay's int64 ns clock around: comm x1e30 on a real
// op table came out as a 1.002x speed-up. Up to the clock's range the step grows with the factor;
// past it the scenario is refused by name.
TEST(WhatIfTest, ScaleFactorPastTheClockIsRefusedNotWrapped) {
  ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(HandComputedPipeline(1)));
  ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
  ASSERT_OK_AND_ASSIGN(WhatIfResult r, AnalyzeWhatIf(model, AnalysisOptions{}));
  ASSERT_OK_AND_ASSIGN(Scenario big, ParseScaleSyntax("compute=1e12"));
  ASSERT_OK_AND_ASSIGN(std::vector<ScenarioResult> sc, RunScenarios(model, r, {big}, 1));
  // The step of 102 ns holds 90 ns of compute on its critical path (forward 10 + 10, backward
  // 20 + 20 + ... by hand: docs/whatif.md): at x1e12 it takes at least 1e12 x 30 ns.
  EXPECT_GT(sc[0].scenario_s, 30e-9 * 1e12);
  EXPECT_LT(sc[0].speedup, 1e-9);
  ASSERT_OK_AND_ASSIGN(Scenario wraps, ParseScaleSyntax("compute=1e30"));
  EXPECT_THAT(RunScenarios(model, r, {wraps}, 1).status(),
              StatusIs(StatusCode::kOutOfRange, "use a smaller factor"));
}

TEST(WhatIfTest, DerivedModelMatchesGeneratorSchedule) {
  SyntheticJobSpec spec;
  spec.dp = 2, spec.pp = 4, spec.microbatches = 6, spec.steps = 3, spec.op_noise = 0.2;
  spec.worker_factor = {1, 1, 1.3, 1, 1, 1, 1, 1};
  graph::RawGraph schedule;
  ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec, &schedule));
  ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
  // Any durations: the model derived from timestamps replays like the generator's schedule.
  std::vector<int64_t> dur = IdealDurations(model);
  for (size_t i = 0; i < dur.size(); i += 3)
    dur[i] = dur[i] * 3 / 2 + static_cast<int64_t>(i % 7) * 1000;
  auto ref = graph::ReferenceSimulate(schedule, dur, {});
  graph::Simulator sim(model.graph);
  std::vector<int64_t> step_end(model.num_steps());
  sim.Run(dur, {}, step_end);
  EXPECT_EQ(step_end, ref.step_end_ns);
  EXPECT_EQ(model.graph.num_collectives(), 3 * (2 * 3 * 6 * 2 + 2 + 4 * 2 + 1));
}

TEST(WhatIfTest, SlowWorkerSlowdownMatchesReferenceAndIsNamed) {
  SyntheticJobSpec spec;
  spec.dp = 4, spec.pp = 4, spec.microbatches = 8, spec.steps = 4, spec.op_noise = 0.02,
  spec.seed = 7;
  spec.worker_factor.assign(16, 1.0);
  spec.worker_factor[1 * 4 + 2] = 1.5;  // dp 1, stage 2
  ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
  ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
  AnalysisOptions options;
  options.threads = 2;
  ASSERT_OK_AND_ASSIGN(WhatIfResult r, AnalyzeWhatIf(model, options));
  EXPECT_NEAR(r.slowdown, ReferenceSlowdown(model), 1e-9);
  EXPECT_GT(r.slowdown, 1.1);
  EXPECT_LT(r.slowdown, 1.5);  // no more than the slow worker's factor
  EXPECT_TRUE(r.straggling);
  EXPECT_EQ(r.m_w.selected, std::vector<int32_t>({2 * 4 + 1}));  // rank = stage * dp + dp_rank
  EXPECT_GT(r.m_w.rem, 0.9);
  Cause c = ClassifyCause(model, r, 2);
  EXPECT_EQ(c.pattern, Pattern::kOneSlowWorker) << c.evidence;
  EXPECT_TRUE(c.persistent);
  // Scenarios: fixing the slow rank is M_W's remove view; scaling by 1 changes nothing; doubling
  // compute makes steps much longer.
  ASSERT_OK_AND_ASSIGN(Scenario all_compute, ParseScaleSyntax("compute=2"));
  EXPECT_OK(ParseScaleSyntax("comm=0.5").status());
  ASSERT_OK_AND_ASSIGN(Scenario same, ParseScaleSyntax("forward-compute=1"));
  EXPECT_FALSE(ParseScaleSyntax("compute").ok());
  ASSERT_OK_AND_ASSIGN(Scenario bogus, ParseScaleSyntax("bogus=2"));  // checked when it runs
  EXPECT_FALSE(RunScenarios(model, r, {bogus}, 1).ok());
  ASSERT_OK_AND_ASSIGN(
      std::vector<ScenarioResult> sc,
      RunScenarios(model, r, {{Scenario::Kind::kFixRank, "", 1, 2 * 4 + 1}, same, all_compute}, 2));
  EXPECT_NEAR(sc[0].scenario_s, r.m_w.t_rem_s, 1e-12);
  EXPECT_DOUBLE_EQ(sc[1].speedup, 1.0);
  EXPECT_GT(sc[2].scenario_s, sc[2].baseline_s * 1.5);
  EXPECT_FALSE(RunScenarios(model, r, {{Scenario::Kind::kFixRank, "", 1, 999}}, 1).ok());
}

// The demo's case, by hand: DP ranks all at S >= 1.13 (each carries a slow last stage), stage 1
// at 1.10 because of one worker on DP rank 1 (S_dp 1.23). Every stage-1 worker scores
// min(S_dp, 1.10) = 1.10; the slow one (max 1.23) must come first, then the others by the larger
// of their two S, then by rank. Stage-0 workers score min(S_dp, 1.01) = 1.01 and come last.
TEST(WhatIfTest, WorkerScoreTiesGoToTheSlowerDpRank) {
  std::vector<Attribution> dp = {{"0", 0, 1.13, {}}, {"1", 1, 1.23, {}}, {"2", 2, 1.14, {}}};
  std::vector<Attribution> stage = {{"0", 0, 1.01, {}}, {"1", 1, 1.10, {}}};
  std::vector<WorkerScore> workers;
  for (int32_t d = 0; d < 3; ++d) {
    for (int32_t s = 0; s < 2; ++s) {
      workers.push_back(
          {d * 2 + s, s * 3 + d, d, s,
           std::min(dp[static_cast<size_t>(d)].slowdown, stage[static_cast<size_t>(s)].slowdown)});
    }
  }
  std::vector<int32_t> order;
  for (const WorkerScore& w : RankWorkers(workers, dp, stage)) order.push_back(w.rank);
  // Stage 1 (ranks 3, 4, 5 for dp 0, 1, 2): dp 1 (1.23), dp 2 (1.14), dp 0 (1.13); then stage 0
  // (ranks 0, 1, 2), all at 1.01 with max 1.13 / 1.23 / 1.14: dp 1, dp 2, dp 0.
  EXPECT_EQ(order, (std::vector<int32_t>{4, 5, 3, 1, 2, 0}));
}

TEST(WhatIfTest, ClassifierNamesInjectedPatterns) {
  SyntheticJobSpec base;
  base.dp = 4, base.pp = 4, base.microbatches = 8, base.steps = 4, base.op_noise = 0.02;
  {
    SyntheticJobSpec spec = base;
    spec.stage_fwd_factor = {1, 1, 1, 1.8};
    ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
    ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
    ASSERT_OK_AND_ASSIGN(WhatIfResult r, AnalyzeWhatIf(model, {}));
    Cause c = ClassifyCause(model, r, 1);
    EXPECT_EQ(c.pattern, Pattern::kStageImbalance) << c.evidence;
    EXPECT_NEAR(r.slowdown, ReferenceSlowdown(model), 1e-9);
  }
  {
    SyntheticJobSpec spec = base;
    spec.microbatch_noise = 1.0;
    ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
    ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
    ASSERT_OK_AND_ASSIGN(WhatIfResult r, AnalyzeWhatIf(model, {}));
    Cause c = ClassifyCause(model, r, 1);
    EXPECT_TRUE(c.Names(Pattern::kSequenceLength)) << PatternName(c.pattern) << ": " << c.evidence;
    EXPECT_GE(ForwardBackwardCorrelation(model), 0.9);
  }
  {
    SyntheticJobSpec spec = base;
    spec.fwd_ns = 1'000'000;  // 1 ms forward: 200 ms gaps dominate
    spec.gaps_per_step = 2;
    spec.gap_workers = {5};
    ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
    ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
    ASSERT_OK_AND_ASSIGN(WhatIfResult r, AnalyzeWhatIf(model, {}));
    Cause c = ClassifyCause(model, r, 1);
    EXPECT_EQ(c.pattern, Pattern::kHostBound) << c.evidence;
    EXPECT_GT(r.launch_slowdown, 1.05);
  }
  {
    ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(base));
    ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
    ASSERT_OK_AND_ASSIGN(WhatIfResult r, AnalyzeWhatIf(model, {}));
    Cause c = ClassifyCause(model, r, 1);
    EXPECT_EQ(c.pattern, Pattern::kNone) << c.evidence;
    EXPECT_FALSE(r.straggling);
  }
}

TEST(WhatIfTest, MissingOpIsReportedWithPlace) {
  SyntheticJobSpec spec;
  spec.dp = 2, spec.pp = 2, spec.microbatches = 2, spec.steps = 2;
  ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
  // Drop the last row (an op of dp_rank 1 in step 1).
  for (auto* col :
       {&job.dp_rank, &job.stage, &job.rank, &job.step, &job.seq_id, &job.mc, &job.mb_id, &job.gmc})
    col->pop_back();
  job.kind.pop_back();
  job.start_ns.pop_back();
  job.dur_ns.pop_back();
  EXPECT_THAT(BuildMegatronModel(job).status(),
              StatusIs(StatusCode::kInvalidArgument, "is missing on dp_rank 1 step 1"));
}

TEST(WhatIfTest, DuplicateOpIsReported) {
  SyntheticJobSpec spec;
  spec.dp = 1, spec.pp = 2, spec.microbatches = 2, spec.steps = 1;
  ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
  job.seq_id[1] =
      job.seq_id[0];  // two ops of one kind with the same seq_id? rows 0/1 differ in kind
  job.kind[1] = job.kind[0];
  EXPECT_THAT(BuildMegatronModel(job).status(),
              StatusIs(StatusCode::kInvalidArgument, "appears twice"));
}

// Logic errors of an op table name the file and line of the rows involved (they named the trial
// only): a duplicate's both lines, with a blank line in between counted.
TEST(WhatIfTest, OpTableErrorsNameFileAndLine) {
  OpJob job;
  job.name = "T";
  job.source = "trace-T.csv";
  job.blank_line_rows = {1};  // a blank line after the first row: row 1 is on line 4
  EXPECT_EQ(RowPlace(job, 0), "trace-T.csv:2");
  EXPECT_EQ(RowPlace(job, 1), "trace-T.csv:4");
  job.source = "trace-T.parquet";
  EXPECT_EQ(RowPlace(job, 1), "trace-T.parquet row 1");

  SyntheticJobSpec spec;
  spec.dp = 1, spec.pp = 2, spec.microbatches = 2, spec.steps = 1;
  ASSERT_OK_AND_ASSIGN(OpJob dup, GenerateSyntheticJob(spec));
  dup.source = "trace-S.csv";
  dup.seq_id[1] = dup.seq_id[0];
  dup.kind[1] = dup.kind[0];
  dup.stage[1] = dup.stage[0];
  EXPECT_THAT(BuildMegatronModel(dup).status(), StatusIs(StatusCode::kInvalidArgument,
                                                         "(trace-S.csv:3) appears twice (first at "
                                                         "trace-S.csv:2)"));
  // A worker whose rows disagree on the global rank: both lines (it named the trial only).
  ASSERT_OK_AND_ASSIGN(OpJob ranks, GenerateSyntheticJob(spec));
  ranks.source = "trace-R.csv";
  int64_t other = -1;  // the next row of row 0's worker
  for (int64_t i = 1; i < static_cast<int64_t>(ranks.size()) && other < 0; ++i) {
    if (ranks.dp_rank[i] == ranks.dp_rank[0] && ranks.stage[i] == ranks.stage[0]) other = i;
  }
  ASSERT_GT(other, 0);
  ranks.rank[other] = 99999;
  EXPECT_THAT(BuildMegatronModel(ranks).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       fmt::format("has two global ranks ({} at trace-R.csv:2, 99999 at "
                                   "trace-R.csv:{})",
                                   ranks.rank[0], other + 2)));
}

// Drift fixes of the one pipeline (issue 16): the op-table path once divided by T_ori - T_ideal
// without a guard and simulated steps without GPU time; the Kineto path guarded both.
TEST(WhatIfTest, NoSlowdownGivesZeroSharesNotNaN) {
  SyntheticJobSpec spec;  // no noise, no slow worker: every op at its class's duration
  ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
  ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
  ASSERT_OK_AND_ASSIGN(WhatIfResult r, AnalyzeWhatIf(model, {}));
  ASSERT_EQ(r.m_w.t_ori_s, r.m_w.t_ideal_s);
  EXPECT_EQ(r.m_w.rem, 0);
  EXPECT_EQ(r.m_w.add, 0);
  EXPECT_EQ(r.m_s.rem, 0);
  EXPECT_EQ(r.m_s.add, 0);
}

// A measured step the graph cannot reproduce (here: the hand-computed 102 ns pipeline measured
// at 3x that, as when ops are missing from the trace or a column is in other units) makes the
// faithful replay miss it by 67% (> 10%): no verdict and no cause is given.
TEST(WhatIfTest, ReplayThatMissesTheJobIsInconclusive) {
  const SyntheticJobSpec spec = HandComputedPipeline(2);
  ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
  ASSERT_OK_AND_ASSIGN(ReplayModel faithful, BuildMegatronModel(job));
  ASSERT_OK_AND_ASSIGN(WhatIfResult ok, AnalyzeWhatIf(faithful, {}));
  EXPECT_TRUE(ok.inconclusive.empty()) << ok.inconclusive;
  ReplayModel model = faithful;
  for (int64_t& step : model.step_time_ns) step *= 3;
  ASSERT_OK_AND_ASSIGN(WhatIfResult r, AnalyzeWhatIf(model, {}));
  EXPECT_NEAR(r.error_median, 2.0 / 3, 1e-9);  // |102 - 306| / 306
  EXPECT_FALSE(r.straggling);
  EXPECT_NE(r.inconclusive.find("misses the measured step times"), std::string::npos);
  const Cause cause = ClassifyCause(model, r, 1);
  EXPECT_EQ(cause.pattern, Pattern::kInconclusive);
  EXPECT_TRUE(cause.secondary.empty());
  AnalysisOptions lenient;  // the gate is an option: a looser one gives the verdict back
  lenient.max_replay_error = 1e9;
  ASSERT_OK_AND_ASSIGN(WhatIfResult loose, AnalyzeWhatIf(model, lenient));
  EXPECT_TRUE(loose.inconclusive.empty());
}

TEST(WhatIfTest, StepWithoutGpuTimeIsAnErrorForOpTables) {
  SyntheticJobSpec spec;
  ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
  for (size_t i = 0; i < job.size(); ++i) {
    job.dur_ns[i] = 0;
    job.start_ns[i] = 0;
  }
  ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
  EXPECT_THAT(AnalyzeWhatIf(model, {}).status(),
              StatusIs(StatusCode::kInvalidArgument, "has no GPU time"));
}

}  // namespace
}  // namespace trainscope::whatif
