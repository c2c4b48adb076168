// SPDX-License-Identifier: Apache-2.0
// Predictions against published runs (../shared/data/validation/published_runs.csv).
// Each row with a layout is predicted from its preset (presets/val-<id>.yaml, generated from the
// same CSV) and compared with the published iteration time, MFU or TFLOP/s. Tolerances are per
// row, here, never in the CSV; any row above 10% carries a note. The Seaweed-7B and Seed1.5-VL
// rows are consistency checks: the MFU implied by their published GPU-hours is printed next to
// the predicted one, and the Seed1.5-VL gap is asserted to exist, not calibrated away.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/byte_source.h"
#include "support/status_matchers.h"
#include "support/test_data.h"
#include "workload/config_io.h"
#include "workload/predictor.h"

namespace trainscope::workload {
namespace {

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(cell);
      cell.clear();
    } else {
      cell += c;
    }
  }
  out.push_back(cell);
  return out;
}

// Per-row tolerance (absolute percentage error). Default 10%.
double Tolerance(const std::string& id) {
  static const std::map<std::string, double> kWider = {
      // Notes for any row above 10% go here.
  };
  auto it = kWider.find(id);
  return it == kWider.end() ? 10.0 : it->second;
}

TEST(Validation, PublishedRunsWithinTolerance) {
  TS_SKIP_IF_NO_SHARED_DATA("validation/published_runs.csv");
  ASSERT_OK_AND_ASSIGN(std::string text,
                       ReadFileToString(testing::SharedDataPath("validation/published_runs.csv")));
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = SplitCsvLine(line);
  const auto col = [&](const char* name) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    ADD_FAILURE() << "column " << name;
    return size_t{0};
  };
  Planner planner;
  double sum_ape = 0, max_ape = 0;
  int rows = 0;
  std::string table = "row                              metric     published  predicted   APE%\n";
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> r = SplitCsvLine(line);
    std::string id = r[col("id")];
    std::string preset = "val-" + id;
    for (char& c : preset) c = c == '_' ? '-' : c;
    if (PresetText(preset).empty()) continue;  // consistency rows: see the test below
    ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset(preset));
    // The preset must carry the row's layout.
    const BlockConfig& b = job.blocks[0];
    EXPECT_EQ(std::to_string(job.cluster.gpus), r[col("gpus")]) << id;
    EXPECT_EQ(std::to_string(b.plan.tp), r[col("tp")]) << id;
    EXPECT_EQ(std::to_string(b.plan.pp), r[col("pp")]) << id;
    EXPECT_EQ(std::to_string(b.layers), r[col("layers")]) << id;
    EXPECT_EQ(std::to_string(b.hidden), r[col("hidden")]) << id;
    ASSERT_OK_AND_ASSIGN(Prediction p, planner.Predict(job));
    EXPECT_EQ(std::to_string(p.dp), r[col("dp")]) << id;
    // Every row ran: its layout must fit in the GPU's memory.
    EXPECT_TRUE(p.fits) << id << ": " << p.memory_per_gpu_bytes / 1e9 << " GB of "
                        << p.hbm_bytes / 1e9;
    const std::string metric = r[col("measured_metric")];
    const double published = std::stod(r[col("measured_value")]);
    double predicted = 0;
    if (metric == "iteration_time") {
      predicted = p.step_time_s;
    } else if (metric == "mfu") {
      predicted = 100 * p.mfu;
    } else if (metric == "tflops_per_gpu") {
      predicted = p.tflops_per_gpu;
    } else if (metric == "aggregate_pflops") {
      // Narayanan et al. count hardware FLOPs (with the full recompute).
      predicted = p.hardware_flops / p.step_time_s / 1e15;
    } else {
      ADD_FAILURE() << id << ": unknown metric " << metric;
      continue;
    }
    const double ape = 100 * std::abs(predicted - published) / published;
    sum_ape += ape;
    max_ape = std::max(max_ape, ape);
    ++rows;
    table += fmt::format("{:<32} {:<10} {:>9.4g} {:>10.4g} {:>6.2f}\n", id, metric.substr(0, 10),
                         published, predicted, ape);
    EXPECT_LE(ape, Tolerance(id)) << id << ": published " << published << ", predicted "
                                  << predicted;
  }
  ASSERT_GT(rows, 20);
  table += fmt::format("rows {}  mean APE {:.2f}%  max APE {:.2f}%  (Calculon: 3.65% / 8.87%)\n",
                       rows, sum_ape / rows, max_ape);
  std::printf("%s", table.c_str());
  // Issue 19's floors for the shared set, through published facts and general defaults only.
  EXPECT_LE(sum_ape / rows, 5.0);
  EXPECT_LE(max_ape, 10.0);
}

