// SPDX-License-Identifier: Apache-2.0
// Working state of BuildKinetoModel (kineto_model.h), shared by its node/edge pass
// (kineto_model.cc) and its collective matching (kineto_collectives.cc). Private to src/whatif.
// Thread safety: single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "graph/dep_graph.h"
#include "model/trace.h"
#include "whatif/kineto_model.h"

namespace trainscope::whatif::internal {

inline constexpr int64_t kClipNs = 10'000'000;  // negative times at or below -10 ms: clock skew

struct KinetoBuild {
  const model::JobTrace& job;
  ReplayModel& m;
  Diagnostics* diagnostics;
  graph::GraphBuilder builder;
  std::vector<std::vector<int32_t>> node_of_event;  // per worker: EventId -> node or -1
  std::vector<std::vector<int32_t>> step_of_index;  // per worker: StepIndex -> model step or -1
  std::vector<std::vector<int64_t>> rank_step_start;  // per worker, model step: its ProfilerStep
  std::vector<int64_t> start_abs, end_abs;          // per node, job clock
  std::vector<int64_t> launch_abs;                  // per node: its CPU launch (or its start)
  std::vector<int32_t> stream;                      // per node: dense (worker, track) id
  std::unordered_map<std::string, int32_t> class_ids, group_ids, name_ids;

  int32_t ClassId(const std::string& name, bool comm);
  int32_t GroupId(const std::string& name);  // also sets the group's role from its name
  int32_t NameId(const std::string& name);
};

// Matches NCCL ops across ranks (see kineto_model.h), adds the collectives to `b.builder`,
// and sets is_comm / fixed / group of their nodes.
void MatchKinetoCollectives(KinetoBuild& b);

// Fills ReplayModel::host: GPU idle time per rank and what the CPU was doing (kineto_host.cc).
void MeasureHostTime(KinetoBuild& b);

}  // namespace trainscope::whatif::internal
