// SPDX-License-Identifier: Apache-2.0
// Parameter, FLOP and memory counts against hand computation and published sizes.
#include "workload/model_math.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"
#include "workload/config_io.h"
#include "workload/predictor.h"

namespace trainscope::workload {
namespace {

// A small dense model whose numbers are worked out by hand below.
BlockConfig SmallDense() {
  BlockConfig b;
  b.name = "tiny";
  b.kind = BlockKind::kDense;
  b.layers = 2;
  b.hidden = 64;
  b.heads = 4;
  b.ffn_hidden = 256;
  b.vocab = 100;
  b.seq_len = 16;
  b.bias = false;
  b.flash_attention = false;
  b.plan.tp = 1;
  b.plan.sp = false;
  b.plan.dp_mode = DpMode::kDp;
  b.plan.recompute = Recompute::kNone;
  return b;
}

TEST(ModelMath, SmallDenseParamsByHand) {
  const ParamCounts p = CountParams(SmallDense());
  // Per layer: attention 4*64^2 = 16384, MLP 2*64*256 = 32768, two RMSNorms 2*64 = 128.
  // Embedding + untied output 2*100*64 = 12800, final norm 64.
  EXPECT_EQ(p.total, 2 * (16384 + 32768 + 128) + 12800 + 64);
  EXPECT_EQ(p.active, p.total);
}

TEST(ModelMath, SmallDenseFlopsMatchMegatronFormula) {
  const BlockConfig b = SmallDense();
  const double B = 8, s = 16, l = 2, h = 64, V = 100;
  const double tokens = B * s;
  const StepFlops f = BlockStepFlops(b, tokens, false, /*attn_causal_skip=*/false);
  // Narayanan et al. 2021 eq. 3: 72 B s l h^2 (1 + s/(6h) + V/(12 l h)) = 83,558,400.
  const double megatron = 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
  EXPECT_DOUBLE_EQ(megatron, 83558400.0);
  EXPECT_DOUBLE_EQ(f.model_full, megatron);
  // Causal convention: the 12 B s^2 l h attention term (3,145,728) halves.
  EXPECT_DOUBLE_EQ(f.model_causal, megatron - 0.5 * 12 * B * s * s * l * h);
  EXPECT_DOUBLE_EQ(f.hardware, f.model_full);  // no recompute, no causal skip
  BlockConfig full = b;
  full.plan.recompute = Recompute::kFull;
  // Full recompute: 96 B s l h^2 (1 + s/(6h) + V/(16 l h)).
  EXPECT_DOUBLE_EQ(BlockStepFlops(full, tokens, false, false).hardware,
                   96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h)));
}

TEST(ModelMath, SmallDenseMemoryByHand) {
  JobConfig job;
  job.cluster.gpus = 1;
  job.system.fragmentation = 0.1;
  job.system.comm_buffer_bytes = 0;
  job.training.global_batch = 1;
  BlockConfig b = SmallDense();
  // Korthikanti eq. (1): s b h (34 + 5 a s / h) = 16*64*(34 + 5) = 39,936 bytes per layer.
  EXPECT_DOUBLE_EQ(LayerActivationBytes(b, 16), 39936.0);
  b.plan.recompute = Recompute::kSelective;
  EXPECT_DOUBLE_EQ(LayerActivationBytes(b, 16), 34.0 * 16 * 64);
  b.plan.tp = 2;
  b.plan.sp = false;  // TP only: s b h (10 + 24/t)
  EXPECT_DOUBLE_EQ(LayerActivationBytes(b, 16), 16.0 * 64 * (10 + 24.0 / 2));
  b.plan.sp = true;  // TP + SP + selective: 34 s b h / t
  EXPECT_DOUBLE_EQ(LayerActivationBytes(b, 16), 34.0 * 16 * 64 / 2);
  b.plan.recompute = Recompute::kFull;  // layer input only, split by SP
  EXPECT_DOUBLE_EQ(LayerActivationBytes(b, 16), 2.0 * 16 * 64 / 2);

  b = SmallDense();
  job.blocks = {b};
  ASSERT_OK_AND_ASSIGN(Prediction p, Predict(job));
  const double params = 111424;
  const double states = 16 * params;     // plain DP, mixed-precision Adam
  const double acts = 2 * 39936.0;       // two layers, one microbatch
  const double logits = 4.0 * 16 * 100;  // fp32 logits of one microbatch
  EXPECT_DOUBLE_EQ(p.memory.weights + p.memory.grads + p.memory.optimizer, states);
  EXPECT_DOUBLE_EQ(p.memory.activations, acts);
  EXPECT_DOUBLE_EQ(p.memory.logits, logits);
  EXPECT_NEAR(p.memory_per_gpu_bytes, 1.1 * (states + acts + logits), 1e-6);
  EXPECT_TRUE(p.fits);
}

