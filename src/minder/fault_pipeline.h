// SPDX-License-Identifier: Apache-2.0
// The fault pipeline: Minder on a whole metrics recording, as `trainscope report` and `demo` run
// it. Maps exporter names to Minder's metrics, aligns the samples on the 1 s grid, runs the
// production call schedule (a call every `every_seconds` over the last `pull_seconds`; one call
// when the recording is no longer than a pull) with the models and detector defaults of
// `models_dir`, and keeps, for the deciding metric, every machine's robust z over time (the
// detector's own statistic, MachineRobustZ) for the report's chart.
//
// Reading the files is the caller's job (ingest/metrics LoadMetrics: analyses never include
// parsers); pass the table as read, with the diagnostics reading it produced.
// Units: times in seconds from the first sample of the grid (t0_ns), except Alert times (ns).
// Thread safety: reentrant; `threads` bounds the parallelism of one call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "minder/detector.h"
#include "model/metric_table.h"

namespace trainscope::minder {

struct MachineScoreSeries {
  std::string machine;
  std::vector<double> t_s;  // seconds since the start of the recording (first window of a bin)
  std::vector<double> z;    // the machine's robust z (max over the bin; NaN: not judged)
};

struct FaultRun {
  std::vector<Alert> alerts;  // first alert per machine, in time order
  Verdict verdict = Verdict::kHealthy;
  std::vector<std::string> inconclusive;  // why the data cannot support a verdict
  std::string deciding_metric;  // channel of the first alert, else the top-priority one present
  double threshold = 0;         // the deciding channel's threshold (robust z)
  int machines = 0;
  int seconds = 0;  // length of the grid
  int calls = 0;    // detection calls made
  int64_t t0_ns = 0;
  std::vector<std::string> absent_machines;
  std::vector<MachineScoreSeries> series;  // deciding metric, max-pooled to max_points
  Diagnostics diagnostics;                 // reading (as passed in), name mapping, grid, defaults
};

struct FaultRunOptions {
  std::string models_dir;  // empty: DefaultModelsDir()
  int threads = 0;         // 0: all cores
  int every_seconds = 480;
  int pull_seconds = 900;
  int continuity_windows = 240;  // DetectOptions::continuity_windows
  size_t max_points = 240;       // per machine in the chart series (0: no chart series)
};

// Runs the pipeline on `raw` (metric names as exported; the default name rules map them,
// unmapped ones are kept). `reading` holds the diagnostics of reading `raw`; they come first in
// FaultRun::diagnostics. Errors: unreadable models or detector.txt (file and line), a table
// the grid cannot be built from. A models folder without detector.txt runs with the built-in
// defaults and a `detector_defaults_absent` diagnostic. Data too poor for a verdict is not an
// error: FaultRun::verdict is kInconclusive with the reasons.
Result<FaultRun> RunFaultDetection(model::MetricTable raw, const FaultRunOptions& options,
                                   Diagnostics reading = {});

}  // namespace trainscope::minder
