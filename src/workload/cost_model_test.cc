// SPDX-License-Identifier: Apache-2.0
// Per-layer kernel costs: TP communication overlapped with GEMMs hides at most its GEMM; FSDP
// gathers a MoE layer's experts over the expert-data-parallel group only.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "support/status_matchers.h"
#include "workload/config_io.h"
#include "workload/layout.h"
#include "workload/predictor.h"
#include "workload/synth.h"

namespace trainscope::workload {
namespace {

// Llama-3-405B-shaped layer on H100, TP 8 + SP with userbuffers overlap, the whole collective
// nominally hidden (tp_overlap_fraction 1).
std::string TpJob(bool fp8) {
  return fmt::format(R"(
name: tp-overlap
blocks:
  - name: llm
    kind: dense
    layers: 16
    hidden: 16384
    heads: 128
    kv_heads: 8
    ffn_hidden: 53248
    ffn_act: swiglu
    vocab: 128256
    seq_len: 8192
    bias: false
    parallel: {{tp: 8, sp: true, tp_overlap: true, pp: 1, dp_mode: zero1, micro_batch: 1,
                recompute: none}}
cluster: {{gpu: H100, gpus: 8, gpus_per_node: 8}}
system: {{tp_overlap_fraction: 1.0, fp8_gemm: {}}}
training: {{global_batch: 8}}
)",
                     fp8 ? "true" : "false");
}

BlockTiming Timing(const std::string& yaml) {
  Result<JobConfig> job = ParseJobConfig(yaml, "test.yaml");
  EXPECT_OK(job);
  PlanDetail detail;
  Planner planner;
  EXPECT_OK(planner.Predict(*job, &detail));
  return detail.main_timing;
}

// The GEMM each forward collective runs under, by name: the all-gathers feed the QKV and FC1
// GEMMs, the reduce-scatters follow the output projection and FC2.
void ExpectExposedIsCommBeyondItsGemm(const std::vector<Kernel>& fwd) {
  std::map<std::string, double> gemm;
  for (const Kernel& k : fwd) {
    if (k.kind == KernelKind::kGemm) gemm[k.name] = k.seconds;
  }
  const char* partners[2][2] = {{"qkv_gemm", "fc1_gemm"}, {"attn_out_gemm", "fc2_gemm"}};
  int gathers = 0, scatters = 0;
  for (const Kernel& k : fwd) {
    if (k.kind != KernelKind::kComm || k.group != "tp") continue;
    const bool gather = k.collective == Collective::kAllGather;
    int& seen = gather ? gathers : scatters;
    ASSERT_LT(seen, 2);
    const double under = gemm.at(partners[gather ? 0 : 1][seen++]);
    EXPECT_NEAR(k.exposed, std::max(0.0, k.seconds - under), 1e-12) << k.name;
  }
  EXPECT_EQ(gathers, 2);
  EXPECT_EQ(scatters, 2);
}

TEST(TpOverlap, HidesAtMostTheGemmItRunsUnder) {
  // FP8 GEMMs run at about twice the BF16 rate, so the attention collectives (bf16
  // activations, same bytes) outlast the QKV and output-projection GEMMs: the rest shows.
  const BlockTiming fp8 = Timing(TpJob(true));
  ExpectExposedIsCommBeyondItsGemm(fp8.layer_fwd);
  double exposed = 0;
  for (const Kernel& k : fp8.layer_fwd) {
    if (k.kind == KernelKind::kComm) exposed += k.exposed;
  }
  EXPECT_GT(exposed, 0);  // fraction 1 alone would hide everything
  const BlockTiming bf16 = Timing(TpJob(false));
  ExpectExposedIsCommBeyondItsGemm(bf16.layer_fwd);
}

// FSDP gathers each layer's weights before use; a MoE layer's experts are sharded over the
// expert-data-parallel group (DP / EP at TP 1), not the whole DP group. Tiny MoE by hand: hidden 64,
// 4 heads, 8 GELU experts of 128, no biases. Per layer: attention 4 x 64^2 = 16,384, two norms
// 128, router 64 x 8 = 512 (non-expert 17,024); experts 8 x 2 x 64 x 128 = 131,072.
std::string FsdpMoeJob(int ep) {
  return fmt::format(R"(
name: fsdp-moe
blocks:
  - name: llm
    kind: moe
    layers: 2
    hidden: 64
    heads: 4
    vocab: 100
    seq_len: 16
    bias: false
    num_experts: 8
    top_k: 2
    expert_ffn_hidden: 128
    parallel: {{tp: 1, pp: 1, ep: {}, dp_mode: fsdp, micro_batch: 1, recompute: none}}
cluster: {{gpu: H100, gpus: 8, gpus_per_node: 8}}
training: {{global_batch: 8}}
)",
                     ep);
}

