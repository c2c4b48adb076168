// SPDX-License-Identifier: Apache-2.0
// Perfetto (Chrome JSON) export of a job's actual and ideal timelines side by side, op tables and
// Kineto traces alike: one process per rank and timeline ("actual rank 3 (dp 0, stage 3)",
// "ideal rank 3"), one track per stream (op tables: compute, dp-comm, pp send/recv, sync; Kineto:
// CUDA stream), steps laid end to end, ops whose actual (transfer) duration is >= 1.1x their ideal
// flagged `straggling` in args, flows linking the members of each shared collective. The event's
// category is its op class. Actual times are the measured ones (the validation replay reproduces
// them); ideal times come from the ideal replay. Thread safety: reentrant.
#pragma once

#include <string>

#include "base/status.h"
#include "whatif/analysis.h"
#include "whatif/replay_model.h"

namespace trainscope::whatif {

// Which steps to write: `count` steps from step index `first`; count 0 = every step. A full
// trace of a large job runs to hundreds of MB, more than the Perfetto UI loads comfortably in a
// browser, so the CLI writes a window by default (--perfetto-steps).
struct PerfettoWindow {
  int32_t first = 0;
  int32_t count = 0;
};

// `count` consecutive steps around the slowest one (highest step slowdown), clamped to the
// model's steps; every step when `count` <= 0 or covers them all.
PerfettoWindow SlowestStepsWindow(const ReplayModel& model, const WhatIfResult& result,
                                  int32_t count);

Status WritePerfettoTimelines(const ReplayModel& model, const WhatIfResult& result,
                              const std::string& path, PerfettoWindow window = {});

}  // namespace trainscope::whatif
