// SPDX-License-Identifier: Apache-2.0
// The split-backward schedules through the whole predictor (issue 19 item 1): ZB-H1 and
// DualPipe do the same work as 1F1B with a shorter step; DualPipe holds two stages per rank;
// the W pass is the weight-gradient half of the backward GEMMs; synthesis refuses them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/status_matchers.h"
#include "workload/config_io.h"
#include "workload/predictor.h"
#include "workload/synth.h"

namespace trainscope::workload {
namespace {

// A 3B dense decoder on 64 H100: pp 8, 64 microbatches per pipeline.
std::string DenseJob(const char* schedule, bool frozen = false) {
  return fmt::format(R"(
name: split-backward
blocks:
  - name: llm
    kind: dense
    layers: 32
    hidden: 2560
    heads: 20
    ffn_hidden: 10240
    ffn_act: gelu
    vocab: 50304
    seq_len: 2048
    frozen: {}
    parallel: {{tp: 1, pp: 8, schedule: {}, dp_mode: zero1, micro_batch: 1, recompute: none}}
cluster: {{gpu: H100, gpus: 64, gpus_per_node: 8}}
training: {{global_batch: 512}}
)",
                     frozen ? "true" : "false", schedule);
}

struct Planned {
  Prediction p;
  PlanDetail detail;
};

Planned Plan(const std::string& yaml) {
  Planned out;
  Result<JobConfig> job = ParseJobConfig(yaml, "test.yaml");
  EXPECT_OK(job);
  if (!job.ok()) return out;
  Planner planner;
  Result<Prediction> p = planner.Predict(*job, &out.detail);
  EXPECT_OK(p);
  if (p.ok()) out.p = *p;
  return out;
}

TEST(SplitBackward, SameWorkShorterStep) {
  const Planned one = Plan(DenseJob("1f1b"));
  const Planned zb = Plan(DenseJob("zb_h1"));
  const Planned dual = Plan(DenseJob("dualpipe"));
  ASSERT_EQ(one.p.microbatches, 64);
  // B + W of a split backward is the whole backward: every rank's busy time is unchanged.
  EXPECT_NEAR(zb.p.compute_s, one.p.compute_s, 1e-9 * one.p.compute_s);
  EXPECT_LT(zb.p.step_time_s, one.p.step_time_s);
  EXPECT_LT(dual.p.step_time_s, zb.p.step_time_s);
  // 1F1B idles (p - 1)(F + B) per step on a stage; ZB-H1 hides 2W of each of those slots.
  const StepCosts& c = one.detail.costs;
  const double mid_w = c.wgrad_s[3], mid_f = c.fwd_s[3], mid_b = c.bwd_s[3];
  ASSERT_GT(mid_w, 0);
  const double saved = one.p.step_time_s - zb.p.step_time_s;
  EXPECT_GT(saved, 0.5 * 7 * 2 * mid_w);
  EXPECT_LT(saved, 7 * (mid_f + mid_b));
  // DualPipe: two stages' weights per rank (Table 2 of the DeepSeek-V3 report: parameters 2x).
  EXPECT_NEAR(dual.p.params_per_rank / one.p.params_per_rank, 2.0, 0.25);
  EXPECT_GT(dual.p.memory.weights, 1.7 * one.p.memory.weights);
  // DualPipeV: the model in 2 pp half-size stages, two per rank: 1F1B's work per rank and a
  // shorter step; the V puts both the embedding and the head on rank 0, so its weights lie
  // between 1F1B's first stage and DualPipe's two full stages.
  const Planned v = Plan(DenseJob("dualpipev"));
  EXPECT_NEAR(v.p.compute_s / one.p.compute_s, 1.0, 0.01);
  EXPECT_LT(v.p.step_time_s, one.p.step_time_s);
  EXPECT_GT(v.p.params_per_rank, one.p.params_per_rank);
  EXPECT_LT(v.p.params_per_rank, dual.p.params_per_rank);
  ASSERT_EQ(v.detail.costs.fwd_s.size(), 16u);
  EXPECT_GT(v.detail.costs.fwd_s[15], v.detail.costs.fwd_s[7]);  // the head's stage
}

// DualPipe's ranks 0 and pp - 1 each hold model stages 0 and pp - 1, DualPipeV's rank 0 holds
// both ends: a tied output layer is the embedding there, one copy (DualPipe counted two, 129M
// parameters and their optimizer states too many on this job). Under 1F1B the two ends sit on
// different ranks, each with its copy.
TEST(SplitBackward, TiedEmbeddingIsOneCopyWhereTheEndsMeet) {
  const auto tied = [](const char* schedule) {
    std::string yaml = DenseJob(schedule);
    yaml.replace(yaml.find("frozen:"), 7, "tied_embeddings: true\n    frozen:");
    return Plan(yaml);
  };
  const double vocab_h = 50304.0 * 2560;
  for (const char* schedule : {"dualpipe", "dualpipev"}) {
    SCOPED_TRACE(schedule);
    const Planned untied_plan = Plan(DenseJob(schedule));
    const Planned tied_plan = tied(schedule);
    EXPECT_EQ(tied_plan.p.memory.worst_stage, "first");
    EXPECT_NEAR(untied_plan.p.params_per_rank - tied_plan.p.params_per_rank, vocab_h, 1.0);
    EXPECT_LT(tied_plan.p.memory.optimizer, untied_plan.p.memory.optimizer);
  }
  EXPECT_EQ(tied("1f1b").p.params_per_rank, Plan(DenseJob("1f1b")).p.params_per_rank);
}

// W is the weight-gradient GEMMs: dgrad and wgrad have the forward's FLOPs each, so W is the
// forward GEMMs' time over the backward efficiency; a frozen block has none.
TEST(SplitBackward, WeightGradIsForwardGemmsOverBackwardEfficiency) {
  const Planned zb = Plan(DenseJob("zb_h1"));
  double fwd_gemm = 0;
  for (const Kernel& k : zb.detail.main_timing.layer_fwd) {
    if (k.kind == KernelKind::kGemm) fwd_gemm += k.seconds;
  }
  ASSERT_GT(fwd_gemm, 0);
  EXPECT_NEAR(zb.detail.main_timing.layer_wgrad_s, fwd_gemm / 0.9, 1e-9 * fwd_gemm);
  EXPECT_EQ(Plan(DenseJob("zb_h1", true)).detail.main_timing.layer_wgrad_s, 0.0);
}

TEST(SplitBackward, ConfigErrorsNameTheSchedule) {
  std::string yaml = DenseJob("dualpipe");
  yaml.replace(yaml.find("pp: 8"), 5, "pp: 7");
  yaml.replace(yaml.find("gpus: 64"), 8, "gpus: 56");
  EXPECT_THAT(ParseJobConfig(yaml, "t.yaml"),
              testing::StatusIs(StatusCode::kInvalidArgument, "even pp"));
  yaml = DenseJob("zb_h1");
  yaml.replace(yaml.find("pp: 8"), 5, "pp: 8, vpp: 2");
  EXPECT_THAT(ParseJobConfig(yaml, "t.yaml"),
              testing::StatusIs(StatusCode::kInvalidArgument, "vpp: 2 with schedule zb_h1"));
  yaml = DenseJob("1f1b");
  yaml.replace(yaml.find("pp: 8"), 5, "pp: 8, vpp: 2");
  EXPECT_THAT(ParseJobConfig(yaml, "t.yaml"),
              testing::StatusIs(StatusCode::kInvalidArgument, "vpp > 1 is the interleaved"));
  yaml = DenseJob("dualpipe");
  yaml.replace(yaml.find("global_batch: 512"), 17, "global_batch: 64");  // 8 per pipeline < 16
  Result<JobConfig> job = ParseJobConfig(yaml, "t.yaml");
  ASSERT_OK(job);
  EXPECT_THAT(Predict(*job), testing::StatusIs(StatusCode::kInvalidArgument, "at least 2 pp"));
  // Split-backward steps are replayed whole: a step too large for memory is refused, naming the
  // file, instead of dying in the allocator (800k microbatches per pipeline).
  yaml = DenseJob("dualpipe");
  yaml.replace(yaml.find("global_batch: 512"), 17, "global_batch: 6400000");
  job = ParseJobConfig(yaml, "big.yaml");
  ASSERT_OK(job);
  EXPECT_THAT(Predict(*job),
              testing::StatusIs(StatusCode::kInvalidArgument, "big.yaml: pipeline: a whole step"));
}

// A microbatch count DualPipe cannot run is refused naming the batch field that gave it and
// the one condition it breaks (it was "DualPipe needs an even pp (8), 2 chunks per rank (vpp
// 2) and an even number of microbatches of at least 2 pp (17)" for an odd count from
// global_batch_tokens: three conditions, two of them met, and no field).
TEST(SplitBackward, MicrobatchCountErrorNamesTheBatchField) {
  std::string yaml = DenseJob("dualpipe");
  yaml.replace(yaml.find("global_batch: 512"), 17, "global_batch: 72");  // 9 per pipeline
  Result<JobConfig> job = ParseJobConfig(yaml, "t.yaml");
  ASSERT_OK(job);
  EXPECT_THAT(Predict(*job),
              testing::StatusIs(StatusCode::kInvalidArgument,
                                "training.global_batch: 72 gives 9 microbatches per pipeline "
                                "(dp 8 x micro_batch 1); schedule dualpipe needs an even count of "
                                "at least 2 pp = 16 (global_batch 128 gives 16)"));
  yaml = DenseJob("dualpipe");
  // 136 sequences of 2048 tokens over dp 8: 17 per pipeline, odd although above 2 pp.
  yaml.replace(yaml.find("global_batch: 512"), 17, "global_batch_tokens: 278528");
  job = ParseJobConfig(yaml, "t.yaml");
  ASSERT_OK(job);
  EXPECT_THAT(Predict(*job), testing::StatusIs(StatusCode::kInvalidArgument,
                                               "training.global_batch_tokens: 278528 gives 17 "
                                               "microbatches per pipeline"));
  EXPECT_THAT(Predict(*job), testing::StatusIs(StatusCode::kInvalidArgument, "(global_batch 144"));
  yaml = DenseJob("dualpipev");
  yaml.replace(yaml.find("global_batch: 512"), 17, "global_batch: 120");  // 15 per pipeline
  job = ParseJobConfig(yaml, "t.yaml");
  ASSERT_OK(job);
  EXPECT_THAT(Predict(*job), testing::StatusIs(StatusCode::kInvalidArgument,
                                               "schedule dualpipev needs at least 2 pp = 16"));
}

TEST(SplitBackward, SynthRefusesWhatWhatIfCannotRead) {
  Result<JobConfig> job = ParseJobConfig(DenseJob("dualpipe"), "t.yaml");
  ASSERT_OK(job);
  SynthOptions options;
  options.out_dir = (std::filesystem::temp_directory_path() /
                     ("ts_split_" + std::to_string(::getpid())))
                        .string();
  EXPECT_THAT(Synthesize(*job, options),
              testing::StatusIs(StatusCode::kInvalidArgument, "1F1B and interleaved pipelines only"));
  EXPECT_FALSE(std::filesystem::exists(options.out_dir));
}

}  // namespace
}  // namespace trainscope::workload

