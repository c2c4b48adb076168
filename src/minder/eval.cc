// SPDX-License-Identifier: Apache-2.0
// Evaluation driver: recordings, injection, scoring once per recording, schedule simulation.
#include "minder/eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "base/parallel.h"
#include "base/progress.h"
#include "minder/decision_tree.h"
#include "minder/detector.h"
#include "minder/eval_internal.h"
#include "minder/inject.h"
#include "minder/synth.h"

namespace trainscope::minder {
namespace internal {

std::string ExathlonWindow(const std::string& trace) {
  static const std::pair<const char*, const char*> kWindows[] = {
      {"5_0_100000_37", "A"}, {"1_0_10000_17", "A"}, {"1_0_100000_16", "A"},
      {"1_0_100000_15", "B"}, {"6_0_50000_48", "B"}, {"6_0_50000_51", "B"}, {"1_0_500000_18", "B"},
      {"6_0_50000_49", "B"}, {"7_0_50000_58", "B"}, {"5_0_50000_39", "B"}, {"9_0_100000_3", "C"}};
  for (const auto& [name, window] : kWindows) {
    if (trace.find(name) != std::string::npos) return window;
  }
  return trace;
}

ChannelScores SliceScores(const ChannelScores& s, int first, int count) {
  ChannelScores out;
  out.name = s.name;
  auto cut = [&](const auto& v) { return std::decay_t<decltype(v)>(v.begin() + first, v.begin() + first + count); };
  out.candidate = cut(s.candidate);
  out.z = cut(s.z);
  out.margin = cut(s.margin);
  out.runner_up = cut(s.runner_up);
  out.runner_up_z = cut(s.runner_up_z);
  out.missing = cut(s.missing);
  out.gpu = cut(s.gpu);
  return out;
}

std::vector<std::pair<int64_t, int64_t>> MergeSpans(std::vector<std::pair<int64_t, int64_t>> spans, int64_t join_ns) {
  std::sort(spans.begin(), spans.end());
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& s : spans) {
    if (!out.empty() && s.first <= out.back().second + join_ns) {
      out.back().second = std::max(out.back().second, s.second);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

// Scores a recording once: reference from its first seconds, the rest normalised with it.
Result<Scored> ScoreRecording(const model::MetricTable& table, const ModelSet* models,
                              int reference_seconds, int threads, bool keep_machine_scores) {
  Scored sc;
  TS_ASSIGN_OR_RETURN(Grid grid, BuildGrid(table, GridOptions{}, nullptr));
  if (grid.steps <= reference_seconds + 2 * kWindow) {
    return FailedPreconditionError("recording of {} s is shorter than the {} s reference", grid.steps, reference_seconds);
  }
  DetectOptions opt;
  opt.threads = threads;
  opt.method = Method::kMinder;
  Grid ref_grid = SliceGrid(grid, 0, reference_seconds);
  sc.ref_minder = LearnReference(ref_grid, models, opt, true);
  DetectOptions lat = opt;
  lat.embedding = Embedding::kLatentMean;
  sc.ref_latent = LearnReference(ref_grid, models, lat, true);
  opt.method = Method::kRawDistance;
  sc.ref_raw = LearnReference(ref_grid, models, opt, true);
  sc.grid = SliceGrid(grid, reference_seconds, grid.steps - reference_seconds);
  NormaliseGrid(&sc.grid, &sc.ref_minder);
  for (size_t c = 0; c < sc.grid.channels.size(); ++c) {
    DetectOptions m = opt;
    m.method = Method::kMinder;
    m.reference = &sc.ref_minder;
    const MetricModel* mm = models->Find(sc.grid.channels[c].metric);
    sc.minder.push_back(ScoreChannel(sc.grid, c, mm ? &mm->vae : nullptr, m, keep_machine_scores));
    m.embedding = Embedding::kLatentMean;
    m.reference = &sc.ref_latent;
    sc.latent.push_back(ScoreChannel(sc.grid, c, mm ? &mm->vae : nullptr, m, false));
    DetectOptions r = opt;
    r.reference = &sc.ref_raw;
    sc.raw.push_back(ScoreChannel(sc.grid, c, nullptr, r, false));
  }
  sc.mahalanobis = ScoreMahalanobis(sc.grid, opt);
  return sc;
}

// Alerts of one call schedule over whole-recording scores, merged into events.
std::vector<Event> Schedule(const Scored& sc, const std::vector<const ChannelScores*>& channels,
                            const DetectOptions& opt, int every_s, int pull_s) {
  std::vector<Event> events;
  const int windows = static_cast<int>(channels.empty() ? 0 : channels[0]->candidate.size());
  const int steps = sc.grid.steps;
  for (int end = pull_s;; end += every_s) {
    int clipped = std::min(end, steps);
    int first = std::max(0, clipped - pull_s);
    int count = std::min(windows - first, clipped - first - kWindow + 1);
    if (count <= 0) break;
    Grid shell;
    shell.t0_ns = sc.grid.t0_ns + static_cast<int64_t>(first) * model::kNanosPerSecond;
    shell.machines = sc.grid.machines;
    int64_t call_ns = sc.grid.t0_ns + static_cast<int64_t>(clipped) * model::kNanosPerSecond;
    for (const ChannelScores* ch : channels) {
      std::vector<Alert> alerts = FindAlerts(shell, SliceScores(*ch, first, count), opt);
      for (const Alert& a : alerts) {
        bool merged = false;
        for (Event& e : events) {
          if (e.machine == a.machine && a.start_ns <= e.end_ns + 60 * model::kNanosPerSecond) {
            e.end_ns = std::max(e.end_ns, a.end_ns);
            merged = true;
            break;
          }
        }
        if (!merged) events.push_back(Event{a.machine, a.metric, a.start_ns, a.end_ns, call_ns});
      }
      if (!alerts.empty()) break;  // the first metric that alerts decides
    }
    if (clipped >= steps) break;
  }
  return events;
}

// Smallest threshold (x1.1) with no alert over whole recordings, by bisection in log space.
double Calibrate(const std::vector<const Scored*>& healthy, const std::function<std::vector<const ChannelScores*>(const Scored&)>& pick,
                 const DetectOptions& base) {
  auto any_alert = [&](double thr) {
    DetectOptions opt = base;
    opt.channel_thresholds.clear();
    opt.threshold = thr;
    for (const Scored* sc : healthy) {
      for (const ChannelScores* ch : pick(*sc)) {
        if (!FindAlerts(sc->grid, *ch, opt).empty()) return true;
      }
    }
    return false;
  };
  // Never so low that the level holding a run (hold_fraction x threshold) drops below a robust
  // z of 3, the usual outlier cut (threshold 6 with the default hysteresis), even when
  // continuity alone keeps the healthy data silent.
  double lo = 3.0 / std::clamp(base.hold_fraction, 0.25, 1.0), hi = 1e4;
  if (!any_alert(lo)) return lo;
  for (int it = 0; it < 40; ++it) {
    double mid = std::sqrt(lo * hi);
    (any_alert(mid) ? lo : hi) = mid;
  }
  return hi * 1.1;
}

}  // namespace internal
}  // namespace trainscope::minder
