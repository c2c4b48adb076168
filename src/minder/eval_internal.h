// SPDX-License-Identifier: Apache-2.0
// Internals of the evaluation shared by its translation units (not a public interface).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "minder/detector.h"
#include "minder/replay.h"

namespace trainscope::minder::internal {

struct Scored {
  Grid grid;  // normalised, after the reference period
  Reference ref_minder, ref_raw, ref_latent;
  std::vector<ChannelScores> minder, raw, latent;  // latent: Minder on the latent-mean embedding
  ChannelScores mahalanobis;
};

struct Event {
  std::string machine, metric;
  int64_t start_ns = 0, end_ns = 0, call_ns = 0;
};

std::string ExathlonWindow(const std::string& trace);
// Union of [begin, end) spans, sorted; spans at most `join_ns` apart merge into one.
std::vector<std::pair<int64_t, int64_t>> MergeSpans(std::vector<std::pair<int64_t, int64_t>> spans, int64_t join_ns);
ChannelScores SliceScores(const ChannelScores& s, int first, int count);
Result<Scored> ScoreRecording(const model::MetricTable& table, const ModelSet* models,
                              int reference_seconds, int threads, bool keep_machine_scores);
// `detect` supplies the (per-channel) thresholds, hysteresis and continuity.
std::vector<Event> Schedule(const Scored& sc, const std::vector<const ChannelScores*>& channels,
                            const DetectOptions& detect, int every_s, int pull_s);
double Calibrate(const std::vector<const Scored*>& healthy,
                 const std::function<std::vector<const ChannelScores*>(const Scored&)>& pick,
                 const DetectOptions& base);

}  // namespace trainscope::minder::internal
