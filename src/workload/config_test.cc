// SPDX-License-Identifier: Apache-2.0
// YAML parsing, errors with places, presets.
#include <gtest/gtest.h>

#include "support/status_matchers.h"
#include "workload/config_io.h"
#include "workload/layout.h"
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

// Issue 19 item 5: what the reader does not understand is an error with its place, never
// ignored: misspelled keys (with the nearest valid one), keys given twice, keys of another block
// kind, integers out of range, implausible sizes, a batch whose schedule would not fit in memory.
TEST(Config, StrictKeysAndBoundedValues) {
  auto parse_with = [](const std::string& from, const std::string& to) {
    std::string text = kMinimal;
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    return ParseJobConfig(text, "c.yaml");
  };
  EXPECT_THAT(parse_with("parallel: {tp: 2, pp: 2}", "parallel: {tp: 2, pp: 2, recompte: full}"),
              StatusIs(StatusCode::kInvalidArgument,
                       "c.yaml: line 10:30: blocks[0].parallel.recompte: unknown key (did you "
                       "mean recompute?)"));
  EXPECT_THAT(parse_with("gpus: 8}", "gpus: 8, gpus_per_nod: 4}"),
              StatusIs(StatusCode::kInvalidArgument,
                       "cluster.gpus_per_nod: unknown key (did you mean gpus_per_node?)"));
  EXPECT_THAT(parse_with("    layers: 4\n", "    layers: 4\n    layers: 8\n"),
              StatusIs(StatusCode::kInvalidArgument,
                       "line 6:5: blocks[0].layers: given twice (first at line 5:5)"));
  EXPECT_THAT(parse_with("training: {", "trainig: {"),
              StatusIs(StatusCode::kInvalidArgument,
                       "trainig: unknown key (did you mean "
                       "training?)"));
  // A foreign top-level section is named as such, before the 'blocks' list it leaves out.
  EXPECT_THAT(ParseJobConfig("model:\n  layers: 12\n", "m.yaml"),
              StatusIs(StatusCode::kInvalidArgument, "m.yaml: line 1:1: model: unknown key"));
  EXPECT_THAT(parse_with("    vocab: 1000\n", "    vocab: 1000\n    image_vit_tokens: 9\n"),
              StatusIs(StatusCode::kInvalidArgument,
                       "blocks[0].image_vit_tokens: applies to vit blocks only"));
  EXPECT_THAT(parse_with("    vocab: 1000\n", "    vocab: 1000\n    text_attention: cross\n"),
              StatusIs(StatusCode::kInvalidArgument,
                       "blocks[0].text_attention: applies to dit blocks only"));
  EXPECT_THAT(parse_with("layers: 4", "layers: 1e30"),
              StatusIs(StatusCode::kInvalidArgument, "blocks[0].layers: 1e30 is out of range"));
  EXPECT_THAT(parse_with("layers: 4", "layers: 1e6"),
              StatusIs(StatusCode::kInvalidArgument, "layers: 1000000 is implausible"));
  EXPECT_THAT(parse_with("seq_len: 128", "seq_len: 1e9"),
              StatusIs(StatusCode::kInvalidArgument, "seq_len: 1000000000 is implausible"));
  EXPECT_THAT(parse_with("global_batch: 16", "global_batch: 1e8"),
              StatusIs(StatusCode::kInvalidArgument,
                       "training.global_batch: 100000000 gives 50000000 microbatches"));
}

