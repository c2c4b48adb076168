// SPDX-License-Identifier: Apache-2.0
// "Will fusion pay on my job": the overlap predictor applied to each TP GEMM of a model's
// layer on the job's GPU, with the predictor's measured error (overlap/published.h) as its
// uncertainty. Callers describe the GEMMs (global shapes, paper convention: AG multiplies
// [m, k] by [k, n/tp], RS [m, k/tp] by [k/tp, n]) and how often each runs per step.
// Units: seconds. Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "overlap/published.h"
#include "overlap/simulator.h"

namespace trainscope::overlap {

struct TpGemm {
  std::string name;  // "attention QKV (AG)"
  OpKind op = OpKind::kAgGemm;
  int64_t m = 0, n = 0, k = 0;
  double calls_per_step = 0;  // per GPU: layers x microbatches x (forward + backward)
};

struct GemmAdvice {
  TpGemm gemm;
  SimResult predicted;
  double saved_per_call_s = 0;  // T_c - T_f
  double saved_per_step_s = 0;  // x calls_per_step
  double saved_low_s = 0;       // per step, with T_f at the top of its error band
  bool pays = false;            // saved even at the top of the band
};

struct FusionAdvice {
  std::string gpu_key, gpu_name;
  int tp = 0;
  std::vector<GemmAdvice> gemms;
  double saved_per_step_s = 0, saved_low_s = 0;
  PredictorError error;  // of the built-in published rows
};

// Errors: unknown GPU (named), bad shapes (tp must divide the sharded dimension).
Result<FusionAdvice> AdviseTpFusion(std::string_view gpu, int tp, const std::vector<TpGemm>& gemms);

// Plain-text lines, one per GEMM plus a header and a total.
std::vector<std::string> FormatFusionAdvice(const FusionAdvice& advice, double step_time_s);

}  // namespace trainscope::overlap
