// SPDX-License-Identifier: Apache-2.0
// Kineto / Chrome trace-event JSON readers: one file -> one RankTrace; a file or a directory
// of per-rank files -> a JobTrace (ranks read in parallel, clocks aligned).
//
// Accepted input: the PyTorch profiler's Kineto JSON (an object with `traceEvents` and
// top-level `distributedInfo`, `baseTimeNanoseconds`, `deviceProperties`, `schemaVersion`),
// plain Chrome trace-event JSON in object form (`{"traceEvents": [...]}`) or array form
// (`[...]`); plain or gzip-compressed (detected from the bytes). Unknown fields are ignored,
// unknown categories become EventKind::kOther.
//
// How: the file is streamed through one reused buffer (never loaded whole): a byte-level
// state machine walks the top-level object, small values are kept as text and parsed at the
// end, and the `traceEvents` array is cut into batches of complete events (event_scanner.h)
// that simdjson's on-demand parser turns into model rows (event_parser.h).
//
// Errors: Status with the file name and the byte offset in the decompressed stream (or event
// index): truncated input, invalid JSON, wrong top-level types, contradictory
// distributedInfo, duplicate ranks, files of different jobs. Recoverable oddities become
// Diagnostics (see event_parser.h and docs/trace-model.md).
// Thread safety: functions are reentrant; ReadKinetoJob uses up to `threads` threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/byte_source.h"
#include "base/diagnostics.h"
#include "base/status.h"
#include "model/trace.h"

namespace trainscope::ingest::kineto {

// What a file says about its place in the job (top-level values).
struct RankFileInfo {
  bool has_distributed_info = false;
  int rank = -1;
  int world_size = 0;
  std::string backend;
  std::vector<model::ProcessGroup> pg_config;
  int64_t base_time_ns = 0;
  int schema_version = 0;
  int device_count = 0;
  uint64_t events_in_file = 0;  // elements of traceEvents, of any kind
};

struct ReadOptions {
  int threads = 0;  // 0 = all cores
};

// Reads one file. The returned RankTrace is finished (sorted, linked, base time applied) but
// its `rank` is only set from distributedInfo (else -1): the job reader decides.
Result<model::RankTrace> ReadKinetoRank(ByteSource& source, RankFileInfo* info,
                                        Diagnostics* diagnostics);

// Reads `path`: one trace file, or a directory whose *.json / *.json.gz files are the ranks.
Result<model::JobTrace> ReadKinetoJob(const std::string& path, const ReadOptions& options);

// As ReadKinetoJob over already-open sources (embedded demo trace, tests, fuzzer).
Result<model::JobTrace> ReadKinetoJobFromSources(std::vector<std::unique_ptr<ByteSource>> sources,
                                                 const ReadOptions& options);

}  // namespace trainscope::ingest::kineto
