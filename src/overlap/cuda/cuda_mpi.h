// SPDX-License-Identifier: Apache-2.0
// MPI launch of the overlap CUDA path: MpiRankGroup (the RankGroup of cuda_overlap.h over an
// MPI communicator) and RunOnMpiRanks, which picks the placement for the launch: one GPU per
// rank (CUDA IPC, system-scope signals across GPUs) when ChoosePlacement allows it, otherwise
// the ranks on one GPU driven by rank 0. Built when both MPI and nvcc are found (target
// trainscope_overlap_cuda_mpi).
// Thread safety: MPI is called from the thread that owns it (MPI_THREAD_FUNNELED).
#pragma once

#include <mpi.h>

#include <memory>
#include <optional>
#include <utility>

#include "base/mpi/communicator.h"
#include "base/status.h"
#include "overlap/cuda/cuda_overlap.h"

namespace trainscope::overlap::cuda {

class MpiRankGroup final : public RankGroup {
 public:
  // Collective over `comm`: a private duplicate of it, and this process's rank on its node
  // (its GPU).
  static Result<std::unique_ptr<MpiRankGroup>> Create(MPI_Comm comm);

  int rank() const override { return comm_.rank(); }
  int size() const override { return comm_.size(); }
  int device() const override { return node_rank_; }
  int node_ranks() const { return node_ranks_; }  // ranks of the group on this node
  MPI_Comm comm() const { return comm_.get(); }
  Status AllGather(std::span<const std::byte> mine, std::span<std::byte> all) override;

 private:
  MpiRankGroup(MpiCommunicator comm, int node_rank, int node_ranks)
      : comm_(std::move(comm)), node_rank_(node_rank), node_ranks_(node_ranks) {}
  MpiCommunicator comm_;
  int node_rank_ = 0, node_ranks_ = 1;
};

// Collective over `comm` (MPI rank = TP rank): runs the operator with this process's inputs
// and output (host memory, as FusedOperator::Run). One GPU per rank when ChoosePlacement says
// so (RunOnePerRank); otherwise ranks on one GPU: rank 0 gathers every rank's A and B, runs
// RunOneGpu on its GPU and scatters each rank's C. `force` overrides the choice (tests).
// `chosen` (nullable) receives the placement that ran and why. `timings` (nullable): this
// rank's timings with one GPU per rank, rank 0's on one GPU (left untouched on the others).
// A failure on any rank is returned on every rank.
Status RunOnMpiRanks(MPI_Comm comm, OpKind op, const ShardedProblem& problem,
                     const OverlapOptions& options, const float* a, const float* b, float* c,
                     CopyPath path, PlacementChoice* chosen, int reps = 5,
                     OneGpuTimings* timings = nullptr,
                     std::optional<GpuPlacement> force = std::nullopt);

}  // namespace trainscope::overlap::cuda