// The MoE caution names the job's local experts per GPU and calls the step time a lower bound
// except where the published rows read within 7% (H100-class, at most 4 local experts): 8
// experts at EP 2 leave 4, at EP 1 all 8; on a B200 even 4 is a lower bound.
TEST(MoeCaution, NamesLocalExpertsAndBoundsPastTheCheckedRows) {
  const auto moe_note = [](int ep, const char* gpu) {
    std::string yaml = FsdpMoeJob(ep);
    yaml.replace(yaml.find("gpu: H100"), 9, std::string("gpu: ") + gpu);
    Result<JobConfig> job = ParseJobConfig(yaml, "moe.yaml");
    EXPECT_OK(job);
    Result<Prediction> p = Predict(*job);
    EXPECT_OK(p);
    for (const std::string& note : p->notes) {
      if (note.starts_with("MoE:")) return note;
    }
    return std::string("no MoE note");
  };
  EXPECT_THAT(moe_note(2, "H100"),
              ::testing::EndsWith("This job: 4 local experts per GPU, dropless, BF16, on "
                                  "H100-80GB (as the rows that read within 7%)"));
  EXPECT_THAT(moe_note(1, "H100"),
              ::testing::EndsWith("This job: 8 local experts per GPU, dropless, BF16, on "
                                  "H100-80GB: treat the step time as a lower bound"));
  EXPECT_THAT(moe_note(2, "B200"),
              ::testing::EndsWith("This job: 4 local experts per GPU, dropless, BF16, on "
                                  "B200-180GB: treat the step time as a lower bound"));
  // The bound is also a field (plan --json: step_time_lower_bound), not only prose.
  const auto bounded = [](int ep) {
    Result<Prediction> p = Predict(*ParseJobConfig(FsdpMoeJob(ep), "moe.yaml"));
    EXPECT_OK(p);
    return p.ok() && p->step_time_lower_bound;
  };
  EXPECT_FALSE(bounded(2));
  EXPECT_TRUE(bounded(1));
}

// capacity_factor: token dropping caps the slowest EP rank's load (router_imbalance 1.1 by
// default), so the expert GEMMs shrink by 1.0 / 1.1 at capacity 1.0, and not at all at 2.0;
// the note says which routing the job uses.
TEST(MoeCaution, CapacityFactorCapsTheSlowestRank) {
  const auto expert_flops = [](const char* capacity) {
    std::string yaml = FsdpMoeJob(2);
    if (capacity != nullptr) {
      yaml.replace(yaml.find("top_k:"), 6,
                   std::string("capacity_factor: ") + capacity + "\n    top_k:");
    }
    double flops = 0;
    for (const Kernel& k : Timing(yaml).layer_fwd) {
      if (k.name == "expert_fc1_gemm" || k.name == "expert_fc2_gemm") flops += k.flops;
    }
    return flops;
  };
  const double dropless = expert_flops(nullptr);
  EXPECT_NEAR(expert_flops("1.0") / dropless, 1.0 / 1.1, 1e-12);
  EXPECT_DOUBLE_EQ(expert_flops("2.0"), dropless);
  std::string yaml = FsdpMoeJob(2);
  yaml.replace(yaml.find("top_k:"), 6, "capacity_factor: 1.5\n    top_k:");
  ASSERT_OK_AND_ASSIGN(JobConfig job, ParseJobConfig(yaml, "moe.yaml"));
  ASSERT_OK_AND_ASSIGN(Prediction p, Predict(job));
  bool said = false;
  for (const std::string& note : p.notes) {
    said = said || note.find("token dropping at capacity factor 1.5") != std::string::npos;
  }
  EXPECT_TRUE(said);
  yaml.replace(yaml.find("capacity_factor: 1.5"), 20, "capacity_factor: -1");
  EXPECT_THAT(ParseJobConfig(yaml, "moe.yaml").status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "capacity_factor"));
}

