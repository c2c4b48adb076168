// SPDX-License-Identifier: Apache-2.0
// The Kineto reader on the real traces of ../shared/data/traces (label `data`). Every expected
// count was obtained independently with Python's json module, per rank file:
//   python3 -c "import json,gzip,sys; d=json.load(gzip.open(sys.argv[1]));
//     X=[e for e in d['traceEvents'] if e.get('ph')=='X'];
//     k=[e for e in X if e.get('cat')=='kernel'];
//     n=[e for e in k if e['name'].startswith(('ncclKernel_','ncclDevKernel_'))];
//     s=[e['name'] for e in X if e.get('cat')=='user_annotation'
//        and e['name'].startswith('ProfilerStep#')];
//     print(d['distributedInfo']['rank'], len(X), len(k), len(n), s)" FILE
//   (one line in the shell)
// i.e. events = complete ("X") events, kernels = cat "kernel" (NCCL kernels included),
// collectives = NCCL kernels, steps = ProfilerStep#N annotations.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ingest/kineto/kineto_reader.h"
#include "model/trace_summary.h"
#include "support/status_matchers.h"
#include "support/test_data.h"

namespace trainscope::ingest::kineto {
namespace {

using trainscope::testing::SharedDataPath;

struct Expected {
  int rank;
  int64_t events, kernels, collectives;
  std::vector<int64_t> steps;
};

void CheckRanks(const model::JobTrace& job, const std::vector<Expected>& expected) {
  model::JobSummary summary = model::Summarise(job);
  ASSERT_EQ(summary.ranks.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const model::RankSummary& r = summary.ranks[i];
    SCOPED_TRACE("rank " + std::to_string(expected[i].rank));
    EXPECT_EQ(r.rank, expected[i].rank);
    EXPECT_EQ(r.events, expected[i].events);
    EXPECT_EQ(r.kernels, expected[i].kernels);
    EXPECT_EQ(r.collectives, expected[i].collectives);
    EXPECT_EQ(r.steps, expected[i].steps);
  }
}

TEST(RealTracesTest, ParamDlrm8Rank) {
  TS_SKIP_IF_NO_SHARED_DATA("traces/param-dlrm-8rank");
  ASSERT_OK_AND_ASSIGN(model::JobTrace job,
                       ReadKinetoJob(SharedDataPath("traces/param-dlrm-8rank"), ReadOptions{}));
  EXPECT_EQ(job.world_size, 8);
  CheckRanks(job, {{0, 2460, 245, 8, {10}},
                   {1, 2527, 310, 8, {10}},
                   {2, 2449, 246, 8, {10}},
                   {3, 2552, 315, 8, {10}},
                   {4, 2470, 251, 8, {10}},
                   {5, 2440, 245, 8, {10}},
                   {6, 2451, 246, 8, {10}},
                   {7, 2440, 246, 8, {10}}});
  // README: per rank 5 SendRecv kernels from all_to_all (typed through their nccl:all_to_all
  // CPU annotation) and 3 all_reduce kernels.
  for (const model::RankTrace& rank : job.ranks) {
    int all_to_all = 0, all_reduce = 0;
    for (model::CollectiveType t : rank.collectives.type) {
      all_to_all += t == model::CollectiveType::kAllToAll;
      all_reduce += t == model::CollectiveType::kAllReduce;
    }
    EXPECT_EQ(all_to_all, 5) << "rank " << rank.rank;
    EXPECT_EQ(all_reduce, 3) << "rank " << rank.rank;
  }
  // No base time: ranks 1-7 are aligned to rank 0 on their 8 collectives. All ranks ran on one
  // host (README), so the true offsets are ~0: the estimates must stay within 10 us.
  for (size_t i = 1; i < job.clocks.size(); ++i) {
    EXPECT_EQ(job.clocks[i].source, model::ClockSource::kCollectiveEnds);
    EXPECT_EQ(job.clocks[i].matched_collectives, 8);
    EXPECT_LE(std::abs(job.clocks[i].offset_ns), 10'000);
  }
  EXPECT_TRUE(job.diagnostics.empty());
}

TEST(RealTracesTest, HtaSampled2Of128Ranks) {
  TS_SKIP_IF_NO_SHARED_DATA("traces/hta-sampled-2rank");
  ASSERT_OK_AND_ASSIGN(model::JobTrace job,
                       ReadKinetoJob(SharedDataPath("traces/hta-sampled-2rank"), ReadOptions{}));
  EXPECT_EQ(job.world_size, 128);
  CheckRanks(job, {{0, 4811, 1154, 10, {551, 552}}, {1, 4676, 1104, 10, {551, 552}}});
  EXPECT_EQ(job.diagnostics.Count("missing_ranks"), 1);
  EXPECT_NE(job.diagnostics.items()[0].message.find("2 of 128 ranks present; missing ranks: 2-127"),
            std::string::npos);
}

TEST(RealTracesTest, HtaNcclProcessGroupsAndBaseTime) {
  TS_SKIP_IF_NO_SHARED_DATA("traces/hta-nccl-pg");
  ASSERT_OK_AND_ASSIGN(model::JobTrace job,
                       ReadKinetoJob(SharedDataPath("traces/hta-nccl-pg"), ReadOptions{}));
  EXPECT_EQ(job.world_size, 2);
  CheckRanks(job, {{0, 26933, 2700, 21, {4, 5, 6}}});
  const model::RankTrace& rank = job.ranks[0];
  // distributedInfo.pg_config: one group "0" (default_pg) of ranks [0, 1].
  ASSERT_EQ(job.process_groups.size(), 1u);
  EXPECT_EQ(job.process_groups[0].name, "0");
  EXPECT_EQ(job.process_groups[0].description, "default_pg");
  EXPECT_EQ(job.process_groups[0].ranks, (std::vector<int>{0, 1}));
  // Kernel args: python3 Counter of args['Collective name'] over NCCL kernels gives
  // allreduce 15, broadcast 6; the earliest is a broadcast of 53120 Float elements.
  std::map<model::CollectiveType, int> by_type;
  for (size_t row = 0; row < rank.collectives.size(); ++row) {
    ++by_type[rank.collectives.type[row]];
    ASSERT_TRUE(rank.collectives.group[row].valid());
    EXPECT_EQ(rank.process_groups[rank.collectives.group[row].value()].name, "0");
  }
  EXPECT_EQ(by_type[model::CollectiveType::kAllReduce], 15);
  EXPECT_EQ(by_type[model::CollectiveType::kBroadcast], 6);
  size_t first = 0;
  for (size_t row = 1; row < rank.collectives.size(); ++row) {
    if (rank.events.ts[rank.collectives.event[row].value()] <
        rank.events.ts[rank.collectives.event[first].value()]) {
      first = row;
    }
  }
  EXPECT_EQ(rank.collectives.type[first], model::CollectiveType::kBroadcast);
  EXPECT_EQ(rank.collectives.in_nelems[first], 53120);
  EXPECT_EQ(rank.strings.Get(rank.collectives.dtype[first]), "Float");
  EXPECT_EQ(rank.collectives.bytes[first], 53120 * 4);
  // baseTimeNanoseconds 1711964646000000000 + the earliest ts 4458676388068.751 us, exact to
  // the nanosecond (python3: base + int(Decimal('4458676388068.751') * 1000)).
  EXPECT_EQ(rank.base_time_ns, 1711964646000000000);
  EXPECT_EQ(job.clocks[0].source, model::ClockSource::kBaseTime);
  EXPECT_EQ(rank.events.ts[0], 1716423322388068751);
}

}  // namespace
}  // namespace trainscope::ingest::kineto
