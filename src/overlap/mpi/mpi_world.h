// SPDX-License-Identifier: Apache-2.0
// MPI backend of the overlap operators: MPI ranks = TP ranks on one node, each rank's
// segment allocated with MPI_Win_allocate_shared and mapped into every peer with
// MPI_Win_shared_query (the CPU analogue of CUDA IPC handles, brief section 6). A passive
// epoch (MPI_Win_lock_all) stays open for the window's lifetime; all synchronisation is done
// with atomics in the segments, never with fences.
// Also: the non-overlapped baselines through MPI's own collectives (MPI_Allgatherv and
// MPI_Reduce_scatter), and helpers to detect an mpirun launch.
// Thread safety: MPI is called only from the thread that called InitMpiOnce (MPI_THREAD_FUNNELED);
// transfer agents only touch shared memory.
#pragma once

#include <mpi.h>

#include <memory>
#include <utility>
#include <vector>

#include "base/mpi/communicator.h"
#include "base/mpi/mpi_support.h"
#include "base/status.h"
#include "overlap/peer_world.h"
#include "overlap/problem.h"

namespace trainscope::overlap {

// LaunchedByMpiLauncher, InitMpiOnce (MPI_Init_thread FUNNELED) and MpiStatus come from
// base/mpi/mpi_support.h.

class MpiWorld final : public PeerWorld {
 public:
  // Collective over `comm`: every rank must share memory with every other (one node).
  static Result<std::unique_ptr<MpiWorld>> Create(MPI_Comm comm, size_t payload_bytes);
  ~MpiWorld() override;

  int rank() const override { return node_.rank(); }
  int size() const override { return static_cast<int>(segments_.size()); }
  std::byte* segment(int rank) const override { return segments_[rank]; }
  size_t segment_bytes() const override { return bytes_; }
  MPI_Comm comm() const { return node_.get(); }

 private:
  explicit MpiWorld(MpiCommunicator node) : node_(std::move(node)) {}
  MpiCommunicator node_;  // the ranks of the TP group on this node (all of them)
  MPI_Win window_ = MPI_WIN_NULL;
  size_t bytes_ = 0;
  std::vector<std::byte*> segments_;
};

// Non-overlapped baseline with MPI's collective (brief section 6).
// AG: MPI_Allgatherv(a_shard -> gathered[M, k]), then one cblas_sgemm into c[M, n].
// RS: one cblas_sgemm into partial[M, n], then MPI_Reduce_scatter into c[rows_r, n].
// `scratch` must hold M * max(k, n) floats.
Status MpiNonOverlapped(MPI_Comm comm, OpKind op, const ShardedProblem& problem, const float* a,
                        const float* b, float* c, float* scratch);

}  // namespace trainscope::overlap
