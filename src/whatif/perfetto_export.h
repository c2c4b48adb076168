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

Status WritePerfettoTimelines(const ReplayModel& model, const WhatIfResult& result,
                              const std::string& path);

}  // namespace trainscope::whatif
