// SPDX-License-Identifier: Apache-2.0
// FaultRun: Minder on a metrics recording, as the `report` and `demo` commands run it: read the
// files (long CSV, Prometheus JSON or text), map names to Minder's metrics, align on the 1 s
// grid, run the production call schedule (every 8 min over the last 15 min) with the shipped
// models, and keep, for the deciding metric, every machine's robust score over time for the
// report's chart. Thread safety: reentrant.
#pragma once

#include <string>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "minder/detector.h"

namespace trainscope::cli {

struct MachineScoreSeries {
  std::string machine;
  std::vector<double> t_s;  // seconds since the start of the recording
  std::vector<double> z;    // robust outlier score of this machine (same units as threshold)
};

struct FaultRun {
  std::vector<minder::Alert> alerts;  // first alert per machine, in time order
  minder::Verdict verdict = minder::Verdict::kHealthy;
  std::vector<std::string> inconclusive;  // why the data cannot support a verdict
  std::string deciding_metric;        // channel of the first alert, else the top-priority one
  double threshold = 0;
  int machines = 0;
  int seconds = 0;
  int calls = 0;
  int64_t t0_ns = 0;
  std::vector<std::string> absent_machines;
  std::vector<MachineScoreSeries> series;  // deciding metric, downsampled for display
  Diagnostics diagnostics;
};

struct FaultRunOptions {
  std::string models_dir;  // empty: the shipped models
  int threads = 0;
  int every_seconds = 480;
  int pull_seconds = 900;
  size_t max_points = 240;  // per machine in the chart series
};

Result<FaultRun> RunFaultDetection(const std::vector<std::string>& files,
                                   const FaultRunOptions& options);

}  // namespace trainscope::cli
