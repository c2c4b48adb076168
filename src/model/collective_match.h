// SPDX-License-Identifier: Apache-2.0
// Cross-rank matching of collectives. Within one process group (or, when the trace carries no
// group, one NCCL stream) PyTorch issues collectives in the same order on every member, so the
// k-th collective of a channel on each rank is the same instance. Used by clock alignment and
// by the Perfetto export's cross-rank flow arrows; the what-if analysis can use it too.
// Thread safety: pure functions over a const model.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/trace.h"

namespace trainscope::model {

// The channel a collective row belongs to: "pg <name>" or "stream <n>".
std::string CollectiveChannel(const RankTrace& rank, size_t row);

// Collective rows of `rank` per channel, each list in start-time order.
std::map<std::string, std::vector<size_t>> CollectiveChannels(const RankTrace& rank);

// One collective instance seen on several ranks.
struct CollectiveInstance {
  std::string channel;
  size_t ordinal = 0;  // k: position within the channel
  struct Member {
    size_t rank_index;  // into JobTrace::ranks
    size_t row;         // into that rank's CollectiveTable
  };
  std::vector<Member> members;  // ranks whose k-th collective on the channel has the same type
};

// All instances present on at least two ranks. Members whose type differs from the first
// member's are left out (a mismatch, not the same instance).
std::vector<CollectiveInstance> MatchCollectives(const JobTrace& job);

}  // namespace trainscope::model