TEST(Validation, SeedAndSeaweedConsistency) {
  // Seed1.5-VL: 1.3M H800-hours for stages 0-2 (16B + 3T + 240B tokens).
  ASSERT_OK_AND_ASSIGN(JobConfig s1, LoadPreset("seed15vl"));
  ASSERT_OK_AND_ASSIGN(JobConfig s2, LoadPreset("seed15vl-stage2"));
  ASSERT_OK_AND_ASSIGN(Prediction p1, Predict(s1));
  ASSERT_OK_AND_ASSIGN(Prediction p2, Predict(s2));
  const double predicted_hours = p1.gpu_hours + p2.gpu_hours;
  const double flops = p1.model_flops / p1.tokens_per_step * s1.training.tokens_total +
                       p2.model_flops / p2.tokens_per_step * s2.training.tokens_total;
  const double implied_mfu = flops / (1.3e6 * 3600 * s1.cluster.gpu.peak_flops);
  std::printf(
      "Seed1.5-VL: predicted MFU %.1f%% (stage 1) / %.1f%% (stage 2), %.3g GPU-hours "
      "for stages 1-2; published 1.3M GPU-hours imply MFU %.1f%%\n",
      100 * p1.mfu, 100 * p2.mfu, predicted_hours, 100 * implied_mfu);
  // The brief's gap (section 3.4): the hours imply an MFU far below MegaScale-class dense runs
  // (55% on 12,288 A100). Under the assumed layout the predictor explains most of it: only 8
  // microbatches per 8-stage pipeline (bubble), full recompute, EP all-to-all on the critical
  // path. Print the decomposition; assert the gap to dense-class MFU exists and that the
  // prediction under these (flagged) assumptions stays within 2x of the published hours.
  const double gap = 1.3e6 / predicted_hours;
  std::printf(
      "Seed1.5-VL gap: implied MFU %.1f%% vs 55%% dense-class; predicted %.1f%% = "
      "compute-only MFU %.1f%% x (1 - idle/exposed %.1f%%); published / predicted hours "
      "%.2f (effective-time ratio would need %.2f)\n",
      100 * implied_mfu, 100 * p1.mfu, 100 * p1.mfu / (1 - p1.bubble_fraction),
      100 * p1.bubble_fraction, gap, s1.training.effective_time_ratio / gap);
  EXPECT_GT(implied_mfu, 0.05);
  EXPECT_LT(implied_mfu, 0.5 * 0.55);
  EXPECT_GT(gap, 0.5);
  EXPECT_LT(gap, 2.0);

  // Seaweed-7B: 665k H100-hours, MFU 38% (arXiv 2504.08685). The preset's budget is the 720p-mix
  // token count those hours buy at the published MFU (4.9T; presets/seaweed7b.yaml), so the
  // predicted GPU-hours follow the predicted MFU: both must land near the published figures.
  ASSERT_OK_AND_ASSIGN(JobConfig sw, LoadPreset("seaweed7b"));
  ASSERT_OK_AND_ASSIGN(Prediction ps, Predict(sw));
  const double tokens_at_38 =
      0.38 * 665e3 * 3600 * sw.cluster.gpu.peak_flops / (ps.model_flops / ps.tokens_per_step);
  std::printf(
      "Seaweed-7B: predicted MFU %.1f%% (balanced %.1f%%; published 38%%), %.3g GPU-hours "
      "for %.3g tokens (published 665k); 665k GPU-hours at 38%% MFU train %.3g tokens of "
      "this 720p mix\n",
      100 * ps.mfu, 100 * ps.mfu_balanced, ps.gpu_hours, sw.training.tokens_total, tokens_at_38);
  EXPECT_NEAR(sw.training.tokens_total / tokens_at_38, 1.0, 0.02);
  EXPECT_NEAR(ps.mfu, 0.38, 0.38 * 0.10);
  EXPECT_NEAR(ps.gpu_hours / 665e3, 1.0, 0.15);
}

