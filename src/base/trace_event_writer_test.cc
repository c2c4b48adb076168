// SPDX-License-Identifier: Apache-2.0
// Tests for TraceEventWriter: files written to a temp dir, read back with nlohmann-json (an
// independent parser) and, where the byte layout matters, compared as text.
#include "base/trace_event_writer.h"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/status_matchers.h"

namespace trainscope {
namespace {

using ::trainscope::testing::StatusIs;

class TraceEventWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trace_event_writer_test." + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::filesystem::path dir_;
};

TEST_F(TraceEventWriterTest, EveryEventKindParsesBackWithItsFields) {
  const std::string path = Path("all.json");
  TraceEventWriter trace;
  ASSERT_OK(trace.Open(path));
  trace.json().Field("displayTimeUnit", "ns");
  trace.BeginEvents();
  trace.ProcessName(3, "rank \"3\"");
  trace.ProcessSortIndex(3, 7);
  trace.ThreadName(3, 21, "stream 21");
  trace.ThreadSortIndex(3, 21, 2);
  trace.Complete({.name = "gemm", .category = "kernel", .pid = 3, .tid = 21, .ts_ns = 1'234'567,
                  .dur_ns = 89},
                 [](JsonWriter& args) { args.Field("step", 4).Field("straggling", true); });
  trace.Complete({.name = "idle", .category = "cpu", .pid = 3, .tid = 1, .ts_ns = 5, .dur_ns = 0});
  trace.Instant({.name = "mark", .category = "user", .pid = 3, .tid = 1, .ts_ns = 2000});
  trace.FlowStart({.id = 9, .name = "ar", .category = "collective", .pid = 3, .tid = 21,
                   .ts_ns = 1'234'600});
  trace.FlowEnd({.id = 9, .name = "ar", .category = "collective", .pid = 4, .tid = 21,
                 .ts_ns = 1'300'000});
  trace.Counter("memory", 3, 4000, 2.5);
  trace.EndEvents();
  trace.json().Field("traceName", "all.json");
  ASSERT_OK(trace.Close());
  EXPECT_EQ(trace.events(), 10);

  const std::string text = Read(path);
  EXPECT_EQ(trace.bytes(), text.size());
  const nlohmann::json doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["displayTimeUnit"], "ns");
  EXPECT_EQ(doc["traceName"], "all.json");
  const nlohmann::json& events = doc["traceEvents"];
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(events[0]["ph"], "M");
  EXPECT_EQ(events[0]["name"], "process_name");
  EXPECT_EQ(events[0]["args"]["name"], "rank \"3\"");
  EXPECT_FALSE(events[0].contains("tid"));
  EXPECT_EQ(events[1]["args"]["sort_index"], 7);
  EXPECT_EQ(events[2]["name"], "thread_name");
  EXPECT_EQ(events[2]["tid"], 21);
  EXPECT_EQ(events[3]["name"], "thread_sort_index");
  const nlohmann::json& slice = events[4];
  EXPECT_EQ(slice["ph"], "X");
  EXPECT_EQ(slice["name"], "gemm");
  EXPECT_EQ(slice["cat"], "kernel");
  EXPECT_EQ(slice["pid"], 3);
  EXPECT_EQ(slice["tid"], 21);
  EXPECT_DOUBLE_EQ(slice["ts"].get<double>(), 1234.567);
  EXPECT_DOUBLE_EQ(slice["dur"].get<double>(), 0.089);
  EXPECT_EQ(slice["args"]["step"], 4);
  EXPECT_EQ(slice["args"]["straggling"], true);
  EXPECT_FALSE(events[5].contains("args"));
  EXPECT_EQ(events[6]["ph"], "i");
  EXPECT_EQ(events[6]["s"], "t");
  EXPECT_EQ(events[7]["ph"], "s");
  EXPECT_EQ(events[7]["id"], 9);
  EXPECT_FALSE(events[7].contains("bp"));
  EXPECT_EQ(events[8]["ph"], "f");
  EXPECT_EQ(events[8]["bp"], "e");
  EXPECT_EQ(events[8]["pid"], 4);
  EXPECT_EQ(events[9]["ph"], "C");
  EXPECT_DOUBLE_EQ(events[9]["args"]["value"].get<double>(), 2.5);
}

