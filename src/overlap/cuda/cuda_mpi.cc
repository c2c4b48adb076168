// SPDX-License-Identifier: Apache-2.0
// MPI launch of the overlap CUDA path: the rank group, the placement choice, and the
// ranks-on-one-GPU fallback (gather to rank 0, RunOneGpu, scatter).
#include "overlap/cuda/cuda_mpi.h"

#include <climits>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "base/mpi/mpi_support.h"

namespace trainscope::overlap::cuda {
namespace {

// Floats per rank of A, B and C (AG: A is the shard, C all rows; RS: the reverse).
struct RankCounts {
  std::vector<int64_t> a, b, c;
};

RankCounts CountsOf(OpKind op, const ShardedProblem& problem) {
  const bool ag = op == OpKind::kAgGemm;
  const int64_t m = problem.total_rows();
  RankCounts counts;
  for (int64_t rows : problem.rows_per_rank) {
    counts.a.push_back((ag ? rows : m) * problem.k);
    counts.b.push_back(problem.k * problem.n);
    counts.c.push_back((ag ? m : rows) * problem.n);
  }
  return counts;
}

// Every rank's block into *all on rank 0 (rank order) and a pointer to each block there.
Status GatherToRoot(const MpiRankGroup& group, const float* mine, std::span<const int64_t> counts,
                    std::vector<float>* all, std::vector<const float*>* blocks) {
  TS_ASSIGN_OR_RETURN(const GatherLayout layout, GatherLayout::FromCounts(counts));
  if (group.rank() == 0) all->resize(static_cast<size_t>(layout.total) + 1);
  TS_RETURN_IF_ERROR(MpiStatus(
      MPI_Gatherv(mine, layout.counts[static_cast<size_t>(group.rank())], MPI_FLOAT, all->data(),
                  layout.counts.data(), layout.displs.data(), MPI_FLOAT, 0, group.comm()),
      "MPI_Gatherv"));
  if (group.rank() != 0) return OkStatus();
  for (int displ : layout.displs) blocks->push_back(all->data() + displ);
  return OkStatus();
}

// Ranks on one GPU for an MPI launch: rank 0 runs every rank on its GPU. The gathers run on
// every rank whatever happens on rank 0; its outcome is agreed before the scatter.
Status RunOnRankZero(MpiRankGroup& group, OpKind op, const ShardedProblem& problem,
                     const OverlapOptions& options, const float* a, const float* b, float* c,
                     CopyPath path, int reps, OneGpuTimings* timings) {
  const RankCounts counts = CountsOf(op, problem);
  std::vector<float> all_a, all_b, all_c;
  std::vector<const float*> as, bs;
  TS_RETURN_IF_ERROR(GatherToRoot(group, a, counts.a, &all_a, &as));
  TS_RETURN_IF_ERROR(GatherToRoot(group, b, counts.b, &all_b, &bs));
  TS_ASSIGN_OR_RETURN(const GatherLayout c_layout, GatherLayout::FromCounts(counts.c));
  Status status = OkStatus();
  if (group.rank() == 0) {
    all_c.resize(static_cast<size_t>(c_layout.total) + 1);
    std::vector<float*> cs;
    for (int displ : c_layout.displs) cs.push_back(all_c.data() + displ);
    status = RunOneGpu(op, problem, options, as, bs, cs, reps, timings, path);
  }
  TS_RETURN_IF_ERROR(AgreeAcrossRanks(group, status));
  return MpiStatus(
      MPI_Scatterv(all_c.data(), c_layout.counts.data(), c_layout.displs.data(), MPI_FLOAT, c,
                   c_layout.counts[static_cast<size_t>(group.rank())], MPI_FLOAT, 0, group.comm()),
      "MPI_Scatterv");
}

}  // namespace

Result<std::unique_ptr<MpiRankGroup>> MpiRankGroup::Create(MPI_Comm comm) {
  TS_ASSIGN_OR_RETURN(MpiCommunicator group, MpiCommunicator::Duplicate(comm));
  TS_ASSIGN_OR_RETURN(const MpiCommunicator node, MpiCommunicator::SplitShared(group.get()));
  return std::unique_ptr<MpiRankGroup>(
      new MpiRankGroup(std::move(group), node.rank(), node.size()));
}

Status MpiRankGroup::AllGather(std::span<const std::byte> mine, std::span<std::byte> all) {
  if (all.size() != mine.size() * static_cast<size_t>(size()) || mine.size() > INT_MAX) {
    return InternalError("AllGather of {} bytes per rank into {} bytes for {} ranks", mine.size(),
                         all.size(), size());
  }
  return MpiStatus(MPI_Allgather(mine.data(), static_cast<int>(mine.size()), MPI_BYTE, all.data(),
                                 static_cast<int>(mine.size()), MPI_BYTE, comm_.get()),
                   "MPI_Allgather");
}

Status RunOnMpiRanks(MPI_Comm comm, OpKind op, const ShardedProblem& problem,
                     const OverlapOptions& options, const float* a, const float* b, float* c,
                     CopyPath path, PlacementChoice* chosen, int reps, OneGpuTimings* timings,
                     std::optional<GpuPlacement> force) {
  TS_ASSIGN_OR_RETURN(std::unique_ptr<MpiRankGroup> group, MpiRankGroup::Create(comm));
  if (problem.tp() != group->size()) {
    return InvalidArgumentError("the problem has {} TP ranks but the MPI communicator {}",
                                problem.tp(), group->size());
  }
  PlacementChoice choice = ChoosePlacement(group->size(), group->node_ranks());
  if (force.has_value() && *force != choice.placement) {
    choice = {*force, "forced by the caller (" + choice.reason + ")"};
  }
  if (chosen != nullptr) *chosen = choice;
  if (choice.placement == GpuPlacement::kOneGpuPerRank) {
    return RunOnePerRank(op, problem, options, *group, a, b, c, reps, timings, path);
  }
  return RunOnRankZero(*group, op, problem, options, a, b, c, path, reps, timings);
}

}  // namespace trainscope::overlap::cuda
