// SPDX-License-Identifier: Apache-2.0
// Scores of chosen windows of a channel, and a channel's alerts from the windows that decide
// them (see window_scores.h).
#include "minder/window_scores.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/parallel.h"
#include "minder/internal/kernels.h"

namespace trainscope::minder {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Per-thread buffers of one group of windows, reused across groups and calls.
struct WindowBuffers {
  std::vector<int> present;    // present machines of every window, back to back
  std::vector<size_t> first;   // per window: its first entry in `present`
  std::vector<uint8_t> needs;  // per window: distances needed
  std::vector<float> et, s;    // one window's embeddings (kWindow x n row-major), scores
};

// Present machines of window `w` (all kWindow values finite) appended to `present`; true when
// the window needs distances. A window decided by missingness is recorded in `out` as
// ScoreChannel does.
bool PresentMachines(const Grid& grid, const Channel& ch, size_t w, const DetectOptions& options,
                     std::vector<int>* present, ChannelScores* out) {
  const int machines = static_cast<int>(grid.machines.size());
  const size_t T = static_cast<size_t>(grid.steps);
  const size_t before = present->size();
  int first_missing = -1;
  for (int m = 0; m < machines; ++m) {
    const float* v = ch.values.data() + static_cast<size_t>(m) * T + w;
    bool finite = true;
    for (int t = 0; t < kWindow; ++t) finite = finite && std::isfinite(v[t]);
    if (!finite) {
      if (first_missing < 0) first_missing = m;
      continue;
    }
    present->push_back(m);
  }
  switch (ClassifyWindow(machines, static_cast<int>(present->size() - before), options)) {
    case WindowPresence::kCompare: return true;
    case WindowPresence::kTooFew: return false;
    case WindowPresence::kMostAbsent: out->candidate[w] = kUnobserved; return false;
    case WindowPresence::kMissingMachine: break;
  }
  out->candidate[w] = first_missing;
  out->missing[w] = 1;
  if (ch.is_min) out->gpu[w] = ch.gpu[static_cast<size_t>(first_missing) * T + w + kWindow - 1];
  return false;
}

}  // namespace

void ScoreWindows(const Grid& grid, size_t channel, const LstmVae* vae,
                  const DetectOptions& options, const std::vector<int>& windows,
                  std::vector<std::vector<float>>* score, ChannelScores* out) {
  const Channel& ch = grid.channels[channel];
  const size_t machines = grid.machines.size();
  const size_t T = static_cast<size_t>(grid.steps);
  const std::vector<float> baseline = ScoreBaselines(grid, ch.name, options.reference);
  // Groups of windows with about 8,192 machine windows each (the VAE runs a group in one call),
  // at least a few groups per thread.
  const int threads = options.threads > 0 ? options.threads : DefaultThreadCount();
  size_t per_group = std::clamp<size_t>(8192 / std::max<size_t>(machines, 1), 1, 512);
  per_group =
      std::min(per_group, std::max<size_t>(1, windows.size() / (4 * static_cast<size_t>(threads))));
  const size_t groups = (windows.size() + per_group - 1) / per_group;
  ParallelFor(groups, options.threads, [&](size_t g) {
    thread_local WindowBuffers buf;
    const size_t begin = g * per_group, end = std::min(windows.size(), begin + per_group);
    buf.present.clear();
    buf.first.clear();
    buf.needs.clear();
    for (size_t i = begin; i < end; ++i) {
      buf.first.push_back(buf.present.size());
      const size_t mark = buf.present.size();
      const bool needs =
          PresentMachines(grid, ch, static_cast<size_t>(windows[i]), options, &buf.present, out);
      if (!needs) buf.present.resize(mark);
      buf.needs.push_back(needs ? 1 : 0);
    }
    buf.first.push_back(buf.present.size());
    // Every present machine's window of every window that needs distances, one column each.
    Eigen::MatrixXf x(kWindow, static_cast<Eigen::Index>(buf.present.size()));
    for (size_t i = begin; i < end; ++i) {
      const size_t w = static_cast<size_t>(windows[i]);
      for (size_t k = buf.first[i - begin]; k < buf.first[i - begin + 1]; ++k) {
        const float* v = ch.values.data() + static_cast<size_t>(buf.present[k]) * T + w;
        for (int t = 0; t < kWindow; ++t) x(t, static_cast<Eigen::Index>(k)) = v[t];
      }
    }
    EmbedWindows(vae, options.embedding, &x);
    for (size_t i = begin; i < end; ++i) {
      std::vector<float>& row = (*score)[static_cast<size_t>(windows[i])];
      row.assign(machines, kNaN);
      if (!buf.needs[i - begin]) continue;
      const size_t first = buf.first[i - begin], n = buf.first[i - begin + 1] - first;
      buf.et.resize(n * kWindow);
      buf.s.resize(n);
      for (size_t j = 0; j < n; ++j) {
        const float* e = x.col(static_cast<Eigen::Index>(first + j)).data();
        for (size_t d = 0; d < static_cast<size_t>(kWindow); ++d) buf.et[d * n + j] = e[d];
      }
      internal::MeanDistancesRowMajor(buf.et.data(), kWindow, static_cast<int>(n), buf.s.data());
      for (size_t j = 0; j < n; ++j) {
        const size_t m = static_cast<size_t>(buf.present[first + j]);
        row[m] = buf.s[j] - (baseline.empty() ? 0.f : baseline[m]);
      }
    }
  });
}

