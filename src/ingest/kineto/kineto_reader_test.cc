// SPDX-License-Identifier: Apache-2.0
// Kineto reader on small inline traces (expected values worked out by hand in comments).
#include "ingest/kineto/kineto_reader.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"
#include "support/test_data.h"

namespace trainscope::ingest::kineto {
namespace {

using model::EventKind;
using testing::StatusIs;

Result<model::RankTrace> Read(const std::string& text, RankFileInfo* info, Diagnostics* diags) {
  auto source = MemoryByteSource("mem.json", text.data(), text.size());
  return ReadKinetoRank(*source, info, diags);
}

// Two ranks' worth of Kineto: step 3 on the CPU, a launch and its kernel, an NCCL all_reduce
// with collective args; baseTimeNanoseconds comes after traceEvents (as in real files).
const char* kRank = R"json({
  "schemaVersion": 1,
  "distributedInfo": {"backend": "nccl", "rank": 1, "world_size": 2,
    "pg_config": [{"pg_name": "0", "pg_desc": "default_pg", "pg_size": 2, "ranks": [0, 1]}]},
  "traceEvents": [
    {"ph": "X", "cat": "user_annotation", "name": "ProfilerStep#3", "pid": 10, "tid": 10,
     "ts": 100, "dur": 50},
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 10, "tid": 10,
     "ts": 110.5, "dur": 2, "args": {"correlation": 7, "unknown": {"deep": [1, 2]}}},
    {"ph": "X", "cat": "kernel", "name": "gemm", "pid": 0, "tid": 7, "ts": 160.25, "dur": 10,
     "args": {"correlation": 7, "stream": 7, "device": 0}},
    {"ph": "X", "cat": "kernel", "name": "ncclDevKernel_AllReduce_Sum_f32_RING_LL(x)",
     "pid": 0, "tid": 40, "ts": 120, "dur": 20,
     "args": {"stream": 40, "Collective name": "allreduce", "In msg nelems": 1024,
              "Out msg nelems": 1024, "dtype": "Float", "Process Group Name": "0",
              "Process Group Description": "default_pg", "Process Group Ranks": "[0, 1]",
              "Seq": 5}},
    {"ph": "X", "cat": "made_up_category", "name": "mystery", "pid": 10, "tid": 10,
     "ts": 130, "dur": 1},
    {"ph": "M", "name": "thread_name", "pid": 10, "tid": 10, "args": {"name": "main \"thread\""}},
    {"ph": "s", "id": 7, "pid": 10, "tid": 10, "ts": 110.5, "cat": "ac2g", "name": "ac2g"}
  ],
  "baseTimeNanoseconds": 1000000
})json";

TEST(KinetoReaderTest, ReadsEventsArgsAndTopLevel) {
  RankFileInfo info;
  Diagnostics diags;
  ASSERT_OK_AND_ASSIGN(model::RankTrace r, Read(kRank, &info, &diags));
  EXPECT_TRUE(diags.empty());
  EXPECT_EQ(info.rank, 1);
  EXPECT_EQ(info.world_size, 2);
  EXPECT_EQ(info.events_in_file, 7u);
  EXPECT_EQ(info.base_time_ns, 1000000);
  ASSERT_EQ(info.pg_config.size(), 1u);
  EXPECT_EQ(info.pg_config[0].ranks, (std::vector<int>{0, 1}));
  EXPECT_EQ(r.rank, 1);
  // 5 complete events (M and s are not events). Sorted: step(100), launch(110.5),
  // nccl(120), mystery(130), gemm(160.25). ts = us * 1000 + base 1e6 ns.
  ASSERT_EQ(r.events.size(), 5u);
  EXPECT_EQ(r.events.ts[1], 1'110'500);
  EXPECT_EQ(r.events.ts[4], 1'160'250);
  EXPECT_EQ(r.events.kind[2], EventKind::kCollective);
  EXPECT_EQ(r.events.kind[3], EventKind::kOther);
  EXPECT_EQ(r.events.kind[4], EventKind::kKernel);
  EXPECT_EQ(r.events.link[4], model::EventId(1));
  EXPECT_EQ(r.events.step[4], model::StepIndex(0));
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].number, 3);
  ASSERT_EQ(r.collectives.size(), 1u);
  EXPECT_EQ(r.collectives.type[0], model::CollectiveType::kAllReduce);
  EXPECT_EQ(r.collectives.in_nelems[0], 1024);
  EXPECT_EQ(r.collectives.bytes[0], 4096);
  EXPECT_EQ(r.collectives.seq[0], 5);
  EXPECT_EQ(r.collectives.stream[0], 40);
  ASSERT_TRUE(r.collectives.group[0].valid());
  EXPECT_EQ(r.process_groups[r.collectives.group[0].value()].description, "default_pg");
  EXPECT_EQ(r.strings.Get(r.tracks[r.events.track[0].value()].name), "main \"thread\"");
}

