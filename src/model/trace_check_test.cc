// SPDX-License-Identifier: Apache-2.0
// Trace check on hand-built jobs: one clean job, then one job per violation kind with the
// violation worked out by hand in the comment above it (times in us unless said).
#include "model/trace_check.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/rank_builder.h"

namespace trainscope::model {
namespace {

constexpr int64_t kUs = 1000;

// Builds one rank: a ProfilerStep per call of Step, GPU ops on streams of device 0.
class RankMaker {
 public:
  explicit RankMaker(int rank) : b_(rank, "rank-" + std::to_string(rank) + ".json") {}

  void Step(int64_t number, int64_t ts_us, int64_t dur_us) {
    Add(fmt("ProfilerStep#", number), EventKind::kUserAnnotation, b_.Track(1, 1, false), ts_us,
        dur_us);
  }
  void Kernel(const std::string& name, int64_t stream, int64_t ts_us, int64_t dur_us,
              EventKind kind = EventKind::kKernel) {
    Add(name, kind, b_.Track(0, stream, true), ts_us, dur_us);
  }
  // A NCCL kernel on stream 40; `group` "" = no group info. Strings by value: the collective's
  // arguments view them while AddCollective runs (ASan saw a defaulted const& temporary as out of
  // scope there).
  void Nccl(CollectiveType type, int64_t ts_us, int64_t dur_us, std::string group = "0",
            std::string ranks = "[0, 1]", int64_t in = 1024, int64_t out = 1024,
            int64_t group_size = -1) {
    const uint32_t index =
        Add(std::string("ncclDevKernel_") + std::string(CollectiveTypeName(type)),
            EventKind::kCollective, b_.Track(0, 40, true), ts_us, dur_us);
    CollectiveArgs args;
    args.collective_name = CollectiveTypeName(type);
    args.in_nelems = in;
    args.out_nelems = out;
    args.dtype = "Float";
    args.group_name = group;
    args.group_ranks = group.empty() ? std::string_view() : std::string_view(ranks);
    args.group_size = group_size;
    b_.AddCollective(index, type, args, 40);
  }
  void Group(const std::string& name, std::vector<int> ranks) {
    b_.AddProcessGroup(ProcessGroup{name, "", std::move(ranks)});
  }
  RankTrace Finish() && {
    Diagnostics diagnostics;
    return std::move(b_).Finish(0, &diagnostics);
  }

