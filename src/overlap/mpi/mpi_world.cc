// SPDX-License-Identifier: Apache-2.0
// Shared-window peer memory and the MPI-collective baselines.
#include "overlap/mpi/mpi_world.h"

#include <cstdlib>
#include <cstring>

#include "overlap/blas.h"

namespace trainscope::overlap {

Result<std::unique_ptr<MpiWorld>> MpiWorld::Create(MPI_Comm comm, size_t payload_bytes) {
  TS_ASSIGN_OR_RETURN(const MpiCommunicator group, MpiCommunicator::Borrow(comm));
  TS_ASSIGN_OR_RETURN(MpiCommunicator node, MpiCommunicator::SplitShared(comm));
  const int comm_size = group.size(), node_size = node.size();
  std::unique_ptr<MpiWorld> world(new MpiWorld(std::move(node)));
  if (node_size != comm_size) {
    return FailedPreconditionError(
        "the TP group spans {} ranks but only {} share this node's memory; the CPU backend "
        "needs all TP ranks on one node",
        comm_size, node_size);
  }
  world->bytes_ = (kHeaderBytes + payload_bytes + 63) / 64 * 64;
  std::byte* mine = nullptr;
  TS_RETURN_IF_ERROR(
      MpiStatus(MPI_Win_allocate_shared(static_cast<MPI_Aint>(world->bytes_), 1, MPI_INFO_NULL,
                                        world->node_.get(), &mine, &world->window_),
                "MPI_Win_allocate_shared"));
  std::memset(mine, 0, world->bytes_);
  for (int peer = 0; peer < node_size; ++peer) {
    MPI_Aint size = 0;
    int disp_unit = 0;
    std::byte* base = nullptr;
    TS_RETURN_IF_ERROR(
        MpiStatus(MPI_Win_shared_query(world->window_, peer, &size, &disp_unit, &base),
                  "MPI_Win_shared_query"));
    world->segments_.push_back(base);
  }
  TS_RETURN_IF_ERROR(
      MpiStatus(MPI_Win_lock_all(MPI_MODE_NOCHECK, world->window_), "MPI_Win_lock_all"));
  // Every segment is zeroed before anyone looks at a signal.
  TS_RETURN_IF_ERROR(world->node_.Barrier());
  return world;
}

MpiWorld::~MpiWorld() {
  if (window_ != MPI_WIN_NULL) {
    MPI_Win_unlock_all(window_);
    MPI_Win_free(&window_);
  }
}

Status MpiNonOverlapped(MPI_Comm comm, OpKind op, const ShardedProblem& problem, const float* a,
                        const float* b, float* c, float* scratch) {
  TS_ASSIGN_OR_RETURN(const MpiCommunicator group, MpiCommunicator::Borrow(comm));
  const int64_t m = problem.total_rows(), n = problem.n, k = problem.k;
  const int64_t width = op == OpKind::kAgGemm ? k : n;
  std::vector<int64_t> shard_floats;  // rank r's rows of A (AG) or of C (RS)
  for (int64_t rows : problem.rows_per_rank) shard_floats.push_back(rows * width);
  TS_ASSIGN_OR_RETURN(const GatherLayout layout, GatherLayout::FromCounts(shard_floats));
  const size_t mine = static_cast<size_t>(layout.counts[static_cast<size_t>(group.rank())]);
  auto gemm = [&](const float* lhs, float* out) {
    if (m == 0) return;
    Sgemm(m, n, k, lhs, k, b, n, out, n);
  };
  if (op == OpKind::kAgGemm) {
    TS_RETURN_IF_ERROR(group.AllGather<float>({a, mine},
                                              layout, {scratch, static_cast<size_t>(layout.total)}));
    gemm(scratch, c);
    return OkStatus();
  }
  gemm(a, scratch);
  return MpiStatus(MPI_Reduce_scatter(scratch, c, layout.counts.data(), MPI_FLOAT, MPI_SUM, comm),
                   "MPI_Reduce_scatter");
}

}  // namespace trainscope::overlap