// Megatron Core's all-to-all dispatcher permutes each token's routed copies into expert order
// and sorts the received rows by local expert, and the combine undoes both: rows of h bf16
// values read and written, by hand for the tiny MoE at EP 2 (16 tokens, top 2: 32 routed copies;
// 4 local experts receive 32 x 1.1 rows): permute 2 x 32, unpermute 32 + 16, sorts 4 x 35.2.
// Its backward moves the same bytes; DeepEP's dispatch does it inside its kernels.
TEST(MoeDispatch, AllToAllPermutesTokensByHand) {
  const auto permute = [](const std::string& yaml, const char* name) {
    double seconds = 0;
    const BlockTiming t = Timing(yaml);
    for (const auto* list : {&t.layer_fwd, &t.layer_bwd}) {
      for (const Kernel& k : *list) seconds += k.name == name ? k.seconds : 0;
    }
    return seconds;
  };
  const double rows = 2 * 32 + 32 + 16 + 4 * 32 * 1.1;
  const double fwd = rows * 64 * 2 / 3.35e12;
  EXPECT_NEAR(permute(FsdpMoeJob(2), "moe_permute"), fwd, 1e-18);
  EXPECT_NEAR(permute(FsdpMoeJob(2), "moe_permute_bwd"), fwd / 0.9, 1e-18);  // backward_eff 0.9
  // No EP: nothing is received from other ranks, so no sorts.
  EXPECT_NEAR(permute(FsdpMoeJob(1), "moe_permute"), (2 * 32 + 32 + 16) * 64 * 2 / 3.35e12,
              1e-18);
  std::string deepep = FsdpMoeJob(2);
  deepep.replace(deepep.find("top_k:"), 6, "dispatcher: deepep\n    top_k:");
  EXPECT_EQ(permute(deepep, "moe_permute"), 0);
  ASSERT_OK_AND_ASSIGN(JobConfig job, ParseJobConfig(FsdpMoeJob(2), "moe.yaml"));
  bool assumed = false;
  for (const Assumption& a : job.assumed) assumed = assumed || a.field == "blocks[0].dispatcher";
  EXPECT_TRUE(assumed);
  deepep.replace(deepep.find("deepep"), 6, "nccl");
  EXPECT_THAT(ParseJobConfig(deepep, "moe.yaml").status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "dispatcher"));
}

std::vector<std::pair<double, int>> Gathers(const BlockTiming& t) {
  std::vector<std::pair<double, int>> out;
  for (const Kernel& k : t.layer_fwd) {
    if (k.name == "fsdp_all_gather") out.emplace_back(k.bytes, k.group_size);
  }
  return out;
}

TEST(Fsdp, ExpertsGatherOverTheExpertDataParallelGroup) {
  // EP 4 of DP 8: non-expert weights over all 8 ranks, the rank's 2 experts over 8 / 4 = 2.
  using Gather = std::pair<double, int>;
  EXPECT_EQ(Gathers(Timing(FsdpMoeJob(4))),
            (std::vector<Gather>{{2.0 * 17024, 8}, {2.0 * 131072 / 4, 2}}));
  // EP = DP: every rank owns its experts whole, only the non-expert weights are gathered.
  EXPECT_EQ(Gathers(Timing(FsdpMoeJob(8))), (std::vector<Gather>{{2.0 * 17024, 8}}));
}

// A small MoE on 32 GPUs with TP 2 (DP 16): EP, SP and shared experts vary.
std::string MoeTpJob(int ep, bool sp, int shared = 0) {
  return fmt::format(R"(
name: moe-tp
blocks:
  - name: llm
    kind: moe
    layers: 4
    hidden: 1024
    heads: 16
    vocab: 1000
    seq_len: 1024
    bias: false
    num_experts: 64
    top_k: 2
    expert_ffn_hidden: 512
    shared_experts: {}
    parallel: {{tp: 2, sp: {}, pp: 1, ep: {}, dp_mode: zero1, micro_batch: 1, recompute: none}}
cluster: {{gpu: H100, gpus: 32, gpus_per_node: 8}}
training: {{global_batch: 16}}
)",
                     shared, sp ? "true" : "false", ep);
}

// A MoE layer with EP > 1 and TP 2 + SP: its routed experts are not TP-split, so only the
// attention sub-block enters and leaves TP; TP-split shared experts bring the MLP pair back.
TEST(MoeTp, RoutedExpertsNeedNoTpCollectives) {
  const auto tp_collectives = [](int shared) {
    int n = 0;
    for (const Kernel& k : Timing(MoeTpJob(4, true, shared)).layer_fwd) {
      n += k.kind == KernelKind::kComm && k.group == "tp";
    }
    return n;
  };
  EXPECT_EQ(tp_collectives(0), 2);  // attention all-gather and reduce-scatter
  EXPECT_EQ(tp_collectives(1), 4);
}