namespace {

// The device giving a min channel's value at the last second of each ranked window (ScoreChannel).
void SetMinDevices(const Grid& grid, const Channel& ch, const std::vector<int>& windows,
                   ChannelScores* out) {
  if (!ch.is_min) return;
  for (int w : windows) {
    const int top = out->candidate[static_cast<size_t>(w)];
    if (top >= 0 && !out->missing[static_cast<size_t>(w)]) {
      out->gpu[static_cast<size_t>(w)] =
          ch.gpu[static_cast<size_t>(top) * static_cast<size_t>(grid.steps) +
                 static_cast<size_t>(w) + kWindow - 1];
    }
  }
}

// Ranks the rows of `windows` with the channel's spread floor into `out` (RankWindowsWithFloor,
// window by window), leaving windows decided by missingness as they are.
void RankSome(const Grid& grid, const Channel& ch, std::vector<std::vector<float>>* score,
              const std::vector<int>& windows, bool departures, double floor,
              const DetectOptions& options, ChannelScores* out) {
  std::vector<std::vector<float>> rows(windows.size());
  for (size_t i = 0; i < windows.size(); ++i)
    rows[i].swap((*score)[static_cast<size_t>(windows[i])]);
  ChannelScores ranked;
  ranked.Reset(windows.size());
  RankWindowsWithFloor(&rows, departures, floor, options, &ranked);
  for (size_t i = 0; i < windows.size(); ++i) {
    const size_t w = static_cast<size_t>(windows[i]);
    rows[i].swap((*score)[w]);
    if (ranked.candidate[i] < 0) continue;  // fewer than 3 scores (or decided by missingness)
    out->candidate[w] = ranked.candidate[i];
    out->z[w] = ranked.z[i];
    out->margin[w] = ranked.margin[i];
    out->runner_up[w] = ranked.runner_up[i];
    out->runner_up_z[w] = ranked.runner_up_z[i];
  }
  SetMinDevices(grid, ch, windows, out);
}

std::vector<int> AllWindows(int windows) {
  std::vector<int> all(static_cast<size_t>(windows));
  for (int w = 0; w < windows; ++w) all[static_cast<size_t>(w)] = w;
  return all;
}

}  // namespace

