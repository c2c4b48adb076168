// SPDX-License-Identifier: Apache-2.0
// What-if replays split over MPI processes: the distributor's shares and exchange, and the full
// analysis of a generated 256-worker job (DP 64 x PP 4, faults injected) compared value by value,
// bitwise, with the single-process run computed on every process. Run under
// `mpirun -np N` (ctest label mpi, N = 1, 2, 4).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstring>

#include "support/status_matchers.h"
#include "whatif/analysis.h"
#include "whatif/megatron_model.h"
#include "whatif/mpi/mpi_distributor.h"
#include "whatif/synthetic_job.h"

namespace trainscope::whatif::mpi {
namespace {

using ::trainscope::testing::StatusIs;

int WorldSize() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

TEST(MpiDistributorTest, SharesCoverEveryTaskOnceAndGatherInOrder) {
  ASSERT_OK_AND_ASSIGN(auto dist, MpiTaskDistributor::Create(MPI_COMM_WORLD));
  const int processes = WorldSize();
  for (size_t count : {0, 1, 3, 7, 100}) {
    const size_t width = 3;
    int64_t before = dist->local_tasks();
    std::vector<int64_t> all;
    ASSERT_OK(dist->Run(
        count, width,
        [&](size_t begin, size_t end, int64_t* out) {
          for (size_t k = begin; k < end; ++k)
            for (size_t j = 0; j < width; ++j)
              out[(k - begin) * width + j] = static_cast<int64_t>(k * 1000 + j) - 5;
        },
        &all));
    ASSERT_EQ(all.size(), count * width);
    for (size_t k = 0; k < count; ++k)
      for (size_t j = 0; j < width; ++j)
        EXPECT_EQ(all[k * width + j], static_cast<int64_t>(k * 1000 + j) - 5) << k << "," << j;
    // Each task ran on exactly one process; with several processes nobody ran them all.
    long long ran = dist->local_tasks() - before, total = 0;
    MPI_Allreduce(&ran, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    EXPECT_EQ(total, static_cast<long long>(count));
    if (processes > 1 && count >= static_cast<size_t>(processes)) {
      EXPECT_LT(ran, static_cast<long long>(count));
    }
  }
}

TEST(MpiDistributorTest, DisagreeingProcessesFailEverywhere) {
  if (WorldSize() < 2) GTEST_SKIP() << "needs two processes";
  ASSERT_OK_AND_ASSIGN(auto dist, MpiTaskDistributor::Create(MPI_COMM_WORLD));
  std::vector<int64_t> all;
  const size_t count = dist->process_index() == 0 ? 5 : 6;
  EXPECT_THAT(dist->Run(
                  count, 2, [](size_t, size_t, int64_t*) {}, &all),
              StatusIs(StatusCode::kFailedPrecondition, "task batches differ"));
}

// Every number of the result, in a fixed order.
std::vector<double> Flatten(const WhatIfResult& r) {
  std::vector<double> v;
  auto add = [&](const std::vector<double>& xs) { v.insert(v.end(), xs.begin(), xs.end()); };
  add(r.step_time_s), add(r.step_replay_s), add(r.step_nodelay_s), add(r.step_ideal_s);
  add(r.step_slowdown), add(r.step_launch_slowdown), add(r.step_error);
  for (double x : {r.slowdown, r.launch_slowdown, r.error_median, r.error_max, r.waste_fraction,
                   r.traced_gpu_hours, r.wasted_gpu_hours})
    v.push_back(x);
  for (const auto* table : {&r.by_op_class, &r.by_stage, &r.by_dp_rank}) {
    for (const Attribution& a : *table) {
      v.push_back(a.key);
      v.push_back(a.slowdown);
      add(a.per_step);
    }
  }
  for (const WorkerScore& w : r.workers) {
    v.push_back(w.dp_rank), v.push_back(w.stage), v.push_back(w.rank), v.push_back(w.score);
  }
  for (const Explanation* e : {&r.m_w, &r.m_s}) {
    for (int32_t s : e->selected) v.push_back(s);
    for (double x : {e->t_ori_s, e->t_ideal_s, e->t_rem_s, e->t_add_s, e->rem, e->add})
      v.push_back(x);
  }
  v.push_back(static_cast<double>(r.simulations));
  return v;
}

TEST(MpiWhatIfTest, DistributedAnalysisOf256WorkersIsBitwiseIdentical) {
  SyntheticJobSpec spec;
  spec.dp = 64, spec.pp = 4, spec.microbatches = 4, spec.steps = 3;
  spec.op_noise = 0.1, spec.microbatch_noise = 0.2, spec.seed = 7;
  spec.worker_factor.assign(256, 1.0);
  spec.worker_factor[37 * 4 + 2] = 1.5;  // one slow worker: dp 37, stage 2
  spec.stage_fwd_factor = {1, 1, 1, 1.2};
  spec.gap_workers = {5, 200}, spec.gaps_per_step = 2;
  ASSERT_OK_AND_ASSIGN(OpJob job, GenerateSyntheticJob(spec));
  ASSERT_OK_AND_ASSIGN(ReplayModel model, BuildMegatronModel(job));
  ASSERT_EQ(model.num_workers(), 256);

  AnalysisOptions single;
  single.threads = 1;
  ASSERT_OK_AND_ASSIGN(WhatIfResult reference, AnalyzeWhatIf(model, single));
  ASSERT_GT(reference.slowdown, 1.05);  // the faults matter: values are not all trivially 1
  const std::vector<double> expected = Flatten(reference);

  ASSERT_OK_AND_ASSIGN(auto dist, MpiTaskDistributor::Create(MPI_COMM_WORLD));
  for (int threads : {1, 2}) {
    AnalysisOptions options;
    options.threads = threads;
    options.distributor = dist.get();
    const int64_t before = dist->local_tasks();
    ASSERT_OK_AND_ASSIGN(WhatIfResult r, AnalyzeWhatIf(model, options));
    const std::vector<double> got = Flatten(r);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(std::memcmp(&got[i], &expected[i], sizeof(double)), 0)
          << "value " << i << ": " << got[i] << " vs " << expected[i];
    for (size_t i = 0; i < r.by_op_class.size(); ++i)
      EXPECT_EQ(r.by_op_class[i].label, reference.by_op_class[i].label);
    // Every replay (the job's, the launch-gap ones, attribution, M_W / M_S, cause) was split
    // over the processes (the reference process ran them locally without the distributor).
    long long ran = dist->local_tasks() - before, total = 0;
    MPI_Allreduce(&ran, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (WorldSize() > 1) {
      EXPECT_EQ(total, reference.simulations);  // every replay split, each run once
      EXPECT_LT(ran, total);
    }
  }
}

}  // namespace
}  // namespace trainscope::whatif::mpi
