// SPDX-License-Identifier: Apache-2.0
// Every input in tests/data/bad/ (see its README) gives its one clear message: the file, the
// place (byte offset or event index) and what is wrong. Byte offsets were checked with
// python3 (e.g. `t=open(f).read(); t.index('42')` for event_not_object.json; the events of the
// one-line-per-event files start at bytes 67 and 157, found with re.finditer('{"ph"', t)).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "ingest/kineto/kineto_reader.h"
#include "support/status_matchers.h"
#include "support/test_data.h"

namespace trainscope::ingest::kineto {
namespace {

using testing::StatusIs;
using trainscope::testing::TestDataPath;

struct ErrorCase {
  const char* input;  // under tests/data/bad/
  StatusCode code;
  const char* message;  // expected substring, after "<path>: "
};

class BadInputTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(BadInputTest, FailsWithOneClearMessage) {
  const ErrorCase& c = GetParam();
  std::string path = TestDataPath(std::string("bad/") + c.input);
  Result<model::JobTrace> job = ReadKinetoJob(path, ReadOptions{1});
  ASSERT_FALSE(job.has_value()) << c.input << " loaded without error";
  EXPECT_THAT(job, StatusIs(c.code, c.message));
  // The message names the file that is wrong.
  EXPECT_NE(job.error().message().find("tests/data/bad/"), std::string::npos)
      << job.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Files, BadInputTest,
    ::testing::Values(
        ErrorCase{"empty.json", StatusCode::kDataLoss, "empty.json: byte 0: empty file"},
        ErrorCase{"whitespace_only.json", StatusCode::kDataLoss,
                  "byte 6: unexpected end of input at the start"},
        // First 5000 bytes of demo/rank-0.json (the input ends at byte 5000): 31 whole events, the
        // last ending at byte 4842
        // (python3: json.loads on each event line of the cut file).
        ErrorCase{"truncated.json", StatusCode::kDataLoss,
                  "byte 5000: unexpected end of input inside traceEvents after 31 complete events "
                  "(the last ends at byte 4842;"},
        ErrorCase{"truncated.json.gz", StatusCode::kDataLoss, "truncated gzip stream"},
        ErrorCase{"corrupt.json.gz", StatusCode::kDataLoss, "corrupt gzip data"},
        ErrorCase{"invalid_literal.json", StatusCode::kInvalidArgument,
                  "event 1 (byte 157): invalid JSON: \"dur\" has a value that is not JSON (tru)"},
        ErrorCase{"not_json.txt", StatusCode::kInvalidArgument,
                  "byte 0: expected a JSON object or array, found 'h'"},
        ErrorCase{"trace_events_not_array.json", StatusCode::kInvalidArgument,
                  "byte 16: \"traceEvents\" must be an array, found '{'"},
        ErrorCase{"no_trace_events.json", StatusCode::kInvalidArgument,
                  "the top-level object has no \"traceEvents\" array"},
        ErrorCase{"event_not_object.json", StatusCode::kInvalidArgument,
                  "byte 91: traceEvents element 1: event is not a JSON object"},
        ErrorCase{"missing_comma.json", StatusCode::kInvalidArgument,
                  "byte 156: traceEvents element 1: expected ',' or ']' after event 1"},
        ErrorCase{"trailing_garbage.json", StatusCode::kInvalidArgument,
                  "byte 159: unexpected 'x' after the end of the JSON document"},
        ErrorCase{"rank_wrong_type.json", StatusCode::kInvalidArgument,
                  "distributedInfo.rank is a string, expected an integer"},
        ErrorCase{"rank_outside_world.json", StatusCode::kInvalidArgument,
                  "contradictory distributedInfo: rank 5 is outside world_size 4"},
        ErrorCase{"distributed_info_no_rank.json", StatusCode::kInvalidArgument,
                  "distributedInfo has no \"rank\""},
        ErrorCase{"distributed_info_not_object.json", StatusCode::kInvalidArgument,
                  "distributedInfo is an array, expected an object"},
        ErrorCase{"base_time_string.json", StatusCode::kInvalidArgument,
                  "baseTimeNanoseconds is a string, expected an integer"},
        ErrorCase{"duplicate_ranks", StatusCode::kInvalidArgument,
                  "b.json: duplicate rank 1 (also in"},
        ErrorCase{"other_job", StatusCode::kInvalidArgument,
                  "rank-1.json: world_size 8 differs from world_size 2 in"},
        ErrorCase{"pg_mismatch", StatusCode::kInvalidArgument,
                  "rank-1.json: distributedInfo.pg_config differs from the one in"},
        ErrorCase{"unknown_rank", StatusCode::kInvalidArgument,
                  "alpha.json: no distributedInfo and no rank in the file name"},
        // Issue 21 item 3. Bytes counted in the files (python3: data.index(b"\xff"), ...).
        ErrorCase{"invalid_utf8_name.json", StatusCode::kInvalidArgument,
                  "event 1 (byte 157): invalid UTF-8 at byte 201"},
        // A top-level value simdjson refuses: where it starts and the byte at fault.
        ErrorCase{"nul_in_distributed_info.json", StatusCode::kInvalidArgument,
                  "top-level \"distributedInfo\" at byte 20 (control byte 0x00 at byte 31) is "
                  "not valid JSON"},
        ErrorCase{"nul_in_string.json", StatusCode::kInvalidArgument,
                  "event 1 (byte 157): a control byte that JSON requires escaped at byte 199 "
                  "(\\x00)"},
        ErrorCase{"world_size_zero.json", StatusCode::kInvalidArgument,
                  "distributedInfo.world_size is 0"},
        ErrorCase{"rank_negative.json", StatusCode::kInvalidArgument,
                  "rank -1 is outside world_size 2"},
        ErrorCase{"rank_huge.json", StatusCode::kInvalidArgument,
                  "distributedInfo.rank is 1e+20, expected a whole number"},
        ErrorCase{"trace_events_null.json", StatusCode::kInvalidArgument,
                  "byte 16: \"traceEvents\" must be an array, found 'n'"},
        ErrorCase{"unterminated_string.json", StatusCode::kDataLoss,
                  "byte 95: unexpected end of input inside traceEvents after 0 complete events "
                  "(file truncated?)"},
        ErrorCase{"open_array.json", StatusCode::kDataLoss,
                  "byte 17: unexpected end of input inside traceEvents"},
        ErrorCase{"top_level_string.json", StatusCode::kInvalidArgument,
                  "byte 0: expected a JSON object or array, found '\"'"},
        ErrorCase{"gzip_of_garbage.json.gz", StatusCode::kInvalidArgument,
                  "byte 0: expected a JSON object or array, found '\\x00'"},
        ErrorCase{"gzip_empty_member.json.gz", StatusCode::kDataLoss, "byte 0: empty file"},
        ErrorCase{"empty_dir", StatusCode::kNotFound, "no Kineto trace files in it"}));

struct RecoveryCase {
  const char* input;
  const char* diagnostic;  // name
  const char* message;     // expected substring
  size_t events_kept;
};

class RecoveryTest : public ::testing::TestWithParam<RecoveryCase> {};

TEST_P(RecoveryTest, SkipsOrWarnsAndSaysSo) {
  const RecoveryCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(model::JobTrace job,
                       ReadKinetoJob(TestDataPath(std::string("bad/") + c.input), ReadOptions{1}));
  ASSERT_EQ(job.diagnostics.Count(c.diagnostic), 1) << c.input;
  bool found = false;
  for (const Diagnostic& d : job.diagnostics.items()) {
    if (d.name == c.diagnostic) {
      EXPECT_NE(d.message.find(c.message), std::string::npos) << d.message;
      found = true;
    }
  }
  EXPECT_TRUE(found);
  ASSERT_EQ(job.ranks.size(), 1u);
  EXPECT_EQ(job.ranks[0].events.size(), c.events_kept);
}

INSTANTIATE_TEST_SUITE_P(
    Files, RecoveryTest,
    ::testing::Values(
        RecoveryCase{"negative_dur.json", "malformed_event",
                     "event 1 (byte 157): negative \"dur\" (-5 us); event skipped", 1},
        RecoveryCase{"nan_dur.json", "malformed_event",
                     "event 1 (byte 157): \"dur\" is not a finite number (NaN); event skipped", 1},
        // Finite numbers past int64 ns were called 'not a finite number (1e+300)'.
        RecoveryCase{"huge_ts.json", "malformed_event",
                     "event 1 (byte 157): \"ts\" 1e300 us is negative or after the year 2065", 1},
        RecoveryCase{"huge_dur.json", "malformed_event",
                     "event 1 (byte 157): \"dur\" 1e300 us is out of range", 1},
        RecoveryCase{"ts_string.json", "malformed_event",
                     "event 1 (byte 157): \"ts\" is a string, expected a number; event skipped", 1},
        RecoveryCase{"name_wrong_type.json", "malformed_event",
                     "event 1 (byte 157): \"name\" is a number, expected a string", 1},
        RecoveryCase{"end_without_begin.json", "malformed_event",
                     "event 1 (byte 157): \"E\" (end) event with no open \"B\" event", 1},
        // The kernel (ts 90 us) starts 10 us before its launch (ts 100 us): clocks disagree.
        RecoveryCase{"kernel_before_launch.json", "gpu_op_before_launch",
                     "GPU op 'gemm' starts 10000 ns before its launch; timestamps kept", 2}));

}  // namespace
}  // namespace trainscope::ingest::kineto

