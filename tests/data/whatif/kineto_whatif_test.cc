// SPDX-License-Identifier: Apache-2.0
// Kineto what-if path on hand-made 2-rank traces (tests/data/whatif/kineto_*, written by
// make_kineto_fixtures.py, whose docstring draws the timelines). Every expected number below is
// computed by hand from those timelines (microseconds):
//   rank 0: gemm_a 5-15, gemm_b 15-25, all_reduce 25-45, gemm_a 45-55
//   rank 1: gemm_a 5-25, gemm_b 25-35, all_reduce 35-45, gemm_a 45-55
// Edges: stream order, two event waits per rank (gemm_b -> all_reduce -> last gemm_a), the
// all-reduce shared by both ranks (transfer = 45 - 35 = 10 on both).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "graph/reference_simulator.h"
#include "ingest/kineto/kineto_reader.h"
#include "support/status_matchers.h"
#include "support/test_data.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/kineto_model.h"
#include "whatif/result_json.h"
#include "whatif/result_text.h"
#include "whatif/perfetto_export.h"
#include "whatif/scenario.h"

namespace trainscope::whatif {
namespace {

using ::trainscope::testing::StatusIs;
using ::trainscope::testing::TestDataPath;

struct Fixture {
  model::JobTrace trace;
  ReplayModel model;
  WhatIfResult result;
  Cause cause;
  Diagnostics diagnostics;
};

Result<Fixture> Analyze(const std::string& path) {
  Fixture run;
  TS_ASSIGN_OR_RETURN(run.trace, ingest::kineto::ReadKinetoJob(path, {}));
  TS_ASSIGN_OR_RETURN(run.model, BuildKinetoModel(run.trace, "fixture", &run.diagnostics));
  TS_ASSIGN_OR_RETURN(run.result, AnalyzeWhatIf(run.model, AnalysisOptions{}));
  run.cause = ClassifyCause(run.model, run.result, 1);
  return run;
}

const Attribution& Find(const std::vector<Attribution>& rows, const std::string& label) {
  for (const Attribution& a : rows)
    if (a.label == label) return a;
  ADD_FAILURE() << "no attribution row " << label;
  return rows.front();
}

TEST(KinetoWhatIfTest, HandComputedTwoRankJob) {
  ASSERT_OK_AND_ASSIGN(Fixture run, Analyze(TestDataPath("whatif/kineto_2rank")));
  const ReplayModel& m = run.model;
  const WhatIfResult& r = run.result;
  EXPECT_EQ(m.num_nodes(), 8);
  EXPECT_EQ(m.stats.stream_edges, 4);      // per rank: 3 ops on stream 7 (2 edges), 1 on 20
  EXPECT_EQ(m.stats.event_wait_edges, 4);  // two waits per rank, both resolved
  EXPECT_EQ(m.stats.event_waits_unresolved, 0);
  EXPECT_EQ(m.stats.collectives_complete, 1);
  EXPECT_TRUE(m.absent_ranks.empty());
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0], 1);
  // Measured: ProfilerStep start 0 -> last gemm_a end 55 us. Replay with delays: exact.
  EXPECT_NEAR(r.step_time_s[0], 55e-6, 1e-12);
  EXPECT_NEAR(r.step_replay_s[0], 55e-6, 1e-12);
  EXPECT_EQ(r.error_max, 0);
  // No delays: r1 gemm_a 0-20, gemm_b 20-30, all-reduce ready 30 -> 40, gemm_a 40-50.
  EXPECT_NEAR(r.step_nodelay_s[0], 50e-6, 1e-12);
  // Ideal: gemm_a mean (10+10+20+10)/4 = 12.5, gemm_b 10, all-reduce median transfer 10:
  // 12.5 + 10 + 10 + 12.5 = 45.
  EXPECT_NEAR(r.step_ideal_s[0], 45e-6, 1e-12);
  EXPECT_NEAR(r.slowdown, 50.0 / 45.0, 1e-9);
  EXPECT_NEAR(r.launch_slowdown, 55.0 / 50.0, 1e-9);
  // Gaps: the first gemm_a of each rank starts 5 us after the step start, 1 us of it before its
  // launch call (ts 1): 2 of 10 us. Ideal with the gaps kept: 5 + 12.5 + 10 + 10 + 12.5 = 50.
  EXPECT_NEAR(r.launch_wait_share, 0.2, 1e-12);
  EXPECT_NEAR(r.slowdown_with_gaps, 55.0 / 50.0, 1e-9);
  EXPECT_TRUE(r.straggling);
  EXPECT_NEAR(r.waste_fraction, 1 - 45.0 / 50.0, 1e-9);
  // Only rank 1 real: r1 ready at 30, all-reduce ends 40, r0's ideal gemm_a 40-52.5.
  EXPECT_NEAR(Find(r.by_worker, "1").slowdown, 52.5 / 45.0, 1e-9);
  EXPECT_NEAR(Find(r.by_worker, "0").slowdown, 1.0, 1e-9);
  EXPECT_NEAR(Find(r.by_op_class, "compute").slowdown, 50.0 / 45.0, 1e-9);
  EXPECT_NEAR(Find(r.by_op_class, "comm all_reduce").slowdown, 1.0, 1e-9);
  EXPECT_NEAR(Find(r.by_step, "1").slowdown, 50.0 / 45.0, 1e-9);
  // M_W: ceil(3% of 2) = 1 rank, the one with the highest alone S (rank 1). Removing it (rank 1
  // ideal, rank 0 actual): rank 0 ready at 20, rank 1 at 22.5, all-reduce ends 32.5, gemm_a
  // 32.5-45 on rank 1: T_rem 45; T_add = 52.5 (only rank 1 real, above).
  // rem = (50 - 45) / (50 - 45) = 1, add = (52.5 - 45) / (50 - 45) = 1.5.
  EXPECT_EQ(r.m_w.selected, std::vector<int32_t>{1});
  EXPECT_NEAR(r.m_w.t_rem_s, 45e-6, 1e-12);
  EXPECT_NEAR(r.m_w.rem, 1.0, 1e-9);
  EXPECT_NEAR(r.m_w.add, 1.5, 1e-9);
  // Rank 1's compute (40 us) is 1.33x rank 0's (30 us) and alone costs 16.7%: the primary
  // cause; the launch gaps (1.1x) are secondary.
  EXPECT_EQ(run.cause.pattern, Pattern::kOneSlowWorker);
  EXPECT_NE(run.cause.evidence.find("rank 1"), std::string::npos) << run.cause.evidence;
  ASSERT_EQ(run.cause.secondary.size(), 1u);
  EXPECT_EQ(run.cause.secondary[0].pattern, Pattern::kHostBound);
}

