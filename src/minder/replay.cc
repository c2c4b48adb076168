// SPDX-License-Identifier: Apache-2.0
// Replay of the 8-minute call schedule over a long grid.
#include "minder/replay.h"

#include <algorithm>

#include <fmt/core.h>

namespace trainscope::minder {

Grid SliceGrid(const Grid& grid, int first, int count) {
  Grid out;
  out.t0_ns = grid.t0_ns + static_cast<int64_t>(first) * model::kNanosPerSecond;
  out.steps = count;
  out.machines = grid.machines;
  out.skew_seconds = grid.skew_seconds;
  out.absent = grid.absent;
  out.devices = grid.devices;
  const size_t T = static_cast<size_t>(grid.steps), n = static_cast<size_t>(count);
  for (const Channel& ch : grid.channels) {
    Channel c;
    c.name = ch.name;
    c.metric = ch.metric;
    c.is_min = ch.is_min;
    c.values.resize(grid.machines.size() * n);
    if (!ch.gpu.empty()) c.gpu.resize(grid.machines.size() * n);
    for (size_t m = 0; m < grid.machines.size(); ++m) {
      std::copy_n(ch.values.begin() + static_cast<long>(m * T + static_cast<size_t>(first)), n,
                  c.values.begin() + static_cast<long>(m * n));
      if (!ch.gpu.empty()) {
        std::copy_n(ch.gpu.begin() + static_cast<long>(m * T + static_cast<size_t>(first)), n,
                    c.gpu.begin() + static_cast<long>(m * n));
      }
    }
    out.channels.push_back(std::move(c));
  }
  return out;
}

Verdict VerdictOf(const ReplayResult& result) {
  if (!result.alerts.empty()) return Verdict::kFaulty;
  return result.calls > result.inconclusive_calls ? Verdict::kHealthy : Verdict::kInconclusive;
}

Result<ReplayResult> Replay(const Grid& grid, const ModelSet* models, const ReplayOptions& options) {
  if (options.pull_seconds < kWindow || options.every_seconds < 1 || options.reference_seconds < 0) {
    return InvalidArgumentError("replay needs pull >= {} s, every >= 1 s and reference >= 0 s (got {}, {}, {})",
                                kWindow, options.pull_seconds, options.every_seconds, options.reference_seconds);
  }
  ReplayResult result;
  DetectOptions detect = options.detect;
  int start = 0;
  if (options.reference_seconds > 0) {
    int ref_len = std::min(options.reference_seconds, grid.steps);
    result.reference = LearnReference(SliceGrid(grid, 0, ref_len), models, detect);
    detect.reference = &result.reference;
    start = ref_len;
  }
  auto note = [&result](const std::vector<std::string>& reasons) {
    for (const std::string& r : reasons) {
      if (std::find(result.inconclusive.begin(), result.inconclusive.end(), r) == result.inconclusive.end()) {
        result.inconclusive.push_back(r);
      }
    }
  };
  // Calls at start + pull, start + pull + every, ...; the last partial pull is also called.
  for (int end = start + options.pull_seconds; ; end += options.every_seconds) {
    int clipped = std::min(end, grid.steps);
    int first = std::max(start, clipped - options.pull_seconds);
    if (clipped - first < kWindow) break;
    TS_ASSIGN_OR_RETURN(Detection det, Detect(SliceGrid(grid, first, clipped - first), models, detect));
    ++result.calls;
    if (!det.inconclusive.empty() && det.alerts.empty()) ++result.inconclusive_calls;
    note(det.inconclusive);
    result.groups = std::move(det.groups);
    result.skipped_channels = std::move(det.skipped_channels);
    for (const Alert& a : det.alerts) {
      result.alerts.push_back(CallAlert{grid.t0_ns + static_cast<int64_t>(clipped) * model::kNanosPerSecond, a});
    }
    if (clipped >= grid.steps) break;
  }
  if (result.calls == 0) {
    note({fmt::format("{} s of data after the {} s reference: not enough for one call (a window is {} s)",
                      std::max(0, grid.steps - start), start, kWindow)});
  }
  result.seconds_covered = grid.steps - start;
  return result;
}

}  // namespace trainscope::minder