namespace trainscope::ingest::kineto {
namespace {

// Regressions for undefined behaviour found by fuzz/kineto_reader_fuzzer.cc (UBSan reports):
// a double pid outside int64 was cast to int64; tid = INT64_MIN overflowed the track hash.
TEST(BadInputRegressionTest, ExtremeIdsLoadWithoutOverflow) {
  for (const char* input : {"pid_huge_double.json", "tid_int64_min.json"}) {
    ASSERT_OK_AND_ASSIGN(
        model::JobTrace job,
        ReadKinetoJob(trainscope::testing::TestDataPath(std::string("bad/") + input),
                      ReadOptions{1}));
    ASSERT_EQ(job.ranks.size(), 1u);
    ASSERT_EQ(job.ranks[0].events.size(), 1u);
    const model::Track& track = job.ranks[0].tracks[0];
    if (std::string(input) == "pid_huge_double.json") {
      EXPECT_EQ(track.pid, -1);
    } else {
      EXPECT_EQ(track.tid, std::numeric_limits<int64_t>::min());
    }
  }
}

// Invalid UTF-8 is reported at its own byte and event (it was reported at the batch's first
// event: "event 0 (byte 339)" for a bad byte at 1050).
TEST(BadInputRegressionTest, InvalidUtf8IsReportedWhereItIs) {
  std::ifstream in(TestDataPath("kineto/demo/rank-0.json"), std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const size_t name = text.find("\"name\"", 900);
  ASSERT_NE(name, std::string::npos);
  const size_t bad = name + 9;
  text = text.substr(0, bad) + '\xFF' + text.substr(bad);
  const size_t event_start = text.rfind("{\"", bad);
  const auto path = std::filesystem::path(::testing::TempDir()) / "bad_utf8.json";
  std::ofstream(path, std::ios::binary) << text;
  EXPECT_THAT(ReadKinetoJob(path.string(), ReadOptions{1}),
              StatusIs(StatusCode::kInvalidArgument,
                       fmt::format("(byte {}): invalid UTF-8 at byte {}", event_start, bad)));
  std::filesystem::remove(path);
}

// A UTF-8 byte order mark before the JSON is accepted (it gave "found '\xef'"), and byte
// offsets stay the file's: invalid_literal.json's error at byte 157 is at byte 160 behind one.
TEST(BadInputRegressionTest, ByteOrderMarkIsSkippedAndOffsetsStayTheFiles) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "kineto_bom";
  std::filesystem::create_directories(dir);
  auto with_bom = [&](const std::string& from, const std::string& name) {
    std::ifstream in(from, std::ios::binary);
    std::ofstream out(dir / name, std::ios::binary);
    out << "\xEF\xBB\xBF" << in.rdbuf();
    return (dir / name).string();
  };
  const std::string good = TestDataPath("kineto/demo/rank-0.json");
  ASSERT_OK_AND_ASSIGN(model::JobTrace plain, ReadKinetoJob(good, ReadOptions{1}));
  ASSERT_OK_AND_ASSIGN(model::JobTrace bom,
                       ReadKinetoJob(with_bom(good, "rank-0.json"), ReadOptions{1}));
  ASSERT_EQ(bom.ranks.size(), 1u);
  EXPECT_EQ(bom.ranks[0].events.size(), plain.ranks[0].events.size());
  EXPECT_THAT(
      ReadKinetoJob(with_bom(TestDataPath("bad/invalid_literal.json"), "bad.json"), ReadOptions{1}),
      StatusIs(StatusCode::kInvalidArgument, "event 1 (byte 160): invalid JSON"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trainscope::ingest::kineto