// Published runs outside the shared CSV, each from its paper, as presets val-<id>.yaml written by
// hand. Same 10% bound per row, one documented known miss.
TEST(Validation, AddedPublishedRuns) {
  struct Row {
    const char* preset;
    const char* metric;
    double published;
    const char* source;
    int gpus = 0;              // > 0: the preset's layout on this many GPUs
    int64_t global_batch = 0;  // > 0: at this batch
    bool known_miss = false;   // documented, bounded at 20% instead of 10%
  };
  const Row rows[] = {
      {"val-llama3-405b-128k-16384", "tflops_per_gpu", 380,
       "Llama 3 (arXiv 2407.21783) Table 4: 131,072 tokens, TP8 CP16 PP16 DP8, 16,384 H100"},
      {"val-deepseek-v3", "gpu_hours", 2.664e6,
       "DeepSeek-V3 (arXiv 2412.19437) Table 1: 2.664M H800-hours for 14.8T tokens"},
      {"val-deepseek-v3-dualpipe", "gpu_hours", 2.664e6,
       "the same, with its DualPipe schedule and MTP module (sec. 3.2.1, 2.2)"},
      {"val-wan21-14b-h100-128", "tflops_per_gpu", 325.77,
       "NeMo DFM docs/performance-summary.md, DGX-H100: Wan 2.1 14B, 128 GPUs, TP2 SP CP4"},
      {"val-llava15-13b-pretrain", "gpu_hours", 44,
       "haotian-liu/LLaVA README: LLaVA-1.5 13B feature alignment, about 5.5 h on 8 A100"},
      {"val-llava15-7b-pretrain", "gpu_hours", 28, "the same README: about 3.5 h for 7B", 0, 0,
       true},
      {"val-folding-mixtral-8x22b", "tflops_per_gpu", 487.7,
       "MoE Parallel Folding (arXiv 2504.14960) Tables 1-2: Mixtral 8x22B, 128 H100, 49.3% MFU"},
      {"val-folding-mixtral-8x22b", "tflops_per_gpu", 0.522 * 989.5,
       "the same, Table 4 (global batch 1,024): 52.2% MFU on 128 H100", 128, 1024},
      {"val-folding-mixtral-8x22b", "tflops_per_gpu", 0.449 * 989.5,
       "the same, Table 4: 44.9% MFU on 1,024 H100", 1024, 1024},
      {"val-folding-qwen2-57b-a14b", "tflops_per_gpu", 0.390 * 989.5,
       "the same, Table 1: Qwen2-57B-A14B, 64 H100, 39.0% MFU"},
      {"val-folding-qwen2-57b-a14b", "tflops_per_gpu", 0.399 * 989.5,
       "the same, Table 4 (global batch 1,024): 39.9% MFU on 64 H100", 64, 1024},
      {"val-folding-qwen2-57b-a14b", "tflops_per_gpu", 0.334 * 989.5,
       "the same, Table 4: 33.4% MFU on 1,024 H100", 1024, 1024, true},
  };
  // Known misses (docs/workload.md, Validation): LLaVA-1.5 7B reads 15% fast with the eager
  // kernels counted, where 13B lands within 2%; Qwen2-57B-A14B on 1,024 GPUs 13% fast (16
  // local experts per GPU; 8% on 64), where Mixtral 8x22B (1 local expert) on 1,024 reads 6%:
  // the per-expert costs the tool does not model (MoeCaution).
  Planner planner;
  for (const Row& row : rows) {
    ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset(row.preset));
    if (row.gpus > 0) job.cluster.gpus = row.gpus;
    if (row.global_batch > 0) job.training.global_batch = row.global_batch;
    ASSERT_OK_AND_ASSIGN(Prediction p, planner.Predict(job));
    EXPECT_TRUE(p.fits) << row.preset;  // every run ran: its layout fits
    const double predicted =
        std::string(row.metric) == "gpu_hours" ? p.gpu_hours : p.tflops_per_gpu;
    const double ape = 100 * std::abs(predicted - row.published) / row.published;
    std::printf("%-28s %-14s published %9.4g predicted %9.4g APE %5.2f%% %s (%s)\n", row.preset,
                row.metric, row.published, predicted, ape, p.fits ? "fits" : "DOES NOT FIT",
                row.source);
    EXPECT_LE(ape, row.known_miss ? 20.0 : 10.0) << row.preset << " " << row.source;
  }
}

