// SPDX-License-Identifier: Apache-2.0
// RetimeJob.
#include "whatif/retime.h"

#include "graph/simulator.h"

namespace trainscope::whatif {

OpJob RetimeJob(const OpJob& job, const ReplayModel& model, const std::vector<int64_t>& sim_dur_ns,
                const std::vector<int64_t>& delay_ns) {
  const size_t n = job.size();
  std::vector<int64_t> start(n), end(n), step_end(model.num_steps());
  graph::Simulator sim(model.graph);
  sim.Run(sim_dur_ns, delay_ns, step_end, start, end);
  OpJob out = job;
  for (size_t i = 0; i < n; ++i) {
    out.start_ns[i] = start[i];
    out.dur_ns[i] = end[i] - start[i];
  }
  return out;
}

}  // namespace trainscope::whatif