namespace trainscope::workload {
namespace {

// 30 layers over 8 stages: 6 stages of 4 and 2 of 3, said, and so costed (interior stages hold
// no embedding or head: their forward is layers x the layer's); 32 layers split evenly, nothing
// said.
TEST(LayerSplit, UnevenSplitIsStated) {
  std::string uneven = DenseJob("1f1b");
  uneven.replace(uneven.find("layers: 32"), 10, "layers: 30");
  const Planned odd = Plan(uneven);
  const Planned even = Plan(DenseJob("1f1b"));
  bool said = false;
  for (const Assumption& a : odd.p.assumptions) {
    if (a.field == "parallel.layer_split") {
      said = true;
      EXPECT_EQ(a.value, "6 x 4 layers, 2 x 3");
    }
  }
  EXPECT_TRUE(said);
  for (const Assumption& a : even.p.assumptions) EXPECT_NE(a.field, "parallel.layer_split");
  const std::vector<double>& fwd = odd.detail.costs.fwd_s;
  ASSERT_EQ(fwd.size(), 8u);
  for (int stage = 1; stage < 6; ++stage) EXPECT_DOUBLE_EQ(fwd[stage], fwd[1]);
  EXPECT_NEAR(fwd[1] / fwd[6], 4.0 / 3.0, 1e-12);
  EXPECT_NEAR(even.detail.costs.fwd_s[1], fwd[1], 1e-15);
}

}  // namespace
}  // namespace trainscope::workload
