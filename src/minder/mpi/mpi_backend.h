// SPDX-License-Identifier: Apache-2.0
// MpiDistanceBackend: Minder's DistanceBackend over an MPI communicator. Each channel's windows
// go through MeanPairwiseDistancesMpi (rows of every window's distance matrix split over the
// processes, one MPI_Allgatherv), so every process gets all scores, bitwise the same for any
// number of processes (they may differ from the threaded no-backend path in the last float bits:
// full rows instead of each pair once, another summation order). Before each exchange the
// processes check (MPI_Allreduce) that they agree on the shapes; a mismatch is an error on every
// process, not a hang. Also: detecting an mpirun launch and initialising MPI for a CLI run.
// Ownership: the backend owns a duplicate of the communicator (freed in the destructor).
// Thread safety: MPI is called only from the thread calling MeanDistances (MPI_THREAD_FUNNELED
// is enough); the local rows use up to `threads` threads that never call MPI.
#pragma once

#include <mpi.h>

#include <memory>
#include <utility>

#include "base/mpi/communicator.h"
#include "base/status.h"
#include "minder/distance_backend.h"

namespace trainscope::minder::mpi {

class MpiDistanceBackend final : public DistanceBackend {
 public:
  // Collective over `comm` (MPI_Comm_dup). `threads`: threads for this process's rows (<= 0: all
  // cores).
  static Result<std::unique_ptr<MpiDistanceBackend>> Create(MPI_Comm comm, int threads);

  Status MeanDistances(int dims, std::span<const float* const> et, std::span<const int> n,
                       std::span<float* const> score) override;
  int process_count() const override { return comm_.size(); }
  int process_index() const override { return comm_.rank(); }
  bool is_root() const { return comm_.is_root(); }

  // Seconds in MeanDistances so far (wall, this process).
  double seconds() const { return seconds_; }

 private:
  MpiDistanceBackend(MpiCommunicator comm, int threads)
      : comm_(std::move(comm)), threads_(threads) {}
  MpiCommunicator comm_;
  int threads_ = 1;
  double seconds_ = 0;
};

// For a command-line run: when launched by an MPI launcher, initialises MPI if needed
// (MPI_Init_thread FUNNELED; MPI_Finalize registered at exit) and returns a backend over
// MPI_COMM_WORLD; otherwise null (distances on this process's threads). Use:
// options.distance_backend = backend.get(); print only where backend == nullptr or is_root().
Result<std::unique_ptr<MpiDistanceBackend>> BackendIfLaunchedByMpi(int threads);

}  // namespace trainscope::minder::mpi