// Token counts that no comparison catches (NaN) or that print 'inf GPU-hours' are refused; a
// DiT batch of 1e12 is bounded like a decoder's (it wrapped the microbatch count and was named
// as 'microbatches ... must be >= 1'); the --tokens flag is checked under its own name.
// Rates, widths and factors that would make an op take forever (an efficiency of 0), NaN or
// overflow the replay's nanosecond sums (a 1e12-wide head) are refused naming the field; the
// predictor also refuses any op time outside [0, 1 day] (mutation runs under UBSan found these).
TEST(Config, ImplausibleRatesAndWidthsAreRefused) {
  const auto error_of = [](const std::string& from, const std::string& to) {
    std::string yaml = kMinimal;
    const size_t at = yaml.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    yaml.replace(at, from.size(), to);
    return ParseJobConfig(yaml, "m.yaml").status();
  };
  EXPECT_THAT(error_of("{gpu: A100, gpus: 8}", "{gpu: A100, gpus: 8, gemm_eff_max: 0}"),
              StatusIs(StatusCode::kInvalidArgument, "cluster.gemm_eff_max: 0 is outside"));
  EXPECT_THAT(error_of("{gpu: A100, gpus: 8}", "{gpu: A100, gpus: 8, fp8_gemm_eff_max: .nan}"),
              StatusIs(StatusCode::kInvalidArgument, "cluster.fp8_gemm_eff_max: nan is outside"));
  EXPECT_THAT(error_of("{gpu: A100, gpus: 8}", "{gpu: A100, gpus: 8, nic_gbps: 0}"),
              StatusIs(StatusCode::kInvalidArgument, "cluster.nic_gbps: 0 is outside"));
  EXPECT_THAT(error_of("training:", "system: {grad_reduce_bytes: 1e12}\ntraining:"),
              StatusIs(StatusCode::kInvalidArgument, "system.grad_reduce_bytes"));
  EXPECT_THAT(error_of("training:", "system: {backward_efficiency: 0}\ntraining:"),
              StatusIs(StatusCode::kInvalidArgument, "system.backward_efficiency"));
  EXPECT_THAT(error_of("seq_len: 128", "seq_len: 0"),
              StatusIs(StatusCode::kInvalidArgument, "seq_len: 0 (a dense or moe block"));
  EXPECT_THAT(error_of("heads: 8", "heads: 8\n    head_dim: 1e12"),
              StatusIs(StatusCode::kInvalidArgument, "head_dim: 1000000000000 is implausible"));
  EXPECT_THAT(
      error_of("kind: dense",
               "kind: moe\n    num_experts: 8\n    top_k: 2\n    router_imbalance: 0"),
      StatusIs(StatusCode::kInvalidArgument, "router_imbalance (slowest EP rank / mean): 0"));
  // Valid fields, absurd together: a 1 FLOP/s GPU. The replay would sum op times beyond int64
  // nanoseconds; the predictor refuses instead.
  std::string slow = kMinimal;
  slow.replace(slow.find("{gpu: A100, gpus: 8}"), 20, "{gpu: A100, gpus: 8, peak_flops: 1}");
  ASSERT_OK_AND_ASSIGN(JobConfig job, ParseJobConfig(slow, "m.yaml"));
  EXPECT_THAT(Predict(job).status(),
              StatusIs(StatusCode::kInvalidArgument, "m.yaml: a step op would take"));
}

