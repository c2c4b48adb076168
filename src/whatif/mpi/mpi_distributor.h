// SPDX-License-Identifier: Apache-2.0
// MpiTaskDistributor: the what-if TaskDistributor over an MPI communicator. Process i of P runs
// the contiguous share [count * i / P, count * (i + 1) / P) of the tasks and the results are
// all-gathered with MPI_Allgatherv (MPI_INT64_T), so every process holds all of them in task
// order. Before each exchange the processes check (MPI_Allreduce) that they agree on the task
// count and width; a mismatch is an error on every process, not a hang.
// Also: detecting an mpirun launch and initialising MPI for a command-line run.
// Thread safety: MPI is called only from the thread that calls Run (MPI_THREAD_FUNNELED is
// enough); the local share may use threads that never call MPI.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "base/mpi/communicator.h"
#include "base/mpi/mpi_support.h"
#include "base/status.h"
#include "whatif/replay_batch.h"

namespace trainscope::whatif::mpi {

class MpiTaskDistributor final : public TaskDistributor {
 public:
  // `comm` is duplicated (MPI_Comm_dup, collective) so the distributor's messages never mix
  // with the caller's; the duplicate is freed in the destructor.
  static Result<std::unique_ptr<MpiTaskDistributor>> Create(MPI_Comm comm);

  Status Run(size_t count, size_t width, const LocalRun& run, std::vector<int64_t>* all) override;
  int process_count() const override { return comm_.size(); }
  int process_index() const override { return comm_.rank(); }
  bool is_root() const { return comm_.is_root(); }

  // Tasks run by this process so far (for tests and the scale-out report).
  int64_t local_tasks() const { return local_tasks_; }
  // Seconds spent in this process's local share (wall and process CPU time) and in MPI
  // exchanges (wall) so far.
  double local_seconds() const { return local_seconds_; }
  double local_cpu_seconds() const { return local_cpu_seconds_; }
  double exchange_seconds() const { return exchange_seconds_; }

 private:
  explicit MpiTaskDistributor(MpiCommunicator comm) : comm_(std::move(comm)) {}
  MpiCommunicator comm_;
  int64_t local_tasks_ = 0;
  double local_seconds_ = 0, local_cpu_seconds_ = 0, exchange_seconds_ = 0;
};

// For a command-line run (one line in a command): when launched by an MPI launcher, initialises
// MPI if needed (MPI_Init_thread FUNNELED; MPI_Finalize is registered to run at exit) and
// returns a distributor over MPI_COMM_WORLD; otherwise returns null (run in this process only).
// Use: options.distributor = dist.get(); print results only where dist == nullptr or
// dist->is_root().
Result<std::unique_ptr<MpiTaskDistributor>> DistributorIfLaunchedByMpi();

}  // namespace trainscope::whatif::mpi