TEST(KinetoReaderTest, ChromeArrayFormAndBeginEndPairs) {
  const char* text = R"([
    {"ph": "B", "name": "outer", "pid": 1, "tid": 1, "ts": 10},
    {"ph": "B", "name": "inner", "pid": 1, "tid": 1, "ts": 12},
    {"ph": "E", "pid": 1, "tid": 1, "ts": 15},
    {"ph": "E", "pid": 1, "tid": 1, "ts": 20},
    {"ph": "X", "name": "x", "pid": 1, "tid": 2, "ts": 1e1, "dur": 0.0015}
  ])";
  RankFileInfo info;
  Diagnostics diags;
  ASSERT_OK_AND_ASSIGN(model::RankTrace r, Read(text, &info, &diags));
  EXPECT_FALSE(info.has_distributed_info);
  ASSERT_EQ(r.events.size(), 3u);
  // Sorted by (ts, -dur): outer [10,20) and x [10, 10.0015) tie on ts; outer is longer.
  EXPECT_EQ(r.Name(model::EventId(0)), "outer");
  EXPECT_EQ(r.events.dur[0], 10'000);
  EXPECT_EQ(r.events.dur[1], 2);  // 0.0015 us = 1.5 ns, rounded to nearest
  EXPECT_EQ(r.Name(model::EventId(2)), "inner");
  EXPECT_EQ(r.events.dur[2], 3'000);
}

// Names are used in place unless they hold escapes; those are decoded (quote, backslash, \n,
// \u00e9 = UTF-8 C3 A9), also next to plain ones and in "cat". A bad escape is invalid JSON.
TEST(KinetoReaderTest, EscapedStringsAreDecoded) {
  const char* text = R"([
    {"ph": "X", "cat": "cpu\u005fop", "name": "a\"b\\c\n\u00e9", "pid": 1, "tid": 1, "ts": 1,
     "dur": 1},
    {"ph": "X", "cat": "cpu_op", "name": "plain", "pid": 1, "tid": 1, "ts": 2, "dur": 1}
  ])";
  RankFileInfo info;
  Diagnostics diags;
  ASSERT_OK_AND_ASSIGN(model::RankTrace r, Read(text, &info, &diags));
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.Name(model::EventId(0)), "a\"b\\c\n\xc3\xa9");
  EXPECT_EQ(r.events.kind[0], EventKind::kCpuOp);
  EXPECT_EQ(r.Name(model::EventId(1)), "plain");
  const char* bad = R"([{"ph": "X", "name": "a\qb", "pid": 1, "tid": 1, "ts": 1, "dur": 1}])";
  EXPECT_THAT(Read(bad, &info, &diags).status(),
              StatusIs(StatusCode::kInvalidArgument, "event 0 (byte 1): invalid JSON"));
}

