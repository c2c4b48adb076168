// SPDX-License-Identifier: Apache-2.0
// The straggler what-if pipeline of one job, as `whatif`, `report` and `demo` run it, for op
// tables and Kineto traces alike: read the files, build the ReplayModel with the builder the
// input needs (Megatron op table or Kineto trace), analyse, classify the cause, and collect the
// readers', builders' and analysis' diagnostics. Thread safety: reentrant.
#pragma once

#include <string>

#include "base/diagnostics.h"
#include "base/status.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/replay_batch.h"
#include "whatif/replay_model.h"

namespace trainscope::pipeline {

struct StragglerRun {
  std::string source;  // the op table's CSV, or the Kineto path
  whatif::ReplayModel model;
  whatif::WhatIfResult result;
  whatif::Cause cause;
  Diagnostics diagnostics;
  // Why the input lost too much to judge (empty: it did not); makes the result inconclusive.
  std::string input_loss;
};

struct StragglerOptions {
  int threads = 1;
  // Not owned; e.g. MPI: the independent replays are split over its processes (collective then:
  // every process calls RunStragglerAnalysis with the same input).
  whatif::TaskDistributor* distributor = nullptr;
  double straggling_threshold = 1.1;  // S at or above: the job straggles
  whatif::CauseThresholds thresholds;
};

// `path`: an op-table folder (trace-*.csv[.gz] + meta-*.yaml) or the CSV itself, or a Kineto
// trace (.json[.gz]) or a folder of per-rank Kineto traces.
Result<StragglerRun> RunStragglerAnalysis(const std::string& path, const StragglerOptions& options);

}  // namespace trainscope::pipeline