// Megatron Core lays out expert groups on its own grid (parallel folding, arXiv 2504.14960;
// parallel_state.py: RankGenerator(tp=expert TP, ep, dp=expert DP, pp, cp=1)): with expert TP 1
// an EP group is `ep` consecutive ranks whatever the attention's TP. EP 32 over TP 2 x DP 16 (as
// Megatron-Bridge's Qwen3 235B-A22B recipe runs) and EP 8 there: all-to-all over ep consecutive
// ranks, experts' optimizer states sharded over tp * dp / ep ranks, ep apart.
TEST(MoeTp, EpGroupsAreConsecutiveRanksOfTheExpertGrid) {
  const BlockTiming folded = Timing(MoeTpJob(32, true));
  int a2a = 0;
  for (const Kernel& k : folded.layer_fwd) {
    if (k.group != "ep") continue;
    EXPECT_EQ(k.group_size, 32);
    ++a2a;
  }
  EXPECT_EQ(a2a, 2);  // dispatch and combine
  Result<JobConfig> job = ParseJobConfig(MoeTpJob(32, true), "t.yaml");
  ASSERT_OK(job);
  EXPECT_TRUE(EpFolded(job->blocks[0], 32));
  EXPECT_EQ(ExpertDataParallelSize(job->blocks[0], 32), 1);
  EXPECT_EQ(EpRankStride(job->blocks[0], 32), 1);
  Result<JobConfig> eight = ParseJobConfig(MoeTpJob(8, true), "t.yaml");
  ASSERT_OK(eight);
  EXPECT_TRUE(EpFolded(eight->blocks[0], 32));
  EXPECT_EQ(ExpertDataParallelSize(eight->blocks[0], 32), 4);  // 2 x 16 / 8
  EXPECT_EQ(EpRankStride(eight->blocks[0], 32), 1);
  EXPECT_EQ(ExpertDataParallelStride(eight->blocks[0]), 8);
  // Errors name the field: EP not dividing a stage's ranks, EP over TP without SP.
  EXPECT_THAT(ParseJobConfig(MoeTpJob(64, true), "t.yaml").status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "does not divide tp*cp*dp 32"));
  EXPECT_THAT(ParseJobConfig(MoeTpJob(32, false), "t.yaml").status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "needs sequence parallelism"));
  // synth writes the same groups: rank 5's EP kernels run over ranks 0-7.
  SynthOptions options;
  options.steps = 1;
  options.out_dir =
      (std::filesystem::temp_directory_path() / ("ts_expert_grid_" + std::to_string(::getpid())))
          .string();
  ASSERT_OK(Synthesize(*eight, options));
  std::ifstream in(options.out_dir + "/rank-5.json");
  const std::string trace((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(trace.find("[0, 1, 2, 3, 4, 5, 6, 7]"), std::string::npos);
  std::filesystem::remove_all(options.out_dir);
  // ep_layout: across_replicas (EP nested in DP): one rank per replica, tp = 2 apart; experts
  // over dp / ep = 2 replicas, tp * ep = 16 apart; rank 5's group is the odd ranks 1-15.
  std::string nested_yaml = MoeTpJob(8, true);
  nested_yaml.replace(nested_yaml.find("ep: 8"), 5, "ep: 8, ep_layout: across_replicas");
  ASSERT_OK_AND_ASSIGN(JobConfig nested, ParseJobConfig(nested_yaml, "t.yaml"));
  EXPECT_FALSE(EpFolded(nested.blocks[0], 32));
  EXPECT_EQ(EpRankStride(nested.blocks[0], 32), 2);
  EXPECT_EQ(ExpertDataParallelSize(nested.blocks[0], 32), 2);
  EXPECT_EQ(ExpertDataParallelStride(nested.blocks[0]), 16);
  ASSERT_OK(Synthesize(nested, options));
  std::ifstream nested_in(options.out_dir + "/rank-5.json");
  const std::string nested_trace((std::istreambuf_iterator<char>(nested_in)),
                                 std::istreambuf_iterator<char>());
  EXPECT_NE(nested_trace.find("[1, 3, 5, 7, 9, 11, 13, 15]"), std::string::npos);
  std::filesystem::remove_all(options.out_dir);
  // Nested EP must divide DP; the default is said.
  std::string too_wide = MoeTpJob(32, true);
  too_wide.replace(too_wide.find("ep: 32"), 6, "ep: 32, ep_layout: across_replicas");
  EXPECT_THAT(ParseJobConfig(too_wide, "t.yaml").status(),
              testing::StatusIs(StatusCode::kInvalidArgument, "does not divide the DP size 16"));
  const auto says_ep_layout = [](const JobConfig& config) {
    Result<Prediction> p = Predict(config);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return false;
    bool said = false;
    for (const Assumption& a : p->assumptions) {
      said = said || a.field == "blocks[0].parallel.ep_layout";
    }
    return said;
  };
  EXPECT_TRUE(says_ep_layout(*eight));
  EXPECT_FALSE(says_ep_layout(nested));  // stated
  // EP turned on by a flag or a sweep axis is assumed the same way; off, nothing is said.
  ASSERT_OK_AND_ASSIGN(JobConfig dense_ep, ParseJobConfig(MoeTpJob(1, true), "t.yaml"));
  EXPECT_FALSE(says_ep_layout(dense_ep));
  SetLayoutKnob("ep", 8, &dense_ep);
  EXPECT_TRUE(says_ep_layout(dense_ep));
}

// A Vicuna-7B layer (Llama 2 7B shape: 4,096 wide, 32 MHA heads of 128, SwiGLU 11,008) run by
// Hugging Face transformers' eager modules, bytes counted by hand from modeling_llama.py:
// RMSNorm 36 per element, residual add 6, rotary 24 per Q and K element, FlashAttention-2
// varlen packing 4 per Q, K, V element and 6 per output element, SiLU-and-multiply 10.
std::string EagerJob(const char* elementwise, bool bias, const char* act) {
  return fmt::format(R"(
name: eager
blocks:
  - {{name: llm, kind: dense, layers: 2, hidden: 4096, heads: 32, ffn_hidden: 11008,
      ffn_act: {}, bias: {}, dropout: false, vocab: 32000, seq_len: 2048, flash_attention: true,
      parallel: {{tp: 1, pp: 1, dp_mode: zero2, micro_batch: 4, recompute: none}}}}
cluster: {{gpu: A100, gpus: 8}}
system: {{elementwise: {}}}
training: {{global_batch: 32}}
)",
                     act, bias ? "true" : "false", elementwise);
}

