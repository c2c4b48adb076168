// SPDX-License-Identifier: Apache-2.0
// StragglerRun: the what-if analysis of one job from its files (op-table folder or CSV), as the
// `whatif`, `report` and `demo` commands run it: read, build the Megatron dependency model,
// analyse, classify the cause, and collect diagnostics. KinetoStragglerRun: the same for
// PyTorch-profiler (Kineto) traces (`whatif` only), on the generic Kineto dependency model.
// Thread safety: reentrant.
#pragma once

#include <string>

#include "base/diagnostics.h"
#include "base/status.h"
#include "model/trace.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/kineto_analysis.h"
#include "whatif/kineto_model.h"
#include "whatif/megatron_model.h"
#include "whatif/op_job.h"
#include "whatif/replay_batch.h"

namespace trainscope::cli {

struct StragglerRun {
  std::string source;
  whatif::OpJob job;
  whatif::JobModel model;
  whatif::WhatIfResult result;
  whatif::Cause cause;
  Diagnostics diagnostics;
};

// `path`: an op-table folder (trace-*.csv[.gz] + meta-*.yaml) or the CSV itself.
// `distributor` (optional, e.g. MPI): the independent replays are split over its processes
// (collective then: every process calls this with the same input).
Result<StragglerRun> RunStragglerAnalysis(const std::string& path, int threads,
                                          whatif::TaskDistributor* distributor = nullptr);

// True when `path` is an op table (RunStragglerAnalysis), false for Kineto input.
bool IsOpTableInput(const std::string& path);

struct KinetoStragglerRun {
  std::string source;
  model::JobTrace trace;
  whatif::KinetoJobModel model;
  whatif::KinetoWhatIfResult result;
  whatif::Cause cause;
  Diagnostics diagnostics;  // the reader's and the model's
};

// `path`: a Kineto JSON file (.json / .json.gz) or a folder of per-rank files.
Result<KinetoStragglerRun> RunKinetoStragglerAnalysis(
    const std::string& path, int threads, whatif::TaskDistributor* distributor = nullptr);

}  // namespace trainscope::cli