ChannelScores ScoreAllWindows(const Grid& grid, size_t channel, const LstmVae* vae,
                              const DetectOptions& options, bool keep_machine_scores) {
  const int windows = std::max(0, grid.steps - kWindow + 1);
  const Channel& ch = grid.channels[channel];
  ChannelScores out;
  out.name = ch.name;
  out.Reset(static_cast<size_t>(windows));
  std::vector<std::vector<float>> score(static_cast<size_t>(windows));
  const std::vector<int> all = AllWindows(windows);
  ScoreWindows(grid, channel, vae, options, all, &score, &out);
  const bool departures = !ScoreBaselines(grid, ch.name, options.reference).empty();
  RankWindows(&score, departures, options, &out);
  SetMinDevices(grid, ch, all, &out);
  if (keep_machine_scores) out.machine_score = std::move(score);
  return out;
}

namespace {

// Which windows lie in a span of `need` consecutive windows that the scored windows do not
// settle: some machine X may still be a hit in all but `max_gaps` of the span's windows, because
// fewer than max_gaps + 1 of its scored windows are certainly not hits for X. Empty when every
// span is settled (then no run of need windows can form, and FindAlerts finds nothing).
std::vector<uint8_t> UnsettledWindows(const ChannelScores& scores,
                                      const std::vector<uint8_t>& scored, int need, int max_gaps,
                                      double threshold, double hold) {
  const int windows = static_cast<int>(scored.size());
  const int spans = windows - need + 1;
  // Scored windows per span, from prefix counts.
  std::vector<int> prefix(static_cast<size_t>(windows) + 1, 0);
  // Unobserved windows (kUnobserved) are neither hits nor gaps in FindAlerts: not counted.
  for (int w = 0; w < windows; ++w)
    prefix[static_cast<size_t>(w) + 1] =
        prefix[static_cast<size_t>(w)] +
        (scored[static_cast<size_t>(w)] && scores.candidate[static_cast<size_t>(w)] != kUnobserved ? 1 : 0);
  // (machine, window) of every possible hit in a scored window; FindAlerts' hit rules, kept
  // conservative (a NaN z counts as a hit there, so here too).
  std::vector<std::pair<int, int>> hits;
  for (int w = 0; w < windows; ++w) {
    const size_t i = static_cast<size_t>(w);
    if (!scored[i] || scores.candidate[i] < 0) continue;
    if (scores.missing[i]) {
      hits.emplace_back(scores.candidate[i], w);
      continue;
    }
    const float z = scores.z[i];
    if (!(z < threshold && z < hold)) hits.emplace_back(scores.candidate[i], w);
    if (scores.runner_up[i] >= 0 && scores.runner_up_z[i] >= hold)
      hits.emplace_back(scores.runner_up[i], w);
  }
  std::sort(hits.begin(), hits.end());
  // The most possible hits of one machine in each span.
  std::vector<int> most(static_cast<size_t>(spans), 0), count(static_cast<size_t>(spans) + 1, 0);
  for (size_t k = 0; k < hits.size();) {
    size_t end = k;
    while (end < hits.size() && hits[end].first == hits[k].first) ++end;
    // Spans [a, a + need) holding window v: a in [v - need + 1, v]; counted by a difference array
    // over the range this machine touches.
    const int lo = std::max(0, hits[k].second - need + 1);
    const int hi = std::min(spans - 1, hits[end - 1].second);
    std::fill(count.begin() + lo, count.begin() + hi + 2, 0);
    for (size_t j = k; j < end; ++j) {
      const int v = hits[j].second;
      const int a0 = std::max(0, v - need + 1), a1 = std::min(spans - 1, v);
      if (a0 > a1) continue;
      ++count[static_cast<size_t>(a0)];
      --count[static_cast<size_t>(a1) + 1];
    }
    int run = 0;
    for (int a = lo; a <= hi; ++a) {
      run += count[static_cast<size_t>(a)];
      most[static_cast<size_t>(a)] = std::max(most[static_cast<size_t>(a)], run);
    }
    k = end;
  }
  std::vector<uint8_t> cover;
  std::vector<int> open(static_cast<size_t>(windows) + 1, 0);
  bool any = false;
  for (int a = 0; a < spans; ++a) {
    const int known = prefix[static_cast<size_t>(a + need)] - prefix[static_cast<size_t>(a)];
    if (known - most[static_cast<size_t>(a)] > max_gaps) continue;
    any = true;
    ++open[static_cast<size_t>(a)];
    --open[static_cast<size_t>(a + need)];
  }
  if (!any) return cover;
  cover.assign(static_cast<size_t>(windows), 0);
  int run = 0;
  for (int w = 0; w < windows; ++w) {
    run += open[static_cast<size_t>(w)];
    cover[static_cast<size_t>(w)] = run > 0 ? 1 : 0;
  }
  return cover;
}

}  // namespace

