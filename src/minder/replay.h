// SPDX-License-Identifier: Apache-2.0
// The production call schedule over a long recording (Minder brief section 2): every
// `every_seconds` (8 min) one detection call on the last `pull_seconds` (15 min). Optionally the
// first `reference_seconds` are a healthy reference of the same job (bounds and per-machine score
// baselines, for persistent role differences); calls then start after it.
// Thread safety: pure.
#pragma once

#include <vector>

#include "base/status.h"
#include "minder/detector.h"

namespace trainscope::minder {

struct ReplayOptions {
  int pull_seconds = 900;
  int every_seconds = 480;
  int reference_seconds = 0;
  DetectOptions detect;
};

struct CallAlert {
  int64_t call_ns = 0;  // when the call ran (end of its pull)
  Alert alert;
};

struct ReplayResult {
  std::vector<CallAlert> alerts;
  int calls = 0;
  int inconclusive_calls = 0;            // calls whose data could not support a verdict
  std::vector<std::string> inconclusive;  // their reasons (distinct); also why no call ran
  std::vector<PeerGroup> groups;          // the groups of the last call
  std::vector<SkippedChannel> skipped_channels;  // of the last call
  Reference reference;                    // learned from the first reference_seconds, if any
  double seconds_covered = 0;
};

// "faulty" with alerts; "inconclusive" when no call could judge; else "healthy".
Verdict VerdictOf(const ReplayResult& result);

// Columns [first, first + count) of `grid` as a grid of its own.
Grid SliceGrid(const Grid& grid, int first, int count);

Result<ReplayResult> Replay(const Grid& grid, const ModelSet* models, const ReplayOptions& options);

}  // namespace trainscope::minder
