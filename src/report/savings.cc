// SPDX-License-Identifier: Apache-2.0
// The savings model (see savings.h).
#include "report/savings.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace trainscope::report {

double GpuHoursPerDay(double gpus, double gain) { return gpus * kHoursPerDay * gain; }

double StragglerRemovalGain(double slowdown) { return std::max(0.0, 1 - 1 / slowdown); }

double SlowWorkerGain(double alone_slowdown, double slowdown) {
  return std::clamp((alone_slowdown - 1.0) / slowdown, 0.0, 1.0);
}

double SelectionGain(double t_ori_s, double t_rem_s) {
  if (!(t_ori_s > 0) || !(t_rem_s < t_ori_s)) return 0;
  return std::max(0.0, (t_ori_s - t_rem_s) / t_ori_s);
}

double FaultGpuHoursPerIncident(double gpus, double triage_hours, double delay_hours) {
  return gpus * std::max(0.0, triage_hours - delay_hours);
}

double TpOverlapGain(double exposed_comm_saved_s, double layers_per_stage, double microbatches,
                     double step_time_s) {
  // Two GEMM pairs per layer (attention, MLP), each in the forward and the backward pass.
  const double saved_s = exposed_comm_saved_s * layers_per_stage * microbatches * 2 * 2;
  return std::clamp(saved_s / step_time_s, 0.0, 1.0);
}

Saving StragglerRemovalSaving(double gpus, double slowdown) {
  const double gain = StragglerRemovalGain(slowdown);
  return {"remove all straggling (every op at its ideal duration)", GpuHoursPerDay(gpus, gain),
          "day", gain,
          fmt::format("S = {:.3f}: the traced step is {:.3f}x the step with every op at its ideal "
                      "duration",
                      slowdown, slowdown)};
}

Saving SlowWorkerSaving(double gpus, double slowdown, double alone_slowdown,
                        std::string_view worker) {
  const double gain = SlowWorkerGain(alone_slowdown, slowdown);
  return {fmt::format("fix the slow worker {} (as the last one slow)", worker),
          GpuHoursPerDay(gpus, gain), "day", gain,
          fmt::format("the share of the step this worker costs on its own: with every other op "
                      "ideal, its traced speed makes the step {:.3f}x the ideal; while other "
                      "workers still straggle, fixing it alone saves less (see the next rows)",
                      alone_slowdown)};
}

std::optional<Saving> SelectionSaving(double gpus, double t_ori_s, double t_rem_s, double rem_share,
                                      std::string action) {
  const double gain = SelectionGain(t_ori_s, t_rem_s);
  if (!(gain >= kMinSelectionGain)) return std::nullopt;
  return Saving{std::move(action), GpuHoursPerDay(gpus, gain), "day", gain,
                fmt::format("fixed while everything else stays as traced: removes {:.0f}% of "
                            "the straggling (the rest still holds the step back)",
                            100 * rem_share)};
}

Saving FaultSaving(double gpus, std::string_view machine, std::string_view metric, double score,
                   double margin) {
  return {fmt::format("evict machine {} (Minder alert) instead of manual triage", machine),
          FaultGpuHoursPerIncident(gpus), "incident", 0,
          fmt::format("the whole job waits for the faulty machine: Minder names it {:.0f} min "
                      "after the fault starts versus {:.0f} min of manual triage, on all {:.0f} "
                      "GPUs (metric {}, score {:.1f}, margin {:.1f})",
                      kMinderDelayHours * 60, kManualTriageHours * 60, gpus, metric, score,
                      margin)};
}

Saving TpOverlapSaving(double gpus, int tp, double gain, double ag_efficiency_fused,
                       double rs_efficiency_fused) {
  return {fmt::format("fuse TP communication into the GEMMs (Flux, TP {})", tp),
          GpuHoursPerDay(gpus, gain), "day", gain,
          fmt::format("fused E = {:.2f} (AG) / {:.2f} (RS) on the MLP shapes", ag_efficiency_fused,
                      rs_efficiency_fused)};
}

std::string SavingsAssumption() {
  return fmt::format(
      "Savings: GPU-hours per day = GPUs x 24 h x step-time fraction saved; a faulty machine "
      "saves GPUs x (manual triage {:.0f} min - Minder delay {:.0f} min) per incident",
      kManualTriageHours * 60, kMinderDelayHours * 60);
}

}  // namespace trainscope::report
