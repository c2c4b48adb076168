// SPDX-License-Identifier: Apache-2.0
// Training the per-metric model set on healthy data (Minder brief section 3: healthy windows
// pooled across machines and jobs per metric, one small model file per metric with its bounds),
// plus a generic model trained on windows of every metric, used for metric names without a model.
// Thread safety: pure; trains metrics in parallel with ParallelFor.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "minder/model_set.h"
#include "minder/preprocess.h"

namespace trainscope::minder {

struct TrainOptions {
  VaeTrainOptions vae;
  std::vector<std::string> metrics;  // empty: every metric of the grids
  bool generic = true;               // also train the generic model on all windows
  std::string provenance = "user data";
  int threads = 0;
};

struct TrainedMetric {
  std::string metric;
  VaeTrainReport report;
};

// Complete (no missing value) normalised windows of a channel, 8 x count.
Eigen::MatrixXd HealthyWindows(const Grid& grid, size_t channel, int stride);

// Trains on `grids` (each normalised here with its own robust bounds). `reports` gets one entry
// per model trained (with time and reached MSE).
Result<ModelSet> TrainModels(const std::vector<Grid>& grids, const TrainOptions& options,
                             std::vector<TrainedMetric>* reports);

}  // namespace trainscope::minder