TEST(ModelMath, UnevenStagesGiveTheEndsFewerLayers) {
  // Llama 3 405B: 126 layers on 16 stages, first and last with 7 (arXiv 2407.21783 sec. 3.3.2).
  double sum = 0;
  for (int r = 0; r < 16; ++r) {
    sum += StageLayers(126, 16, r);
    EXPECT_EQ(StageLayers(126, 16, r), r == 0 || r == 15 ? 7 : 8) << r;
  }
  EXPECT_EQ(sum, 126);
  // 10 layers on 4 stages: the two ends hold 2, the middle 3.
  EXPECT_EQ(StageLayers(10, 4, 0) + StageLayers(10, 4, 3), 4);
  EXPECT_EQ(StageLayers(10, 4, 1) + StageLayers(10, 4, 2), 6);
  EXPECT_EQ(StageLayers(96, 8, 3), 12);
}

TEST(ModelMath, InFlightMatchesKorthikantiForTheFirstStage) {
  ParallelPlan p;
  p.pp = 8;
  EXPECT_EQ(MicrobatchesInFlight(p, 64, 0), 8);  // 1F1B: p microbatches on stage 0
  EXPECT_EQ(MicrobatchesInFlight(p, 64, 5), 3);  // p - r
  EXPECT_EQ(MicrobatchesInFlight(p, 2, 0), 2);   // fewer microbatches than stages
  p.schedule = PpSchedule::kInterleaved;
  p.vpp = 3;
  // Korthikanti et al. 2022 sec. 4.2.3: p (1 + (p - 1) / (p v)) on the first stage.
  EXPECT_DOUBLE_EQ(MicrobatchesInFlight(p, 64, 0), 8 * (1 + 7.0 / 24));
}

TEST(ModelMath, RecomputeToFitPicksTheFewestLayers) {
  // Dense (selective + block), MoE with MLA and recompute modules, and a FP8 dense job; each
  // against brute force: the same job with k block-recomputed layers, k = 0, 1, ...
  for (const char* preset :
       {"val-llama3-405b-8k-8192", "val-mbridge2509-deepseek-v3", "val-nemo2407-nemotron-340b"}) {
    ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset(preset));
    // DeepSeek-V3's Megatron-Bridge layout fits 80 GB with its recompute modules alone (71 GB:
    // experts' optimizer states shard over tp * dp / ep = 2 ranks); on 64 GB it needs blocks.
    if (std::string(preset) == "val-mbridge2509-deepseek-v3") job.cluster.gpu.hbm_bytes = 64e9;
    BlockConfig& b = job.blocks[0];
    ASSERT_TRUE(b.plan.recompute_to_fit) << preset;
    ASSERT_OK_AND_ASSIGN(Prediction fitted, Predict(job));
    ASSERT_TRUE(fitted.fits) << preset;
    b.plan.recompute_to_fit = false;
    int first_fit = -1;
    for (int k = 0; k <= b.layers && first_fit < 0; ++k) {
      b.plan.recompute_layers = k;
      ASSERT_OK_AND_ASSIGN(Prediction p, Predict(job));
      if (p.fits) {
        first_fit = k;
        EXPECT_DOUBLE_EQ(p.step_time_s, fitted.step_time_s) << preset;
        EXPECT_DOUBLE_EQ(p.memory_per_gpu_bytes, fitted.memory_per_gpu_bytes) << preset;
      }
    }
    // Selective recompute alone does not fit Llama 3 405B at 8k with vpp 4, nor Nemotron 340B,
    // nor DeepSeek-V3 on 64 GB.
    EXPECT_GT(first_fit, 0) << preset;
  }
}

