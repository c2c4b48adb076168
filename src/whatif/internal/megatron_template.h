// SPDX-License-Identifier: Apache-2.0
// The per-(step, dp_rank) template of the Megatron dependency model (see megatron_model.h):
// template ops are the rows of dp_rank 0 in the first step; edges and comm groups refer to them.
// Private to src/whatif. Thread safety: plain value.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "whatif/op_job.h"

namespace trainscope::whatif::internal {

inline uint64_t OpKey(int32_t stage, OpKind kind, int32_t seq) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(stage)) << 40) |
         (static_cast<uint64_t>(kind) << 32) | static_cast<uint32_t>(seq);
}

struct ModelTemplate {
  std::vector<int64_t> rows;                       // template op -> row of the job
  std::unordered_map<uint64_t, int32_t> index;     // OpKey -> template op
  std::vector<std::pair<int32_t, int32_t>> edges;  // (before, after)
  struct Group {
    std::vector<int32_t> ops;
    bool dp_sync = false;  // one collective across all DP ranks of the step
  };
  std::vector<Group> groups;  // comm groups (members use transfer times)
};

// `rows` are the job rows of dp_rank 0 in the first step.
Result<ModelTemplate> BuildModelTemplate(const OpJob& job, const std::vector<int64_t>& rows,
                                         int32_t pp, int32_t vpp, bool use_dp);

}  // namespace trainscope::whatif::internal
