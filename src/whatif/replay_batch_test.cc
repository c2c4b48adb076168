// SPDX-License-Identifier: Apache-2.0
// RunReplays through a TaskDistributor without MPI: an in-process distributor that plays P
// processes one after another (each runs only its TaskShare) must give exactly the plain
// single-process replays, and the full analysis must be bitwise unchanged. Covers the
// distribution path in builds without MPI and under the sanitizers.
#include "whatif/replay_batch.h"

#include <gtest/gtest.h>

#include <cstring>

#include "graph/simulator.h"
#include "support/status_matchers.h"
#include "whatif/analysis.h"
#include "whatif/megatron_model.h"
#include "whatif/synthetic_job.h"

namespace trainscope::whatif {
namespace {

// Plays `processes` processes in turn; records which tasks each one ran.
class SequentialDistributor final : public TaskDistributor {
 public:
  explicit SequentialDistributor(int processes) : processes_(processes) {}
  Status Run(size_t count, size_t width, const LocalRun& run, std::vector<int64_t>* all) override {
    all->assign(count * width, -1);
    for (int p = 0; p < processes_; ++p) {
      size_t begin = 0, end = 0;
      TaskShare(count, processes_, p, &begin, &end);
      std::vector<int64_t> share((end - begin) * width, -7);
      if (end > begin) run(begin, end, share.data());
      std::copy(share.begin(), share.end(),
                all->begin() + static_cast<std::ptrdiff_t>(begin * width));
      ran_ += static_cast<int64_t>(end - begin);
    }
    return OkStatus();
  }
  int process_count() const override { return processes_; }
  int process_index() const override { return 0; }
  int64_t ran() const { return ran_; }

 private:
  int processes_;
  int64_t ran_ = 0;
};

TEST(ReplayBatchTest, TaskSharesAreContiguousAndCoverEverything) {
  for (size_t count : {0, 1, 5, 16, 101}) {
    for (int processes : {1, 2, 3, 4, 7}) {
      size_t next = 0;
      for (int p = 0; p < processes; ++p) {
        size_t begin = 0, end = 0;
        TaskShare(count, processes, p, &begin, &end);
        EXPECT_EQ(begin, next);
        EXPECT_LE(end - begin, count / processes + 1);
        next = end;
      }
      EXPECT_EQ(next, count);
    }
  }
}

TEST(ReplayBatchTest, DistributedAnalysisIsBitwiseIdentical) {
  SyntheticJobSpec spec;
  spec.dp = 4, spec.pp = 4, spec.microbatches = 4, spec.steps = 3;
  spec.op_noise = 0.2, spec.microbatch_noise = 0.3, spec.seed = 11;
  spec.worker_factor.assign(16, 1.0);
  spec.worker_factor[6] = 1.4;
  ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
  ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
  ASSERT_OK_AND_ASSIGN(WhatIfResult single, AnalyzeWhatIf(model, {}));
  ASSERT_GT(single.slowdown, 1.05);
  for (int processes : {2, 3, 5, 64}) {  // 64: more processes than tasks (empty shares)
    SequentialDistributor dist(processes);
    AnalysisOptions options;
    options.threads = 2;
    options.distributor = &dist;
    ASSERT_OK_AND_ASSIGN(WhatIfResult r, AnalyzeWhatIf(model, options));
    EXPECT_EQ(dist.ran(), single.simulations);  // every replay distributed, each run once
    auto same = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
    EXPECT_TRUE(same(r.slowdown, single.slowdown));
    ASSERT_EQ(r.by_dp_rank.size(), single.by_dp_rank.size());
    for (const auto& [got, want] :
         {std::pair{&r.by_op_class, &single.by_op_class}, std::pair{&r.by_stage, &single.by_stage},
          std::pair{&r.by_dp_rank, &single.by_dp_rank}}) {
      ASSERT_EQ(got->size(), want->size());
      for (size_t k = 0; k < got->size(); ++k) {
        EXPECT_EQ((*got)[k].label, (*want)[k].label);
        EXPECT_TRUE(same((*got)[k].slowdown, (*want)[k].slowdown)) << (*got)[k].label;
        ASSERT_EQ((*got)[k].per_step.size(), (*want)[k].per_step.size());
        for (size_t s = 0; s < (*got)[k].per_step.size(); ++s)
          EXPECT_TRUE(same((*got)[k].per_step[s], (*want)[k].per_step[s]));
      }
    }
    for (size_t w = 0; w < r.workers.size(); ++w)
      EXPECT_TRUE(same(r.workers[w].score, single.workers[w].score));
    EXPECT_EQ(r.m_w.selected, single.m_w.selected);
    for (const auto& [got, want] :
         {std::pair{&r.m_w, &single.m_w}, std::pair{&r.m_s, &single.m_s}}) {
      EXPECT_TRUE(same(got->t_rem_s, want->t_rem_s));
      EXPECT_TRUE(same(got->t_add_s, want->t_add_s));
    }
  }
}

TEST(ReplayBatchTest, DistributedReplaysMatchDirectSimulation) {
  // Each task's step ends equal a direct Simulator run on its mixed durations.
  SyntheticJobSpec spec;
  spec.dp = 2, spec.pp = 2, spec.microbatches = 3, spec.steps = 2, spec.op_noise = 0.3;
  ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
  ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
  const std::vector<int64_t> actual = model.transfer_ns;
  const std::vector<int64_t> ideal = IdealDurations(model);
  std::vector<std::vector<int32_t>> rows(static_cast<size_t>(model.num_workers()));
  for (size_t i = 0; i < job.size(); ++i) rows[model.worker[i]].push_back(static_cast<int32_t>(i));
  std::vector<std::vector<int64_t>> out(rows.size());
  std::vector<ReplayTask> tasks;
  for (size_t w = 0; w < rows.size(); ++w) tasks.push_back({&ideal, &actual, &rows[w], &out[w]});
  SequentialDistributor dist(3);
  ASSERT_OK(RunReplays(model.graph, tasks, 1, &dist));
  graph::Simulator sim(model.graph);
  for (size_t w = 0; w < rows.size(); ++w) {
    std::vector<int64_t> dur = ideal;
    for (int32_t r : rows[w]) dur[r] = actual[r];
    std::vector<int64_t> want(model.num_steps());
    sim.Run(dur, {}, want);
    EXPECT_EQ(out[w], want) << "worker " << w;
  }
}

}  // namespace
}  // namespace trainscope::whatif
