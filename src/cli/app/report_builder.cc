// SPDX-License-Identifier: Apache-2.0
// Maps analysis results onto the report view model and estimates savings.
#include "cli/app/report_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cli/app/tp_fusion.h"
#include "overlap/simulator.h"
#include "report/savings.h"

namespace trainscope::cli {
namespace {

std::vector<report::NamedValue> FromAttribution(const std::vector<whatif::Attribution>& in,
                                                const char* prefix) {
  std::vector<report::NamedValue> out;
  for (const whatif::Attribution& a : in) {
    out.push_back(
        {prefix[0] != '\0' ? fmt::format("{} {}", prefix, a.label) : a.label, a.slowdown, ""});
  }
  return out;
}

std::string WorkerName(const whatif::ReplayModel& m, int32_t rank) {
  for (int32_t w = 0; w < m.num_workers() && m.has_stages(); ++w) {
    if (m.worker_rank[w] == rank)
      return fmt::format("dp {} / stage {} (rank {})", m.dp_rank_of(w), m.stage_of(w), rank);
  }
  return fmt::format("rank {}", rank);
}

// The DP rank x stage grid of a per-worker value (empty without stages).
std::vector<std::vector<double>> WorkerGrid(const whatif::ReplayModel& m,
                                            const std::vector<double>& per_worker) {
  if (!m.has_stages()) return {};
  std::vector<std::vector<double>> grid(static_cast<size_t>(m.dp),
                                        std::vector<double>(static_cast<size_t>(m.pp)));
  for (int32_t w = 0; w < m.num_workers(); ++w)
    grid[static_cast<size_t>(m.dp_rank_of(w))][static_cast<size_t>(m.stage_of(w))] = per_worker[w];
  return grid;
}

report::StragglerPart ToStragglerPart(const StragglerRun& run) {
  const whatif::WhatIfResult& r = run.result;
  const whatif::ReplayModel& m = run.model;
  report::StragglerPart s;
  s.slowdown = r.slowdown;
  s.straggling = r.straggling;
  s.inconclusive = r.inconclusive;
  s.verdict = std::string(whatif::Verdict(r));
  s.waste_fraction = r.waste_fraction;
  if (r.wasted_gpu_hours > 0) s.wasted_gpu_hours = r.wasted_gpu_hours;
  s.traced_gpu_hours = r.traced_gpu_hours;
  s.traced_steps = static_cast<int>(r.steps.size());
  s.simulation_error = r.error_median;
  s.cause_pattern = std::string(whatif::PatternName(run.cause.pattern));
  if (!run.cause.evidence.empty()) s.cause_evidence.push_back(run.cause.evidence);
  for (const whatif::Finding& f : run.cause.secondary) {
    s.cause_evidence.push_back(
        fmt::format("also {}: {}", whatif::PatternName(f.pattern), f.evidence));
  }
  std::vector<double> scores, alone;
  for (const whatif::WorkerScore& w : r.workers) scores.push_back(w.score);
  for (const whatif::Attribution& a : r.by_worker) alone.push_back(a.slowdown);
  s.worker_scores = WorkerGrid(m, scores);
  s.worker_alone = WorkerGrid(m, alone);
  for (size_t i = 0; i < r.steps.size() && i < r.step_slowdown.size(); ++i) {
    s.per_step.push_back({fmt::format("{}", r.steps[i]), r.step_slowdown[i], ""});
  }
  s.by_op_type = FromAttribution(r.by_op_class, "");
  s.by_stage = FromAttribution(r.by_stage, "stage");
  s.by_dp_rank = FromAttribution(r.by_dp_rank, "dp");
  if (!m.has_stages()) s.by_rank = FromAttribution(r.by_worker, "rank");
  // Ties in score (a whole slow stage scores alike) are broken by the worker's own "alone"
  // slowdown, so the slow worker the verdict names comes first.
  auto alone_of = [&](const whatif::WorkerScore& w) {
    return static_cast<size_t>(w.worker) < r.by_worker.size() ? r.by_worker[w.worker].slowdown
                                                              : 1.0;
  };
  std::vector<whatif::WorkerScore> workers = r.workers;
  std::stable_sort(workers.begin(), workers.end(), [&](const auto& a, const auto& b) {
    return a.score != b.score ? a.score > b.score : alone_of(a) > alone_of(b);
  });
  for (size_t i = 0; i < workers.size() && i < 10; ++i) {
    const std::string name =
        m.has_stages() ? fmt::format("dp {} / stage {}", workers[i].dp_rank, workers[i].stage)
                       : fmt::format("rank {}", workers[i].rank);
    s.top_workers.push_back(
        {name, workers[i].score,
         fmt::format("rank {}; alone {:.3f}x", workers[i].rank, alone_of(workers[i]))});
  }
  return s;
}

report::FaultPart ToFaultPart(const minder::FaultRun& run) {
  report::FaultPart f;
  f.deciding_metric = run.deciding_metric;
  f.threshold = run.threshold;
  f.machines = run.machines;
  f.inconclusive = run.verdict == minder::Verdict::kInconclusive;
  f.inconclusive_reasons = run.inconclusive;
  for (const minder::MachineScoreSeries& s : run.series)
    f.series.push_back({s.machine, s.t_s, s.z});
  for (const minder::Alert& a : run.alerts) {
    f.alerts.push_back({a.machine + (a.gpu >= 0 ? fmt::format(" (GPU {})", a.gpu) : ""), a.metric,
                        static_cast<double>(a.start_ns - run.t0_ns) / 1e9,
                        static_cast<double>(a.end_ns - run.t0_ns) / 1e9, a.score, a.margin});
  }
  return f;
}

report::PlanPart ToPlanPart(const PlanInput& plan) {
  const workload::Prediction& p = plan.prediction;
  report::PlanPart out;
  out.name = p.name;
  out.gpus = p.gpus;
  out.step_time_s = p.step_time_s;
  out.bubble_s = p.bubble_fraction * p.step_time_s;
  out.compute_s = std::min(p.compute_s, p.step_time_s - out.bubble_s);
  out.exposed_comm_s = std::max(0.0, p.step_time_s - out.compute_s - out.bubble_s);
  out.mfu = p.mfu;
  out.memory_per_gpu_bytes = p.memory_per_gpu_bytes;
  out.memory_capacity_bytes = p.hbm_bytes;
  const workload::MemoryBreakdown& m = p.memory;
  out.memory_breakdown_bytes = {{"weights", m.weights, ""},
                                {"gradients", m.grads, ""},
                                {"optimizer states", m.optimizer, ""},
                                {"activations", m.activations, ""},
                                {"logits", m.logits, ""},
                                {"buffers", m.buffers, ""},
                                {"fragmentation", m.fragmentation, ""}};
  if (p.has_budget) {
    out.gpu_hours = p.gpu_hours;
    out.tokens_total = p.tokens_total;
    out.calendar_days = p.calendar_days;
  }
  return out;
}

// Savings of the straggler findings (report/savings.h), only when the job straggles (S > 1).
void AddStragglerSavings(const StragglerRun& run, double gpus, std::vector<report::Saving>* out) {
  const whatif::WhatIfResult& r = run.result;
  if (r.slowdown - 1 < whatif::kMinExplainedExcess) return;  // nothing worth fixing
  out->push_back(report::StragglerRemovalSaving(gpus, r.slowdown));
  // The slow worker the classifier names (its "alone" slowdown, add view).
  std::vector<whatif::Finding> findings = run.cause.secondary;
  findings.push_back({run.cause.pattern, 0, run.cause.evidence, false, run.cause.rank});
  for (const whatif::Finding& f : findings) {
    if (f.pattern != whatif::Pattern::kOneSlowWorker || f.rank < 0) continue;
    for (const whatif::WorkerScore& w : r.workers) {
      if (w.rank != f.rank) continue;
      out->push_back(report::SlowWorkerSaving(gpus, r.slowdown, r.by_worker[w.worker].slowdown,
                                              WorkerName(run.model, w.rank)));
    }
  }
  auto add = [&](const whatif::Explanation& e, std::string action) {
    if (e.selected.empty()) return;
    std::optional<report::Saving> saving =
        report::SelectionSaving(gpus, e.t_ori_s, e.t_rem_s, e.rem, std::move(action));
    if (saving) out->push_back(std::move(*saving));
  };
  std::string workers;
  for (int32_t rank : r.m_w.selected) {
    workers += (workers.empty() ? "" : ", ") + WorkerName(run.model, rank);
  }
  add(r.m_w, "fix the worst workers: " + workers);
  if (run.model.has_stages())
    add(r.m_s, fmt::format("rebalance the last pipeline stage (stage {})", run.model.pp - 1));
}

void AddFaultSavings(const minder::FaultRun& run, double gpus, std::vector<report::Saving>* out) {
  for (const minder::Alert& a : run.alerts) {
    out->push_back(report::FaultSaving(gpus, a.machine, a.metric, a.score, a.margin));
  }
}

// Flux-style TP overlap of the plan's main block (overlap simulator), when it uses TP.
void AddOverlapSavings(const PlanInput& plan, std::vector<report::Saving>* out,
                       std::vector<std::string>* notes) {
  int main = workload::MainBlockIndex(plan.config);
  if (main < 0) return;
  const workload::BlockConfig& block = plan.config.blocks[static_cast<size_t>(main)];
  if (block.plan.tp <= 1) {
    notes->push_back(
        "Flux-style TP overlap: not applicable, the plan uses no tensor parallelism "
        "(TP = 1).");
    return;
  }
  for (std::string& line : TpFusionLines(plan.config, plan.prediction)) {
    notes->push_back(std::move(line));
  }
  auto hw = overlap::GpuPreset(plan.config.cluster.gpu.name);  // resolved or no saving
  if (!hw.ok()) return;
  int64_t m = block.seq_len * std::max<int64_t>(1, block.plan.micro_batch);
  auto fusion =
      overlap::PredictTpFusion(m, block.hidden, workload::FfnHidden(block), block.plan.tp, *hw);
  if (!fusion.ok()) return;
  const workload::Prediction& p = plan.prediction;
  const double layers_per_stage = static_cast<double>(block.layers) / std::max(1, block.plan.pp);
  const double gain = report::TpOverlapGain(fusion->exposed_comm_saved_s, layers_per_stage,
                                            static_cast<double>(p.microbatches), p.step_time_s);
  out->push_back(report::TpOverlapSaving(p.gpus, block.plan.tp, gain, fusion->ag.efficiency_fused,
                                         fusion->rs.efficiency_fused));
}

}  // namespace

report::JobReport BuildJobReport(const ReportInputs& in) {
  report::JobReport r;
  r.title = in.title;
  r.subtitle = in.subtitle;
  r.trace_links = in.trace_links;
  r.diagnostics = in.diagnostics;
  double gpus = 0;
  if (in.plan != nullptr) {
    r.plan = ToPlanPart(*in.plan);
    gpus = in.plan->prediction.gpus;
    for (const workload::Assumption& a : in.plan->prediction.assumptions) {
      r.assumptions.push_back(
          fmt::format("{} = {}{}", a.field, a.value, a.note.empty() ? "" : " (" + a.note + ")"));
    }
  }
  if (in.stragglers != nullptr) {
    r.stragglers = ToStragglerPart(*in.stragglers);
    // Straggler savings scale to the plan's GPUs only when the trace is that job; a trace of
    // 64 GPUs does not speak for a plan of 4,096.
    const double trace_gpus = in.stragglers->result.gpus;
    if (gpus == 0) gpus = trace_gpus;
    if (gpus != trace_gpus) {
      r.assumptions.push_back(fmt::format(
          "Straggler savings count the trace's {:.0f} GPUs, not the plan's {:.0f}: the trace is "
          "a job of another size, so its waste is not scaled to the plan",
          trace_gpus, gpus));
    }
    AddStragglerSavings(*in.stragglers, trace_gpus, &r.savings);
    for (const Diagnostic& d : in.stragglers->diagnostics.items()) {
      r.diagnostics.push_back(FormatDiagnostic(d));
    }
  }
  if (in.faults != nullptr) {
    r.faults = ToFaultPart(*in.faults);
    AddFaultSavings(*in.faults, gpus, &r.savings);
    for (const std::string& m : in.faults->absent_machines) {
      r.diagnostics.push_back("machine " + m + " absent from the whole metrics pull");
    }
    for (const Diagnostic& d : in.faults->diagnostics.items()) {
      r.diagnostics.push_back(FormatDiagnostic(d));
    }
  }
  if (in.plan != nullptr) AddOverlapSavings(*in.plan, &r.savings, &r.assumptions);
  r.assumptions.push_back(report::SavingsAssumption());
  return r;
}

}  // namespace trainscope::cli
