// SPDX-License-Identifier: Apache-2.0
// A job-level summary of a JobTrace (what `trainscope trace info` and the demo print): ranks,
// world size, steps, time span, events per kind, collectives per process group, clock offsets,
// and the load diagnostics. Rendered as text or as JSON; the JSON keys are a public interface
// (`world_size`, `ranks[].rank/events/kernels/collectives/steps`, ...).
// Thread safety: pure functions over a const model.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "base/status.h"
#include "model/trace.h"

namespace trainscope::model {

struct RankSummary {
  int rank = 0;
  std::string source;
  int64_t events = 0;
  int64_t kernels = 0;  // all GPU kernels: compute kernels + NCCL collective kernels
  int64_t collectives = 0;
  std::vector<int64_t> steps;  // ProfilerStep numbers
  std::array<int64_t, kEventKindCount> by_kind{};
  int64_t begin_ns = 0, end_ns = 0;  // first start, last end (job clock)
  int64_t base_time_ns = 0;
  ClockAlignment clock;
  size_t model_bytes = 0;
};

struct GroupSummary {
  std::string channel;      // "pg 0" or "stream 84" (no group info in the trace)
  std::string description;  // pg_desc, if known
  std::vector<int> ranks;   // members, if known
  std::array<int64_t, kCollectiveTypeCount> by_type{};  // summed over the ranks present
};

struct JobSummary {
  int world_size = 0;
  std::vector<RankSummary> ranks;
  std::vector<int64_t> steps;  // union over ranks
  int64_t begin_ns = 0, end_ns = 0;
  std::array<int64_t, kEventKindCount> by_kind{};
  std::vector<GroupSummary> groups;
};

JobSummary Summarise(const JobTrace& job);

// Writes the summary and `diagnostics` as one JSON object (keys listed in docs/trace-model.md).
void WriteSummaryJson(const JobSummary& summary, const Diagnostics& diagnostics, JsonWriter& out);

// A human-readable multi-line report.
std::string FormatSummaryText(const JobSummary& summary, const Diagnostics& diagnostics);

}  // namespace trainscope::model