// Integer fields (pid, tid, ids) are read without simdjson when they are plain digits; each
// token below checks where that path ends: 18 digits (the most it takes), 19 digits, 0, a
// negative, a double, whitespace before the comma. Not-JSON numbers stay errors.
TEST(KinetoReaderTest, IntegerFieldsAreExact) {
  const char* text = R"([
    {"ph": "X", "name": "a", "pid": 123456789012345678 , "tid": 9223372036854775807, "ts": 1,
     "dur": 1, "args": {"correlation": 0, "External id": 1000000000000000001}},
    {"ph": "X", "name": "b", "pid": -5, "tid": 7.9, "ts": 2, "dur": 1,
     "args": {"correlation": 42
     , "External id": 99}}
  ])";
  RankFileInfo info;
  Diagnostics diags;
  ASSERT_OK_AND_ASSIGN(model::RankTrace r, Read(text, &info, &diags));
  ASSERT_EQ(r.events.size(), 2u);
  const model::Track& a = r.tracks[r.events.track[0].value()];
  EXPECT_EQ(a.pid, 123456789012345678);
  EXPECT_EQ(a.tid, 9223372036854775807);
  EXPECT_EQ(r.events.correlation[0], 0);
  EXPECT_EQ(r.events.external_id[0], 1000000000000000001);
  const model::Track& b = r.tracks[r.events.track[1].value()];
  EXPECT_EQ(b.pid, -5);
  EXPECT_EQ(b.tid, 7);  // doubles are truncated
  EXPECT_EQ(r.events.correlation[1], 42);
  EXPECT_EQ(r.events.external_id[1], 99);
  for (const char* bad : {R"([{"ph": "X", "name": "a", "pid": 12x, "ts": 1, "dur": 1}])",
                          R"([{"ph": "X", "name": "a", "pid": 012, "ts": 1, "dur": 1}])",
                          R"([{"ph": "X", "name": "a", "pid": 12 3, "ts": 1, "dur": 1}])"}) {
    EXPECT_THAT(Read(bad, &info, &diags).status(),
                StatusIs(StatusCode::kInvalidArgument, "event 0 (byte 1): invalid JSON"))
        << bad;
  }
}

TEST(KinetoReaderTest, ManyEventsAcrossBatchesAndBufferRefills) {
  // 60k events (~6 MB) cross the 128 KiB batch size and the 512 KiB buffer many times.
  std::string text = R"({"traceEvents": [)";
  for (int i = 0; i < 60000; ++i) {
    if (i > 0) text += ",\n";
    text += R"({"ph":"X","cat":"cpu_op","name":"op)" + std::to_string(i % 100) +
            R"(","pid":1,"tid":1,"ts":)" + std::to_string(i) +
            R"(,"dur":1,"args":{"x":"pad pad pad pad pad pad pad"}})";
  }
  text += "]}";
  RankFileInfo info;
  Diagnostics diags;
  ASSERT_OK_AND_ASSIGN(model::RankTrace r, Read(text, &info, &diags));
  ASSERT_EQ(r.events.size(), 60000u);
  for (size_t i = 0; i < r.events.size(); ++i) ASSERT_EQ(r.events.ts[i], int64_t(i) * 1000);
  EXPECT_EQ(r.Name(model::EventId(12345)), "op45");
  EXPECT_EQ(r.strings.size(), 101u);  // "" + op0..op99
}

}  // namespace
}  // namespace trainscope::ingest::kineto

