// SPDX-License-Identifier: Apache-2.0
// EventBatchParser: turns batches of complete `traceEvents` elements into model rows, with
// simdjson's on-demand API (private to the Kineto reader).
//
// A batch is the byte range of one or more whole events, separated by commas, inside the
// reader's buffer. The parser writes '[' just before and ']' just after it (restoring the byte
// after), so simdjson sees one array and validates it in one pass, then walks each event once:
// `ph`, `cat`, `name`, `pid`, `tid`, `ts`, `dur` and the known args (kineto_args.h). Unknown
// keys are skipped unparsed.
//
// Bad input. JSON that simdjson rejects is an error (InvalidArgument) naming the file, the
// event index and the byte offset. A well-formed event whose fields are unusable (wrong type,
// missing or non-finite ts/dur, negative dur, an `E` with no `B`) is skipped and recorded as a
// `malformed_event` data_loss diagnostic with the same place; `--strict` turns it into exit 3.
// Thread safety: one parser per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/diagnostics.h"
#include "base/status.h"
#include "model/rank_builder.h"

namespace trainscope::ingest::kineto {

// What ParseGuessedBatch added: `events` whole events, after which the exact path resumes at
// `resume`, the end of the last one (a separator or the array's end follows); nothing when
// events == 0.
struct GuessedBatch {
  uint64_t events = 0;
  size_t resume = 0;
};

class EventBatchParser {
 public:
  EventBatchParser(model::RankTraceBuilder* builder, Diagnostics* diagnostics, std::string source);
  ~EventBatchParser();

  // Parses the events in buf[first_start, batch_end). Requires first_start >= 1 and 64
  // readable, writable bytes past batch_end. `stream_offset` is the input offset of buf[0]
  // (for messages); `first_index` the index of the batch's first event in the file.
  Status ParseBatch(char* buf, size_t first_start, size_t batch_end, uint64_t stream_offset,
                    uint64_t first_index);

  // For a batch whose end was guessed, not scanned: buf[first_start, batch_end) is parsed as by
  // ParseBatch, event after event, as long as each is a whole, valid event; the rest (an event
  // the guess cut, bad JSON, what follows the array's real end) is left to the exact path,
  // which reports errors with ParseBatch's messages. Same buffer contract as ParseBatch.
  GuessedBatch ParseGuessedBatch(char* buf, size_t first_start, size_t batch_end,
                                 uint64_t stream_offset, uint64_t first_index);

  // Closes the file: reports `B` events never ended and applies thread names.
  void Finish();

  uint64_t events_seen() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trainscope::ingest::kineto
