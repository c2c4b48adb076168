// SPDX-License-Identifier: Apache-2.0
// Per-window scoring, the robust outlier test, continuity runs and metric priority.
#include "minder/detector.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/check.h"
#include "base/parallel.h"
#include "base/stats.h"
#include "minder/window_scores.h"

namespace trainscope::minder {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Robust outlier statistic of scores `s` (present machines `idx`): fills top, z, margin and the
// runner-up with its z.
void OutlierTest(const std::vector<float>& s, const std::vector<int>& idx, double mad_floor,
                 int* top, float* z, float* margin, int* second_top, float* second_z) {
  const RobustScale<float> fit = FitRobustScale(s, mad_floor);
  size_t best = 0, second = s.size() > 1 ? 1 : 0;
  if (s.size() > 1 && s[1] > s[0]) std::swap(best, second);
  for (size_t k = 2; k < s.size(); ++k) {
    if (s[k] > s[best]) {
      second = best;
      best = k;
    } else if (s[k] > s[second]) {
      second = k;
    }
  }
  *top = idx[best];
  *z = RobustZ(s[best], fit);
  *margin = (s[best] - s[second]) / fit.scale;
  *second_top = second != best ? idx[second] : -1;
  *second_z = RobustZ(s[second], fit);
}

}  // namespace

WindowPresence ClassifyWindow(int machines, int present, const DetectOptions& options) {
  const int absent = machines - present;
  // With 2 or 3 machines one absent one is already more than a quarter; it is still named.
  if (absent > 0 && present >= 1 && absent <= std::max(1.0, (1 - options.min_present_fraction) * machines)) {
    return WindowPresence::kMissingMachine;
  }
  if (2 * present < machines) return WindowPresence::kMostAbsent;
  return present >= 3 ? WindowPresence::kCompare : WindowPresence::kTooFew;
}

void ChannelScores::Reset(size_t windows) {
  candidate.assign(windows, -1);
  z.assign(windows, 0.f);
  margin.assign(windows, 0.f);
  missing.assign(windows, 0);
  gpu.assign(windows, -1);
  runner_up.assign(windows, -1);
  runner_up_z.assign(windows, 0.f);
}

// Per-machine median healthy scores of `channel` (empty without a reference); a machine the
// reference does not know gets the median of the known ones.
std::vector<float> ScoreBaselines(const Grid& grid, const std::string& channel, const Reference* ref) {
  if (ref == nullptr) return {};
  auto it = ref->score_offset.find(channel);
  if (it == ref->score_offset.end() || it->second.empty()) return {};
  std::vector<float> known;
  for (const auto& [machine, s] : it->second) known.push_back(static_cast<float>(s));
  const float fallback = MedianInPlace(std::span<float>(known));
  std::vector<float> base(grid.machines.size(), fallback);
  for (size_t m = 0; m < grid.machines.size(); ++m) {
    auto jt = it->second.find(grid.machines[m]);
    if (jt != it->second.end()) base[m] = static_cast<float>(jt->second);
  }
  return base;
}

double SpreadFloor(const std::vector<std::vector<float>>& score, bool departures, const DetectOptions& options) {
  std::vector<float> medians;
  for (size_t w = 0; w < score.size(); w += kSpreadFloorStride) {
    std::vector<float> s;
    for (float x : score[w]) {
      if (!std::isnan(x)) s.push_back(departures ? std::fabs(x) : x);
    }
    if (s.size() >= 3) medians.push_back(MedianInPlace(std::span<float>(s)));
  }
  if (medians.empty()) return options.mad_floor;
  return std::max(options.mad_floor, options.relative_spread_floor * static_cast<double>(MedianInPlace(std::span<float>(medians))));
}

std::vector<float> MachineRobustZ(const std::vector<float>& row, double floor) {
  std::vector<float> z(row.size(), kNaN);
  std::vector<float> present;
  for (float x : row) {
    if (!std::isnan(x)) present.push_back(x);
  }
  if (present.size() < 3) return z;  // as RankWindowsWithFloor
  const RobustScale<float> fit = FitRobustScale(present, floor);
  for (size_t m = 0; m < row.size(); ++m) {
    if (!std::isnan(row[m])) z[m] = RobustZ(row[m], fit);
  }
  return z;
}

void RankWindows(std::vector<std::vector<float>>* score, bool departures, const DetectOptions& options,
                 ChannelScores* out) {
  RankWindowsWithFloor(score, departures, SpreadFloor(*score, departures, options), options, out);
}

