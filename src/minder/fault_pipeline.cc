// SPDX-License-Identifier: Apache-2.0
// Minder over a recording with the production call schedule, and the deciding metric's chart.
#include "minder/fault_pipeline.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "minder/model_set.h"
#include "minder/preprocess.h"
#include "minder/replay.h"
#include "minder/sampling.h"
#include "model/metric_names.h"

namespace trainscope::minder {
namespace {

// Each machine's robust z per window, the detector's own statistic (MachineRobustZ: the median,
// MAD and spread floor RankWindows used, so the top machine's value is the window's z), then
// max-pooled to `max_points` bins of consecutive windows.
std::vector<MachineScoreSeries> RobustSeries(const Grid& grid, const ChannelScores& scores,
                                             const DetectOptions& detect, size_t max_points) {
  const size_t machines = grid.machines.size();
  const size_t windows = scores.machine_score.size();
  std::vector<MachineScoreSeries> out(machines);
  for (size_t m = 0; m < machines; ++m) out[m].machine = grid.machines[m];
  const double floor = SpreadFloor(scores.machine_score, false, detect);
  const size_t bin =
      std::max<size_t>(1, (windows + max_points - 1) / std::max<size_t>(1, max_points));
  std::vector<double> pooled(machines);
  for (size_t w0 = 0; w0 < windows; w0 += bin) {
    std::fill(pooled.begin(), pooled.end(), std::nan(""));
    for (size_t w = w0; w < std::min(windows, w0 + bin); ++w) {
      const std::vector<float> z = MachineRobustZ(scores.machine_score[w], floor);
      for (size_t m = 0; m < machines && m < z.size(); ++m) {
        if (!std::isfinite(z[m])) continue;
        if (!(pooled[m] >= z[m])) pooled[m] = z[m];
      }
    }
    for (size_t m = 0; m < machines; ++m) {
      out[m].t_s.push_back(static_cast<double>(w0));
      out[m].z.push_back(pooled[m]);
    }
  }
  return out;
}

// The call schedule: one Detect when the recording fits in one pull, else Replay. Fills the
// alerts (one per machine, from its first call to its last, time order), verdict, reasons and call
// count.
Status RunSchedule(const Grid& grid, const ModelSet& models, const DetectOptions& detect,
                   const FaultRunOptions& options, FaultRun* run) {
  if (grid.steps > options.pull_seconds) {
    ReplayOptions replay;
    replay.detect = detect;
    replay.every_seconds = options.every_seconds;
    replay.pull_seconds = options.pull_seconds;
    TS_ASSIGN_OR_RETURN(ReplayResult result, Replay(grid, &models, replay));
    run->calls = result.calls;
    run->verdict = VerdictOf(result);
    run->inconclusive = result.inconclusive;
    // One alert per machine: the first call's (its score, metric and start), its window
    // extended to the end of the last call that still alerted on the machine (a fault the later
    // calls keep seeing runs on; the first call's window ended with that call's pull).
    std::map<std::string, size_t> index;
    for (const CallAlert& call_alert : result.alerts) {
      const Alert& a = call_alert.alert;
      auto [it, first] = index.emplace(a.machine, run->alerts.size());
      if (first) {
        run->alerts.push_back(a);
      } else {
        run->alerts[it->second].end_ns = std::max(run->alerts[it->second].end_ns, a.end_ns);
      }
    }
  } else {
    TS_ASSIGN_OR_RETURN(Detection detection, Detect(grid, &models, detect));
    run->calls = 1;
    run->alerts = detection.alerts;
    run->verdict = VerdictOf(detection);
    run->inconclusive = detection.inconclusive;
  }
  std::sort(run->alerts.begin(), run->alerts.end(),
            [](const Alert& a, const Alert& b) { return a.start_ns < b.start_ns; });
  return OkStatus();
}

// The chart's channel: the first alert's, else the top-priority one present, else the first.
// grid.channels.size() when the grid has none.
size_t DecidingChannel(const Grid& grid, const FaultRun& run, const DetectOptions& detect) {
  auto find = [&](const std::string& name) {
    for (size_t c = 0; c < grid.channels.size(); ++c) {
      if (grid.channels[c].name == name || grid.channels[c].metric == name) return c;
    }
    return grid.channels.size();
  };
  size_t channel = grid.channels.size();
  if (!run.alerts.empty()) channel = find(run.alerts.front().metric);
  for (size_t i = 0; channel == grid.channels.size() && i < detect.metric_order.size(); ++i) {
    channel = find(detect.metric_order[i]);
  }
  if (channel == grid.channels.size() && !grid.channels.empty()) channel = 0;
  return channel;
}

}  // namespace

Result<FaultRun> RunFaultDetection(model::MetricTable raw, const FaultRunOptions& options,
                                   Diagnostics reading) {
  FaultRun run;
  run.diagnostics = std::move(reading);
  model::MetricTable table = model::MapMetricNames(std::move(raw), model::DefaultMetricMappings(),
                                                   /*keep_unmapped=*/true, &run.diagnostics);
  std::string dir = options.models_dir;
  if (dir.empty()) {
    TS_ASSIGN_OR_RETURN(dir, FindModelsDir());
  }
  TS_ASSIGN_OR_RETURN(DetectorDefaults defaults,
                      LoadDetectorDefaultsOrBuiltIn(dir, &run.diagnostics));
  TS_ASSIGN_OR_RETURN(ModelSet models, ModelSet::Load(dir));
  // Sampling coarser than Minder's 1 s: no call can be made (as `minder detect` says).
  const std::string coarse = CoarseSamplingReason(table);
  TS_ASSIGN_OR_RETURN(Grid grid, BuildGrid(table, {}, &run.diagnostics));
  DetectOptions detect;
  detect.threshold = defaults.threshold;
  detect.channel_thresholds = defaults.channel_thresholds;
  detect.metric_order = defaults.order;
  detect.threads = options.threads;
  detect.continuity_windows = std::max(1, options.continuity_windows);
  run.threshold = detect.threshold;
  run.machines = static_cast<int>(grid.machines.size());
  run.seconds = grid.steps;
  run.t0_ns = grid.t0_ns;
  run.absent_machines = grid.absent;
  if (!coarse.empty()) {
    run.calls = 0;
    run.verdict = Verdict::kInconclusive;
    run.inconclusive = {coarse};
    return run;
  }
  TS_RETURN_IF_ERROR(RunSchedule(grid, models, detect, options, &run));

  const size_t channel = DecidingChannel(grid, run, detect);
  if (channel < grid.channels.size()) {
    run.deciding_metric = grid.channels[channel].name;
    run.threshold = detect.ThresholdFor(run.deciding_metric);
  }
  if (channel < grid.channels.size() && options.max_points > 0) {
    Grid normalised = grid;
    NormaliseGrid(&normalised, nullptr);
    const MetricModel* model = models.Find(grid.channels[channel].metric);
    const ChannelScores scores =
        ScoreChannel(normalised, channel, model != nullptr ? &model->vae : nullptr, detect,
                     /*keep_machine_scores=*/true);
    run.series = RobustSeries(normalised, scores, detect, options.max_points);
  }
  return run;
}

}  // namespace trainscope::minder
