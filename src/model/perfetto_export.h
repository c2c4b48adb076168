// SPDX-License-Identifier: Apache-2.0
// Writes a JobTrace as one Chrome trace-event JSON file that ui.perfetto.dev (and
// chrome://tracing) opens: one process per rank ("rank N"), one thread track per CPU thread or
// GPU stream, every event as a complete ("X") slice with its kind as category and its step in
// args, and flow arrows linking the members of each matched collective instance across ranks
// (collective_match.h), from the first member's kernel to each other member's.
// Times are microseconds from the job's first event (3 decimals, so nanoseconds are exact).
// The file is streamed out in chunks; memory stays flat in the number of events.
// Thread safety: reads a const model.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "model/trace.h"

namespace trainscope::model {

struct PerfettoExportStats {
  int64_t slices = 0;
  int64_t flows = 0;
  uint64_t bytes = 0;
};

// Writes `job` to `path` (overwriting it). Errors: kIo naming the path.
Result<PerfettoExportStats> WritePerfettoJson(const JobTrace& job, const std::string& path);

}  // namespace trainscope::model