void RankWindowsWithFloor(std::vector<std::vector<float>>* score, bool departures, double floor,
                          const DetectOptions& options, ChannelScores* out) {
  const size_t windows = score->size();
  const size_t machines = windows == 0 ? 0 : (*score)[0].size();
  ParallelFor(windows, options.threads, [&](size_t w) {
    std::vector<float>& row = (*score)[w];
    std::vector<int> idx;
    std::vector<float> s;
    for (size_t m = 0; m < machines; ++m) {
      if (std::isnan(row[m])) continue;
      if (departures) row[m] = std::fabs(row[m]);
      idx.push_back(static_cast<int>(m));
      s.push_back(row[m]);
    }
    if (s.size() < 3) return;  // two machines cannot say which one differs
    int top = -1, second = -1;
    float z = 0, margin = 0, second_z = 0;
    OutlierTest(s, idx, floor, &top, &z, &margin, &second, &second_z);
    out->z[w] = z;
    out->margin[w] = margin;
    out->candidate[w] = top;  // FindAlerts applies the threshold
    out->runner_up[w] = second;
    out->runner_up_z[w] = second_z;
  });
}

void EmbedWindows(const LstmVae* vae, Embedding embedding, Eigen::MatrixXf* x) {
  if (vae == nullptr) return;
  if (embedding == Embedding::kLatentMean) {
    // The encoder sees the window with its level (the models were trained on such windows), so
    // the latent mean carries both.
    *x = vae->EncodeFloat(*x);
    return;
  }
  // The VAE denoises the window's shape; its level is carried around it (the models were
  // trained on healthy windows, so a level far outside that range, e.g. a machine dropping to
  // idle, would otherwise be "denoised" back towards healthy and hidden).
  Eigen::MatrixXf& block = *x;
  Eigen::RowVectorXf level = block.colwise().mean();
  block.rowwise() -= level;
  block.array() += 0.5f;
  Eigen::MatrixXf y = vae->ReconstructFloat(block);
  y.array() -= 0.5f;
  y.rowwise() += level;
  block = std::move(y);
}