TEST(EagerKernels, TrafficCountedFromTheBlockByHand) {
  ASSERT_OK_AND_ASSIGN(JobConfig llama, ParseJobConfig(EagerJob("hf_eager", false, "swiglu"), "e"));
  const ElementwiseTraffic t = LayerElementwiseTraffic(llama.blocks[0], llama.system);
  EXPECT_DOUBLE_EQ(t.pre_attention, 36);
  EXPECT_DOUBLE_EQ(t.mid, 6 + 36);
  EXPECT_DOUBLE_EQ(t.post_mlp, 6);
  EXPECT_DOUBLE_EQ(t.attention_io, 24.0 * (4096 + 4096) + 4.0 * 3 * 4096 + 6.0 * 4096);
  EXPECT_DOUBLE_EQ(t.activation, 10);
  // GELU with biases (GPT-2 / CLIP family): nn.LayerNorm is one kernel, no rotary.
  ASSERT_OK_AND_ASSIGN(JobConfig gpt, ParseJobConfig(EagerJob("hf_eager", true, "gelu"), "e"));
  const ElementwiseTraffic g = LayerElementwiseTraffic(gpt.blocks[0], gpt.system);
  EXPECT_DOUBLE_EQ(g.pre_attention + g.mid + g.post_mlp, 4 + 10 + 6);
  EXPECT_DOUBLE_EQ(g.attention_io, 4.0 * 3 * 4096 + 6.0 * 4096);
  EXPECT_DOUBLE_EQ(g.activation, 4);
  // Fused (the default): elementwise_bytes_per_elem 24 split 1/4, 1/2, 1/4.
  ASSERT_OK_AND_ASSIGN(JobConfig fused, ParseJobConfig(EagerJob("fused", false, "swiglu"), "e"));
  const ElementwiseTraffic f = LayerElementwiseTraffic(fused.blocks[0], fused.system);
  EXPECT_DOUBLE_EQ(f.pre_attention + f.mid + f.post_mlp, 24);
  EXPECT_DOUBLE_EQ(f.attention_io, 0);
  EXPECT_DOUBLE_EQ(f.activation, 6);
}

