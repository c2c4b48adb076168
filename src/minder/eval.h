// SPDX-License-Identifier: Apache-2.0
// `trainscope minder eval`: full Minder and its baselines on the same data and seeds (Minder
// brief section 6). Faults are injected into every healthy recording (Exathlon traces, synthetic
// lock-step jobs); each recording's first `reference_seconds` are its healthy reference
// (per-machine bounds and score baselines, the role-aware mode that handles Exathlon's busy
// nodes). Thresholds are calibrated per method on the untouched healthy recordings of the OTHER
// time windows (leave-one-window-out) for zero alerts, times 1.1. Variants: minder, raw_distance
// (no VAE), mahalanobis (shrinkage), continuity_off, each metric alone. Metric priority is
// learned by a CART tree on injected windows of disjoint seeds. Outputs precision, recall and F1
// per fault type and overall, false alarms per machine-hour on untouched healthy recordings, and
// detection delay (median, p90) under 8-min and 1-min call schedules.
// Thread safety: pure; uses threads internally.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "base/status.h"
#include "minder/inject.h"
#include "minder/model_set.h"
#include "model/metric_table.h"

namespace trainscope::minder {

struct NamedTable {
  std::string name;  // e.g. the trace file stem "1_0_10000_17" or SMD "machine-1-6"
  model::MetricTable table;
};

struct EvalOptions {
  std::vector<NamedTable> traces;          // healthy recordings (Exathlon), loaded by the caller
  std::vector<int> synthetic_sizes;        // synthetic jobs of these N (e.g. 16, 64)
  // Exathlon with fewer machines (brief section 6: where peer comparison stops working): for
  // each k here (2 <= k < machines), every trace again with k of its machines, the dropped ones
  // rotating with the trace; family "exathlon-n<k>", same leave-one-window-out calibration.
  std::vector<int> exathlon_subsets = {3, 2};
  // Multi-machine jobs synthesised by the workload model (`trainscope workload synth`), names
  // already mapped to Minder's metrics; family "workload", one calibration group per job.
  std::vector<NamedTable> workload_jobs;
  int synthetic_seconds = 3600;
  int seeds = 3;
  int reference_seconds = 900;
  int top_metrics = 7;
  int tree_seeds = 3;  // injections per recording that train the metric-priority tree
  // Level metrics (memory, page counts) drift for hours and say nothing about lock-step
  // activity; like Minder (activity metrics: PFC, CPU, GPU, NVLink) they are not candidates.
  std::vector<std::string> exclude_prefixes = {"MEM_", "VM_", "node_memory"};
  std::vector<std::string> metric_order;   // empty: learned by the tree
  const ModelSet* models = nullptr;
  int threads = 0;
  uint64_t seed = 1;
  std::vector<NamedTable> smd_train, smd_test;  // optional per-machine part (same order)
  // Optional CSV, one row per (injected fault, channel): how visible the fault is and how the
  // full method's per-window outlier test saw it (for diagnosing missed faults).
  std::string fault_log;
  bool uniform_victims = false;  // InjectOptions::uniform_victims
  std::vector<FaultEffect> profiles;  // fault signatures; empty: DefaultFaultProfiles()
};

struct Prf {
  int tp_events = 0, fp_events = 0, faults = 0, detected = 0;
  double Precision() const { return tp_events + fp_events > 0 ? double(tp_events) / (tp_events + fp_events) : 0; }
  double Recall() const { return faults > 0 ? double(detected) / faults : 0; }
  double F1() const {
    double p = Precision(), r = Recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
};

struct VariantResult {
  std::string name;
  std::string family;  // "exathlon" or "synthetic"
  Prf overall;
  std::map<std::string, Prf> per_type;
  std::vector<double> thresholds;       // per calibration fold
  std::vector<double> delay_8min_s, delay_1min_s;
  int control_alerts = 0;               // alerts during many-machine negative controls
  int healthy_alerts = 0;
  double healthy_machine_hours = 0;
  // The same without double counting: recordings of one group that share machines and wall time
  // (Exathlon's traces of one time window) count that time once, and alerts on one machine that
  // overlap in time count as one episode.
  int healthy_distinct_alerts = 0;
  double healthy_distinct_machine_hours = 0;
};

struct SmdMachineResult {
  std::string machine;
  double precision = 0, recall = 0, f1 = 0, f1_point_adjusted = 0, threshold = 0;
};

struct EvalReport {
  std::vector<VariantResult> variants;
  std::map<std::string, std::vector<std::string>> learned_order;  // family -> channel order
  std::map<std::string, int> faults_injected;                     // family -> count
  // Full Minder's calibrated threshold per family and channel, one per calibration group.
  std::map<std::string, std::map<std::string, std::vector<double>>> channel_thresholds;
  int pure_peer_healthy_alerts = 0;     // Exathlon, no reference: the busy-node trap
  double pure_peer_machine_hours = 0;
  std::vector<std::string> pure_peer_alerted_machines;
  std::vector<SmdMachineResult> smd;
  double seconds = 0;
};

Result<EvalReport> RunEvaluation(const EvalOptions& options);
void PrintEvaluation(const EvalReport& report, std::FILE* out);
void WriteEvaluationJson(const EvalReport& report, JsonWriter* json);

}  // namespace trainscope::minder
