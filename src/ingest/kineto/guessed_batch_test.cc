// SPDX-License-Identifier: Apache-2.0
// The reader's guessed batches (stream_reader.cc: a batch ends at a guessed "}," and simdjson
// proves it): traces of several hundred KiB whose guesses land inside events (nested objects
// ending in "},"), past the array's end (top-level lists of objects after traceEvents), and on
// bad JSON deep in the file. Expected values come from how each trace is generated: event i has
// ts = 10 * i us and dur = i % 7 us; the byte offset of a bad event is found in the text.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "ingest/kineto/kineto_reader.h"
#include "support/status_matchers.h"

namespace trainscope::ingest::kineto {
namespace {

using ::testing::HasSubstr;

// One complete event; `nested` adds an args object whose inner objects end in "},".
std::string Event(int i, bool nested) {
  std::string args = nested ? R"(, "args": {"a": {"b": {"c": 1}, "d": [{"e": 2}, {"f": 3}]}, "g": 4})"
                            : R"(, "args": {"External id": )" + std::to_string(i) + "}";
  return R"({"ph": "X", "cat": "cpu_op", "name": "op)" + std::to_string(i % 13) +
         R"(", "pid": 1, "tid": 1, "ts": )" + std::to_string(10 * i) +
         R"(, "dur": )" + std::to_string(i % 7) + args + "}";
}

// `n` events, every `nested_every`-th with nested args; `tail` follows the array.
std::string Trace(int n, int nested_every, const std::string& tail) {
  std::string text = R"({"schemaVersion": 1, "traceEvents": [)";
  for (int i = 0; i < n; ++i) {
    if (i > 0) text += ",\n  ";
    text += Event(i, nested_every > 0 && i % nested_every == 0);
  }
  return text + "]" + tail + "}";
}

Result<model::RankTrace> Read(const std::string& text, Diagnostics* diags) {
  auto source = MemoryByteSource("big.json", text.data(), text.size());
  RankFileInfo info;
  return ReadKinetoRank(*source, &info, diags);
}

void ExpectEvents(const model::RankTrace& trace, int n) {
  ASSERT_EQ(trace.events.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {  // already in ts order, so row i is event i
    ASSERT_EQ(trace.events.ts[static_cast<size_t>(i)], int64_t{10'000} * i) << "event " << i;
    ASSERT_EQ(trace.events.dur[static_cast<size_t>(i)], int64_t{1000} * (i % 7)) << "event " << i;
  }
}

TEST(GuessedBatchTest, PlainEventsAcrossManyBatches) {
  std::string text = Trace(20'000, 0, "");  // ~2.5 MB: many guessed batches and refills
  ASSERT_GT(text.size(), size_t{2} << 20);
  Diagnostics diags;
  ASSERT_OK_AND_ASSIGN(model::RankTrace trace, Read(text, &diags));
  EXPECT_TRUE(diags.empty());
  ExpectEvents(trace, 20'000);
}

TEST(GuessedBatchTest, GuessesInsideNestedObjectsAreCaught) {
  // Every event nested: nearly every guess lands inside an event's args (it stops guessing
  // after enough wrong ones); every third: a mix of right and wrong guesses.
  for (int every : {1, 3}) {
    std::string text = Trace(8'000, every, "");
    Diagnostics diags;
    ASSERT_OK_AND_ASSIGN(model::RankTrace trace, Read(text, &diags));
    ExpectEvents(trace, 8'000);
  }
}

TEST(GuessedBatchTest, GuessPastTheArraysEnd) {
  // Objects ending in "}," after traceEvents: a guess in the last window lands there.
  std::string devices = R"(, "deviceProperties": [)";
  for (int d = 0; d < 2'000; ++d) devices += (d ? ", " : "") + std::string(R"({"id": )") + std::to_string(d) + "}";
  devices += "]";
  for (int n : {3'000, 3'100, 3'200}) {  // the array's end at different places in a window
    Diagnostics diags;
    ASSERT_OK_AND_ASSIGN(model::RankTrace trace, Read(Trace(n, 5, devices), &diags));
    ExpectEvents(trace, n);
  }
}

TEST(GuessedBatchTest, BadJsonDeepInTheFileIsReportedAtItsEvent) {
  std::string text = Trace(6'000, 4, "");
  // Event 4321's "dur" value becomes "1x" (not JSON): the exact path's message and place.
  const std::string needle = R"("ts": 43210, "dur": )";
  size_t at = text.find(needle);
  ASSERT_NE(at, std::string::npos);
  text.insert(at + needle.size(), "x");
  size_t event_start = text.rfind(R"({"ph")", at);
  Diagnostics diags;
  auto result = Read(text, &diags);
  ASSERT_FALSE(result.has_value());
  EXPECT_THAT(result.status().message(),
              HasSubstr("event 4321 (byte " + std::to_string(event_start) + ")"));
}

TEST(GuessedBatchTest, MalformedEventIsSkippedWithItsPlace) {
  std::string text = Trace(6'000, 0, "");
  const std::string needle = R"("ts": 50000, "dur": )";  // event 5000
  size_t at = text.find(needle);
  ASSERT_NE(at, std::string::npos);
  text.replace(at + needle.size(), 1, R"("5")");  // a string: the event is skipped
  size_t event_start = text.rfind(R"({"ph")", at);
  Diagnostics diags;
  ASSERT_OK_AND_ASSIGN(model::RankTrace trace, Read(text, &diags));
  EXPECT_EQ(trace.events.size(), 5'999u);
  ASSERT_EQ(diags.Count("malformed_event"), 1);
  EXPECT_THAT(diags.items()[0].message,
              HasSubstr("event 5000 (byte " + std::to_string(event_start) + ")"));
}

}  // namespace
}  // namespace trainscope::ingest::kineto