TEST(ModelMath, StateBytesPerParamFollowZeroPaper) {
  EXPECT_EQ(StateBytesPerParam(DpMode::kDp, 8), 16);
  EXPECT_EQ(StateBytesPerParam(DpMode::kZero1, 4), 4 + 3);
  EXPECT_EQ(StateBytesPerParam(DpMode::kZero2, 2), 2 + 7);
  EXPECT_EQ(StateBytesPerParam(DpMode::kFsdp, 16), 1);
}

TEST(ModelMath, SeedVitHas532MParameters) {
  ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset("seed15vl"));
  const BlockConfig& vit = job.blocks[0];
  ASSERT_EQ(vit.kind, BlockKind::kVit);
  const ParamCounts p = CountParams(vit);
  const double vit_only = p.total - p.adapter;
  EXPECT_NEAR(vit_only / 532e6, 1.0, 0.005) << vit_only;
}

TEST(ModelMath, SeedLlmIs20BActive) {
  ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset("seed15vl"));
  const ParamCounts p = CountParams(job.blocks[1]);
  EXPECT_NEAR(p.active / 20e9, 1.0, 0.02) << p.active;
  // The brief's illustrative shape aims at ~200B total (Seed1.5-Thinking); it gives ~186B.
  EXPECT_GT(p.total, 180e9);
  EXPECT_LT(p.total, 205e9);
}

TEST(ModelMath, SeaweedIs7B) {
  ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset("seaweed7b"));
  const ParamCounts p = CountParams(job.blocks[0]);
  EXPECT_NEAR(p.total / 7.0e9, 1.0, 0.01) << p.total;
}

TEST(ModelMath, DeepSeekV3Has671BTotal37BActive) {
  // DeepSeek-V3 report (arXiv 2412.19437), sec. 4.2: 671B total, 37B activated per token (MLA,
  // 3 dense layers, 1 shared + 256 routed experts, top 8; the MTP module is counted apart).
  ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset("val-deepseek-v3"));
  const ParamCounts p = CountParams(job.blocks[0]);
  EXPECT_NEAR(p.total / 671e9, 1.0, 0.01) << p.total;
  EXPECT_NEAR(p.active / 37e9, 1.0, 0.03) << p.active;
  // MLA attention of one layer by hand: 7168*1536 + 1536*128*192 + 7168*(512+64)
  // + 512*128*(128+128) + 128*128*7168 = 187,105,280.
  EXPECT_EQ(AttentionWeights(job.blocks[0]), 187105280.0);
}

