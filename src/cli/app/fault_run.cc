// SPDX-License-Identifier: Apache-2.0
// Runs Minder over a recording with the production call schedule and keeps the chart series.
#include "cli/app/fault_run.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "ingest/metrics/metric_readers.h"
#include "minder/model_set.h"
#include "minder/preprocess.h"
#include "minder/replay.h"
#include "model/metric_names.h"

namespace trainscope::cli {
namespace {

// Each machine's robust score per window, the detector's own statistic (MachineRobustZ: the
// median, MAD and spread floor RankWindows used, so the top machine's value is the window's z),
// then max-pooled to `max_points`.
std::vector<MachineScoreSeries> RobustSeries(const minder::Grid& grid,
                                             const minder::ChannelScores& scores,
                                             const minder::DetectOptions& detect, size_t max_points) {
  const size_t machines = grid.machines.size();
  const size_t windows = scores.machine_score.size();
  std::vector<MachineScoreSeries> out(machines);
  for (size_t m = 0; m < machines; ++m) out[m].machine = grid.machines[m];
  const double floor = minder::SpreadFloor(scores.machine_score, false, detect);
  const size_t bin = std::max<size_t>(1, (windows + max_points - 1) / std::max<size_t>(1, max_points));
  std::vector<double> pooled(machines);
  for (size_t w0 = 0; w0 < windows; w0 += bin) {
    std::fill(pooled.begin(), pooled.end(), std::nan(""));
    for (size_t w = w0; w < std::min(windows, w0 + bin); ++w) {
      const std::vector<float> z = minder::MachineRobustZ(scores.machine_score[w], floor);
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

}  // namespace

Result<FaultRun> RunFaultDetection(const std::vector<std::string>& files,
                                   const FaultRunOptions& options) {
  FaultRun run;
  TS_ASSIGN_OR_RETURN(model::MetricTable raw, ingest::LoadMetrics(files, {}, &run.diagnostics));
  model::MetricTable table = model::MapMetricNames(std::move(raw), model::DefaultMetricMappings(),
                                                   /*keep_unmapped=*/true, &run.diagnostics);
  const std::string dir = options.models_dir.empty() ? minder::DefaultModelsDir()
                                                     : options.models_dir;
  minder::DetectorDefaults defaults;
  if (auto loaded = minder::LoadDetectorDefaults(dir); loaded.ok()) defaults = *loaded;
  TS_ASSIGN_OR_RETURN(minder::ModelSet models, minder::ModelSet::Load(dir));
  TS_ASSIGN_OR_RETURN(minder::Grid grid, minder::BuildGrid(table, {}, &run.diagnostics));
  minder::DetectOptions detect;
  detect.threshold = defaults.threshold;
  detect.channel_thresholds = defaults.channel_thresholds;
  detect.metric_order = defaults.order;
  detect.threads = options.threads;
  run.threshold = detect.threshold;
  run.machines = static_cast<int>(grid.machines.size());
  run.seconds = grid.steps;
  run.t0_ns = grid.t0_ns;
  run.absent_machines = grid.absent;

  std::vector<std::string> channels_tried;
  if (grid.steps > options.pull_seconds) {
    minder::ReplayOptions replay;
    replay.detect = detect;
    replay.every_seconds = options.every_seconds;
    replay.pull_seconds = options.pull_seconds;
    TS_ASSIGN_OR_RETURN(minder::ReplayResult rr, minder::Replay(grid, &models, replay));
    run.calls = rr.calls;
    run.verdict = minder::VerdictOf(rr);
    run.inconclusive = rr.inconclusive;
    std::set<std::string> seen;
    for (const minder::CallAlert& ca : rr.alerts) {
      if (seen.insert(ca.alert.machine).second) run.alerts.push_back(ca.alert);
    }
  } else {
    TS_ASSIGN_OR_RETURN(minder::Detection det, minder::Detect(grid, &models, detect));
    run.calls = 1;
    run.alerts = det.alerts;
    run.verdict = minder::VerdictOf(det);
    run.inconclusive = det.inconclusive;
    channels_tried = det.channels_tried;
  }
  std::sort(run.alerts.begin(), run.alerts.end(),
            [](const minder::Alert& a, const minder::Alert& b) { return a.start_ns < b.start_ns; });

  // The chart shows the deciding channel: the first alert's, else the top-priority one present.
  size_t channel = grid.channels.size();
  auto find = [&](const std::string& name) {
    for (size_t c = 0; c < grid.channels.size(); ++c) {
      if (grid.channels[c].name == name || grid.channels[c].metric == name) return c;
    }
    return grid.channels.size();
  };
  if (!run.alerts.empty()) channel = find(run.alerts.front().metric);
  for (size_t i = 0; channel == grid.channels.size() && i < detect.metric_order.size(); ++i) {
    channel = find(detect.metric_order[i]);
  }
  if (channel == grid.channels.size() && !grid.channels.empty()) channel = 0;
  if (channel < grid.channels.size()) {
    run.deciding_metric = grid.channels[channel].name;
    run.threshold = detect.ThresholdFor(run.deciding_metric);
    minder::Grid normalised = grid;
    minder::NormaliseGrid(&normalised, nullptr);
    const minder::MetricModel* mm = models.Find(grid.channels[channel].metric);
    minder::ChannelScores scores = minder::ScoreChannel(
        normalised, channel, mm != nullptr ? &mm->vae : nullptr, detect, true);
    run.series = RobustSeries(normalised, scores, detect, options.max_points);
  }
  return run;
}

}  // namespace trainscope::cli
