// SPDX-License-Identifier: Apache-2.0
// RankTraceBuilder and clock alignment on hand-built ranks whose answers are worked out by hand
// in the comments.
#include "model/rank_builder.h"

#include <gtest/gtest.h>

#include "model/clock_align.h"

namespace trainscope::model {
namespace {

// One rank: step 7 spans [1000, 2000) ns on the CPU thread; a launch at 1900 whose kernel runs
// at 2500 (after the step ended), and an all_reduce kernel launched at 1100 running [1200,1300).
RankTrace MakeRank(int rank, int64_t shift, int64_t base_time, Diagnostics* diags) {
  RankTraceBuilder b(rank, "rank" + std::to_string(rank));
  TrackId cpu = b.Track(100, 100, false);
  TrackId compute = b.Track(0, 7, true);
  TrackId nccl = b.Track(0, 84, true);
  auto add = [&](int64_t ts, int64_t dur, const char* name, EventKind kind, TrackId track,
                 int64_t corr) {
    return b.AddEvent(EventRow{ts + shift, dur, b.strings().Intern(name), kind, track, corr, 0});
  };
  // Added out of time order on purpose: Finish() must sort.
  add(2500, 300, "gemm", EventKind::kKernel, compute, 2);
  uint32_t coll = add(1200, 100, "ncclKernel_SendRecv_RING", EventKind::kCollective, nccl, 1);
  add(1000, 1000, "ProfilerStep#7", EventKind::kUserAnnotation, cpu, 0);
  add(1050, 200, "nccl:all_to_all", EventKind::kUserAnnotation, cpu, 0);
  add(1100, 10, "cudaLaunchKernel", EventKind::kCudaRuntime, cpu, 1);
  add(1900, 10, "cudaLaunchKernel", EventKind::kCudaRuntime, cpu, 2);
  b.AddCollective(coll, CollectiveType::kSendRecv, CollectiveArgs{}, 84);
  return std::move(b).Finish(base_time, diags);
}

TEST(RankBuilderTest, SortsLinksAndAssignsSteps) {
  Diagnostics diags;
  RankTrace r = MakeRank(0, 0, 0, &diags);
  const EventTable& e = r.events;
  ASSERT_EQ(e.size(), 6u);
  for (size_t i = 1; i < e.size(); ++i) EXPECT_LE(e.ts[i - 1], e.ts[i]);
  EXPECT_EQ(r.Name(EventId(0)), "ProfilerStep#7");  // ts 1000, the earliest
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].number, 7);
  // The gemm kernel (ts 2500, last) runs after the step but was launched at 1900, inside it.
  EventId gemm(5);
  EXPECT_EQ(r.Name(gemm), "gemm");
  ASSERT_TRUE(e.link[5].valid());
  EXPECT_EQ(e.ts[e.link[5].value()], 1900);
  EXPECT_EQ(e.step[5], StepIndex(0));
  // The collective row follows its event through the sort and gets its type from nccl:.
  ASSERT_EQ(r.collectives.size(), 1u);
  EXPECT_EQ(r.Name(r.collectives.event[0]), "ncclKernel_SendRecv_RING");
  EXPECT_EQ(r.collectives.type[0], CollectiveType::kAllToAll);
  EXPECT_TRUE(diags.empty());
}

