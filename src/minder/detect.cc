// SPDX-License-Identifier: Apache-2.0
// One detection call: normalisation, channel priority, the Mahalanobis baseline and references.
#include <algorithm>
#include <cmath>
#include <limits>

#include "base/parallel.h"
#include "minder/detector.h"

namespace trainscope::minder {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Channel indices in priority order: the named metrics first (mean, then [min]), then the rest.
std::vector<size_t> ChannelOrder(const Grid& grid, const std::vector<std::string>& order) {
  std::vector<size_t> out;
  std::vector<uint8_t> used(grid.channels.size(), 0);
  for (const std::string& name : order) {
    for (size_t c = 0; c < grid.channels.size(); ++c) {
      if (!used[c] && (grid.channels[c].metric == name || grid.channels[c].name == name)) {
        out.push_back(c);
        used[c] = 1;
      }
    }
  }
  for (size_t c = 0; c < grid.channels.size(); ++c) {
    if (!used[c]) out.push_back(c);
  }
  return out;
}

const LstmVae* VaeFor(const ModelSet* models, const std::string& metric) {
  if (models == nullptr) return nullptr;
  const MetricModel* m = models->Find(metric);
  return m == nullptr ? nullptr : &m->vae;
}

}  // namespace

void NormaliseGrid(Grid* grid, const Reference* ref) {
  const size_t T = static_cast<size_t>(grid->steps);
  for (Channel& ch : grid->channels) {
    if (ref != nullptr) {
      auto mb = ref->machine_bounds.find(ch.name);
      if (mb != ref->machine_bounds.end()) {
        for (size_t m = 0; m < grid->machines.size(); ++m) {
          auto it = mb->second.find(grid->machines[m]);
          double lo = 0, hi = 1;
          if (it != mb->second.end()) lo = it->second.first, hi = it->second.second;
          NormaliseValues(ch.values.data() + m * T, T, lo, hi);
        }
        continue;
      }
      auto it = ref->bounds.find(ch.name);
      if (it != ref->bounds.end()) {
        ch.lo = it->second.first;
        ch.hi = it->second.second;
        Normalise(&ch);
        continue;
      }
    }
    FitBounds(&ch);
    Normalise(&ch);
  }
}

ChannelScores ScoreMahalanobis(const Grid& grid, const DetectOptions& options) {
  ChannelScores out;
  out.name = "mahalanobis";
  const int machines = static_cast<int>(grid.machines.size());
  const int windows = std::max(0, grid.steps - kWindow + 1);
  const int dims = static_cast<int>(grid.channels.size());
  out.Reset(static_cast<size_t>(windows));
  const std::vector<float> baseline = ScoreBaselines(grid, out.name, options.reference);
  // [window][machine] distance of each machine to its peers (minus its healthy baseline).
  std::vector<std::vector<float>> score(static_cast<size_t>(windows), std::vector<float>(static_cast<size_t>(machines), kNaN));
  ParallelFor(static_cast<size_t>(windows), options.threads, [&](size_t w) {
    // Each machine's vector of window means over all channels.
    std::vector<int> idx;
    std::vector<Eigen::VectorXd> vec;
    for (int m = 0; m < machines; ++m) {
      Eigen::VectorXd v(dims);
      bool ok = true;
      for (int c = 0; c < dims && ok; ++c) {
        double s = 0;
        for (int t = 0; t < kWindow; ++t) {
          float x = grid.At(static_cast<size_t>(c), static_cast<size_t>(m), w + static_cast<size_t>(t));
          if (std::isnan(x)) ok = false;
          s += x;
        }
        v[c] = s / kWindow;
      }
      if (ok) {
        idx.push_back(m);
        vec.push_back(std::move(v));
      }
    }
    const int n = static_cast<int>(idx.size());
    if (n < 3) return;
    // Peers' mean and covariance for each machine by leaving it out of the totals (O(N d^2)
    // per window instead of O(N^2 d^2)).
    Eigen::VectorXd total = Eigen::VectorXd::Zero(dims);
    Eigen::MatrixXd outer = Eigen::MatrixXd::Zero(dims, dims);
    for (const Eigen::VectorXd& v : vec) {
      total += v;
      outer.noalias() += v * v.transpose();
    }
    for (int i = 0; i < n; ++i) {
      const Eigen::VectorXd& own = vec[static_cast<size_t>(i)];
      Eigen::VectorXd mu = (total - own) / (n - 1);
      Eigen::MatrixXd cov = outer - own * own.transpose() - (n - 1) * mu * mu.transpose();
      cov /= std::max(1, n - 2);
      // Shrinkage towards a scaled identity (peers may be fewer than dimensions).
      const double alpha = 0.5;
      double scale = cov.trace() / dims + 1e-3;
      Eigen::MatrixXd shrunk = (1 - alpha) * cov;
      shrunk.diagonal().array() += alpha * scale;
      Eigen::VectorXd d = vec[static_cast<size_t>(i)] - mu;
      float v = static_cast<float>(std::sqrt(std::max(0.0, d.dot(shrunk.ldlt().solve(d)))));
      const size_t m = static_cast<size_t>(idx[static_cast<size_t>(i)]);
      score[w][m] = v - (baseline.empty() ? 0.f : baseline[m]);
    }
  });
  RankWindows(&score, !baseline.empty(), options, &out);
  return out;
}

