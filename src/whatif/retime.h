// SPDX-License-Identifier: Apache-2.0
// RetimeJob: the trace a job would have produced with other op durations or launch delays:
// replays the job's model with `sim_dur_ns` (transfer times for comm ops) and `delay_ns` and
// records each op as a tracer would (start; duration = end - start, so comm ops include their
// wait). Used to inject faults into real traces (tests) and for "what would it look like"
// scenarios. Units: ns. Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <vector>

#include "whatif/op_job.h"
#include "whatif/replay_model.h"

namespace trainscope::whatif {

OpJob RetimeJob(const OpJob& job, const ReplayModel& model, const std::vector<int64_t>& sim_dur_ns,
                const std::vector<int64_t>& delay_ns);

}  // namespace trainscope::whatif