// Qwen3 MoE (Qwen3 Technical Report, arXiv 2505.09388, Table 2, and the Hugging Face configs):
// heads x head_dim = 32 x 128 = 4,096 is twice the 2,048 hidden; published 30.5B total, 3.3B
// activated. With head_dim defaulting to hidden / heads the attention would count half its
// weights (2.9B active).
TEST(ModelMath, HeadDimWiderThanHiddenGivesQwen3Sizes) {
  BlockConfig b;
  b.kind = BlockKind::kMoe;
  b.layers = 48;
  b.hidden = 2048;
  b.heads = 32;
  b.kv_heads = 4;
  b.head_dim = 128;
  b.ffn_act = FfnAct::kSwiglu;
  b.vocab = 151936;
  b.num_experts = 128;
  b.top_k = 8;
  b.expert_ffn_hidden = 768;
  b.bias = false;
  // One layer's attention by hand: Q and O 2 x 2048 x 4096, K and V 2 x 2048 x 512.
  EXPECT_EQ(AttentionWeights(b), 2.0 * 2048 * 4096 + 2.0 * 2048 * 512);
  const ParamCounts p = CountParams(b);
  EXPECT_NEAR(p.total / 30.5e9, 1.0, 0.01) << p.total;
  EXPECT_NEAR(p.active / 3.3e9, 1.0, 0.03) << p.active;
  // Core FLOPs per query-key pair: 4 heads head_dim (QK^T and PV).
  EXPECT_EQ(AttentionCorePerPair(b), 4.0 * 32 * 128);
  // Qwen3-235B-A22B: 94 x 4096, 64 heads of 128, 4 KV heads, experts of 1,536.
  b.layers = 94;
  b.hidden = 4096;
  b.heads = 64;
  b.expert_ffn_hidden = 1536;
  const ParamCounts big = CountParams(b);
  EXPECT_NEAR(big.total / 235e9, 1.0, 0.01) << big.total;
  EXPECT_NEAR(big.active / 22e9, 1.0, 0.03) << big.active;
  // head_dim = hidden / heads is the default: the same counts as leaving it 0.
  BlockConfig implicit = SmallDense(), explicit_dim = SmallDense();
  explicit_dim.head_dim = 16;
  EXPECT_EQ(CountParams(implicit).total, CountParams(explicit_dim).total);
  EXPECT_EQ(LayerActivationBytes(implicit, 16), LayerActivationBytes(explicit_dim, 16));
}

// Stored activations per layer by hand (sbh = 16 tokens x 64 = 1,024 bytes per unit), no dropout,
// fused attention. A MoE layer keeps its top_k permuted token copies (the routed experts' first
// GEMM inputs); recompute modules and the FP8 cache of Linear inputs remove or halve terms.
TEST(ModelMath, MoeAndMlaActivationsByHand) {
  BlockConfig b = SmallDense();
  b.kind = BlockKind::kMoe;
  b.flash_attention = true;
  b.dropout = false;
  b.num_experts = 4;
  b.top_k = 2;
  b.expert_ffn_hidden = 32;
  // attention: norm output 2 + Q and output 4 + K and V 4 = 10; MLP: 2 copies x 2 bytes = 4,
  // per copy (GELU input 2 + second GEMM input 2) x 32/64 = 2 each, norm output 2 = 10; norms 4.
  EXPECT_DOUBLE_EQ(LayerActivationBytes(b, 16), 24.0 * 1024);
  BlockConfig norm = b;
  norm.plan.recompute_layernorm = true;  // both norm outputs recomputed
  EXPECT_DOUBLE_EQ(LayerActivationBytes(norm, 16), 20.0 * 1024);
  // FP8 cache: Linear inputs at 1 byte: attention 1 + 8 = 9; MLP 2 + 2 x (2 + 1) x 0.5 + 1 = 6.
  EXPECT_DOUBLE_EQ(LayerActivationBytes(b, 16, /*fp8_cache=*/true), 19.0 * 1024);
  BlockConfig act = b;
  act.plan.recompute_moe_act = true;  // keeps only the GELU input, FP8: MLP 2 + 2 x 1 x 0.5 + 1
  EXPECT_DOUBLE_EQ(LayerActivationBytes(act, 16, true), 17.0 * 1024);

  // MLA: latents (16 + 8 + 4) x 2 bytes / 64 = 0.875, up-projected Q, K (4 x 12 each) and V
  // (4 x 8): 2 x 128 / 64 = 4, output 2 x 32 / 64 = 1, norm output 2: 7.875; dense GELU MLP
  // of 256: (2 + 2) x 4 + 2 = 18; norms 4.
  BlockConfig mla = SmallDense();
  mla.flash_attention = true;
  mla.dropout = false;
  mla.q_lora_rank = 16;
  mla.kv_lora_rank = 8;
  mla.rope_head_dim = 4;
  mla.qk_head_dim = 12;
  mla.v_head_dim = 8;
  EXPECT_DOUBLE_EQ(LayerActivationBytes(mla, 16), 29.875 * 1024);
  const double hw_stored = BlockStepFlops(mla, 16, false, false).hardware;
  mla.plan.recompute_mla_up_proj = true;
  EXPECT_DOUBLE_EQ(LayerActivationBytes(mla, 16), 25.875 * 1024);
  // Recomputing them costs their forward again: 2 (16 x 4 x 12 + 8 x 4 x (12 - 4 + 8)) = 2,560
  // FLOPs per token and layer, for 16 tokens and 2 layers.
  EXPECT_DOUBLE_EQ(MlaUpProjectionFlopsPerToken(mla), 2560.0);
  EXPECT_DOUBLE_EQ(BlockStepFlops(mla, 16, false, false).hardware - hw_stored, 16.0 * 2 * 2560);
}

