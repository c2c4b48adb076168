// SPDX-License-Identifier: Apache-2.0
// StreamReader: walks one trace file's top level in a reused buffer and feeds the
// `traceEvents` array to an EventBatchParser batch by batch (private to the Kineto reader).
// Other top-level values are kept as raw JSON text (they are small) in `top_values`.
// Thread safety: one reader per thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/byte_source.h"
#include "base/huge_buffer.h"
#include "base/status.h"
#include "ingest/kineto/event_parser.h"

namespace trainscope::ingest::kineto {

class StreamReader {
 public:
  StreamReader(ByteSource* source, EventBatchParser* parser) : source_(source), parser_(parser) {}

  // Reads the whole input. On success `top_values` holds the raw text of the top-level keys
  // listed in kKeptKeys and `event_count` the number of traceEvents elements.
  Status Run();

  std::map<std::string, std::string> top_values;
  std::map<std::string, uint64_t> top_value_offsets;  // byte where each kept value starts
  uint64_t event_count = 0;

 private:
  Result<bool> Fill();  // more bytes in buf_[pos_, end_); false at EOF
  Result<char> NextNonSpace(std::string_view context);  // consumes it
  Status ReadStringBody(std::string* out);              // after the opening quote
  Status CaptureValue(char first, std::string* out);    // `first` already consumed
  Status StreamEvents();                                // after the '['
  Status ExpectEnd();

  Status Error(StatusCode code, uint64_t offset, std::string_view what) const;
  uint64_t Offset() const {
    return static_cast<uint64_t>(buf_offset_ + static_cast<int64_t>(pos_));
  }

  ByteSource* source_;
  EventBatchParser* parser_;
  PaddedBuffer buf_;
  size_t pos_ = 0, end_ = 0;
  int64_t buf_offset_ = -1;  // stream offset of buf_[0] (data starts at buf_[1])
  bool eof_ = false;
};

}  // namespace trainscope::ingest::kineto
