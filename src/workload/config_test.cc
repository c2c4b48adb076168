// SPDX-License-Identifier: Apache-2.0
// YAML parsing, errors with places, presets.
#include "workload/config_io.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"
#include "workload/predictor.h"

namespace trainscope::workload {
namespace {

using testing::StatusIs;

constexpr const char* kMinimal = R"(name: tiny
blocks:
  - name: llm
    kind: dense
    layers: 4
    hidden: 256
    heads: 8
    vocab: 1000
    seq_len: 128
    parallel: {tp: 2, pp: 2}
cluster: {gpu: A100, gpus: 8}
training: {global_batch: 16}
)";

TEST(Config, ParsesMinimalAndRecordsAssumptions) {
  ASSERT_OK_AND_ASSIGN(JobConfig job, ParseJobConfig(kMinimal, "tiny.yaml"));
  EXPECT_EQ(job.blocks[0].layers, 4);
  EXPECT_EQ(job.blocks[0].plan.tp, 2);
  EXPECT_EQ(job.cluster.gpu.peak_flops, 312e12);
  bool has_frag = false;
  for (const Assumption& a : job.assumed) has_frag |= a.field == "system.fragmentation";
  EXPECT_TRUE(has_frag);
}

TEST(Config, ErrorsNameFileAndLine) {
  std::string bad = kMinimal;
  bad.replace(bad.find("layers: 4"), 9, "layers: four");
  EXPECT_THAT(ParseJobConfig(bad, "tiny.yaml"),
              StatusIs(StatusCode::kInvalidArgument, "tiny.yaml: line 5:13"));
  EXPECT_THAT(ParseJobConfig("blocks: [", "x.yaml"),
              StatusIs(StatusCode::kInvalidArgument, "x.yaml: line"));
  std::string gpu = kMinimal;
  gpu.replace(gpu.find("A100"), 4, "Z900");
  EXPECT_THAT(ParseJobConfig(gpu, "g.yaml"), StatusIs(StatusCode::kInvalidArgument, "Z900"));
  std::string tp = kMinimal;
  tp.replace(tp.find("tp: 2"), 5, "tp: 3");
  EXPECT_THAT(ParseJobConfig(tp, "t.yaml"), StatusIs(StatusCode::kInvalidArgument, "heads"));
  std::string kind = kMinimal;
  kind.replace(kind.find("dense"), 5, "dence");
  EXPECT_THAT(ParseJobConfig(kind, "k.yaml"),
              StatusIs(StatusCode::kInvalidArgument, "unknown blocks[0].kind 'dence'"));
}

TEST(Config, EveryPresetLoadsAndPredicts) {
  const auto names = PresetNames();
  EXPECT_GE(names.size(), 30u);
  Planner planner;
  for (const std::string& name : names) {
    Result<JobConfig> job = LoadPreset(name);
    ASSERT_OK(job);
    Result<Prediction> p = planner.Predict(*job);
    ASSERT_OK(p);
    EXPECT_GT(p->step_time_s, 0) << name;
    EXPECT_GT(p->mfu, 0.01) << name;
    EXPECT_LT(p->mfu, 0.9) << name;
  }
  EXPECT_THAT(LoadPreset("nope"), StatusIs(StatusCode::kNotFound, "gpt3-175b"));
}

}  // namespace
}  // namespace trainscope::workload
