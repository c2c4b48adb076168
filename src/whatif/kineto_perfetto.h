// SPDX-License-Identifier: Apache-2.0
// Perfetto (Chrome JSON) export of a Kineto job's actual and ideal timelines side by side: one
// process per rank and timeline ("actual rank 3", "ideal rank 3"), one track per CUDA stream,
// steps laid end to end, ops whose actual (transfer) duration is >= 1.1x their ideal flagged
// `straggling` in args, flows linking the members of each shared collective. Actual times are the
// measured ones (the validation replay reproduces them); ideal times come from the ideal replay.
// Thread safety: reentrant.
#pragma once

#include <string>

#include "base/status.h"
#include "model/trace.h"
#include "whatif/kineto_analysis.h"
#include "whatif/kineto_model.h"

namespace trainscope::whatif {

Status WriteKinetoPerfetto(const model::JobTrace& trace, const KinetoJobModel& model,
                           const KinetoWhatIfResult& result, const std::string& path);

}  // namespace trainscope::whatif
