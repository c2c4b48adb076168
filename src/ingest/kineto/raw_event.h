// SPDX-License-Identifier: Apache-2.0
// RawEvent: the fields of one trace event as the parser decoded them, before they become model
// rows; and EventSink, which does that (B/E pairing, thread names, NCCL kernels).
// Private to the Kineto reader. String views point into the batch or the parser's string scratch
// and are valid only while the batch is being parsed. Thread safety: one sink per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/diagnostics.h"
#include "model/rank_builder.h"

namespace trainscope::ingest::kineto {

// Accepted ranges (ns) that keep every later sum in int64: ts in [0, 3e18] (epoch ns reach year
// 2065), dur in [0, 1e18], baseTimeNanoseconds in [0, 3e18] (top_level.cc), clock offsets
// within +-1e18 (model/clock_align.cc). So ts + base + dur + offset < 8e18 < 2^63, and any
// difference of two such times fits too.
inline constexpr int64_t kMaxTsNs = 3'000'000'000'000'000'000;
inline constexpr int64_t kMaxDurNs = 1'000'000'000'000'000'000;

struct RawEvent {
  char ph = 0;
  std::string_view cat;
  std::string_view name;
  int64_t pid = -1;  // -1 when absent or a string
  int64_t tid = -1;
  std::string_view ts_token;  // raw JSON number, microseconds
  std::string_view dur_token;
  int64_t correlation = 0;
  int64_t external_id = 0;
  int64_t stream = -1;
  std::string_view metadata_name;  // args.name of M events
  int64_t wait_on_stream = -1;     // cuda_sync events
  int64_t wait_on_record = -1;
  model::CollectiveArgs collective;
  std::string text_storage;  // backing store for a decoded array arg (rare)
  // A token that is not JSON at all (simdjson does not validate skipped atoms): fatal.
  std::string fatal;
  // First problem found while decoding (wrong JSON type, ...); empty if none.
  std::string problem;
};

class EventSink {
 public:
  EventSink(model::RankTraceBuilder* builder, Diagnostics* diagnostics, std::string source)
      : builder_(builder), diagnostics_(diagnostics), source_(std::move(source)) {}

  // Adds `event` to the builder. If it cannot be used, returns why (the caller reports it
  // with Skip, which needs the event's place).
  std::optional<std::string> Add(const RawEvent& event);
  // Records that event `index` (at input byte `offset`) was skipped, and why.
  void Skip(uint64_t index, uint64_t offset, std::string_view why);
  // Reports `B` events never ended and applies thread names to their tracks.
  void Finish();

 private:
  void AddComplete(const RawEvent& event, int64_t ts, int64_t dur);

  struct Open {
    int64_t ts;
    RawEvent event;  // strings re-pointed at `names`
    std::string name, cat;
  };
  model::RankTraceBuilder* builder_;
  Diagnostics* diagnostics_;
  std::string source_;
  std::unordered_map<uint32_t, std::vector<Open>> open_spans_;  // by track
  std::vector<std::pair<std::pair<int64_t, int64_t>, std::string>> thread_names_;
};

}  // namespace trainscope::ingest::kineto