// NVIDIA's published DGX-H100 FP8 pre-training throughputs (presets/make_nemo_presets.py writes
// val-nemo*/val-mbridge* from each row's published facts). The one FP8 fact the tool lacked,
// Transformer Engine's achieved FP8 GEMM rate (cluster.fp8_gemm_eff_max, 0.56), was fitted on the
// NeMo 24.07 table (minimax over its 12 rows); the Megatron-Bridge 25.11 rows and the NeMo 24.03
// long-sequence (8k-1M tokens, CP up to 32) rows and the MoE rows (DeepSeek-V3 on 1,024 GPUs at
// EP 64, Qwen3 235B-A22B with EP 32 folded over TP x DP) were not fitted on.
TEST(Validation, NemoHopperFp8Runs) {
  struct Row {
    const char* preset;
    double published;  // model TFLOP/s per GPU
    bool causal;       // the source counts causal attention at half (Megatron-Bridge)
    bool fitted;
  };
  const Row rows[] = {
      {"val-nemo2407-gpt3-5b", 736, false, true},
      {"val-nemo2407-gpt3-20b", 750, false, true},
      {"val-nemo2407-gpt3-175b-128", 782, false, true},
      {"val-nemo2407-gpt3-175b-512", 842, false, true},
      {"val-nemo2407-llama2-7b", 776, false, true},
      {"val-nemo2407-llama2-13b", 754, false, true},
      {"val-nemo2407-llama2-70b", 759, false, true},
      {"val-nemo2407-nemotron-8b", 653, false, true},
      {"val-nemo2407-nemotron-22b", 554, false, true},
      {"val-nemo2407-nemotron-340b", 678, false, true},
      {"val-nemo2407-llama3-8b", 697, false, true},
      {"val-nemo2407-llama3-70b", 738, false, true},
      {"val-mbridge2511-llama3-8b", 744, true, false},
      {"val-mbridge2511-llama3-70b", 719, true, false},
      {"val-mbridge2511-llama31-405b", 737, true, false},
      {"val-nemo2403-llama2-7b-8k", 730, false, false},
      {"val-nemo2403-llama2-7b-16k", 660, false, false},
      {"val-nemo2403-llama2-7b-32k", 610, false, false},
      {"val-nemo2403-llama2-7b-64k", 574, false, false},
      {"val-nemo2403-llama2-7b-128k", 555, false, false},
      {"val-nemo2403-llama2-7b-256k", 549, false, false},
      {"val-nemo2403-llama2-7b-512k", 549, false, false},
      {"val-nemo2403-llama2-7b-1024k", 536, false, false},
      {"val-mbridge2509-deepseek-v3", 338, true, false},
      {"val-mbridge2511-qwen3-235b", 233, true, false},
  };
  // Known miss, documented in docs/workload.md (Validation): Llama 3.1 405B on 1,024 GPUs
  // reads 12% fast; the 10% floor holds for every other row.
  const std::string known_miss = "val-mbridge2511-llama31-405b";
  Planner planner;
  double sum[2] = {0, 0}, worst[2] = {0, 0};
  int n[2] = {0, 0};
  for (const Row& row : rows) {
    ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset(row.preset));
    ASSERT_OK_AND_ASSIGN(Prediction p, planner.Predict(job));
    EXPECT_TRUE(p.fits) << row.preset;  // every row ran on 80 GB H100s
    const double tflops = p.tflops_per_gpu * (row.causal ? p.mfu_causal / p.mfu : 1.0);
    const double err = 100 * (tflops - row.published) / row.published;
    std::printf("%-30s %-7s published %4.0f predicted %6.1f  %+6.1f%%\n", row.preset,
                row.fitted ? "fitted" : "checked", row.published, tflops, err);
    const int g = row.fitted ? 0 : 1;
    sum[g] += std::abs(err);
    worst[g] = std::max(worst[g], std::abs(err));
    ++n[g];
    EXPECT_LE(std::abs(err), row.preset == known_miss ? 15.0 : 10.0) << row.preset;
  }
  std::printf("fitted rows %d: MAPE %.1f%% max %.1f%%; checked rows %d: MAPE %.1f%% max %.1f%%\n",
              n[0], sum[0] / n[0], worst[0], n[1], sum[1] / n[1], worst[1]);
  EXPECT_LE(sum[0] / n[0], 6.0);
  EXPECT_LE(sum[1] / n[1], 6.0);
}

