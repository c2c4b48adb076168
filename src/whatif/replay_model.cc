// SPDX-License-Identifier: Apache-2.0
// DescribeWorker and the builders' diagnostics (replay_model.h).
#include "whatif/replay_model.h"

#include <fmt/format.h>

namespace trainscope::whatif {

std::string DescribeWorker(const ReplayModel& m, int32_t worker) {
  if (!m.has_stages()) return fmt::format("rank {}", m.worker_rank[worker]);
  return fmt::format("rank {} (dp {}, stage {})", m.worker_rank[worker], m.dp_rank_of(worker),
                     m.stage_of(worker));
}

void AddModelDiagnostics(const ReplayModel& m, const std::string& source,
                         Diagnostics& diagnostics) {
  const ModelStats& st = m.stats;
  if (st.clipped_transfers > 0) {
    diagnostics.Add("negative_transfer_clipped", source, "",
                    fmt::format("{} transfer times <= -10 ms (clock skew) set to 0",
                                st.clipped_transfers));
  }
  if (st.negative_transfers > 0) {
    diagnostics.Add("small_negative_transfer", source, "",
                    fmt::format("{} transfer times in (-10 ms, 0) kept as measured (clock skew)",
                                st.negative_transfers));
  }
  if (st.clipped_delays > 0) {
    diagnostics.Add("negative_launch_delay_clipped", source, "",
                    fmt::format("{} launch delays <= -10 ms set to 0", st.clipped_delays));
  }
  if (!m.dropped_steps.empty()) {
    std::string steps;
    for (int64_t s : m.dropped_steps) steps += (steps.empty() ? "" : ", ") + std::to_string(s);
    diagnostics.Add("steps_not_simulated", source, "",
                    fmt::format("steps {} are not traced by every present rank; only the steps "
                                "all ranks traced are simulated",
                                steps));
  }
}

}  // namespace trainscope::whatif
