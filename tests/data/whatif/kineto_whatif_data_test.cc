// SPDX-License-Identifier: Apache-2.0
// Kineto what-if path on the shared real traces (label data; skipped without ../shared/data).
// Expected measured step times and GPU-op counts come from tests/data/whatif/kineto_step_times.py
// (plain Python json over the files: step = earliest ProfilerStep#N start over the ranks to the
// latest end of a GPU op launched inside the step). That script reads raw timestamps; trainscope
// aligns ranks without baseTimeNanoseconds by their collective ends (a few us on
// hta-sampled-2rank), hence the 1e-4 relative tolerance on step times.
// S and attribution are checked against the brute-force reference simulator.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "graph/reference_simulator.h"
#include "ingest/kineto/kineto_reader.h"
#include "support/status_matchers.h"
#include "support/test_data.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/kineto_model.h"

namespace trainscope::whatif {
namespace {

using ::trainscope::testing::SharedDataPath;

struct Expected {
  std::vector<int64_t> steps;
  std::vector<double> step_us;  // kineto_step_times.py
  int64_t ops;
  std::vector<int32_t> absent;
  int64_t collectives_complete;  // shared collective nodes (instances over complete groups)
};

// The raw graph again, from the compiled one, for the reference simulator.
graph::GraphBuilder RawCopy(const graph::DepGraph& g) {
  graph::GraphBuilder b;
  for (graph::NodeId n = 0; n < g.num_nodes(); ++n) b.AddNode(g.worker(n), g.stream(n), g.step(n));
  std::vector<uint8_t> seen(g.num_nodes(), 0);
  for (graph::NodeId n = 0; n < g.num_nodes(); ++n) {
    for (graph::NodeId d : g.DependenciesOf(n)) b.AddEdge(d, n);
    std::vector<graph::NodeId> members = g.CollectiveOf(n);
    if (members.size() > 1 && !seen[members[0]]) {
      for (graph::NodeId m : members) seen[m] = 1;
      b.AddCollective(members);
    }
  }
  return b;
}

double Mean(const std::vector<int64_t>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

void CheckSet(const std::string& set, const Expected& want) {
  ASSERT_OK_AND_ASSIGN(model::JobTrace trace,
                       ingest::kineto::ReadKinetoJob(SharedDataPath("traces/" + set), {}));
  Diagnostics diagnostics;
  ASSERT_OK_AND_ASSIGN(ReplayModel m, BuildKinetoModel(trace, set, &diagnostics));
  ASSERT_OK_AND_ASSIGN(WhatIfResult r, AnalyzeWhatIf(m, AnalysisOptions{}));
  EXPECT_EQ(r.steps, want.steps);
  EXPECT_EQ(r.ops, want.ops);
  EXPECT_EQ(m.absent_ranks, want.absent);
  EXPECT_EQ(m.stats.collectives_complete, want.collectives_complete);
  ASSERT_EQ(r.step_time_s.size(), want.step_us.size());
  for (size_t s = 0; s < want.step_us.size(); ++s)
    EXPECT_NEAR(r.step_time_s[s] * 1e6, want.step_us[s], want.step_us[s] * 1e-4) << "step " << s;
  // The floor on replay error (median <= 2%, max <= 5%).
  EXPECT_LE(r.error_median, 0.02);
  EXPECT_LE(r.error_max, 0.05);
  // S and the worst rank's attribution against the brute-force reference.
  graph::GraphBuilder raw = RawCopy(m.graph);
  graph::ReferenceResult ideal = graph::ReferenceSimulate(raw.raw(), r.ideal_ns, {});
  graph::ReferenceResult nodelay = graph::ReferenceSimulate(raw.raw(), r.actual_ns, {});
  graph::ReferenceResult replay =
      graph::ReferenceSimulate(raw.raw(), r.actual_ns, m.launch_delay_ns);
  EXPECT_NEAR(r.slowdown, Mean(nodelay.step_end_ns) / Mean(ideal.step_end_ns), 1e-9);
  for (size_t s = 0; s < want.step_us.size(); ++s)
    EXPECT_NEAR(r.step_replay_s[s], static_cast<double>(replay.step_end_ns[s]) * 1e-9, 1e-12);
  ASSERT_EQ(r.by_worker.size(), m.worker_rank.size());
  const size_t worst = std::max_element(r.by_worker.begin(), r.by_worker.end(),
                                        [](const Attribution& a, const Attribution& b) {
                                          return a.slowdown < b.slowdown;
                                        }) -
                       r.by_worker.begin();
  std::vector<int64_t> mixed = r.ideal_ns;
  for (int32_t i = 0; i < m.num_nodes(); ++i)
    if (m.worker[i] == static_cast<int32_t>(worst)) mixed[i] = r.actual_ns[i];
  graph::ReferenceResult alone = graph::ReferenceSimulate(raw.raw(), mixed, {});
  EXPECT_NEAR(r.by_worker[worst].slowdown, Mean(alone.step_end_ns) / Mean(ideal.step_end_ns), 1e-9);
  EXPECT_FALSE(r.by_op_class.empty());
  ClassifyCause(m, r, 1);  // runs on real data without tripping a check
}

TEST(KinetoWhatIfDataTest, ParamDlrm8Rank) {
  TS_SKIP_IF_NO_SHARED_DATA("traces/param-dlrm-8rank");
  CheckSet("param-dlrm-8rank", {{10}, {20723.000}, 2244, {}, 8});
}

TEST(KinetoWhatIfDataTest, HtaSampled2Of128Ranks) {
  TS_SKIP_IF_NO_SHARED_DATA("traces/hta-sampled-2rank");
  std::vector<int32_t> absent(126);
  std::iota(absent.begin(), absent.end(), 2);
  CheckSet("hta-sampled-2rank", {{551, 552}, {603763.000, 626914.000}, 2358, absent, 0});
}

TEST(KinetoWhatIfDataTest, HtaNcclProcessGroups) {
  TS_SKIP_IF_NO_SHARED_DATA("traces/hta-nccl-pg");
  CheckSet("hta-nccl-pg", {{4, 5, 6}, {221861.538, 219176.392, 224353.405}, 3774, {1}, 0});
}

}  // namespace
}  // namespace trainscope::whatif