// --elementwise on a config: the fused figure's assumption line follows the choice, and a figure
// the config set is refused with hf_eager rather than silently dropped.
TEST(EagerKernels, FlagSwitchesTheModelAndItsAssumptions) {
  const auto has_figure = [](const JobConfig& job) {
    return std::any_of(job.assumed.begin(), job.assumed.end(), [](const Assumption& a) {
      return a.field == "system.elementwise_bytes_per_elem";
    });
  };
  ASSERT_OK_AND_ASSIGN(JobConfig job, ParseJobConfig(EagerJob("fused", false, "swiglu"), "e"));
  ASSERT_TRUE(has_figure(job));
  LayoutFlags eager;
  eager.elementwise = "hf_eager";
  ASSERT_OK(ApplyLayoutFlags(eager, &job, "--"));
  EXPECT_EQ(job.system.elementwise, Elementwise::kHfEager);
  EXPECT_FALSE(has_figure(job));
  LayoutFlags fused;
  fused.elementwise = "fused";
  ASSERT_OK(ApplyLayoutFlags(fused, &job, "--"));
  EXPECT_TRUE(has_figure(job));
  std::string set = EagerJob("fused", false, "swiglu");
  set.replace(set.find("elementwise: fused"), 18, "elementwise_bytes_per_elem: 30");
  ASSERT_OK_AND_ASSIGN(JobConfig given, ParseJobConfig(set, "e"));
  EXPECT_THAT(ApplyLayoutFlags(eager, &given, "--"),
              testing::StatusIs(StatusCode::kInvalidArgument,
                                "--elementwise: hf_eager counts its traffic per block"));
}

TEST(EagerKernels, LayerForwardGrowsByTheExtraBytesOverHbm) {
  const BlockTiming eager = Timing(EagerJob("hf_eager", false, "swiglu"));
  const BlockTiming fused = Timing(EagerJob("fused", false, "swiglu"));
  const double tokens = 4 * 2048, h = 4096, ffn = 11008, hbm = 2.039e12;  // A100 SXM4 80GB
  const double extra = tokens * ((36 + 42 + 6 - 24) * h + 270336.0 + (10 - 6) * ffn);
  EXPECT_NEAR(eager.layer_fwd_s - fused.layer_fwd_s, extra / hbm, 1e-12);
  // The explicit per-element figure is the fused model's knob: with hf_eager it is an error.
  std::string both = EagerJob("hf_eager", false, "swiglu");
  both.replace(both.find("elementwise: hf_eager"), 21,
               "elementwise: hf_eager, elementwise_bytes_per_elem: 30");
  EXPECT_THAT(
      ParseJobConfig(both, "both.yaml"),
      testing::StatusIs(StatusCode::kInvalidArgument, "applies to elementwise: fused only"));
  // Without full recompute the eager chains keep activations the memory model does not count.
  const auto memory_caveat = [](const std::string& yaml) {
    Result<JobConfig> job = ParseJobConfig(yaml, "e.yaml");
    EXPECT_OK(job);
    Result<Prediction> p = Predict(*job);
    EXPECT_OK(p);
    for (const std::string& note : p->notes) {
      if (note.find("memory per GPU is a lower bound") != std::string::npos) return true;
    }
    return false;
  };
  std::string full = EagerJob("hf_eager", false, "swiglu");
  full.replace(full.find("recompute: none"), 15, "recompute: full");
  EXPECT_TRUE(memory_caveat(EagerJob("hf_eager", false, "swiglu")));
  EXPECT_FALSE(memory_caveat(full));
  EXPECT_FALSE(memory_caveat(EagerJob("fused", false, "swiglu")));
  // A DiT or MoE block runs eager code the count does not describe: refused, not guessed.
  std::string moe = EagerJob("hf_eager", false, "swiglu");
  moe.replace(moe.find("kind: dense"), 11, "kind: moe, num_experts: 8, top_k: 2");
  EXPECT_THAT(ParseJobConfig(moe, "moe.yaml"),
              testing::StatusIs(StatusCode::kInvalidArgument, "blocks[0] (llm) is a moe block"));
  std::string typo = EagerJob("hf_eagre", false, "swiglu");
  EXPECT_THAT(ParseJobConfig(typo, "typo.yaml"),
              testing::StatusIs(StatusCode::kInvalidArgument, "hf_eagre"));
}

}  // namespace
}  // namespace trainscope::workload