std::vector<Alert> ChannelAlerts(const Grid& grid, size_t channel, const LstmVae* vae,
                                 const DetectOptions& options, int* scored_count) {
  const int windows = std::max(0, grid.steps - kWindow + 1);
  if (options.distance_backend != nullptr) {
    if (scored_count != nullptr) *scored_count = windows;
    return FindAlerts(grid, ScoreChannel(grid, channel, vae, options, false), options);
  }
  const Channel& ch = grid.channels[channel];
  ChannelScores scores;
  scores.name = ch.name;
  scores.Reset(static_cast<size_t>(windows));
  std::vector<std::vector<float>> score(static_cast<size_t>(windows));
  std::vector<uint8_t> scored(static_cast<size_t>(windows), 0);
  int total = 0;
  auto score_windows = [&](const std::vector<int>& pick) {
    ScoreWindows(grid, channel, vae, options, pick, &score, &scores);
    for (int w : pick) scored[static_cast<size_t>(w)] = 1;
    total += static_cast<int>(pick.size());
  };
  const bool departures = !ScoreBaselines(grid, ch.name, options.reference).empty();
  // FindAlerts' run parameters.
  const int need = std::max(1, options.continuity_windows);
  const int max_gaps = static_cast<int>(options.gap_tolerance * need);
  const double threshold = options.ThresholdFor(scores.name);
  const double hold = std::min(1.0, std::max(0.0, options.hold_fraction)) * threshold;
  if (windows < need) {  // no run can last `need` windows
    if (scored_count != nullptr) *scored_count = 0;
    return {};
  }
  // The windows that give the spread floor first: every later ranking uses the exact floor.
  std::vector<int> pick;
  for (int w = 0; w < windows; w += static_cast<int>(kSpreadFloorStride)) pick.push_back(w);
  score_windows(pick);
  const double floor = SpreadFloor(score, departures, options);
  RankSome(grid, ch, &score, pick, departures, floor, options, &scores);
  if (max_gaps + 1 <= need) {
    // Then, where spans are not settled, a finer stride (one that leaves max_gaps + 5 windows
    // in every span, when finer than the floor's), every 3rd window, every window.
    const int first = std::max(1, need / (max_gaps + 5));
    for (int stride : {first, 3, 1, 0}) {
      const std::vector<uint8_t> cover =
          UnsettledWindows(scores, scored, need, max_gaps, threshold, hold);
      if (cover.empty()) {
        if (scored_count != nullptr) *scored_count = total;
        return {};
      }
      if (stride == 0) break;
      pick.clear();
      for (int w = 0; w < windows; ++w) {
        const size_t i = static_cast<size_t>(w);
        if (cover[i] && !scored[i] && w % stride == 0) pick.push_back(w);
      }
      score_windows(pick);
      RankSome(grid, ch, &score, pick, departures, floor, options, &scores);
    }
  }
  // Not settled: every window, then the continuity rule itself.
  pick.clear();
  for (int w = 0; w < windows; ++w) {
    if (!scored[static_cast<size_t>(w)]) pick.push_back(w);
  }
  score_windows(pick);
  RankSome(grid, ch, &score, pick, departures, floor, options, &scores);
  if (scored_count != nullptr) *scored_count = total;
  return FindAlerts(grid, scores, options);
}

}  // namespace trainscope::minder