Result<Detection> Detect(Grid grid, const ModelSet* models, const DetectOptions& options) {
  if (grid.machines.size() < 2) {
    return FailedPreconditionError(
        "only {} machine(s) with data ({}): Minder compares a machine with its peers, so a "
        "single machine cannot be judged", grid.machines.size(),
        grid.machines.empty() ? std::string("none") : grid.machines[0]);
  }
  if (options.method == Method::kMinder && (models == nullptr || models->empty())) {
    return FailedPreconditionError("Minder needs trained models (see `trainscope minder train`)");
  }
  NormaliseGrid(&grid, options.reference);
  Detection det;
  det.windows = std::max(0, grid.steps - kWindow + 1);
  if (options.method == Method::kMahalanobis) {
    ChannelScores scores = ScoreMahalanobis(grid, options);
    det.channels_tried.push_back(scores.name);
    det.alerts = FindAlerts(grid, scores, options);
    return det;
  }
  for (size_t c : ChannelOrder(grid, options.metric_order)) {
    const LstmVae* vae = options.method == Method::kMinder ? VaeFor(models, grid.channels[c].metric) : nullptr;
    ChannelScores scores = ScoreChannel(grid, c, vae, options, false);
    det.channels_tried.push_back(scores.name);
    std::vector<Alert> alerts = FindAlerts(grid, scores, options);
    det.alerts.insert(det.alerts.end(), alerts.begin(), alerts.end());
    if (!alerts.empty() && options.first_channel_decides) break;
  }
  return det;
}

Reference LearnReference(Grid grid, const ModelSet* models, const DetectOptions& options,
                         bool per_machine_bounds) {
  Reference ref;
  if (per_machine_bounds) {
    const size_t T = static_cast<size_t>(grid.steps);
    for (Channel& ch : grid.channels) {
      for (size_t m = 0; m < grid.machines.size(); ++m) {
        Channel one;
        one.values.assign(ch.values.begin() + static_cast<long>(m * T), ch.values.begin() + static_cast<long>((m + 1) * T));
        FitBounds(&one);
        ref.machine_bounds[ch.name][grid.machines[m]] = {one.lo, one.hi};
      }
    }
    // Fleet-wide floor on the range width.
    for (Channel& ch : grid.channels) {
      Channel all = ch;
      FitBounds(&all);
      double floor = 0.1 * (all.hi - all.lo);
      for (auto& [name, b] : ref.machine_bounds[ch.name]) {
        if (b.second - b.first < floor) b.second = b.first + floor;
      }
    }
    NormaliseGrid(&grid, &ref);
  } else {
    NormaliseGrid(&grid, nullptr);
    for (const Channel& ch : grid.channels) ref.bounds[ch.name] = {ch.lo, ch.hi};
  }
  auto learn = [&](const ChannelScores& scores) {
    std::vector<float> med(grid.machines.size(), kNaN);
    for (size_t m = 0; m < grid.machines.size(); ++m) {
      std::vector<float> v;
      for (const auto& row : scores.machine_score) if (!std::isnan(row[m])) v.push_back(row[m]);
      if (v.empty()) continue;
      std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
      med[m] = v[v.size() / 2];
    }
    for (size_t m = 0; m < grid.machines.size(); ++m) {
      if (!std::isnan(med[m])) ref.score_offset[scores.name][grid.machines[m]] = med[m];
    }
  };
  DetectOptions plain = options;
  plain.reference = nullptr;
  if (options.method == Method::kMahalanobis) {
    return ref;  // the baseline uses the bounds only
  }
  for (size_t c = 0; c < grid.channels.size(); ++c) {
    const LstmVae* vae = options.method == Method::kMinder ? VaeFor(models, grid.channels[c].metric) : nullptr;
    learn(ScoreChannel(grid, c, vae, plain, true));
  }
  return ref;
}

}  // namespace trainscope::minder