 private:
  static std::string fmt(const char* prefix, int64_t n) { return prefix + std::to_string(n); }
  uint32_t Add(const std::string& name, EventKind kind, TrackId track, int64_t ts_us,
               int64_t dur_us) {
    return b_.AddEvent(
        EventRow{ts_us * kUs, dur_us * kUs, b_.strings().Intern(name), kind, track, 0, 0});
  }
  RankTraceBuilder b_;
};

JobTrace MakeJob(std::vector<RankMaker> makers, int world_size) {
  JobTrace job;
  job.world_size = world_size;
  for (RankMaker& m : makers) job.ranks.push_back(std::move(m).Finish());
  job.clocks.resize(job.ranks.size());
  return job;
}

int64_t Count(const TraceCheckResult& r, ViolationKind kind) {
  return r.by_kind[static_cast<size_t>(kind)];
}

// Two ranks, one step [0, 1000): compute kernels back to back on stream 7 (the second starts
// 0.5 us before the first ends: Kineto rounding, tolerated), a memcpy on stream 8 overlapping
// them (another stream), a gpu_user_annotation over both (not an op), and one all_reduce that
// starts at 100 / 300 and ends at 400 on both (the late rank releases the other).
JobTrace CleanJob() {
  std::vector<RankMaker> ranks;
  for (int r = 0; r < 2; ++r) {
    RankMaker m(r);
    m.Step(1, 0, 1000);
    m.Kernel("gemm", 7, 0, 100);
    m.Kernel("gemm", 7, 99, 50);  // ends at 149 us; starts 1 us early, within the tolerance
    m.Kernel("Memcpy DtoH", 8, 20, 200, EventKind::kMemcpy);
    m.Kernel("forward", 7, 0, 150, EventKind::kGpuUserAnnotation);
    m.Nccl(CollectiveType::kAllReduce, r == 0 ? 100 : 300, r == 0 ? 300 : 100);
    m.Group("0", {0, 1});
    ranks.push_back(std::move(m));
  }
  return MakeJob(std::move(ranks), 2);
}

TEST(TraceCheckTest, CleanJobHasNoViolations) {
  const TraceCheckResult r = CheckTrace(CleanJob());
  EXPECT_EQ(r.violations, 0);
  EXPECT_TRUE(r.examples.empty());
  EXPECT_EQ(r.coverage.gpu_ops, 8);  // 3 kernels/memcpy + 1 NCCL kernel per rank
  EXPECT_EQ(r.coverage.streams, 6);  // 7, 8, 40 on each rank
  EXPECT_EQ(r.coverage.collective_instances, 1);
  EXPECT_EQ(r.coverage.process_groups, 1);
}

// Rank 0, stream 7: a [0, 100), b [50, 150) overlaps a by 50; c [60, 70) lies inside a and b
// (overlap 10, against the latest end so far: 150); d [150, 160) starts as b ends. Stream 8's e
// [0, 500) overlaps all of them but is another stream. 2 violations.
TEST(TraceCheckTest, StreamOverlap) {
  RankMaker m(0);
  m.Kernel("a", 7, 0, 100);
  m.Kernel("b", 7, 50, 100);
  m.Kernel("c", 7, 60, 10, EventKind::kMemset);
  m.Kernel("d", 7, 150, 10);
  m.Kernel("e", 8, 0, 500);
  std::vector<RankMaker> ranks;
  ranks.push_back(std::move(m));
  const TraceCheckResult r = CheckTrace(MakeJob(std::move(ranks), 1));
  EXPECT_EQ(r.violations, 2);
  EXPECT_EQ(Count(r, ViolationKind::kStreamOverlap), 2);
  EXPECT_EQ(r.worst_ns[static_cast<size_t>(ViolationKind::kStreamOverlap)], 50 * kUs);
  ASSERT_EQ(r.examples.size(), 2u);
  const Violation& v = r.examples[0];
  EXPECT_EQ(v.event.rank, 0);
  EXPECT_EQ(v.event.stream, 7);
  EXPECT_EQ(v.event.name, "b");
  EXPECT_EQ(v.event.ts, 50 * kUs);
  EXPECT_DOUBLE_EQ(v.event.file_ts_us, 50.0);
  EXPECT_EQ(v.other.name, "a");
  EXPECT_EQ(v.amount_ns, 50 * kUs);
  EXPECT_EQ(r.examples[1].event.name, "c");
  EXPECT_EQ(r.examples[1].other.name, "b");
  EXPECT_EQ(r.examples[1].amount_ns, 10 * kUs);
}

TEST(TraceCheckTest, ExampleLimitKeepsCounts) {
  RankMaker m(0);
  for (int i = 0; i < 5; ++i) m.Kernel("k", 7, 10 * i, 100);  // each overlaps the previous
  std::vector<RankMaker> ranks;
  ranks.push_back(std::move(m));
  const JobTrace job = MakeJob(std::move(ranks), 1);
  TraceCheckOptions options;
  options.max_examples_per_kind = 2;
  TraceCheckResult r = CheckTrace(job, options);
  EXPECT_EQ(Count(r, ViolationKind::kStreamOverlap), 4);
  EXPECT_EQ(r.examples.size(), 2u);
  options.max_examples_per_kind = -1;
  r = CheckTrace(job, options);
  EXPECT_EQ(r.examples.size(), 4u);
}

// All-reduce of one group on two ranks: rank 0 [0, 10), rank 1 [20, 30): rank 0 ends 10 us
// before rank 1 starts (disjoint). Next, [100, 1100) and [100, 1300): they overlap, ends 200
// apart > max(100 us, 2% of 1000 us): end skew. Last, [2000, 22000) and [2000, 22300): 300 us
// apart but 2% of the shortest (20 ms) is 400 us: fine.
TEST(TraceCheckTest, CollectiveDisjointAndEndSkew) {
  std::vector<RankMaker> ranks;
  for (int r = 0; r < 2; ++r) {
    RankMaker m(r);
    m.Step(1, 0, 30000);
    m.Nccl(CollectiveType::kAllReduce, r == 0 ? 0 : 20, 10);
    m.Nccl(CollectiveType::kAllReduce, 100, r == 0 ? 1000 : 1200);
    m.Nccl(CollectiveType::kAllReduce, 2000, r == 0 ? 20000 : 20300);
    ranks.push_back(std::move(m));
  }
  const TraceCheckResult r = CheckTrace(MakeJob(std::move(ranks), 2));
  EXPECT_EQ(r.violations, 2);
  EXPECT_EQ(r.coverage.collective_instances, 3);
  ASSERT_EQ(Count(r, ViolationKind::kCollectiveDisjoint), 1);
  ASSERT_EQ(Count(r, ViolationKind::kCollectiveEndSkew), 1);
  ASSERT_EQ(r.examples.size(), 2u);
  const Violation& disjoint = r.examples[0];
  EXPECT_EQ(disjoint.kind, ViolationKind::kCollectiveDisjoint);
  EXPECT_EQ(disjoint.event.rank, 0);
  EXPECT_EQ(disjoint.other.rank, 1);
  EXPECT_EQ(disjoint.amount_ns, 10 * kUs);
  EXPECT_EQ(disjoint.group, "pg 0");
  EXPECT_EQ(disjoint.step, 1);
  const Violation& skew = r.examples[1];
  EXPECT_EQ(skew.event.rank, 1);  // the member that ends last
  EXPECT_EQ(skew.event.ts, 100 * kUs);
  EXPECT_EQ(skew.amount_ns, 200 * kUs);
}

// Sequences that cannot be matched: step 1, rank 1 has one all_reduce, rank 0 two; step 2, op 0
// is an all_reduce on rank 0 and a broadcast on rank 1; step 3, rank 1 (with the group and the
// step) has no op of the group; step 4, the all_reduces move different element counts.
// One violation per group and step; step 5 matches.
TEST(TraceCheckTest, CollectiveUnmatched) {
  std::vector<RankMaker> ranks;
  for (int r = 0; r < 2; ++r) {
    RankMaker m(r);
    for (int s = 1; s <= 5; ++s) m.Step(s, 1000 * s, 1000);
    m.Nccl(CollectiveType::kAllReduce, 1000, 10);
    if (r == 0) m.Nccl(CollectiveType::kAllReduce, 1100, 10);
    m.Nccl(r == 0 ? CollectiveType::kAllReduce : CollectiveType::kBroadcast, 2000, 10);
    if (r == 0) m.Nccl(CollectiveType::kAllReduce, 3000, 10);
    m.Nccl(CollectiveType::kAllReduce, 4000, 10, "0", "[0, 1]", r == 0 ? 1024 : 2048,
           r == 0 ? 1024 : 2048);
    m.Nccl(CollectiveType::kAllReduce, 5000, 10);
    ranks.push_back(std::move(m));
  }
  const TraceCheckResult r = CheckTrace(MakeJob(std::move(ranks), 2));
  EXPECT_EQ(Count(r, ViolationKind::kCollectiveUnmatched), 4);
  EXPECT_EQ(r.violations, 4);
  EXPECT_EQ(r.coverage.collective_instances, 1);
  ASSERT_EQ(r.examples.size(), 4u);
  EXPECT_EQ(r.examples[0].step, 1);
  EXPECT_EQ(r.examples[0].event.rank, 0);  // its second all_reduce has no partner
  EXPECT_EQ(r.examples[0].event.ts, 1100 * kUs);
  EXPECT_NE(r.examples[1].detail.find("broadcast"), std::string::npos);
  EXPECT_EQ(r.examples[2].event.rank, 1);
  EXPECT_NE(r.examples[2].detail.find("no op of pg 0 in step 3"), std::string::npos);
  EXPECT_NE(r.examples[3].detail.find("elements"), std::string::npos);
}

// Send/recv: in a 4-rank group the trace does not name the peer: counted, not checked (even
// though they do not overlap). In a 2-rank group the send pairs with the recv: rank 0's send
// [0, 10) and rank 1's recv [50, 60) are disjoint.
TEST(TraceCheckTest, P2pPairsOnlyInTwoRankGroups) {
  std::vector<RankMaker> ranks;
  for (int r = 0; r < 4; ++r) {
    RankMaker m(r);
    m.Step(1, 0, 1000);
    m.Nccl(r % 2 == 0 ? CollectiveType::kSend : CollectiveType::kRecv, 100 * r, 10, "1",
           "[0, 1, 2, 3]");
    if (r < 2) {
      m.Nccl(r == 0 ? CollectiveType::kSend : CollectiveType::kRecv, r == 0 ? 500 : 550, 10, "2",
             "[0, 1]");
    }
    ranks.push_back(std::move(m));
  }
  const TraceCheckResult r = CheckTrace(MakeJob(std::move(ranks), 4));
  EXPECT_EQ(r.coverage.p2p_unpaired, 4);
  EXPECT_EQ(r.coverage.collective_instances, 1);
  EXPECT_EQ(Count(r, ViolationKind::kCollectiveDisjoint), 1);
  EXPECT_EQ(r.violations, 1);
}

// Process groups. Ranks 0 and 1 list group "1" = [0, 1, 2]; rank 2 lists only "2" = [1, 2] (so
// it lacks "1": group_missing), while rank 1 lists "2" = [1] (group_ranks_differ). Rank 3's
// events call group "3" [2, 3] but its pg_config says [3] (differ, within a rank). Sizes: rank 0's
// all-gather in group "1" (3 members) gathers 10 -> 30 (fine) and one 10 -> 20 (mismatch); its
// all_reduce says "Group size" 4 (mismatch); its reduce-scatter 30 -> 10 is fine.
TEST(TraceCheckTest, ProcessGroups) {
  std::vector<RankMaker> ranks;
  RankMaker r0(0), r1(1), r2(2), r3(3);
  r0.Group("1", {0, 1, 2});
  r0.Nccl(CollectiveType::kAllGather, 0, 1, "1", "[0, 1, 2]", 10, 30);
  r0.Nccl(CollectiveType::kAllGather, 10, 1, "1", "[0, 1, 2]", 10, 20);
  r0.Nccl(CollectiveType::kAllReduce, 20, 1, "1", "[0, 1, 2]", 10, 10, 4);
  r0.Nccl(CollectiveType::kReduceScatter, 30, 1, "1", "[0, 1, 2]", 30, 10, 3);
  r1.Group("1", {0, 1, 2});
  r1.Group("2", {1});
  r2.Group("2", {1, 2});
  r3.Nccl(CollectiveType::kAllReduce, 0, 1, "3", "[2, 3]");
  r3.Group("3", {3});
  for (RankMaker* m : {&r0, &r1, &r2, &r3}) ranks.push_back(std::move(*m));
  const TraceCheckResult r = CheckTrace(MakeJob(std::move(ranks), 4));
  EXPECT_EQ(Count(r, ViolationKind::kGroupMissing), 1);
  EXPECT_EQ(Count(r, ViolationKind::kGroupRanksDiffer), 2);
  EXPECT_EQ(Count(r, ViolationKind::kGroupSizeMismatch), 2);
  EXPECT_EQ(r.violations, 5);
  for (const Violation& v : r.examples) {
    if (v.kind == ViolationKind::kGroupMissing) {
      EXPECT_EQ(v.event.rank, 2);
      EXPECT_EQ(v.group, "pg 1");
    }
    if (v.kind == ViolationKind::kGroupRanksDiffer) {
      EXPECT_TRUE(v.event.rank == 2 || v.event.rank == 3) << v.event.rank;
    }
    if (v.kind == ViolationKind::kGroupSizeMismatch) {
      EXPECT_EQ(v.event.rank, 0);
      EXPECT_TRUE(v.event.ts == 10 * kUs || v.event.ts == 20 * kUs) << v.event.ts;
    }
  }
}

TEST(TraceCheckTest, JsonKeys) {
  RankMaker m(0);
  m.Kernel("a", 7, 0, 100);
  m.Kernel("b", 7, 50, 100);
  std::vector<RankMaker> ranks;
  ranks.push_back(std::move(m));
  const TraceCheckResult r = CheckTrace(MakeJob(std::move(ranks), 1));
  JsonWriter out;
  WriteTraceCheckJson(r, Diagnostics(), out);
  const nlohmann::json j = nlohmann::json::parse(out.TakeString());
  EXPECT_EQ(j["violations"], 1);
  ASSERT_EQ(j["by_kind"].size(), static_cast<size_t>(kViolationKindCount));
  EXPECT_EQ(j["by_kind"]["stream_overlap"], 1);
  EXPECT_EQ(j["by_kind"]["group_size_mismatch"], 0);
  ASSERT_EQ(j["examples"].size(), 1u);
  EXPECT_EQ(j["examples"][0]["kind"], "stream_overlap");
  EXPECT_EQ(j["examples"][0]["event"], "b");
  EXPECT_EQ(j["examples"][0]["stream"], 7);
  EXPECT_EQ(j["examples"][0]["other"]["event"], "a");
  EXPECT_TRUE(j.contains("coverage") && j.contains("tolerances_ns"));
  const std::string text = FormatTraceCheckText(r, Diagnostics());
  EXPECT_NE(text.find("stream_overlap (1)"), std::string::npos) << text;
  EXPECT_NE(text.find("rank 0 stream 7 'b' at 50.000 us"), std::string::npos) << text;
}

}  // namespace
}  // namespace trainscope::model
