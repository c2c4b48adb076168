// SPDX-License-Identifier: Apache-2.0
// What-if on the shared official op tables (label `data`): cause on bytedance-wia-ST/AR and on
// faults injected into them (slow worker, slow stage forward, per-microbatch noise, launch gaps),
// with S checked against the plain reference simulator within 0.1%.
// Lives under tests/ because it needs both the op-table reader (ingest) and the analyses (whatif),
// which src/ layering keeps apart.
#include <gtest/gtest.h>

#include <random>

#include "graph/reference_simulator.h"
#include "ingest/optable/op_table_reader.h"
#include "support/status_matchers.h"
#include "support/test_data.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/megatron_model.h"
#include "whatif/retime.h"

namespace trainscope::whatif {
namespace {

struct Case {
  OpJob job;
  ReplayModel model;
  WhatIfResult result;
  Cause cause;
};

double MeanOf(const std::vector<int64_t>& v) {
  double s = 0;
  for (int64_t x : v) s += static_cast<double>(x);
  return s / static_cast<double>(v.size());
}

Result<Case> Analyze(OpJob job) {
  Case c;
  TS_ASSIGN_OR_RETURN(c.model, BuildMegatronModel(job));
  AnalysisOptions options;
  options.threads = 2;
  TS_ASSIGN_OR_RETURN(c.result, AnalyzeWhatIf(c.model, options));
  c.cause = ClassifyCause(c.model, c.result, 2);
  c.job = std::move(job);
  return c;
}

Result<Case> Load(const std::string& set) {
  TS_ASSIGN_OR_RETURN(ingest::OpTable table,
                      ingest::ReadOpTable(::trainscope::testing::SharedDataPath("traces/" + set)));
  TS_ASSIGN_OR_RETURN(OpJob job, OpJobFromTable(std::move(table)));
  return Analyze(std::move(job));
}

double ReferenceSlowdown(const Case& c) {
  graph::RawGraph raw = graph::ToRawGraph(c.model.graph);
  auto actual = graph::ReferenceSimulate(raw, c.model.transfer_ns, {});
  auto ideal = graph::ReferenceSimulate(raw, IdealDurations(c.model), {});
  return MeanOf(actual.step_end_ns) / MeanOf(ideal.step_end_ns);
}

enum class Fault { kSlowWorker, kSlowStageForward, kMicrobatchNoise, kGaps };

// Injects `fault` by changing simulated durations / launch delays of the real job and re-timing it.
OpJob Inject(const Case& base, Fault fault, int32_t dp_rank, int32_t stage) {
  const OpJob& job = base.job;
  const ReplayModel& m = base.model;
  std::vector<int64_t> dur = m.transfer_ns, delay = m.launch_delay_ns;
  std::mt19937_64 rng(1234);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<double> mb_factor(static_cast<size_t>(m.num_steps()) * m.dp * 64, 1.0);
  for (double& f : mb_factor) f = 1 + 0.6 * unit(rng);
  std::vector<int32_t> gap_workers = {dp_rank * m.pp + stage,
                                      ((dp_rank + 1) % m.dp) * m.pp + (stage + 2) % m.pp};
  for (size_t i = 0; i < job.size(); ++i) {
    const bool compute = IsComputeKind(job.kind[i]);
    switch (fault) {
      case Fault::kSlowWorker:
        if (compute && job.dp_rank[i] == dp_rank && job.stage[i] == stage)
          dur[i] = dur[i] * 13 / 10;
        break;
      case Fault::kSlowStageForward:
        if (job.kind[i] == OpKind::kForwardCompute && job.stage[i] == stage)
          dur[i] = dur[i] * 12 / 10;
        break;
      case Fault::kMicrobatchNoise:
        if (compute && job.mb_id[i] >= 0 && job.mb_id[i] < 64) {
          double f = mb_factor[(static_cast<size_t>(m.step_index[i]) * m.dp + job.dp_rank[i]) * 64 +
                               job.mb_id[i]];
          dur[i] = static_cast<int64_t>(static_cast<double>(dur[i]) * f);
        }
        break;
      case Fault::kGaps:
        break;
    }
  }
  if (fault == Fault::kGaps) {
    // 200 ms gaps before random compute ops of two ranks; enough per step for a >= 5% effect.
    const int64_t step_ns = static_cast<int64_t>(MeanOf(m.step_time_ns));
    const int32_t gaps = static_cast<int32_t>(std::max<int64_t>(1, step_ns / 200'000'000 / 4));
    std::vector<std::vector<int32_t>> computes(static_cast<size_t>(m.num_steps()) *
                                               m.num_workers());
    for (size_t i = 0; i < job.size(); ++i)
      if (IsComputeKind(job.kind[i]))
        computes[m.step_index[i] * m.num_workers() + m.worker[i]].push_back(
            static_cast<int32_t>(i));
    for (int32_t s = 0; s < m.num_steps(); ++s) {
      for (int32_t k = 0; k < gaps; ++k) {
        const auto& ops = computes[s * m.num_workers() + gap_workers[rng() % 2]];
        delay[ops[rng() % ops.size()]] += 200'000'000;
      }
    }
  }
  return RetimeJob(job, m, dur, delay);
}

class WhatIfDataTest : public ::testing::TestWithParam<std::string> {};

TEST_P(WhatIfDataTest, OfficialCauseAndInjectedFaults) {
  const std::string set = GetParam();
  TS_SKIP_IF_NO_SHARED_DATA("traces/" + set);
  ASSERT_OK_AND_ASSIGN(Case base, Load(set));
  EXPECT_NEAR(base.result.slowdown / ReferenceSlowdown(base), 1.0, 1e-3);
  EXPECT_LE(base.result.error_median, 0.02);
  EXPECT_LE(base.result.error_max, 0.05);
  if (set == "bytedance-wia-ST") {
    EXPECT_EQ(base.cause.pattern, Pattern::kStageImbalance) << base.cause.evidence;
    EXPECT_NE(base.cause.evidence.find("last stage"), std::string::npos) << base.cause.evidence;
  } else {
    EXPECT_EQ(base.cause.pattern, Pattern::kOneSlowWorker) << base.cause.evidence;
    EXPECT_NE(base.cause.evidence.find("dp_rank 0, stage 0"), std::string::npos)
        << base.cause.evidence;
  }
  struct Injected {
    Fault fault;
    int32_t dp_rank, stage;
    Pattern expect;
  };
  const int32_t last = base.model.pp - 1;
  const std::vector<Injected> cases = {
      {Fault::kSlowWorker, base.model.dp - 1, 1, Pattern::kOneSlowWorker},
      {Fault::kSlowStageForward, 0, last - 1, Pattern::kStageImbalance},
      {Fault::kMicrobatchNoise, 0, 0, Pattern::kSequenceLength},
      {Fault::kGaps, 0, 1, Pattern::kHostBound},
  };
  for (const Injected& inj : cases) {
    ASSERT_OK_AND_ASSIGN(Case c, Analyze(Inject(base, inj.fault, inj.dp_rank, inj.stage)));
    SCOPED_TRACE(fmt::format("{}: injected {} -> named {} ({}); S {:.4f}", set,
                             PatternName(inj.expect), PatternName(c.cause.pattern),
                             c.cause.evidence, c.result.slowdown));
    EXPECT_TRUE(c.cause.Names(inj.expect));
    // The finding must point at the injected place, not only at the pattern.
    std::string where;
    if (inj.fault == Fault::kSlowWorker)
      where = fmt::format("dp_rank {}, stage {}", inj.dp_rank, inj.stage);
    if (inj.fault == Fault::kSlowStageForward) where = fmt::format("(stage {})", inj.stage);
    if (!where.empty()) {
      bool found =
          c.cause.pattern == inj.expect && c.cause.evidence.find(where) != std::string::npos;
      for (const Finding& f : c.cause.secondary)
        found |= f.pattern == inj.expect && f.evidence.find(where) != std::string::npos;
      EXPECT_TRUE(found) << "no finding names " << where;
    }
    EXPECT_NEAR(c.result.slowdown / ReferenceSlowdown(c), 1.0, 1e-3);
    std::printf("%s injected %s: S %.4f (reference %.4f), launch %.4f, named %s%s\n", set.c_str(),
                std::string(PatternName(inj.expect)).c_str(), c.result.slowdown,
                ReferenceSlowdown(c), c.result.launch_slowdown,
                std::string(PatternName(c.cause.pattern)).c_str(),
                c.cause.pattern == inj.expect ? ""
                : c.cause.Names(inj.expect)   ? " (injected pattern named as secondary)"
                                              : " (NOT NAMED)");
  }
}

INSTANTIATE_TEST_SUITE_P(Official, WhatIfDataTest,
                         ::testing::Values("bytedance-wia-ST", "bytedance-wia-AR"));

}  // namespace
}  // namespace trainscope::whatif
