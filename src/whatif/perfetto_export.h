// SPDX-License-Identifier: Apache-2.0
// Perfetto (Chrome JSON) export of a job's actual and ideal timelines side by side: one process
// per rank and timeline ("actual rank 3 (dp 0, stage 3)", "ideal rank 3 ..."), one track per
// stream, steps laid end to end, ops whose actual duration is >= 1.1x their ideal flagged
// `straggling` in args, flows linking the members of each collective. Thread safety: reentrant.
#pragma once

#include <string>

#include "base/status.h"
#include "whatif/megatron_model.h"

namespace trainscope::whatif {

Status WritePerfettoTimelines(const OpJob& job, const JobModel& model, const std::string& path);

}  // namespace trainscope::whatif