TEST(KinetoWhatIfTest, OutputsRender) {
  ASSERT_OK_AND_ASSIGN(Fixture run, Analyze(TestDataPath("whatif/kineto_absent")));
  JsonWriter w;
  WriteWhatIfJson(run.model, run.result, run.cause, run.diagnostics, w);
  EXPECT_EQ(w.str().rfind("{\"slowdown\":", 0), 0u) << w.str();
  EXPECT_NE(w.str().find("\"absent_ranks\":[2]"), std::string::npos) << w.str();
  const std::string text =
      RenderWhatIfText(run.model, run.result, run.cause, run.diagnostics, 10);
  EXPECT_NE(text.find("absent ranks        2 "), std::string::npos) << text;
  const std::string path = ::testing::TempDir() + "kineto_perfetto_test.json";
  EXPECT_OK(WritePerfettoTimelines(run.model, run.result, path));
  std::ifstream f(path);
  std::string json((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("\"ideal rank 1\""), std::string::npos);
  std::remove(path.c_str());
  EXPECT_EQ(FormatRankRanges({0, 1, 2, 5, 7, 8}), "0-2, 5, 7-8");
}

TEST(KinetoWhatIfTest, ScenariosHandComputed) {
  ASSERT_OK_AND_ASSIGN(Fixture run, Analyze(TestDataPath("whatif/kineto_2rank")));
  ASSERT_OK_AND_ASSIGN(Scenario comm, ParseScaleSyntax("comm=0"));
  ASSERT_OK_AND_ASSIGN(Scenario compute, ParseScaleSyntax("compute=0.5"));
  std::vector<Scenario> scenarios = {
      comm, compute, {Scenario::Kind::kFixRank, "", 1, 1}, {Scenario::Kind::kFixStep, "", 1, 1}};
  ASSERT_OK_AND_ASSIGN(std::vector<ScenarioResult> out,
                       RunScenarios(run.model, run.result, scenarios, 2));
  ASSERT_EQ(out.size(), 4u);
  // Baseline: the no-delay replay, 50 us.
  // comm=0: the all-reduce ends when rank 1 is ready (30), gemm_a 30-40.
  EXPECT_NEAR(out[0].scenario_s, 40e-6, 1e-12);
  EXPECT_NEAR(out[0].speedup, 50.0 / 40.0, 1e-9);
  // compute=0.5: rank 1 ready at 10 + 5 = 15, all-reduce 15-25, gemm_a 25-30.
  EXPECT_NEAR(out[1].scenario_s, 30e-6, 1e-12);
  // Fix rank 1 (its ops ideal): T_rem of M_W, 45. Fix step 1 (the only step): the ideal, 45.
  EXPECT_NEAR(out[2].scenario_s, 45e-6, 1e-12);
  EXPECT_NEAR(out[3].scenario_s, 45e-6, 1e-12);
  EXPECT_FALSE(ParseScaleSyntax("comm").has_value());
  ASSERT_OK_AND_ASSIGN(Scenario unknown, ParseScaleSyntax("all_gather=2"));
  EXPECT_THAT(RunScenarios(run.model, run.result, {unknown}, 1).status(),
              StatusIs(StatusCode::kInvalidArgument, "no op of class 'all_gather'"));
  EXPECT_THAT(
      RunScenarios(run.model, run.result, {{Scenario::Kind::kFixRank, "", 1, 5}}, 1).status(),
      StatusIs(StatusCode::kInvalidArgument, "--fix-rank 5"));
}

TEST(KinetoWhatIfTest, ReplayAgreesWithReferenceSimulator) {
  ASSERT_OK_AND_ASSIGN(Fixture run, Analyze(TestDataPath("whatif/kineto_2rank")));
  graph::GraphBuilder b;  // rebuild the raw graph from the compiled one for the reference
  const graph::DepGraph& g = run.model.graph;
  for (graph::NodeId n = 0; n < g.num_nodes(); ++n) b.AddNode(g.worker(n), g.stream(n), g.step(n));
  std::vector<uint8_t> seen(g.num_nodes(), 0);
  for (graph::NodeId n = 0; n < g.num_nodes(); ++n) {
    for (graph::NodeId d : g.DependenciesOf(n)) b.AddEdge(d, n);
    std::vector<graph::NodeId> members = g.CollectiveOf(n);
    if (members.size() > 1 && !seen[members[0]]) {
      for (graph::NodeId mbr : members) seen[mbr] = 1;
      b.AddCollective(members);
    }
  }
  graph::ReferenceResult ideal = graph::ReferenceSimulate(b.raw(), run.result.ideal_ns, {});
  EXPECT_EQ(ideal.step_end_ns[0], 45'000);
  graph::ReferenceResult actual =
      graph::ReferenceSimulate(b.raw(), run.result.actual_ns, run.model.launch_delay_ns);
  EXPECT_EQ(actual.step_end_ns[0], 55'000);
}

TEST(KinetoWhatIfTest, AbsentRankIsReportedNotInvented) {
  ASSERT_OK_AND_ASSIGN(Fixture run, Analyze(TestDataPath("whatif/kineto_absent")));
  const ReplayModel& m = run.model;
  EXPECT_EQ(m.world_size, 3);
  EXPECT_EQ(m.absent_ranks, std::vector<int32_t>{2});
  EXPECT_EQ(m.num_workers(), 2);
  // The all-reduce's group (the world, no group info) lacks rank 2: synchronised over ranks 0
  // and 1 and kept at its measured transfer (10 us, equal to the median here, so S is as above).
  EXPECT_EQ(m.stats.collectives_complete, 0);
  EXPECT_EQ(m.stats.collectives_partial, 1);
  EXPECT_EQ(run.diagnostics.Count("collective_group_incomplete"), 1);
  EXPECT_NEAR(run.result.slowdown, 50.0 / 45.0, 1e-9);
  EXPECT_EQ(run.result.error_max, 0);
  EXPECT_EQ(run.result.gpus, 2);
}

TEST(KinetoWhatIfTest, MismatchedCollectivesAreNotSynchronised) {
  ASSERT_OK_AND_ASSIGN(Fixture run, Analyze(TestDataPath("whatif/kineto_mismatch")));
  EXPECT_EQ(run.diagnostics.Count("collective_mismatch"), 1);
  EXPECT_NE(run.diagnostics.items()[0].message.find("all_gather on rank 1"), std::string::npos)
      << run.diagnostics.items()[0].message;
  EXPECT_EQ(run.model.stats.collective_ops_unmatched, 2);
  EXPECT_EQ(run.result.error_max, 0);
  // Unsynchronised NCCL ops keep their measured 20 / 10 us. No delays: both ranks end at 50.
  // Ideal: rank 0 12.5 + 10 + 20 + 12.5 = 55 (its wait is now a fixed duration).
  EXPECT_NEAR(run.result.step_nodelay_s[0], 50e-6, 1e-12);
  EXPECT_NEAR(run.result.step_ideal_s[0], 55e-6, 1e-12);
}

TEST(KinetoWhatIfTest, NcclLaunchImpliesTheWaitWhenNoneIsRecorded) {
  ASSERT_OK_AND_ASSIGN(Fixture run, Analyze(TestDataPath("whatif/kineto_nowait")));
  const ReplayModel& m = run.model;
  EXPECT_EQ(m.stats.event_wait_edges, 0);
  EXPECT_EQ(m.stats.nccl_sync_edges, 2);  // gemm_b -> all_reduce on each rank
  // The last gemm_a no longer waits for the all-reduce. No delays: rank 1's all-reduce is
  // ready at 30 and ends at 40, its gemm_a runs 30-40: step 40. Ideal: gemm_b ends at 22.5,
  // the all-reduce at 32.5, gemm_a 22.5-35: step 35. Measured 55, replayed exactly.
  EXPECT_NEAR(run.result.step_nodelay_s[0], 40e-6, 1e-12);
  EXPECT_NEAR(run.result.step_ideal_s[0], 35e-6, 1e-12);
  EXPECT_NEAR(run.result.slowdown, 40.0 / 35.0, 1e-9);
  EXPECT_EQ(run.result.error_max, 0);
}

// A copy launched between the all-reduce and the last gemm_a's wait: without the cuda_sync event
// the wait is paired with the copy, which ends after gemm_a starts, so it is left unresolved and
// gemm_a no longer waits for the all-reduce (the kineto_nowait timeline: S 40/35). With it, the
// wait's source is the all-reduce: kineto_2rank's hand-computed S 50/45 again.
TEST(KinetoWhatIfTest, NamedWaitEventGivesTheExactSource) {
  ASSERT_OK_AND_ASSIGN(Fixture guessed, Analyze(TestDataPath("whatif/kineto_side_stream")));
  EXPECT_EQ(guessed.model.stats.event_waits_unresolved, 2);
  EXPECT_EQ(guessed.model.stats.exact_event_waits, 0);
  EXPECT_NEAR(guessed.result.slowdown, 40.0 / 35.0, 1e-9);
  ASSERT_OK_AND_ASSIGN(Fixture named, Analyze(TestDataPath("whatif/kineto_named_wait")));
  EXPECT_EQ(named.model.stats.event_wait_edges, 4);
  EXPECT_EQ(named.model.stats.event_waits_unresolved, 0);
  EXPECT_EQ(named.model.stats.exact_event_waits, 2);
  EXPECT_NEAR(named.result.step_nodelay_s[0], 50e-6, 1e-12);
  EXPECT_NEAR(named.result.step_ideal_s[0], 45e-6, 1e-12);
  EXPECT_NEAR(named.result.slowdown, 50.0 / 45.0, 1e-9);
}

TEST(KinetoWhatIfTest, SendPairsWithRecvInATwoRankGroup) {
  ASSERT_OK_AND_ASSIGN(Fixture run, Analyze(TestDataPath("whatif/kineto_p2p")));
  EXPECT_EQ(run.model.stats.collectives_complete, 1);
  EXPECT_EQ(run.model.stats.collective_ops_unmatched, 0);
  EXPECT_TRUE(run.diagnostics.empty());
  // Same timelines as kineto_2rank with the all-reduce replaced by a send/recv pair.
  EXPECT_NEAR(run.result.slowdown, 50.0 / 45.0, 1e-9);
  EXPECT_NEAR(Find(run.result.by_op_class, "comm send").slowdown, 1.0, 1e-9);
}

TEST(KinetoWhatIfTest, CollectivesInOppositeOrdersAreACycleNamingTheOp) {
  ASSERT_OK_AND_ASSIGN(model::JobTrace trace,
                       ingest::kineto::ReadKinetoJob(TestDataPath("whatif/kineto_cycle"), {}));
  EXPECT_THAT(BuildKinetoModel(trace, "kineto_cycle", nullptr).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       "kineto_cycle: dependency graph has a cycle through rank 0 stream 20 "
                       "'ncclDevKernel_AllReduce"));
}

TEST(KinetoWhatIfTest, TraceWithoutStepsIsAClearError) {
  const std::string path = ::testing::TempDir() + "kineto_no_step.json";
  {
    std::ofstream f(path);
    f << R"({"distributedInfo": {"rank": 0, "world_size": 1}, "traceEvents": [
      {"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": 5, "dur": 1,
       "args": {"stream": 7}}]})";
  }
  ASSERT_OK_AND_ASSIGN(model::JobTrace trace, ingest::kineto::ReadKinetoJob(path, {}));
  EXPECT_THAT(BuildKinetoModel(trace, "no_step", nullptr).status(),
              StatusIs(StatusCode::kInvalidArgument, "ProfilerStep"));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace trainscope::whatif
