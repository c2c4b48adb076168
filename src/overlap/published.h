// SPDX-License-Identifier: Apache-2.0
// The published Flux figures (overlap/data/flux_published.csv, built into the library) and
// the overlap predictor's error on them. Rows are `fit` (the presets' efficiencies were
// fitted on them) or `check` (never used to fit: the predictor's honest error). A point row
// has the published times (T_g = the faster GEMM, T_c = torch total, T_f = Flux total); a
// range row only the published E interval for its shape.
// Units: seconds. Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "overlap/problem.h"

namespace trainscope::overlap {

struct PublishedRow {
  std::string id, role, gpu, source;
  OpKind op = OpKind::kAgGemm;
  int64_t m = 0, n = 0, k = 0;  // global, paper convention
  int tp = 0;
  bool has_times = false;
  double t_gemm_s = 0, t_torch_gemm_s = 0, t_nonoverlap_s = 0, t_fused_s = 0;
  double e_min = 0, e_max = 0;  // measured E (point rows: both the same)
  int line = 0;                 // CSV line, for messages
};

// Parses CSV text (the format of data/flux_published.csv); errors name `origin`:line.
Result<std::vector<PublishedRow>> ParsePublished(std::string_view csv, std::string_view origin);
// The built-in rows.
const std::vector<PublishedRow>& PublishedRows();

struct RowCheck {
  const PublishedRow* row = nullptr;
  double predicted_t_fused_s = 0, predicted_e = 0;
  double t_fused_error = 0;  // predicted / published - 1 (point rows; NaN for range rows)
  double e_error = 0;        // distance of the predicted E from [e_min, e_max] (signed)
};

// Predicts every row with its GPU's preset (Flux's 128 x 256 tiles, 128-row comm tiles).
Result<std::vector<RowCheck>> CheckPublished(const std::vector<PublishedRow>& rows);

// The predictor's error on the check rows: the largest |T_f error| over point rows and the
// largest |E error| over all check rows (the uncertainty quoted with a prediction).
struct PredictorError {
  double t_fused_max_abs = 0, e_max_abs = 0;
  double e_point_max_abs = 0;  // over the point rows only (shapes with published times)
  int point_rows = 0, range_rows = 0;
};
PredictorError CheckRowError(const std::vector<RowCheck>& checks);
// Of the built-in rows (computed once).
const PredictorError& BuiltinPredictorError();

}  // namespace trainscope::overlap