ChannelScores ScoreChannel(const Grid& grid, size_t channel, const LstmVae* vae,
                           const DetectOptions& options, bool keep_machine_scores) {
  // This process's threads: a few windows at a time in per-thread buffers (window_scores.h);
  // the same scores as the whole-channel pass below (window_scores_test).
  if (options.distance_backend == nullptr) {
    return ScoreAllWindows(grid, channel, vae, options, keep_machine_scores);
  }
  ChannelScores out;
  out.name = grid.channels[channel].name;
  const int machines = static_cast<int>(grid.machines.size());
  const int windows = std::max(0, grid.steps - kWindow + 1);
  Eigen::MatrixXf x = ChannelWindows(grid, channel);
  std::vector<uint8_t> valid(static_cast<size_t>(x.cols()));
  for (Eigen::Index c = 0; c < x.cols(); ++c) {
    valid[static_cast<size_t>(c)] = x.col(c).allFinite() ? 1 : 0;
    if (!valid[static_cast<size_t>(c)]) x.col(c).setZero();
  }
  Eigen::MatrixXf e;
  static_assert(kLatent == kWindow, "latent and decoder embeddings share the distance code");
  if (vae != nullptr) {
    e.resize(x.rows(), x.cols());
    constexpr Eigen::Index kChunk = 8192;
    size_t chunks = static_cast<size_t>((x.cols() + kChunk - 1) / kChunk);
    ParallelFor(chunks, options.threads, [&](size_t k) {
      Eigen::Index first = static_cast<Eigen::Index>(k) * kChunk;
      Eigen::Index count = std::min(kChunk, x.cols() - first);
      Eigen::MatrixXf block = x.middleCols(first, count);
      EmbedWindows(vae, options.embedding, &block);
      e.middleCols(first, count) = block;
    });
  } else {
    e = std::move(x);
  }
  const std::vector<float> baseline = ScoreBaselines(grid, out.name, options.reference);
  out.Reset(static_cast<size_t>(windows));
  // [window][machine]: the machine's distance to its peers (minus its healthy baseline when a
  // reference is given); NaN where it is absent or the window is decided by missingness.
  std::vector<std::vector<float>> score(static_cast<size_t>(windows), std::vector<float>(static_cast<size_t>(machines), kNaN));
  const Channel& ch = grid.channels[channel];
  // Present machines of window `w` into `idx`; true when the window needs distances (false: too
  // few machines, or decided by missingness, which is recorded here).
  auto present = [&](size_t w, std::vector<int>* idx) {
    int first_missing = -1;
    for (int m = 0; m < machines; ++m) {
      if (!valid[static_cast<size_t>(m) * static_cast<size_t>(windows) + w]) {
        if (first_missing < 0) first_missing = m;
        continue;
      }
      idx->push_back(m);
    }
    switch (ClassifyWindow(machines, static_cast<int>(idx->size()), options)) {
      case WindowPresence::kCompare: return true;
      case WindowPresence::kTooFew: return false;
      case WindowPresence::kMostAbsent: out.candidate[w] = kUnobserved; return false;
      case WindowPresence::kMissingMachine: break;
    }
    out.candidate[w] = first_missing;
    out.missing[w] = 1;
    if (ch.is_min) out.gpu[w] = ch.gpu[static_cast<size_t>(first_missing) * static_cast<size_t>(grid.steps) + w + kWindow - 1];
    return false;
  };
  auto embedding = [&](size_t w, int m) {
    return e.col(static_cast<Eigen::Index>(static_cast<size_t>(m) * static_cast<size_t>(windows) + w)).data();
  };
  auto store = [&](size_t w, const std::vector<int>& idx, const float* s) {
    for (size_t k = 0; k < idx.size(); ++k) {
      const size_t m = static_cast<size_t>(idx[k]);
      score[w][m] = s[k] - (baseline.empty() ? 0.f : baseline[m]);
    }
  };
  if (options.distance_backend == nullptr) {
    ParallelFor(static_cast<size_t>(windows), options.threads, [&](size_t w) {
      std::vector<int> idx;
      if (!present(w, &idx)) return;
      std::vector<float> emb;
      for (int m : idx) emb.insert(emb.end(), embedding(w, m), embedding(w, m) + kWindow);
      std::vector<float> s(idx.size());
      MeanPairwiseDistances(emb.data(), kWindow, static_cast<int>(idx.size()), s.data());
      store(w, idx, s.data());
    });
  } else {
    // Gather every window's embeddings (kWindow x n row-major, back to back), one backend call on
    // this thread, scatter the scores.
    std::vector<std::vector<int>> idx(static_cast<size_t>(windows));
    std::vector<uint8_t> needed(static_cast<size_t>(windows), 0);
    ParallelFor(static_cast<size_t>(windows), options.threads,
                [&](size_t w) { needed[w] = present(w, &idx[w]) ? 1 : 0; });
    std::vector<size_t> which, offset;  // windows with distances, their first score
    size_t total = 0;
    for (size_t w = 0; w < static_cast<size_t>(windows); ++w) {
      if (!needed[w]) continue;
      which.push_back(w);
      offset.push_back(total);
      total += idx[w].size();
    }
    std::vector<float> et(total * kWindow), s(total);
    std::vector<const float*> et_ptr(which.size());
    std::vector<float*> s_ptr(which.size());
    std::vector<int> n(which.size());
    ParallelFor(which.size(), options.threads, [&](size_t k) {
      const std::vector<int>& present_idx = idx[which[k]];
      const size_t count = present_idx.size();
      float* dst = et.data() + offset[k] * kWindow;
      for (size_t j = 0; j < count; ++j) {
        const float* src = embedding(which[k], present_idx[j]);
        for (size_t d = 0; d < static_cast<size_t>(kWindow); ++d) dst[d * count + j] = src[d];
      }
      et_ptr[k] = dst;
      s_ptr[k] = s.data() + offset[k];
      n[k] = static_cast<int>(count);
    });
    const Status status = options.distance_backend->MeanDistances(kWindow, et_ptr, n, s_ptr);
    TS_CHECK(status.ok(), "distance backend failed on channel {}: {}", out.name, status.ToString());
    ParallelFor(which.size(), options.threads,
                [&](size_t k) { store(which[k], idx[which[k]], s_ptr[k]); });
  }
  RankWindows(&score, !baseline.empty(), options, &out);
  if (ch.is_min) {
    // The GPU giving the min at the window's last second.
    for (size_t w = 0; w < static_cast<size_t>(windows); ++w) {
      const int top = out.candidate[w];
      if (top >= 0 && !out.missing[w]) out.gpu[w] = ch.gpu[static_cast<size_t>(top) * static_cast<size_t>(grid.steps) + w + kWindow - 1];
    }
  }
  if (keep_machine_scores) out.machine_score = std::move(score);
  return out;
}

