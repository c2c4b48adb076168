// SPDX-License-Identifier: Apache-2.0
// The savings model of the report: what fixing each finding saves, in GPU-hours, from plain
// numbers (no analysis types). Stated in every report's assumptions (SavingsAssumption):
//  - steady-state savings: GPU-hours per day = GPUs x 24 h x the fraction of step time saved;
//  - stragglers (OSDI'25 what-if): removing all straggling saves 1 - 1/S of the step (S: the
//    slowdown over the ideal replay); fixing the one slow worker the classifier isolates saves
//    (alone - 1) / S, clamped to [0, 1] (its "alone" slowdown in the add view: it costs
//    (alone - 1) x T_ideal of the T_ori = S x T_ideal step); fixing the M_W workers or the M_S
//    stage saves (T_ori - T_rem) / T_ori, T_rem the step time with only them fixed (rem view);
//  - a faulty machine found by Minder (NSDI'25): GPUs x (manual triage time - Minder's detection
//    delay) per incident; triage > 30 min (section 1), delay = the 4-min continuity window plus
//    half of the 8-min call period;
//  - Flux-style TP overlap: the exposed TP communication hidden per layer and GEMM pair (overlap
//    simulator) x layers per stage x microbatches x 2 (attention, MLP) x 2 (forward, backward),
//    over the step time, clamped to [0, 1].
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "report/job_report.h"

namespace trainscope::report {

inline constexpr double kHoursPerDay = 24;
// Manual triage time per fault replaced by Minder's alert (NSDI'25 section 1: > 30 min).
inline constexpr double kManualTriageHours = 0.5;
// Minder's detection delay: 240 s continuity + half of the 480 s call period = 8 min.
inline constexpr double kMinderDelayHours = (240.0 + 240.0) / 3600.0;
// A selection (M_W, M_S) saving less than this fraction of the step explains nothing (ties).
inline constexpr double kMinSelectionGain = 1e-3;

// GPU-hours per day: gpus x 24 h x gain (gain: fraction of step time saved).
double GpuHoursPerDay(double gpus, double gain);
// Removing all straggling: max(0, 1 - 1/S).
double StragglerRemovalGain(double slowdown);
// Fixing one worker whose alone slowdown is `alone_slowdown`: clamp((alone - 1) / S, 0, 1).
double SlowWorkerGain(double alone_slowdown, double slowdown);
// Fixing a selection: max(0, (T_ori - T_rem) / T_ori); 0 when T_ori <= 0 or T_rem >= T_ori.
double SelectionGain(double t_ori_s, double t_rem_s);
// GPU-hours saved per faulty machine found: gpus x max(0, triage - delay).
double FaultGpuHoursPerIncident(double gpus, double triage_hours = kManualTriageHours,
                                double delay_hours = kMinderDelayHours);
// Flux TP overlap: clamp(saved x layers_per_stage x microbatches x 2 x 2 / step_time, 0, 1).
double TpOverlapGain(double exposed_comm_saved_s, double layers_per_stage, double microbatches,
                     double step_time_s);

// The report's savings entries (action, GPU-hours, basis, gain, evidence). The callers decide
// which findings apply (straggler savings only when S > 1).
Saving StragglerRemovalSaving(double gpus, double slowdown);
Saving SlowWorkerSaving(double gpus, double slowdown, double alone_slowdown,
                        std::string_view worker);
// nullopt when the selection saves nothing (gain below kMinSelectionGain or no T_ori).
// `rem_share`: the share of the straggling the selection removes (0..1, for the evidence).
std::optional<Saving> SelectionSaving(double gpus, double t_ori_s, double t_rem_s, double rem_share,
                                      std::string action);
Saving FaultSaving(double gpus, std::string_view machine, std::string_view metric, double score,
                   double margin);
Saving TpOverlapSaving(double gpus, int tp, double gain, double ag_efficiency_fused,
                       double rs_efficiency_fused);
// The assumption line every report states.
std::string SavingsAssumption();

}  // namespace trainscope::report