TEST_F(TraceEventWriterTest, FieldOrderAndExactMicrosecondsAreFixed) {
  const std::string path = Path("order.json");
  TraceEventWriter trace;
  ASSERT_OK(trace.Open(path));
  trace.BeginEvents();
  trace.Complete({.name = "a", .category = "c", .pid = 1, .tid = 2, .ts_ns = -1, .dur_ns = 1000},
                 [](JsonWriter&) {});
  trace.FlowEnd({.id = 1, .name = "f", .category = "c", .pid = 1, .tid = 2, .ts_ns = 7});
  trace.Complete({.name = "min", .category = "c", .ts_ns = std::numeric_limits<int64_t>::min()});
  ASSERT_OK(trace.Close());
  EXPECT_EQ(Read(path),
            R"({"traceEvents":[{"ph":"X","name":"a","cat":"c","pid":1,"tid":2,"ts":-0.001,)"
            R"("dur":1.000,"args":{}},{"ph":"f","id":1,"name":"f","cat":"c","pid":1,"tid":2,)"
            R"("ts":0.007,"bp":"e"},{"ph":"X","name":"min","cat":"c","pid":0,"tid":0,)"
            R"("ts":-9223372036854775.808,"dur":0.000}]})");
}

TEST_F(TraceEventWriterTest, KinetoLayoutPutsCategoryFirstWithShortestDoubles) {
  const std::string path = Path("kineto.json");
  TraceEventWriter trace(
      {.time_format = TraceTimeFormat::kShortestDouble, .category_before_name = true});
  ASSERT_OK(trace.Open(path));
  trace.json().Field("schemaVersion", 1);
  trace.BeginEvents();
  trace.Complete({.name = "k", .category = "kernel", .pid = 0, .tid = 7, .ts_ns = 1500,
                  .dur_ns = 2000});
  trace.EndEvents();
  trace.json().Field("displayTimeUnit", "ms");
  ASSERT_OK(trace.Close());
  EXPECT_EQ(Read(path),
            R"({"schemaVersion":1,"traceEvents":[{"ph":"X","cat":"kernel","name":"k","pid":0,)"
            R"("tid":7,"ts":1.5,"dur":2}],"displayTimeUnit":"ms"})");
}

TEST_F(TraceEventWriterTest, LargeFileIsStreamedAndCounted) {
  const std::string path = Path("large.json");
  TraceEventWriter trace;
  ASSERT_OK(trace.Open(path));
  trace.BeginEvents();
  constexpr int kSlices = 40'000;  // ~3 MiB: several flushes
  for (int i = 0; i < kSlices; ++i) {
    trace.Complete({.name = "op", .category = "kernel", .pid = i % 8, .tid = 7,
                    .ts_ns = int64_t{i} * 1000, .dur_ns = 900},
                   [&](JsonWriter& args) { args.Field("i", i); });
  }
  ASSERT_OK(trace.Close());
  const std::string text = Read(path);
  EXPECT_GT(text.size(), size_t{2} << 20);
  EXPECT_EQ(trace.bytes(), text.size());
  const nlohmann::json doc = nlohmann::json::parse(text);
  ASSERT_EQ(doc["traceEvents"].size(), static_cast<size_t>(kSlices));
  EXPECT_EQ(doc["traceEvents"][kSlices - 1]["args"]["i"], kSlices - 1);
}

TEST_F(TraceEventWriterTest, FailedWriteNamesThePath) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  TraceEventWriter trace;
  ASSERT_OK(trace.Open("/dev/full"));
  trace.BeginEvents();
  trace.Complete({.name = "x", .category = "c"});
  EXPECT_THAT(trace.Close(), StatusIs(StatusCode::kIo, "/dev/full: write failed"));
}

TEST_F(TraceEventWriterTest, UnopenableFileNamesThePath) {
  TraceEventWriter trace;
  const std::string path = Path("no-such-dir/out.json");
  EXPECT_THAT(trace.Open(path), StatusIs(StatusCode::kIo, path + ": cannot open for writing"));
}

// Without Close() nothing is written: the output goes to a temporary file that only Close() puts
// in place, so a failed run leaves no half trace (and an earlier file stays as it was).
TEST_F(TraceEventWriterTest, DestructorWithoutCloseWritesNothing) {
  const std::string path = Path("unclosed.json");
  {
    std::ofstream(path) << "earlier";
    TraceEventWriter trace;
    ASSERT_OK(trace.Open(path));
    trace.BeginEvents();
    trace.Complete({.name = "x", .category = "c"});
  }
  EXPECT_EQ(Read(path), "earlier");
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".unclosed.json.tmp"), std::string::npos);
  }
}

// A device is written in place, never replaced by renaming a file over it (as root that turned
// /dev/full into a plain file).
TEST_F(TraceEventWriterTest, DevicesAreWrittenInPlace) {
  if (!std::filesystem::is_character_file("/dev/null")) GTEST_SKIP() << "no /dev/null";
  TraceEventWriter trace;
  ASSERT_OK(trace.Open("/dev/null"));
  trace.BeginEvents();
  trace.Complete({.name = "x", .category = "c"});
  ASSERT_OK(trace.Close());
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
  if (std::filesystem::exists("/dev/full")) {
    EXPECT_TRUE(std::filesystem::is_character_file("/dev/full"));
  }
}

}  // namespace
}  // namespace trainscope
