// SPDX-License-Identifier: Apache-2.0
// `trainscope plan [CONFIG | --preset NAME | model flags] [--sweep AXIS=V1,V2 ...]`: predicts
// step time, MFU, memory and GPU-hours of a training job (src/workload/).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "cli/app/tp_fusion.h"
#include "cli/command.h"
#include "workload/config_io.h"
#include "workload/layout.h"
#include "workload/plan_report.h"
#include "workload/predictor.h"
#include "workload/sweep.h"

namespace trainscope::cli {
namespace {

using namespace trainscope::workload;

struct PlanOptions {
  std::string config, preset;
  bool list = false;
  std::vector<std::string> sweep;
  int top = 20;
  std::string rank_by = "step_time";
  double usd_per_gpu_hour = 0;
  std::optional<int> layers, heads, kv_heads, experts, top_k;
  std::optional<int64_t> hidden, head_dim, ffn, seq, vocab;
  LayoutFlags layout;  // shared with the Python binding (workload/layout.h)
};

// A job from flags alone: one dense (or MoE with --experts) decoder.
Result<JobConfig> JobFromFlags(const PlanOptions& o) {
  const LayoutFlags& l = o.layout;
  if (!o.layers || !o.hidden || !o.heads || !o.seq || !l.gpus || !l.global_batch) {
    return InvalidArgumentError(
        "plan: give CONFIG, --preset NAME, or at least --layers --hidden --heads --seq --gpus "
        "--global-batch (see trainscope plan --help)");
  }
  DecoderFlags f;
  f.layers = *o.layers;
  f.hidden = *o.hidden;
  f.heads = *o.heads;
  f.seq_len = *o.seq;
  f.gpus = *l.gpus;
  f.global_batch = *l.global_batch;
  f.experts = o.experts.value_or(0);
  f.ffn_hidden = o.ffn.value_or(0);
  f.vocab = o.vocab.value_or(0);
  f.tp = l.tp.value_or(1);
  f.pp = l.pp.value_or(1);
  f.cp = l.cp.value_or(1);
  f.ep = l.ep.value_or(1);
  f.micro_batch = static_cast<int>(l.micro_batch.value_or(1));
  f.gpu = l.gpu.value_or("");
  return DecoderJob(f);
}

Result<JobConfig> BuildJob(const PlanOptions& o) {
  JobConfig job;
  if (!o.config.empty()) {
    TS_ASSIGN_OR_RETURN(job, LoadJobConfig(o.config));
  } else if (!o.preset.empty()) {
    TS_ASSIGN_OR_RETURN(job, LoadPreset(o.preset));
  } else {
    TS_ASSIGN_OR_RETURN(job, JobFromFlags(o));
  }
  BlockConfig& b = job.blocks[static_cast<size_t>(MainBlockIndex(job))];
  if (o.layers) b.layers = *o.layers;
  if (o.hidden) b.hidden = *o.hidden;
  if (o.heads) b.heads = *o.heads;
  if (o.kv_heads) b.kv_heads = *o.kv_heads;
  if (o.head_dim) b.head_dim = *o.head_dim;
  if (o.ffn) {
    b.ffn_hidden = *o.ffn;
    if (b.kind == BlockKind::kMoe) b.expert_ffn_hidden = *o.ffn;
  }
  if (o.seq) b.seq_len = *o.seq;
  if (o.vocab) b.vocab = *o.vocab;
  if (o.experts) {
    b.num_experts = *o.experts;
    if (*o.experts > 0 && b.kind == BlockKind::kDense) b.kind = BlockKind::kMoe;
    if (b.kind == BlockKind::kMoe && b.top_k == 0) b.top_k = std::min(2, *o.experts);
  }
  if (o.top_k) b.top_k = *o.top_k;
  TS_RETURN_IF_ERROR(ApplyLayoutFlags(o.layout, &job, "--"));
  return job;
}

Status RunPlan(const PlanOptions& o) {
  const GlobalOptions& g = Globals();
  if (o.list) {
    if (!g.json) {
      for (const std::string& name : PresetNames()) std::printf("%s\n", name.c_str());
      return OkStatus();
    }
    JsonWriter w(stdout);
    w.BeginObject().Key("presets").BeginArray();
    for (const std::string& name : PresetNames()) {
      TS_ASSIGN_OR_RETURN(JobConfig preset, LoadPreset(name));
      w.BeginObject().Field("name", name).Field("description", preset.description).EndObject();
    }
    w.EndArray().EndObject();
    w.Flush();
    std::fputc('\n', stdout);
    return OkStatus();
  }
  TS_ASSIGN_OR_RETURN(JobConfig job, BuildJob(o));
  Planner planner;
  if (!o.sweep.empty()) {
    std::vector<SweepAxis> axes;
    for (const std::string& text : o.sweep) {
      TS_ASSIGN_OR_RETURN(SweepAxis axis, ParseSweepAxis(text));
      axes.push_back(std::move(axis));
    }
    // All cores unless --threads N (0 = all): workers take whole pipeline-shape groups, so no
    // step graph is built twice (bench/workload_bench.cc: 2 threads ~1.8x one on 2 cores).
    SweepOptions options;
    options.threads = g.threads;
    TS_ASSIGN_OR_RETURN(options.rank_by, ParseSweepRank(o.rank_by));
    options.usd_per_gpu_hour = o.usd_per_gpu_hour;
    TS_ASSIGN_OR_RETURN(SweepResult result, Sweep(job, axes, planner, options));
    if (g.json) {
      JsonWriter w(stdout);
      WriteSweepJson(result, w);
      w.Flush();
      std::fputc('\n', stdout);
    } else {
      std::fputs(RenderSweepText(result, o.top).c_str(), stdout);
    }
    return OkStatus();
  }
  TS_ASSIGN_OR_RETURN(Prediction p, planner.Predict(job));
  if (g.json) {
    JsonWriter w(stdout);
    WritePlanJson(p, job, w);
    w.Flush();
    std::fputc('\n', stdout);
  } else {
    std::fputs(RenderPlanText(p, job).c_str(), stdout);
    for (const std::string& line : TpFusionLines(job, p)) std::printf("%s\n", line.c_str());
  }
  return OkStatus();
}

void RegisterPlan(CLI::App& root) {
  auto o = std::make_shared<PlanOptions>();
  CLI::App* cmd = root.add_subcommand(
      "plan", "Predict step time, MFU, memory per GPU and GPU-hours of a training job");
  cmd->add_option("config", o->config, "Job YAML (docs/workload.md)");
  cmd->add_option("--preset", o->preset, "Built-in job (see --list-presets)");
  cmd->add_flag("--list-presets", o->list, "Print the built-in presets");
  cmd->add_option(
         "--sweep", o->sweep,
         "Layouts to rank, e.g. --sweep tp=1,2,4,8 pp=1,2,4 recompute=selective,full (axes: tp pp "
         "vpp cp ep mb gpus fsdp_shard recompute_layers sp tp_overlap ep_overlap dp_overlap "
         "recompute dp_mode cp_kind schedule)")
      ->expected(1, 16);
  cmd->add_option("--rank-by", o->rank_by,
                  "Sweep ranking: step_time (default), gpu_hours (of --tokens, else per 1e9 "
                  "tokens) or cost (needs --usd-per-gpu-hour)");
  cmd->add_option("--usd-per-gpu-hour", o->usd_per_gpu_hour,
                  "Price of a GPU-hour for --rank-by cost (no default: cost ranking asks for it)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--top", o->top, "Rows of the sweep table")->check(IntAtLeast(1));
  cmd->add_option("--layers", o->layers, "Transformer layers");
  cmd->add_option("--hidden", o->hidden, "Hidden size");
  cmd->add_option("--heads", o->heads, "Attention heads");
  cmd->add_option("--kv-heads", o->kv_heads, "KV heads (GQA)");
  cmd->add_option("--head-dim", o->head_dim,
                  "Per-head width of Q, K, V (default hidden / heads; Qwen3: 128)");
  cmd->add_option("--ffn", o->ffn, "FFN hidden size (per expert for MoE)");
  cmd->add_option("--seq", o->seq, "Sequence length");
  cmd->add_option("--vocab", o->vocab, "Vocabulary size");
  cmd->add_option("--experts", o->experts, "Routed experts (MoE)");
  cmd->add_option("--top-k", o->top_k, "Experts per token (MoE)");
  cmd->add_option("--gpu", o->layout.gpu, workload::KnownGpuNames());
  cmd->add_option("--gpus", o->layout.gpus, "Number of GPUs");
  cmd->add_option("--tp", o->layout.tp, "Tensor parallel size");
  cmd->add_option("--pp", o->layout.pp, "Pipeline parallel size");
  cmd->add_option("--vpp", o->layout.vpp, "Virtual stages per pipeline rank (interleaved 1F1B)");
  cmd->add_option("--cp", o->layout.cp, "Context parallel size");
  cmd->add_option("--ep", o->layout.ep, "Expert parallel size");
  cmd->add_option("--global-batch", o->layout.global_batch, "Sequences per step");
  cmd->add_option("--micro-batch", o->layout.micro_batch, "Sequences per microbatch");
  cmd->add_option("--recompute", o->layout.recompute, "none | selective | full | offload");
  cmd->add_option("--dp-mode", o->layout.dp_mode, "dp | zero1 | zero2 | zero3 | fsdp");
  cmd->add_option("--schedule", o->layout.schedule,
                  "Pipeline schedule: 1f1b | interleaved | zb_h1 | dualpipe | dualpipev");
  cmd->add_option("--sp", o->layout.sp, "Sequence parallelism with TP (true/false)");
  cmd->add_option("--elementwise", o->layout.elementwise,
                  "Elementwise kernels: fused (Megatron / Transformer Engine, default) | hf_eager "
                  "(Hugging Face transformers' eager modules)");
  cmd->add_option("--tokens", o->layout.tokens, "Token budget for GPU-hours (e.g. 3e11)");
  cmd->callback([o] { RunAndSetExit([o] { return RunPlan(*o); }); });
}

}  // namespace

TS_REGISTER_COMMAND(20, RegisterPlan);

}  // namespace trainscope::cli
