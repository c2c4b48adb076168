// SPDX-License-Identifier: Apache-2.0
// Text and JSON rendering of predictions and sweeps (plan_report.h).
#include "workload/plan_report.h"

#include <cmath>
#include <string>
#include <vector>

#include "workload/config_io.h"

namespace trainscope::workload {
namespace {

// Megatron Core's --recompute-modules the plan runs on top of `recompute`.
std::vector<const char*> RecomputeModules(const ParallelPlan& plan) {
  std::vector<const char*> out;
  if (plan.recompute_layernorm) out.push_back("layernorm");
  if (plan.recompute_mla_up_proj) out.push_back("mla_up_proj");
  if (plan.recompute_moe_act) out.push_back("moe_act");
  return out;
}

std::string RecomputeText(const ParallelPlan& plan) {
  std::string s(Name(plan.recompute));
  const std::vector<const char*> modules = RecomputeModules(plan);
  for (size_t i = 0; i < modules.size(); ++i) {
    s += fmt::format("{}{}", i == 0 ? "+" : ",", modules[i]);
  }
  return s;
}

std::string Si(double v) {
  const char* units[] = {"", "K", "M", "G", "T", "P", "E", "Z"};
  int u = 0;
  while (std::abs(v) >= 1000 && u < 7) {
    v /= 1000;
    ++u;
  }
  return fmt::format("{:.3g}{}", v, units[u]);
}
// Parameters and bytes are counts: the model's arithmetic makes them fractional (a calibrated
// FFN share gave 6999431491.584 parameters), the output rounds them.
int64_t Count(double v) { return std::llround(v); }
std::string Gb(double bytes) { return fmt::format("{:.1f} GB", bytes / 1e9); }

const ParallelPlan& MainPlan(const JobConfig& job) {
  return job.blocks[static_cast<size_t>(MainBlockIndex(job))].plan;
}

}  // namespace

std::string RenderPlanText(const Prediction& p, const JobConfig& job) {
  std::string s;
  const ParallelPlan& plan = MainPlan(job);
  s += fmt::format("{}: {}\n", p.name, job.description);
  s += fmt::format("  cluster      {} x {} ({:.0f} TFLOP/s, {:.0f} GB)\n", p.gpus,
                   job.cluster.gpu.name, job.cluster.gpu.peak_flops / 1e12,
                   job.cluster.gpu.hbm_bytes / 1e9);
  s += fmt::format(
      "  layout       tp={}{} pp={} vpp={} ({}) cp={}({}) ep={} dp={} ({}), mb={}, m={}, "
      "recompute={}\n",
      plan.tp, plan.sp && plan.tp > 1 ? "+sp" : "", plan.pp, plan.vpp, Name(plan.schedule), plan.cp,
      Name(plan.cp_kind), plan.ep, p.dp, Name(plan.dp_mode), plan.micro_batch, p.microbatches,
      RecomputeText(plan));
  if (job.system.elementwise != Elementwise::kFused) {
    s += fmt::format("  elementwise  {} (HBM traffic counted per block: docs/workload.md)\n",
                     Name(job.system.elementwise));
  }
  s += fmt::format("  batch        {} sequences, {} tokens per step\n", p.global_batch,
                   Si(p.tokens_per_step));
  s += "\nParameters\n";
  for (const BlockSummary& b : p.blocks) {
    s += fmt::format("  {:<10} {:<6} total {:>8}  active {:>8}  per rank {:>8}{}\n", b.name,
                     Name(b.kind), Si(b.params.total), Si(b.params.active), Si(b.params_on_rank),
                     b.frozen ? "  (frozen)" : "");
    if (b.params.adapter > 0) {  // Seed-ViT's 532M is the encoder without its MLP adapter
      s += fmt::format("  {:<10} {:<6} encoder {:>6}  adapter {:>7}\n", "", "",
                       Si(b.params.total - b.params.adapter), Si(b.params.adapter));
    }
  }
  s += fmt::format("  {:<17} total {:>8}  active {:>8}  per rank {:>8}\n", "all",
                   Si(p.params_total), Si(p.params_active), Si(p.params_per_rank));
  s += "\nFLOPs per step\n";
  s += fmt::format("  model (full attention, Megatron)   {}\n", Si(p.model_flops));
  s += fmt::format("  model (causal attention halved)    {}\n", Si(p.model_flops_causal));
  s += fmt::format("  hardware (with recompute)          {}\n", Si(p.hardware_flops));
  const MemoryBreakdown& m = p.memory;
  s += fmt::format("\nMemory per GPU (pipeline stage: {})\n", m.worst_stage);
  s += fmt::format("  weights {}  grads {}  optimizer {}  activations {}  logits {}\n",
                   Gb(m.weights), Gb(m.grads), Gb(m.optimizer), Gb(m.activations), Gb(m.logits));
  s += fmt::format("  buffers {}  fragmentation {}  total {} of {}: {}\n", Gb(m.buffers),
                   Gb(m.fragmentation), Gb(m.total), Gb(p.hbm_bytes),
                   p.fits ? (p.memory_lower_bound ? "fits, a LOWER BOUND (see the notes)" : "fits")
                          : "DOES NOT FIT");
  s += "\nCommunication per step per rank\n";
  for (const CommVolume& c : p.comm) {
    s += fmt::format("  {:<24} group {:>5}  {:>9}B  {:>8.0f} calls  {:>8.3f} s\n", c.name,
                     c.group_size, Si(c.bytes_per_rank), c.count, c.seconds);
  }
  s += "\nTime\n";
  s += fmt::format("  step time      {:.3f} s (compute {:.3f} s, idle/exposed {:.1f}%){}\n",
                   p.step_time_s, p.compute_s, 100 * p.bubble_fraction,
                   p.step_time_lower_bound ? ", a LOWER BOUND (see the notes)" : "");
  if (p.sample_wait_s > 0) {
    s += fmt::format(
        "  balanced       {:.3f} s, MFU {:.1f}%: workers with equal sample mixes "
        "would save the {:.3f} s wait for the slowest ({:.1f}%)\n",
        p.step_time_balanced_s, 100 * p.mfu_balanced, p.sample_wait_s,
        100 * p.sample_wait_s / p.step_time_s);
  }
  s += fmt::format("  MFU            {:.1f}% (causal convention {:.1f}%), HFU {:.1f}%\n",
                   100 * p.mfu, 100 * p.mfu_causal, 100 * p.hfu);
  s += fmt::format("  throughput     {} tokens/s, {:.0f} model TFLOP/s per GPU\n",
                   Si(p.tokens_per_s), p.tflops_per_gpu);
  if (p.has_budget) {
    s += fmt::format(
        "  job            {} tokens = {:.0f} steps: {:.3g} GPU-hours, {:.1f} days "
        "(effective-time ratio {:.2f})\n",
        Si(p.tokens_total), p.steps_total, p.gpu_hours, p.calendar_days, p.effective_time_ratio);
  }
  for (const std::string& note : p.notes) s += fmt::format("  note: {}\n", note);
  s += fmt::format("\nAssumptions ({})\n", p.assumptions.size());
  for (const Assumption& a : p.assumptions) {
    s += fmt::format("  {} = {}  ({})\n", a.field, a.value, a.note);
  }
  return s;
}

void WritePlanJson(const Prediction& p, const JobConfig& job, JsonWriter& w) {
  const ParallelPlan& plan = MainPlan(job);
  w.BeginObject();
  w.Field("name", p.name);
  w.Field("source", job.source);
  w.Field("gpu", job.cluster.gpu.name);
  w.Field("gpus", p.gpus);
  w.Field("elementwise", Name(job.system.elementwise));
  w.Key("layout").BeginObject();
  w.Field("tp", plan.tp).Field("sp", plan.sp).Field("pp", plan.pp).Field("vpp", plan.vpp);
  w.Field("cp", plan.cp).Field("ep", plan.ep).Field("dp", p.dp);
  w.Field("micro_batch", plan.micro_batch).Field("microbatches", p.microbatches);
  w.Field("recompute", Name(plan.recompute)).Field("dp_mode", Name(plan.dp_mode));
  w.Key("recompute_modules").BeginArray();
  for (const char* module : RecomputeModules(plan)) w.Value(std::string_view(module));
  w.EndArray();
  w.Field("schedule", Name(plan.schedule));
  w.EndObject();
  w.Field("global_batch", p.global_batch);
  w.Field("tokens_per_step", p.tokens_per_step);
  w.Field("step_time_s", p.step_time_s);
  w.Field("step_time_lower_bound", p.step_time_lower_bound);
  w.Field("step_time_balanced_s", p.step_time_balanced_s);
  w.Field("sample_wait_s", p.sample_wait_s);
  w.Field("mfu", p.mfu);
  w.Field("mfu_balanced", p.mfu_balanced);
  w.Field("mfu_causal", p.mfu_causal);
  w.Field("hfu", p.hfu);
  w.Field("tokens_per_s", p.tokens_per_s);
  w.Field("tflops_per_gpu", p.tflops_per_gpu);
  w.Field("compute_s", p.compute_s);
  w.Field("bubble_fraction", p.bubble_fraction);
  w.Field("params_total", Count(p.params_total));
  w.Field("params_active", Count(p.params_active));
  w.Field("params_per_rank", Count(p.params_per_rank));
  w.Field("model_flops", p.model_flops);
  w.Field("model_flops_causal", p.model_flops_causal);
  w.Field("hardware_flops", p.hardware_flops);
  w.Field("memory_per_gpu_bytes", Count(p.memory_per_gpu_bytes));
  w.Field("fits", p.fits);
  w.Field("memory_lower_bound", p.memory_lower_bound);
  const MemoryBreakdown& m = p.memory;
  w.Key("memory").BeginObject();
  w.Field("weights", Count(m.weights)).Field("grads", Count(m.grads));
  w.Field("optimizer", Count(m.optimizer));
  w.Field("activations", Count(m.activations)).Field("logits", Count(m.logits));
  w.Field("buffers", Count(m.buffers));
  w.Field("fragmentation", Count(m.fragmentation)).Field("hbm_bytes", Count(p.hbm_bytes));
  w.Field("worst_stage", m.worst_stage);
  w.EndObject();
  w.Key("blocks").BeginArray();
  for (const BlockSummary& b : p.blocks) {
    w.BeginObject();
    w.Field("name", b.name).Field("kind", Name(b.kind)).Field("frozen", b.frozen);
    w.Field("params_total", Count(b.params.total)).Field("params_active", Count(b.params.active));
    w.Field("params_per_rank", Count(b.params_on_rank)).Field("model_flops", b.flops.model_full);
    if (b.params.adapter > 0) {
      w.Field("params_encoder", Count(b.params.total - b.params.adapter));
      w.Field("params_adapter", Count(b.params.adapter));
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("comm").BeginArray();
  for (const CommVolume& c : p.comm) {
    w.BeginObject();
    w.Field("group", c.group).Field("collective", c.collective).Field("group_size", c.group_size);
    w.Field("bytes_per_rank", Count(c.bytes_per_rank)).Field("count", c.count);
    w.Field("seconds", c.seconds);
    w.EndObject();
  }
  w.EndArray();
  if (p.has_budget) {
    w.Field("tokens_total", p.tokens_total);
    w.Field("steps_total", p.steps_total);
    w.Field("gpu_hours", p.gpu_hours);
    w.Field("calendar_days", p.calendar_days);
    w.Field("effective_time_ratio", p.effective_time_ratio);
  }
  w.Key("notes").BeginArray();
  for (const std::string& n : p.notes) w.String(n);
  w.EndArray();
  w.Key("assumptions").BeginArray();
  for (const Assumption& a : p.assumptions) {
    w.BeginObject();
    w.Field("field", a.field).Field("value", a.value).Field("note", a.note);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

namespace {

std::string SweepHeader(const SweepResult& sweep) {
  std::string by = "predicted step time";
  const std::string gpu_hours = sweep.has_budget ? "GPU-hours of the token budget"
                                                 : "GPU-hours per 1e9 tokens (no token budget)";
  if (sweep.rank_by == SweepRank::kGpuHours) by = gpu_hours;
  if (sweep.rank_by == SweepRank::kCost) {
    by = fmt::format("cost at ${:.2f} per GPU-hour ({})", sweep.usd_per_gpu_hour, gpu_hours);
  }
  return fmt::format("{} layouts evaluated, {} fit, {} do not fit in memory; ranked by {}\n",
                     sweep.evaluated, sweep.fitting, sweep.infeasible, by);
}

std::string SweepRow(const SweepEntry& e, const std::string& rank, bool price) {
  const std::string step =
      fmt::format("{}{:.3f}", e.step_time_lower_bound ? ">=" : "", e.step_time_s);
  std::string row =
      fmt::format("  {:>4}  {:<36} {:>10} {:>6.1f}% {:>10} {:>10.4g}", rank, e.layout, step,
                  100 * e.mfu, Gb(e.memory_per_gpu_bytes), e.gpu_hours);
  if (price) row += fmt::format(" {:>12.0f}", e.cost_usd);
  return row + "\n";
}

}  // namespace

std::string RenderSweepText(const SweepResult& sweep, int top) {
  const bool price = sweep.usd_per_gpu_hour > 0;
  std::string s = SweepHeader(sweep);
  s += fmt::format("  {:>4}  {:<36} {:>10} {:>7} {:>10} {:>10}", "rank", "layout", "step s", "MFU",
                   "memory", "GPU-h");
  s += price ? fmt::format(" {:>12}\n", "cost $") : "\n";
  int shown = 0;
  bool bounds = false;
  for (const SweepEntry& e : sweep.entries) {
    if (!e.valid || !e.fits || shown >= top) break;
    s += SweepRow(e, std::to_string(++shown), price);
    bounds = bounds || e.step_time_lower_bound;
  }
  if (bounds) {
    s += "  >= : a lower bound: the model leaves out costs of that layout (plan it alone for the "
         "note)\n";
  }
  // Layouts that do not fit, with the memory they need, then those that do not apply.
  int listed = 0;
  for (const SweepEntry& e : sweep.entries) {
    if (!e.valid || e.fits) continue;
    if (listed++ == 0) s += fmt::format("does not fit in memory ({}):\n", sweep.infeasible);
    if (listed > top) continue;
    s += fmt::format("     -  {:<36} {}\n", e.layout, e.reason);
  }
  if (listed > top)
    s += fmt::format("     ... {} more (--top N, or --json lists all)\n", listed - top);
  int invalid = 0;
  for (const SweepEntry& e : sweep.entries) {
    if (e.valid || invalid++ >= top) continue;
    s += fmt::format("     -  {:<36} invalid: {}\n", e.layout, e.reason);
  }
  if (invalid > top) s += fmt::format("     ... {} more invalid\n", invalid - top);
  return s;
}

void WriteSweepJson(const SweepResult& sweep, JsonWriter& w) {
  w.BeginObject();
  w.Field("evaluated", sweep.evaluated).Field("fitting", sweep.fitting);
  w.Field("infeasible", sweep.infeasible).Field("rank_by", Name(sweep.rank_by));
  w.Field("gpu_hours_basis", sweep.has_budget ? "token_budget" : "per_1e9_tokens");
  if (sweep.usd_per_gpu_hour > 0) w.Field("usd_per_gpu_hour", sweep.usd_per_gpu_hour);
  w.Key("layouts").BeginArray();
  for (const SweepEntry& e : sweep.entries) {
    w.BeginObject();
    w.Field("layout", e.layout).Field("valid", e.valid);
    if (e.valid) {
      w.Field("step_time_s", e.step_time_s).Field("mfu", e.mfu);
      w.Field("step_time_lower_bound", e.step_time_lower_bound);
      w.Field("memory_per_gpu_bytes", Count(e.memory_per_gpu_bytes)).Field("fits", e.fits);
      w.Field("memory_available_bytes", Count(e.hbm_bytes)).Field("gpus", e.gpus);
      w.Field("gpu_hours", e.gpu_hours);
      if (sweep.usd_per_gpu_hour > 0) w.Field("cost_usd", e.cost_usd);
      if (!e.fits) w.Field("reason", e.reason);
    } else {
      w.Field("reason", e.reason);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace trainscope::workload