namespace trainscope::ingest::kineto {
namespace {

TEST(KinetoJobTest, DemoJobClockSkewIsRemoved) {
  // tests/data/kineto/make_demo_trace.py: rank 3's clock runs 250 us ahead and no file has a
  // base time; all ranks' all_reduce kernels end at the same true time.
  ASSERT_OK_AND_ASSIGN(
      model::JobTrace job,
      ReadKinetoJob(trainscope::testing::TestDataPath("kineto/demo"), ReadOptions{2}));
  ASSERT_EQ(job.ranks.size(), 4u);
  EXPECT_EQ(job.world_size, 4);
  EXPECT_EQ(job.clocks[0].source, model::ClockSource::kReference);
  for (size_t r = 1; r < 4; ++r) {
    EXPECT_EQ(job.clocks[r].source, model::ClockSource::kCollectiveEnds);
    EXPECT_EQ(job.clocks[r].matched_collectives, 2);
    EXPECT_EQ(job.clocks[r].offset_ns, r == 3 ? -250'000 : 0);
  }
  // After alignment the k-th all_reduce ends at the same ns on every rank.
  for (size_t k = 0; k < 2; ++k) {
    int64_t end0 = job.ranks[0].events.end(job.ranks[0].collectives.event[k]);
    for (const model::RankTrace& rank : job.ranks) {
      EXPECT_EQ(rank.events.end(rank.collectives.event[k]), end0) << "rank " << rank.rank;
    }
  }
  EXPECT_TRUE(job.diagnostics.empty());
}

}  // namespace
}  // namespace trainscope::ingest::kineto

namespace trainscope::ingest::kineto {
namespace {

TEST(KinetoJobTest, StepsAbsentOnSomeRanksAreReported) {
  auto rank_file = [](int rank, const std::string& steps) {
    return R"({"distributedInfo": {"rank": )" + std::to_string(rank) +
           R"(, "world_size": 2}, "traceEvents": [)" + steps + "]}";
  };
  auto step = [](int n, int ts) {
    return R"({"ph": "X", "cat": "user_annotation", "name": "ProfilerStep#)" + std::to_string(n) +
           R"(", "pid": 1, "tid": 1, "ts": )" + std::to_string(ts) + R"(, "dur": 10})";
  };
  std::string r0 = rank_file(0, step(1, 0) + "," + step(2, 20));
  std::string r1 = rank_file(1, step(1, 0));
  std::vector<std::unique_ptr<ByteSource>> sources;
  sources.push_back(MemoryByteSource("r0.json", r0.data(), r0.size()));
  sources.push_back(MemoryByteSource("r1.json", r1.data(), r1.size()));
  ASSERT_OK_AND_ASSIGN(model::JobTrace job, ReadKinetoJobFromSources(std::move(sources), {}));
  ASSERT_EQ(job.diagnostics.Count("step_absent"), 1);
  EXPECT_EQ(job.diagnostics.items()[0].message,
            "rank 1 has no ProfilerStep# 2 that other ranks have");
  EXPECT_EQ(job.diagnostics.items()[0].source, "r1.json");
}

// Each rank lists only the process groups it belongs to (a TP group {0,1} on rank 0, {2,3} on
// rank 2 of a 4-rank job): the lists differ but do not contradict, and the job gets their union.
TEST(KinetoReaderTest, RanksWithDifferentProcessGroupsAreOneJob) {
  auto rank_file = [](int rank, const std::string& tp_name, const std::string& tp_ranks) {
    return R"({"distributedInfo": {"rank": )" + std::to_string(rank) +
           R"(, "world_size": 4, "pg_config": [{"pg_name": "0", "pg_desc": "default_pg", )"
           R"("ranks": [0, 1, 2, 3]}, {"pg_name": ")" +
           tp_name + R"(", "pg_desc": "tp", "ranks": )" + tp_ranks + R"(}]}, "traceEvents": []})";
  };
  std::string r0 = rank_file(0, "1", "[0, 1]");
  std::string r2 = rank_file(2, "2", "[2, 3]");
  std::vector<std::unique_ptr<ByteSource>> sources;
  sources.push_back(MemoryByteSource("r0.json", r0.data(), r0.size()));
  sources.push_back(MemoryByteSource("r2.json", r2.data(), r2.size()));
  ASSERT_OK_AND_ASSIGN(model::JobTrace job, ReadKinetoJobFromSources(std::move(sources), {}));
  ASSERT_EQ(job.process_groups.size(), 3u);
  EXPECT_EQ(job.world_size, 4);
}

}  // namespace
}  // namespace trainscope::ingest::kineto