TEST(Config, TokenCountsAreFiniteAndDitBatchesBounded) {
  auto with_training = [](const std::string& training) {
    std::string text = kMinimal;
    text.replace(text.find("training: {global_batch: 16}"), 28, training);
    return ParseJobConfig(text, "c.yaml");
  };
  EXPECT_THAT(with_training("training: {global_batch: 16, tokens_total: .inf}"),
              StatusIs(StatusCode::kInvalidArgument, "training.tokens_total: inf is not a token"));
  EXPECT_THAT(with_training("training: {global_batch: 16, tokens_total: -5}"),
              StatusIs(StatusCode::kInvalidArgument, "training.tokens_total: -5 is not a token"));
  EXPECT_THAT(with_training("training: {global_batch_tokens: .nan}"),
              StatusIs(StatusCode::kInvalidArgument, "global_batch_tokens: nan is not a finite"));
  ASSERT_OK_AND_ASSIGN(JobConfig dit, LoadPreset("seaweed7b"));
  LayoutFlags flags;
  flags.global_batch = 1'000'000'000'000;
  EXPECT_THAT(ApplyLayoutFlags(flags, &dit, "--"),
              StatusIs(StatusCode::kInvalidArgument, "gives 3906250000 microbatches"));
  ASSERT_OK_AND_ASSIGN(JobConfig job, ParseJobConfig(kMinimal, "tiny.yaml"));
  LayoutFlags tokens;
  tokens.tokens = -1;
  EXPECT_THAT(ApplyLayoutFlags(tokens, &job, "--"),
              StatusIs(StatusCode::kInvalidArgument, "--tokens: -1 is not a token budget"));
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

// Blackwell presets against the datasheets' system figures, divided by hand: DGX B200 (8 GPUs,
// 72 PFLOP/s FP8 and 36 BF16 with sparsity, 1,440 GB, 64 TB/s), GB200 NVL72 and GB300 NVL72
// (72 GPUs, 360 PFLOP/s BF16 and 720 FP8 with sparsity, 13.4 / 20.1 TB, 576 TB/s).
TEST(Config, BlackwellGpusMatchTheirDatasheets) {
  GpuSpec b200, gb200, gb300, unknown;
  ASSERT_TRUE(LookupGpu("B200", &b200));
  ASSERT_TRUE(LookupGpu("GB200", &gb200));
  ASSERT_TRUE(LookupGpu("gb300-nvl72", &gb300));
  EXPECT_EQ(b200.name, "B200-180GB");
  EXPECT_DOUBLE_EQ(b200.peak_flops, 36e15 / 2 / 8);
  EXPECT_DOUBLE_EQ(b200.fp8_peak_flops, 72e15 / 2 / 8);
  EXPECT_DOUBLE_EQ(b200.hbm_bytes, 1440e9 / 8);
  EXPECT_DOUBLE_EQ(b200.hbm_bw, 64e12 / 8);
  EXPECT_EQ(gb200.name, "GB200-186GB");  // not B200's row: names match by prefix
  EXPECT_DOUBLE_EQ(gb200.peak_flops, 360e15 / 2 / 72);
  EXPECT_DOUBLE_EQ(gb200.fp8_peak_flops, 720e15 / 2 / 72);
  EXPECT_NEAR(gb200.hbm_bytes, 13.4e12 / 72, 0.5e9);
  EXPECT_DOUBLE_EQ(gb200.hbm_bw, 576e12 / 72);
  EXPECT_NEAR(gb300.hbm_bytes, 20.1e12 / 72, 0.5e9);
  EXPECT_DOUBLE_EQ(gb300.peak_flops, gb200.peak_flops);
  EXPECT_DOUBLE_EQ(gb300.nvlink_bw, 1.8e12 / 2);  // NVLink 5, per direction
  // A GPU without a preset is refused, never defaulted to a neighbour.
  EXPECT_FALSE(LookupGpu("B300", &unknown));
  EXPECT_FALSE(LookupGpu("MI300X", &unknown));
  std::string b300 = kMinimal;
  b300.replace(b300.find("A100"), 4, "B300");
  EXPECT_THAT(ParseJobConfig(b300, "g.yaml"),
              StatusIs(StatusCode::kInvalidArgument, "GB300"));  // the message lists the names
}

// A cluster has its GPU's reference system unless the config says otherwise, and says so: DGX
// A100 has 8 x 200 Gb/s HDR, DGX H100 8 x 400 Gb/s NDR, GB300 NVL72 800 Gb/s per GPU.
TEST(Config, NicDefaultsToTheGpusReferenceSystem) {
  const auto nic = [](const std::string& gpu, const char* extra) {
    std::string yaml = kMinimal;
    yaml.replace(yaml.find("gpu: A100"), 9, "gpu: " + gpu + extra);
    Result<JobConfig> job = ParseJobConfig(yaml, "n.yaml");
    EXPECT_OK(job);
    std::string assumed;
    for (const Assumption& a : job->assumed) {
      if (a.field == "cluster.nic_gbps") assumed = a.value;
    }
    return std::make_pair(job->cluster.nic_gbps, assumed);
  };
  EXPECT_EQ(nic("A100", ""), std::make_pair(200.0, std::string("200")));
  EXPECT_EQ(nic("H100", ""), std::make_pair(400.0, std::string("400")));
  EXPECT_EQ(nic("GB300", ""), std::make_pair(800.0, std::string("800")));
  EXPECT_EQ(nic("A100", ", nic_gbps: 100"), std::make_pair(100.0, std::string()));
  // An NVL72 rack is one NVLink domain of 72 GPUs with a NIC each; given sizes are kept.
  std::string yaml = kMinimal;
  yaml.replace(yaml.find("gpu: A100"), 9, "gpu: GB200");
  ASSERT_OK_AND_ASSIGN(JobConfig rack, ParseJobConfig(yaml, "n.yaml"));
  EXPECT_EQ(rack.cluster.gpus_per_node, 72);
  EXPECT_EQ(rack.cluster.nics_per_node, 72);
  yaml.replace(yaml.find("gpu: GB200"), 10, "gpu: GB200, gpus_per_node: 4, nics_per_node: 2");
  ASSERT_OK_AND_ASSIGN(JobConfig tray, ParseJobConfig(yaml, "n.yaml"));
  EXPECT_EQ(tray.cluster.gpus_per_node, 4);
  EXPECT_EQ(tray.cluster.nics_per_node, 2);
}

// Efficiencies no published run on the GPU backs are said to be so: the assumption lines name
// their basis, and a prediction on Blackwell carries the spread its published rows show; a
// config that states its own efficiencies gets no such note. A GPU chosen by flag restates the
// lines with its own values (they were the config GPU's), and its network where the config left
// it to the GPU.
TEST(Config, EfficienciesSayWhatBacksThem) {
  const auto job_on = [](const std::string& cluster) {
    std::string yaml = kMinimal;
    yaml.replace(yaml.find("gpu: A100"), 9, cluster);
    Result<JobConfig> job = ParseJobConfig(yaml, "e.yaml");
    EXPECT_OK(job);
    return *job;
  };
  const auto cautioned = [](const JobConfig& job) {
    Result<Prediction> p = Predict(job);
    EXPECT_OK(p);
    for (const std::string& note : p->notes) {
      if (note.find("compute efficiencies are") != std::string::npos) return true;
    }
    return false;
  };
  const auto line = [](const JobConfig& job, const char* field) {
    for (const Assumption& a : job.assumed) {
      if (a.field == field) return a.value + " | " + a.note;
    }
    return std::string();
  };
  EXPECT_FALSE(cautioned(job_on("gpu: H100")));
  EXPECT_FALSE(cautioned(job_on("gpu: A100")));
  EXPECT_TRUE(cautioned(job_on("gpu: GB200")));
  EXPECT_TRUE(cautioned(job_on("gpu: H200")));
  EXPECT_FALSE(cautioned(job_on("gpu: GB200, gemm_eff_max: 0.6, attn_eff: 0.5")));
  EXPECT_NE(line(job_on("gpu: B200"), "cluster.gemm_eff_max").find("0.7 | "), std::string::npos);
  EXPECT_NE(line(job_on("gpu: B200"), "cluster.gemm_eff_max").find("not fitted on Blackwell"),
            std::string::npos);
  // --gpu GB300 on an A100 config: A100's 0.8 / 0.5 lines become GB300's 0.7 / 0.35.
  JobConfig switched = job_on("gpu: A100");
  LayoutFlags flags;
  flags.gpu = "GB300";
  ASSERT_OK(ApplyLayoutFlags(flags, &switched, "--"));
  EXPECT_EQ(line(switched, "cluster.gemm_eff_max").substr(0, 6), "0.7 | ");
  EXPECT_EQ(line(switched, "cluster.attn_eff").substr(0, 7), "0.35 | ");
  EXPECT_TRUE(cautioned(switched));
  // Its network defaults follow the GPU too (DGX A100's 8 x 200 Gb/s became NVL72's 72 x 800).
  EXPECT_EQ(switched.cluster.gpus_per_node, 72);
  EXPECT_EQ(switched.cluster.nics_per_node, 72);
  EXPECT_EQ(switched.cluster.nic_gbps, 800);
  EXPECT_EQ(line(switched, "cluster.nic_gbps").substr(0, 6), "800 | ");
  JobConfig own_network = job_on("gpu: A100, nic_gbps: 100, gpus_per_node: 4");
  ASSERT_OK(ApplyLayoutFlags(flags, &own_network, "--"));
  EXPECT_EQ(own_network.cluster.nic_gbps, 100);
  EXPECT_EQ(own_network.cluster.gpus_per_node, 4);
  EXPECT_EQ(own_network.cluster.nics_per_node, 4);
  // A stated value the flag's GPU replaces is said to be replaced.
  JobConfig stated = job_on("gpu: A100, gemm_eff_max: 0.75");
  ASSERT_OK(ApplyLayoutFlags(flags, &stated, "--"));
  EXPECT_NE(line(stated, "cluster.gemm_eff_max").find("replaced"), std::string::npos);
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

// `plan` from flags: a Llama-2-7B shape is 6.74B parameters as published (FFN 11008 by the Llama
// rule, SwiGLU, no biases; 4 x hidden gave 8.85B), and the flags path lists every assumption the
// config path would (it listed 2 where configs list 12 or more) plus its own.
TEST(Config, DecoderFromFlagsIsLlamaShapedAndSaysWhatItAssumed) {
  EXPECT_EQ(LlamaFfnHidden(4096), 11008);
  EXPECT_EQ(LlamaFfnHidden(5120), 13824);
  DecoderFlags f;
  f.layers = 32, f.hidden = 4096, f.heads = 32, f.seq_len = 4096, f.gpus = 8, f.global_batch = 8;
  ASSERT_OK_AND_ASSIGN(JobConfig job, DecoderJob(f));
  ASSERT_OK_AND_ASSIGN(Prediction p, Planner().Predict(job));
  EXPECT_NEAR(p.params_total / 6.74e9, 1.0, 0.002);  // Llama 2 paper, Table 1: 7B = 6.74B
  const auto assumed = [&](const std::string& field) {
    for (const Assumption& a : job.assumed)
      if (a.field == field) return true;
    return false;
  };
  for (const char* field :
       {"blocks[0].ffn_hidden", "blocks[0].vocab", "cluster.gpu", "system.fragmentation",
        "cluster.gemm_eff_max", "training.effective_time_ratio"}) {
    EXPECT_TRUE(assumed(field)) << field;
  }
  EXPECT_GE(job.assumed.size(), 15u);
  f.gpu = "Z100";
  EXPECT_THAT(DecoderJob(f), StatusIs(StatusCode::kInvalidArgument, "--gpu: unknown GPU 'Z100'"));
}

// Seed1.5-VL's report gives Seed-ViT 532M parameters: the encoder, without the MLP adapter that
// the ViT block also holds (the block printed 565M and 532M appeared nowhere).
TEST(Config, SeedVitEncoderIsThePublished532M) {
  ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset("seed15vl-stage2"));
  ASSERT_OK_AND_ASSIGN(Prediction p, Planner().Predict(job));
  const BlockSummary& vit = p.blocks[0];
  ASSERT_EQ(vit.kind, BlockKind::kVit);
  ASSERT_GT(vit.params.adapter, 0);
  EXPECT_NEAR((vit.params.total - vit.params.adapter) / 532e6, 1.0, 0.005);
}

}  // namespace
}  // namespace trainscope::workload