// Adam's moments in BF16 (DeepSeek-V3 sec. 3.3.3): FP32 master + 2 x 2 bytes, 8 of the 12 bytes.
TEST(ModelMath, Bf16MomentsShrinkTheOptimizerState) {
  JobConfig job;
  job.cluster.gpus = 1;
  job.training.global_batch = 1;
  job.blocks = {SmallDense()};
  ASSERT_OK_AND_ASSIGN(Prediction fp32, Predict(job));
  job.system.optimizer_moment_bytes = 2;
  ASSERT_OK_AND_ASSIGN(Prediction bf16, Predict(job));
  EXPECT_DOUBLE_EQ(fp32.memory.optimizer, 12.0 * 111424);
  EXPECT_DOUBLE_EQ(bf16.memory.optimizer, 8.0 * 111424);
}

// DeepSeek-V3's MTP module (sec. 2.2) on the last stage: one more layer, a [2h -> h]
// projection and another pass of the output head, in time and memory; not in the parameter total.
TEST(ModelMath, MtpModuleLoadsTheLastStage) {
  ASSERT_OK_AND_ASSIGN(JobConfig plain, LoadPreset("val-deepseek-v3"));
  JobConfig mtp = plain;
  mtp.blocks[0].mtp_layers = 1;
  Planner planner;
  PlanDetail d0, d1;
  ASSERT_OK_AND_ASSIGN(Prediction p0, planner.Predict(plain, &d0));
  ASSERT_OK_AND_ASSIGN(Prediction p1, planner.Predict(mtp, &d1));
  EXPECT_EQ(p1.params_total, p0.params_total);
  const BlockTiming& t = d1.main_timing;
  const double tokens = 4096, h = 7168;
  const double proj = GemmSeconds(mtp.cluster.gpu, tokens, h, 2 * h);
  EXPECT_NEAR(t.mtp_fwd_s, t.layer_fwd_s + proj + t.head_fwd_s + t.embed_fwd_s, 1e-12);
  const size_t last = d1.costs.fwd_s.size() - 1;
  EXPECT_NEAR(d1.costs.fwd_s[last] - d0.costs.fwd_s[last], t.mtp_fwd_s, 1e-12);
  EXPECT_NEAR(d1.costs.bwd_s[last] - d0.costs.bwd_s[last], t.mtp_bwd_s, 1e-12);
  EXPECT_EQ(d1.costs.fwd_s[0], d0.costs.fwd_s[0]);
  // Under 1F1B the last stage becomes the slowest: the step grows.
  EXPECT_GT(p1.step_time_s, p0.step_time_s);
  // Memory: the last stage holds one more layer's weights and a second fp32 logits buffer.
  const MemoryBreakdown m0 = BlockMemory(plain.blocks[0], plain, p0.microbatches);
  const MemoryBreakdown m1 = BlockMemory(mtp.blocks[0], mtp, p1.microbatches);
  EXPECT_GE(m1.params_on_rank, m0.params_on_rank);
  // A DiT has no vocabulary to predict.
  std::string yaml = R"(
name: t
blocks:
  - {name: d, kind: dense, layers: 4, hidden: 256, heads: 4, seq_len: 128, vocab: 0, mtp_layers: 1}
cluster: {gpu: H100, gpus: 8, gpus_per_node: 8}
training: {global_batch: 8}
)";
  EXPECT_THAT(ParseJobConfig(yaml, "t.yaml"),
              testing::StatusIs(StatusCode::kInvalidArgument, "needs a vocab"));
}