TEST(RankBuilderTest, BaseTimeIsAdded) {
  Diagnostics diags;
  RankTrace r = MakeRank(0, 0, 1'000'000'000, &diags);
  EXPECT_EQ(r.events.ts[0], 1'000'001'000);
  EXPECT_EQ(r.steps[0].ts, 1'000'001'000);
}

TEST(ClockAlignTest, RankWithSkewedClockIsShiftedBack) {
  // Rank 1's clock runs 5000 ns ahead: its collective ends at 1300 + 5000. The estimate must
  // be -5000 and after alignment both collectives end at 1300.
  JobTrace job;
  Diagnostics diags;
  job.ranks.push_back(MakeRank(0, 0, 0, &diags));
  job.ranks.push_back(MakeRank(1, 5000, 0, &diags));
  AlignClocks(job);
  EXPECT_EQ(job.clocks[0].source, ClockSource::kReference);
  EXPECT_EQ(job.clocks[1].source, ClockSource::kCollectiveEnds);
  EXPECT_EQ(job.clocks[1].offset_ns, -5000);
  EXPECT_EQ(job.clocks[1].matched_collectives, 1);
  const RankTrace& r1 = job.ranks[1];
  EXPECT_EQ(r1.events.end(r1.collectives.event[0]), 1300);
  EXPECT_EQ(r1.steps[0].ts, 1000);
}

// Both ranks on the epoch clock, rank 1's host 10 s ahead: its collective ends 10 s after rank
// 0's. The timestamps stay; the warning names the rank and the gap (it was silent, and what-if
// called the gap the ranks' start skew). 50 ms apart is within clock agreement: no warning.
TEST(ClockAlignTest, SkewedBaseTimeClockIsWarned) {
  JobTrace job;
  Diagnostics diags;
  job.ranks.push_back(MakeRank(0, 0, 1'000'000'000, &diags));
  job.ranks.push_back(MakeRank(1, 10'000'000'000, 1'000'000'000, &diags));
  job.ranks.push_back(MakeRank(2, 50'000'000, 1'000'000'000, &diags));
  AlignClocks(job);
  EXPECT_EQ(job.clocks[1].source, ClockSource::kBaseTime);
  EXPECT_EQ(job.clocks[1].offset_ns, 0);
  ASSERT_EQ(job.diagnostics.Count("clock_skew_suspected"), 1);
  EXPECT_NE(job.diagnostics.items()[0].message.find(
                "rank 1's collectives end 10.000 s after rank 0's (median of 1)"),
            std::string::npos)
      << job.diagnostics.items()[0].message;
}

TEST(RankBuilderTest, KernelBeforeLaunchIsDiagnosed) {
  RankTraceBuilder b(0, "f.json");
  TrackId cpu = b.Track(1, 1, false), gpu = b.Track(0, 7, true);
  b.AddEvent(EventRow{500, 10, b.strings().Intern("k"), EventKind::kKernel, gpu, 9, 0});
  b.AddEvent(EventRow{600, 10, b.strings().Intern("cudaLaunchKernel"), EventKind::kCudaRuntime, cpu,
                      9, 0});
  Diagnostics diags;
  RankTrace r = std::move(b).Finish(0, &diags);
  EXPECT_EQ(diags.Count("gpu_op_before_launch"), 1);
}

// Events name group "1" as [0, 1, 2], then as [0, 1] (a conflict); pg_config then says [0, 1]:
// its list is kept, and the events' other list [0, 1, 2] is the one conflict left. Group "2"
// first appears without members, which a later event fills in (no conflict).
TEST(RankBuilderTest, ProcessGroupConflictsAndGroupSize) {
  RankTraceBuilder b(0, "f.json");
  TrackId gpu = b.Track(0, 40, true);
  const auto nccl = [&](int64_t ts, const char* name, const char* ranks, int64_t size) {
    uint32_t i = b.AddEvent(EventRow{ts, 10, b.strings().Intern("ncclDevKernel_AllReduce"),
                                     EventKind::kCollective, gpu, 0, 0});
    CollectiveArgs args;
    args.group_name = name;
    args.group_ranks = ranks;
    args.group_size = size;
    b.AddCollective(i, CollectiveType::kAllReduce, args, 40);
  };
  nccl(100, "1", "[0, 1, 2]", 3);
  nccl(200, "1", "[0, 1]", -1);
  nccl(300, "1", "[0, 1]", 2);
  nccl(400, "2", "", -1);
  nccl(500, "2", "[0, 3]", 2);
  b.AddProcessGroup(ProcessGroup{"1", "dp", {0, 1}});
  Diagnostics diags;
  RankTrace r = std::move(b).Finish(0, &diags);
  ASSERT_EQ(r.process_groups.size(), 2u);
  EXPECT_EQ(r.process_groups[0].ranks, (std::vector<int>{0, 1}));
  EXPECT_EQ(r.process_groups[0].description, "dp");
  EXPECT_EQ(r.process_groups[1].ranks, (std::vector<int>{0, 3}));
  ASSERT_EQ(r.conflicting_groups.size(), 1u);
  EXPECT_EQ(r.conflicting_groups[0].name, "1");
  EXPECT_EQ(r.conflicting_groups[0].ranks, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(r.collectives.group_size[0], 3);
  EXPECT_EQ(r.collectives.group_size[1], -1);
  EXPECT_EQ(r.collectives.group_size[2], 2);
}

TEST(DtypeTest, KnownSizes) {
  EXPECT_EQ(DtypeBytes("Float"), 4);
  EXPECT_EQ(DtypeBytes("BFloat16"), 2);
  EXPECT_EQ(DtypeBytes("int8_t"), 1);
  EXPECT_EQ(DtypeBytes("quaternion"), 0);
}

}  // namespace
}  // namespace trainscope::model
