// SPDX-License-Identifier: Apache-2.0
// ModelSet: one trained LSTM-VAE per metric plus a generic one for any other metric name, each
// stored as a small text file `<metric>.vae` with its normalisation bounds (Minder brief section
// 8). The windows are min-max normalised, so the generic shape model carries over to metrics
// that have no model of their own. Thread safety: const access from many threads is safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "minder/lstm_vae.h"

namespace trainscope::minder {

struct MetricModel {
  LstmVae vae;
  double lo = 0, hi = 1;    // bounds of the training data (raw units), recorded
  double train_mse = 0;     // reconstruction MSE reached on the training windows
  int epochs = 0;
  std::string trained_on;   // provenance (data set and licence)
};

class ModelSet {
 public:
  static constexpr const char* kGeneric = "generic";
  // The model for `metric` (a `[min]` suffix is ignored), else the generic one, else nullptr.
  const MetricModel* Find(const std::string& metric) const;
  void Put(const std::string& metric, MetricModel model) { models_[metric] = std::move(model); }
  const std::map<std::string, MetricModel>& models() const { return models_; }
  bool empty() const { return models_.empty(); }

  // Writes `<dir>/<metric>.vae` for every model (creates `dir`).
  Status Save(const std::string& dir) const;
  // Reads every `*.vae` file of `dir`. Errors name the file and line.
  static Result<ModelSet> Load(const std::string& dir);

 private:
  std::map<std::string, MetricModel> models_;
};

// Detector defaults shipped beside the models (`detector.txt`): the calibrated threshold and the
// learned metric priority. Lines: `threshold <z>`, `order <m1,m2,...>`, `# comment`.
struct DetectorDefaults {
  double threshold = 6.0;                            // channels without their own
  std::map<std::string, double> channel_thresholds;  // `threshold <channel> <z>` lines
  std::vector<std::string> order;
};
Result<DetectorDefaults> LoadDetectorDefaults(const std::string& dir);
// The same, or the built-in DetectorDefaults{} when `dir` has no detector.txt (recorded in
// `diagnostics` as `detector_defaults_absent`). A detector.txt that exists but cannot be read or
// parsed is an error, never a silent fallback.
Result<DetectorDefaults> LoadDetectorDefaultsOrBuiltIn(const std::string& dir, Diagnostics* diagnostics);
Status SaveDetectorDefaults(const DetectorDefaults& defaults, const std::string& comment,
                            const std::string& dir);
// The shipped models folder: `$TRAINSCOPE_MINDER_MODELS` when set (it must exist), else
// `models/minder` under the first data root that has it (base/data_dir.h: $TRAINSCOPE_DATA_DIR,
// <prefix>/share/trainscope beside the executable, the source tree from the build tree).
// kNotFound names every place looked at.
Result<std::string> FindModelsDir();
// FindModelsDir(), or "" when the models are nowhere (for tests and benchmarks, which then fail
// on loading "" with a clear message).
std::string DefaultModelsDir();

Status SaveModel(const MetricModel& model, const std::string& metric, const std::string& path);
Result<MetricModel> LoadModel(const std::string& path, std::string* metric);

}  // namespace trainscope::minder