TEST(ModelMath, DitTokensOfTheBrief) {
  BlockConfig b;
  b.kind = BlockKind::kDit;
  b.text_tokens = 0;
  // (1 + T/4) x (H/16) x (W/16): 720p 5 s 24 fps -> 31 x 45 x 80 = 111,600.
  EXPECT_EQ(DitSampleTokens(b, {"v", 1280, 720, 120, 1}), 111600);
  EXPECT_EQ(DitSampleTokens(b, {"v", 640, 480, 120, 1}), 37200);
  EXPECT_EQ(DitSampleTokens(b, {"v", 256, 256, 120, 1}), 7936);
  EXPECT_EQ(DitSampleTokens(b, {"i", 256, 256, 1, 1}), 256);
}

// A small image DiT reading 32 text tokens, joint (MMDiT) or by cross-attention (Wan).
BlockConfig SmallDit(TextAttention text) {
  BlockConfig b;
  b.kind = BlockKind::kDit;
  b.layers = 2;
  b.hidden = 64;
  b.heads = 4;
  b.ffn_hidden = 256;
  b.bias = false;
  b.causal = false;
  b.text_tokens = 32;
  b.text_attention = text;
  b.samples = {{"i", 256, 256, 1, 1}};  // 16 x 16 = 256 image tokens
  return b;
}

TEST(ModelMath, CrossAttentionDitByHand) {
  const BlockConfig joint = SmallDit(TextAttention::kJoint);
  const BlockConfig cross = SmallDit(TextAttention::kCross);
  // Joint text joins the self-attention sequence; cross-attended text does not.
  EXPECT_EQ(SequenceTokens(joint), 256 + 32);
  EXPECT_EQ(SequenceTokens(cross), 256);
  // Per layer the cross sub-block adds Q, K, V, O (4 * 64^2) and its RMSNorm (64).
  EXPECT_EQ(CountParams(cross).total - CountParams(joint).total, 2 * (4 * 64 * 64 + 64));
  // Per image token: self-attention + MLP GEMMs 2 * (4 * 64^2 + 2 * 64 * 256) = 98,304, Q and O
  // 2 * 2 * 64^2 = 16,384, K and V on 32 text tokens spread over 256: 2 * 2 * 64^2 / 8 = 2,048;
  // cores 4 s h over 256 image keys and 32 text keys: (256 + 32) * 256 = 73,728.
  const LayerFlops f = ForwardLayerFlopsPerToken(cross);
  EXPECT_DOUBLE_EQ(f.gemm, 98304 + 16384 + 2048);
  EXPECT_DOUBLE_EQ(f.attn_core_full, 73728);
  EXPECT_DOUBLE_EQ(ForwardLayerFlopsPerToken(joint).gemm, 98304);
}

TEST(ModelMath, Wan21Is14B) {
  // Wan 2.1 (arXiv 2503.20314): the 14B model, 40 layers of width 5,120 with cross-attention to
  // the umT5 text; without the cross-attention sub-blocks it would count 10.1B.
  ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset("val-wan21-14b-h100-128"));
  const ParamCounts p = CountParams(job.blocks[0]);
  EXPECT_NEAR(p.total / 14e9, 1.0, 0.03) << p.total;
}

}  // namespace
}  // namespace trainscope::workload
