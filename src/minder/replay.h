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
  double seconds_covered = 0;
};

// Columns [first, first + count) of `grid` as a grid of its own.
Grid SliceGrid(const Grid& grid, int first, int count);

Result<ReplayResult> Replay(const Grid& grid, const ModelSet* models, const ReplayOptions& options);

}  // namespace trainscope::minder
