// SPDX-License-Identifier: Apache-2.0
// Pieces the what-if analysis and its writers share: step-time arithmetic over the replays, the
// attribution tables and headline of --json, the error and cause lines of the text summary.
// Thread safety: reentrant.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "base/diagnostics.h"
#include "base/json_writer.h"
#include "base/stats.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"

namespace trainscope::whatif::internal {

std::vector<double> ToSeconds(const std::vector<int64_t>& ns);

// Fills the per-step times (s), S = nodelay / ideal, the launch slowdown = measured / nodelay,
// the replay error and their means from four per-step replays in ns (every entry > 0).
inline void FillStepTimes(const std::vector<int64_t>& measured, const std::vector<int64_t>& replay,
                          const std::vector<int64_t>& nodelay, const std::vector<int64_t>& ideal,
                          WhatIfResult* r) {
  r->step_time_s = ToSeconds(measured);
  r->step_replay_s = ToSeconds(replay);
  r->step_nodelay_s = ToSeconds(nodelay);
  r->step_ideal_s = ToSeconds(ideal);
  for (size_t s = 0; s < measured.size(); ++s) {
    r->step_slowdown.push_back(r->step_nodelay_s[s] / r->step_ideal_s[s]);
    r->step_launch_slowdown.push_back(r->step_time_s[s] / r->step_nodelay_s[s]);
    r->step_error.push_back(std::abs(r->step_replay_s[s] - r->step_time_s[s]) / r->step_time_s[s]);
  }
  r->error_median = r->step_error.empty() ? 0 : Median(r->step_error);
  r->error_max =
      r->step_error.empty() ? 0 : *std::max_element(r->step_error.begin(), r->step_error.end());
  r->slowdown = MeanSeconds(nodelay) / MeanSeconds(ideal);
  r->launch_slowdown = MeanSeconds(measured) / MeanSeconds(nodelay);
}

// `key`: {label: S} and `key`_per_step: {step: {label: S}}.
template <class Steps>
void WriteAttribution(const char* key, const std::vector<Attribution>& rows, const Steps& steps,
                      JsonWriter& w) {
  w.Key(key).BeginObject();
  for (const Attribution& a : rows) w.Field(a.label, a.slowdown);
  w.EndObject();
  w.Key(std::string(key) + "_per_step").BeginObject();
  for (size_t s = 0; s < steps.size(); ++s) {
    w.Key(std::to_string(steps[s])).BeginObject();
    for (const Attribution& a : rows) w.Field(a.label, a.per_step[s]);
    w.EndObject();
  }
  w.EndObject();
}

// The `cause` object of --json (with `not_applicable` before its metrics when set).
void WriteCause(const Cause& cause, JsonWriter& w);

// The --json keys the document starts with: slowdown, waste, straggling, simulation_error, the
// cause object, then verdict (and inconclusive_reason) after the six keys users already parse.
inline void WriteHeadline(const WhatIfResult& r, const Cause& cause, JsonWriter& w) {
  w.Field("slowdown", r.slowdown);
  w.Field("waste_fraction", r.waste_fraction);
  w.Field("wasted_gpu_hours", r.wasted_gpu_hours);
  w.Field("straggling", r.straggling);
  w.Key("simulation_error").BeginObject();
  w.Field("median", r.error_median).Field("max", r.error_max);
  w.Field("within_floor", r.error_median <= 0.02 && r.error_max <= 0.05);
  w.EndObject();
  WriteCause(cause, w);
  w.Field("verdict", Verdict(r));
  if (!r.inconclusive.empty()) w.Field("inconclusive_reason", r.inconclusive);
}

// The summary's "simulation error", "cause" and "also" lines.
std::string ErrorAndCauseLines(double error_median, double error_max, const Cause& cause);

}  // namespace trainscope::whatif::internal
