// SPDX-License-Identifier: Apache-2.0
// `trainscope minder eval --zhejiang FILE`: Minder on real lock-step telemetry (issue 15 item 7).
//
// The recording is one real hour of per-second RoCE traffic per NIC of a 253-server A100
// training cluster (../shared/data/metrics/zhejiang-a100-roce). It has no fault labels, so faults
// are injected here, into the real rows, by an injector written for NIC telemetry:
//   nic_collapse  every NIC of the victim drops to 2 % of its traffic, and after a 10-60 s lag
//                 its peers (the rest of its population) slow to half: the job waits behind it;
//   half_rate     every NIC of the victim carries half its traffic;
//   one_nic_down  one busy NIC of a victim with at least two busy NICs carries nothing;
//   unreachable   the victim's rows are gone.
// Victims (machines carrying at least a quarter of the population's median traffic, so the fault
// changes something), start times and durations (5-20 min) are drawn by seed; one fault per
// trial. Populations are found by the tool (FindPeerGroups on the healthy hour): "lock-step" is
// the largest group whose members share one level, "mixed-role" the largest group whose members'
// levels differ (each machine scaled by its own level), at a looser correlation; or the user's
// (`--roce-groups FILE`, lines machine,population). Detection inside each call finds its own
// groups, as it would for a user.
// Each trial is replayed on the production schedule (a call every 8 min on the last 15 min). A
// fault is found when an alert names the victim in one of the first two calls that end at least
// 4 min (the continuity rule) after its onset; any alert naming another machine during a trial
// is a false alert. The untouched hour of each population gives false alarms per machine-hour.
// Methods: minder, raw_distance, mahalanobis, continuity_off (continuity 1 window, 8-s), and
// minder_reference: Minder with the hour's first 15 min as its healthy reference (peer groups,
// bounds and per-machine baselines learned there; the hour's first minutes miss many seconds, so
// this also checks that a reference with gaps is not silently used); only faults starting after
// the reference count in its row.
// Thread safety: pure.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "base/status.h"
#include "minder/detector.h"
#include "model/metric_table.h"

namespace trainscope::minder {

struct RoceEvalOptions {
  int seeds = 6;                  // trials per fault type and population
  int pull_seconds = 900, every_seconds = 480;
  uint64_t seed = 1;
  const ModelSet* models = nullptr;
  DetectOptions detect;           // thresholds, order, threads (method and continuity are varied)
  // Populations by name -> machines; empty: found by the tool on the healthy hour.
  std::map<std::string, std::vector<std::string>> populations;
  std::vector<std::string> methods = {"minder", "raw_distance", "mahalanobis", "continuity_off", "minder_reference"};
  std::vector<std::string> fault_types = {"nic_collapse", "half_rate", "one_nic_down", "unreachable"};
};

struct RoceCell {
  int faults = 0, found = 0, false_alerts = 0;
};

struct RocePopulationResult {
  std::string name;
  std::vector<std::string> machines;
  double mean_correlation = 0;
  double level_p10_mbps = 0, level_p90_mbps = 0;  // per-machine mean traffic (rx + tx)
  // method -> fault type -> cell
  std::map<std::string, std::map<std::string, RoceCell>> cells;
  std::map<std::string, int> healthy_alerts;  // method -> alerts on the untouched hour
  double healthy_machine_hours = 0;
  std::vector<std::string> missed;  // "method type victim start" of missed faults (minder only)
};

struct RoceEvalReport {
  std::vector<RocePopulationResult> populations;
  double seconds = 0;
};

// `table`: the recording as read (device column `nic`). Errors: no rdma_* metrics, no population.
Result<RoceEvalReport> RunRoceEvaluation(const model::MetricTable& table, const RoceEvalOptions& options);
void PrintRoceEvaluation(const RoceEvalReport& report, std::FILE* out);
void WriteRoceEvaluationJson(const RoceEvalReport& report, JsonWriter* json);

}  // namespace trainscope::minder
