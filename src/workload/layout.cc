// SPDX-License-Identifier: Apache-2.0
// Layout knobs and plan flags (layout.h).
#include "workload/layout.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "workload/config_io.h"

namespace trainscope::workload {
namespace {

enum class KnobType { kCount, kCountOrZero, kBool, kRecompute, kDpMode, kCpKind, kSchedule };

struct Knob {
  const char* name;
  KnobType type;
};

constexpr std::array<Knob, 17> kKnobs{{{"tp", KnobType::kCount},
                                       {"pp", KnobType::kCount},
                                       {"vpp", KnobType::kCount},
                                       {"cp", KnobType::kCount},
                                       {"ep", KnobType::kCount},
                                       {"mb", KnobType::kCount},
                                       {"gpus", KnobType::kCount},
                                       {"fsdp_shard", KnobType::kCountOrZero},
                                       {"recompute_layers", KnobType::kCountOrZero},
                                       {"sp", KnobType::kBool},
                                       {"tp_overlap", KnobType::kBool},
                                       {"ep_overlap", KnobType::kBool},
                                       {"dp_overlap", KnobType::kBool},
                                       {"recompute", KnobType::kRecompute},
                                       {"dp_mode", KnobType::kDpMode},
                                       {"cp_kind", KnobType::kCpKind},
                                       {"schedule", KnobType::kSchedule}}};

const Knob* FindKnob(std::string_view name) {
  const auto* it =
      std::find_if(kKnobs.begin(), kKnobs.end(), [&](const Knob& k) { return name == k.name; });
  return it == kKnobs.end() ? nullptr : it;
}

Result<int> ParseInt(std::string_view name, std::string_view text, int least) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < least) {
    return InvalidArgumentError("{}: '{}' is not an integer >= {}", name, text, least);
  }
  return value;
}

template <typename E>
Result<int> AsInt(Result<E> parsed) {
  if (!parsed.ok()) return parsed.error();
  return static_cast<int>(*parsed);
}

}  // namespace

const char* LayoutKnobNames() {
  return "tp, pp, vpp, cp, ep, mb, gpus, fsdp_shard, recompute_layers, sp, tp_overlap, "
         "ep_overlap, dp_overlap, recompute, dp_mode, cp_kind, schedule";
}

bool IsLayoutKnob(std::string_view name) { return FindKnob(name) != nullptr; }

Result<int> ParseLayoutKnob(std::string_view name, std::string_view text) {
  const Knob* knob = FindKnob(name);
  if (knob == nullptr) {
    return InvalidArgumentError("unknown layout knob '{}' ({})", name, LayoutKnobNames());
  }
  switch (knob->type) {
    case KnobType::kCount:
      return ParseInt(name, text, 1);
    case KnobType::kCountOrZero:
      return ParseInt(name, text, 0);
    case KnobType::kBool:
      if (text == "true" || text == "1") return 1;
      if (text == "false" || text == "0") return 0;
      return InvalidArgumentError("{}: '{}' is not true or false", name, text);
    case KnobType::kRecompute:
      return AsInt(ParseRecompute(text));
    case KnobType::kDpMode:
      return AsInt(ParseDpMode(text));
    case KnobType::kCpKind:
      return AsInt(ParseCpKind(text));
    case KnobType::kSchedule:
      return AsInt(ParseSchedule(text));
  }
  return InternalError("layout knob '{}' without a parser", name);
}

void SetLayoutKnob(std::string_view name, int value, JobConfig* job) {
  ParallelPlan& plan = job->blocks[static_cast<size_t>(MainBlockIndex(*job))].plan;
  if (name == "gpus") job->cluster.gpus = value;
  if (name == "tp") plan.tp = value;
  if (name == "pp") plan.pp = value;
  if (name == "vpp") {
    plan.vpp = value;
    // Megatron's schedules follow vpp; a split-backward schedule stays (and rejects vpp > 1).
    if (plan.schedule == PpSchedule::k1f1b || plan.schedule == PpSchedule::kInterleaved) {
      plan.schedule = value > 1 ? PpSchedule::kInterleaved : PpSchedule::k1f1b;
    }
  }
  if (name == "schedule") plan.schedule = static_cast<PpSchedule>(value);
  if (name == "cp") plan.cp = value;
  if (name == "ep") plan.ep = value;
  if (name == "mb") plan.micro_batch = value;
  if (name == "fsdp_shard") plan.fsdp_shard = value;
  if (name == "recompute_layers") plan.recompute_layers = value;
  if (name == "sp") plan.sp = value != 0;
  if (name == "tp_overlap") plan.tp_overlap = value != 0;
  if (name == "ep_overlap") plan.ep_overlap = value != 0;
  if (name == "dp_overlap") plan.dp_overlap = value != 0;
  if (name == "recompute") plan.recompute = static_cast<Recompute>(value);
  if (name == "dp_mode") plan.dp_mode = static_cast<DpMode>(value);
  if (name == "cp_kind") plan.cp_kind = static_cast<CpKind>(value);
}