std::vector<Alert> FindAlerts(const Grid& grid, const ChannelScores& scores,
                              const DetectOptions& options) {
  std::vector<Alert> alerts;
  const int windows = static_cast<int>(scores.candidate.size());
  const int need = std::max(1, options.continuity_windows);
  const int max_gaps = static_cast<int>(options.gap_tolerance * need);
  const double threshold = options.ThresholdFor(scores.name);
  const double hold = std::min(1.0, std::max(0.0, options.hold_fraction)) * threshold;
  int run_machine = -1, run_start = 0, last_hit = 0, hits = 0, gaps = 0;
  double z_sum = 0, margin_sum = 0;
  bool alerted = false, run_missing = false;
  int run_gpu = -1;
  auto close_run = [&]() {
    if (run_machine >= 0 && alerted) {
      Alert& a = alerts.back();
      a.end_ns = grid.t0_ns + static_cast<int64_t>(last_hit + kWindow) * model::kNanosPerSecond;
      a.windows = hits;
      a.score = z_sum / hits;
      a.margin = margin_sum / hits;
    }
    run_machine = -1;
    alerted = false;
  };
  for (int w = 0; w < windows; ++w) {
    int c = scores.candidate[static_cast<size_t>(w)];
    if (c == kUnobserved) continue;  // no data from most machines: neither a hit nor a gap
    bool missing = scores.missing[static_cast<size_t>(w)] != 0;
    const float zw = scores.z[static_cast<size_t>(w)];
    float z_hit = zw;
    // The running candidate pushed to second place by another machine (a filled sample gap at a
    // phase edge, a short spike) while itself still an outlier: the run goes on through it. With
    // hundreds of machines such one-window leaders come every few seconds, and counting each as
    // a gap broke 4-minute runs of faults on top in 90 % of their windows.
    if (run_machine >= 0 && c != run_machine && !missing && scores.runner_up[static_cast<size_t>(w)] == run_machine &&
        scores.runner_up_z[static_cast<size_t>(w)] >= hold) {
      c = run_machine;
      z_hit = scores.runner_up_z[static_cast<size_t>(w)];
    }
    // Over the threshold, or (hysteresis) the running candidate still on top over `hold`.
    if (c >= 0 && !missing && z_hit < threshold && !(c == run_machine && z_hit >= hold)) c = -1;
    if (c < 0) {
      if (run_machine >= 0 && ++gaps > max_gaps) close_run();
      continue;
    }
    if (c != run_machine) {
      // Another machine on top interrupts a running candidate like a gap does: with hundreds of
      // machines some other one passes the threshold for a window or two every few minutes (a
      // short spike, a 1-3 s sample gap), and breaking the run there would make a 4-minute run
      // impossible. Only when the gap budget is spent does the other machine take over.
      if (run_machine >= 0 && ++gaps <= max_gaps) continue;
      close_run();
      run_machine = c;
      run_start = w;
      hits = gaps = 0;
      z_sum = margin_sum = 0;
      run_missing = true;
      run_gpu = -1;
    }
    last_hit = w;
    ++hits;
    run_missing = run_missing && missing;
    if (scores.gpu[static_cast<size_t>(w)] >= 0) run_gpu = scores.gpu[static_cast<size_t>(w)];
    z_sum += missing ? threshold : z_hit;
    margin_sum += missing || z_hit != zw ? 0.0 : scores.margin[static_cast<size_t>(w)];
    if (!alerted && last_hit - run_start + 1 >= need) {
      alerted = true;
      Alert a;
      a.machine = grid.machines[static_cast<size_t>(run_machine)];
      a.metric = scores.name;
      a.start_ns = grid.t0_ns + static_cast<int64_t>(run_start) * model::kNanosPerSecond;
      alerts.push_back(a);
    }
    if (alerted) {
      alerts.back().missing = run_missing;
      alerts.back().gpu = run_gpu;
      std::tie(alerts.back().device, alerts.back().device_kind) = grid.DeviceOf(run_machine, run_gpu);
    }
  }
  close_run();
  return alerts;
}

}  // namespace trainscope::minder
