// SPDX-License-Identifier: Apache-2.0
// Per-metric and generic LSTM-VAE training on healthy grids.
#include "minder/train.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

#include "base/parallel.h"

namespace trainscope::minder {

Eigen::MatrixXd HealthyWindows(const Grid& grid, size_t channel, int stride) {
  const int windows = std::max(0, grid.steps - kWindow + 1);
  std::vector<double> cols;
  for (size_t m = 0; m < grid.machines.size(); ++m) {
    for (int w = 0; w < windows; w += std::max(1, stride)) {
      bool ok = true;
      double buf[kWindow];
      for (int t = 0; t < kWindow && ok; ++t) {
        float v = grid.At(channel, m, static_cast<size_t>(w + t));
        ok = !std::isnan(v);
        buf[t] = v;
      }
      if (ok) cols.insert(cols.end(), buf, buf + kWindow);
    }
  }
  Eigen::MatrixXd out(kWindow, static_cast<Eigen::Index>(cols.size() / kWindow));
  std::copy(cols.begin(), cols.end(), out.data());
  return out;
}

Result<ModelSet> TrainModels(const std::vector<Grid>& grids, const TrainOptions& options,
                             std::vector<TrainedMetric>* reports) {
  // Pool windows per metric (mean channels only; [min] channels share the metric's model).
  std::map<std::string, std::vector<Eigen::MatrixXd>> pools;
  std::map<std::string, std::pair<double, double>> bounds;
  for (Grid grid : grids) {
    for (size_t c = 0; c < grid.channels.size(); ++c) {
      Channel& ch = grid.channels[c];
      if (ch.is_min) continue;
      FitBounds(&ch);
      Normalise(&ch);
      bounds[ch.metric] = {ch.lo, ch.hi};
      pools[ch.metric].push_back(HealthyWindows(grid, c, 1));
    }
  }
  if (pools.empty()) return FailedPreconditionError("no training windows (no metric with 8 s of complete data)");
  std::vector<std::string> names;
  std::vector<Eigen::MatrixXd> data;
  Eigen::Index generic_cols = 0;
  for (auto& [name, parts] : pools) {
    Eigen::Index cols = 0;
    for (const auto& p : parts) cols += p.cols();
    Eigen::MatrixXd all(kWindow, cols);
    Eigen::Index at = 0;
    for (const auto& p : parts) {
      all.middleCols(at, p.cols()) = p;
      at += p.cols();
    }
    generic_cols += cols;
    names.push_back(name);
    data.push_back(std::move(all));
  }
  // The generic model pools every metric; per-metric models only for the selected metrics.
  std::vector<std::string> all_names = names;
  std::vector<Eigen::MatrixXd> all_data = data;
  names.clear();
  data.clear();
  for (size_t k = 0; k < all_names.size(); ++k) {
    if (options.metrics.empty() ||
        std::find(options.metrics.begin(), options.metrics.end(), all_names[k]) != options.metrics.end()) {
      names.push_back(all_names[k]);
      data.push_back(all_data[k]);
    }
  }
  if (options.generic) {
    // An equal share of every metric's windows, so no metric dominates the shape model.
    Eigen::Index share = std::max<Eigen::Index>(1, options.vae.max_windows / static_cast<Eigen::Index>(all_data.size()));
    std::vector<double> cols;
    for (const auto& d : all_data) {
      Eigen::Index step = std::max<Eigen::Index>(1, d.cols() / share);
      for (Eigen::Index c = 0; c < d.cols(); c += step) cols.insert(cols.end(), d.col(c).data(), d.col(c).data() + kWindow);
    }
    Eigen::MatrixXd g(kWindow, static_cast<Eigen::Index>(cols.size() / kWindow));
    std::copy(cols.begin(), cols.end(), g.data());
    names.push_back(ModelSet::kGeneric);
    data.push_back(std::move(g));
    bounds[ModelSet::kGeneric] = {0.0, 1.0};
  }
  (void)generic_cols;
  std::vector<MetricModel> models(names.size());
  std::vector<VaeTrainReport> rep(names.size());
  ParallelFor(names.size(), options.threads, [&](size_t k) {
    MetricModel& m = models[k];
    m.vae.Initialize(options.vae.seed + k);
    rep[k] = m.vae.Train(data[k], options.vae);
    m.lo = bounds[names[k]].first;
    m.hi = bounds[names[k]].second;
    m.train_mse = rep[k].final_mse;
    m.epochs = rep[k].epochs;
    m.trained_on = options.provenance;
  });
  ModelSet set;
  for (size_t k = 0; k < names.size(); ++k) {
    if (reports != nullptr) reports->push_back({names[k], rep[k]});
    set.Put(names[k], std::move(models[k]));
  }
  return set;
}

}  // namespace trainscope::minder