namespace {

// A GPU chosen by flag brings its own efficiencies and, where the config left them to the GPU,
// its reference system's network: their assumption lines follow, and an efficiency the config
// stated is said to be replaced rather than silently dropped.
void RestateGpuDefaults(JobConfig* job) {
  const GpuSpec& g = job->cluster.gpu;
  const struct {
    const char* field;
    double value;
    const char* what;
  } rows[] = {{"cluster.gemm_eff_max", g.gemm_eff_max, "achieved/peak on large GEMMs"},
              {"cluster.attn_eff", g.attn_eff, "attention-core efficiency"}};
  for (const auto& row : rows) {
    std::string note = std::string(row.what) + " (" + g.efficiency_basis + ")";
    if (!HasAssumption(job->assumed, row.field)) {
      note += "; the config's value replaced by the GPU chosen by flag";
    }
    SetAssumption(&job->assumed, row.field, fmt::format("{}", row.value), std::move(note));
  }
  NetworkStated stated;
  stated.gpus_per_node = !HasAssumption(job->assumed, "cluster.gpus_per_node");
  stated.nics_per_node = !HasAssumption(job->assumed, "cluster.nics_per_node");
  stated.nic_gbps = !HasAssumption(job->assumed, "cluster.nic_gbps");
  DefaultClusterNetwork(stated, &job->cluster, &job->assumed);
}

}  // namespace

Status ApplyLayoutFlags(const LayoutFlags& f, JobConfig* job, std::string_view flag_prefix) {
  if (f.gpu && !LookupGpu(*f.gpu, &job->cluster.gpu)) {
    return InvalidArgumentError("{}gpu: unknown GPU '{}' ({})", flag_prefix, *f.gpu,
                                KnownGpuNames());
  }
  if (f.gpu) RestateGpuDefaults(job);
  const std::pair<const char*, std::optional<int64_t>> counts[] = {
      {"gpus", f.gpus}, {"tp", f.tp}, {"pp", f.pp},         {"vpp", f.vpp},
      {"cp", f.cp},     {"ep", f.ep}, {"mb", f.micro_batch}};
  for (const auto& [name, value] : counts) {
    if (value) SetLayoutKnob(name, static_cast<int>(*value), job);
  }
  if (f.sp) SetLayoutKnob("sp", *f.sp ? 1 : 0, job);
  const std::pair<const char*, const std::optional<std::string>*> named[] = {
      {"recompute", &f.recompute}, {"dp_mode", &f.dp_mode}, {"schedule", &f.schedule}};
  for (const auto& [name, text] : named) {
    if (!*text) continue;
    Result<int> value = ParseLayoutKnob(name, **text);
    if (!value.ok()) return value.error();
    SetLayoutKnob(name, *value, job);
  }
  if (f.elementwise) {
    Result<Elementwise> kind = ParseElementwise(*f.elementwise);
    if (!kind.ok()) {
      return InvalidArgumentError("{}elementwise: {}", flag_prefix, kind.error().message());
    }
    job->system.elementwise = *kind;
    // The fused model's per-element figure and its assumption line follow the choice: eager
    // traffic is counted per block, so a figure the config set is refused rather than dropped.
    const char* figure = "system.elementwise_bytes_per_elem";
    const auto assumed = std::find_if(job->assumed.begin(), job->assumed.end(),
                                      [&](const Assumption& a) { return a.field == figure; });
    const double default_figure = SystemConfig{}.elementwise_bytes_per_elem;
    if (*kind == Elementwise::kHfEager) {
      if (assumed == job->assumed.end() &&
          job->system.elementwise_bytes_per_elem != default_figure) {
        return InvalidArgumentError(
            "{}elementwise: hf_eager counts its traffic per block; the config's {} ({}) applies "
            "to fused only",
            flag_prefix, figure, job->system.elementwise_bytes_per_elem);
      }
      if (assumed != job->assumed.end()) job->assumed.erase(assumed);
    } else if (assumed == job->assumed.end() &&
               job->system.elementwise_bytes_per_elem == default_figure) {
      job->assumed.push_back(
          {figure, fmt::format("{}", default_figure), "HBM traffic of non-GEMM ops"});
    }
  }
  if (f.global_batch) {
    job->training.global_batch = *f.global_batch;
    job->training.global_batch_tokens = 0;
  }
  if (f.tokens && !(std::isfinite(*f.tokens) && *f.tokens >= 0)) {
    return InvalidArgumentError("{}tokens: {} is not a token budget (a finite number >= 0)",
                                flag_prefix, *f.tokens);
  }
  if (f.tokens) job->training.tokens_total = *f.tokens;
  return ValidateJobConfig(*job).WithPrefix(job->source);
}

}  // namespace trainscope::workload