// The same Megatron-Bridge 25.11 table on Blackwell (DGX-B200, DGX-GB200, DGX-GB300): dense rows,
// FP8 current scaling, each from its published facts (presets/make_nemo_presets.py). Nothing was
// fitted on them: peaks and memory are the datasheets' (LookupGpu), efficiencies Hopper's.
TEST(Validation, MegatronBridgeBlackwellRuns) {
  struct Row {
    const char* preset;
    double published;  // model TFLOP/s per GPU, causal attention at half
  };
  const Row rows[] = {
      {"val-mbridge2511-b200-llama3-8b", 1576},     {"val-mbridge2511-b200-llama31-405b", 1667},
      {"val-mbridge2511-gb200-llama3-8b", 1622},    {"val-mbridge2511-gb200-llama3-70b", 1937},
      {"val-mbridge2511-gb200-llama31-405b", 2053}, {"val-mbridge2511-gb300-llama3-8b", 1933},
      {"val-mbridge2511-gb300-llama3-70b", 2030},   {"val-mbridge2511-gb300-llama31-405b", 2522},
  };
  // Known misses (docs/workload.md, Validation): GB200 and GB300 share their datasheet peaks, but
  // on the same Llama 3 8B layout GB300 runs 19% faster (1,933 vs 1,622), as on 405B (2,522 vs
  // 2,053); one set of figures per GPU cannot carry both, so GB200's 8B row reads fast and
  // GB300's 405B row slow. B200's 8B row (same layout) reads fast by a little over 10%.
  const std::map<std::string, double> known_miss = {{"val-mbridge2511-b200-llama3-8b", 15.0},
                                                    {"val-mbridge2511-gb200-llama3-8b", 20.0},
                                                    {"val-mbridge2511-gb300-llama31-405b", 20.0}};
  Planner planner;
  double sum = 0;
  for (const Row& row : rows) {
    ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset(row.preset));
    ASSERT_OK_AND_ASSIGN(Prediction p, planner.Predict(job));
    EXPECT_TRUE(p.fits) << row.preset;  // every row ran
    const double tflops = p.tflops_per_gpu * p.mfu_causal / p.mfu;
    const double err = 100 * (tflops - row.published) / row.published;
    std::printf("%-36s published %5.0f predicted %6.1f  %+6.1f%%  %.0f of %.0f GB\n", row.preset,
                row.published, tflops, err, p.memory_per_gpu_bytes / 1e9, p.hbm_bytes / 1e9);
    sum += std::abs(err);
    const auto miss = known_miss.find(row.preset);
    EXPECT_LE(std::abs(err), miss == known_miss.end() ? 10.0 : miss->second) << row.preset;
  }
  const double mape = sum / std::size(rows);
  std::printf("Blackwell rows %zu (none fitted): MAPE %.1f%%\n", std::size(rows), mape);
  EXPECT_LE(mape, 8.0);
}

}  // namespace
}  // namespace trainscope::workload
