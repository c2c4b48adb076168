// SPDX-License-Identifier: Apache-2.0
// MPI task distribution for the what-if replays (see mpi_distributor.h).
#include "whatif/mpi/mpi_distributor.h"

#include <climits>
#include <cstdlib>
#include <string>

#include "base/cpu_time.h"

namespace trainscope::whatif::mpi {

Result<std::unique_ptr<MpiTaskDistributor>> MpiTaskDistributor::Create(MPI_Comm comm) {
  std::unique_ptr<MpiTaskDistributor> d(new MpiTaskDistributor());
  TS_RETURN_IF_ERROR(MpiStatus(MPI_Comm_dup(comm, &d->comm_), "MPI_Comm_dup"));
  TS_RETURN_IF_ERROR(MpiStatus(MPI_Comm_rank(d->comm_, &d->rank_), "MPI_Comm_rank"));
  TS_RETURN_IF_ERROR(MpiStatus(MPI_Comm_size(d->comm_, &d->size_), "MPI_Comm_size"));
  return d;
}

MpiTaskDistributor::~MpiTaskDistributor() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
}

Status MpiTaskDistributor::Run(size_t count, size_t width, const LocalRun& run,
                               std::vector<int64_t>* all) {
  // Every process must describe the same batch: compare (count, width) via min and max.
  const long long mine[2] = {static_cast<long long>(count), static_cast<long long>(width)};
  long long lo[2], hi[2];
  TS_RETURN_IF_ERROR(
      MpiStatus(MPI_Allreduce(mine, lo, 2, MPI_LONG_LONG, MPI_MIN, comm_), "MPI_Allreduce"));
  TS_RETURN_IF_ERROR(
      MpiStatus(MPI_Allreduce(mine, hi, 2, MPI_LONG_LONG, MPI_MAX, comm_), "MPI_Allreduce"));
  if (lo[0] != hi[0] || lo[1] != hi[1]) {
    return FailedPreconditionError(
        "MPI process {}: task batches differ across processes (tasks {}..{}, width {}..{}); "
        "every process must analyse the same job with the same options",
        rank_, lo[0], hi[0], lo[1], hi[1]);
  }
  if (count * width > static_cast<size_t>(INT_MAX)) {
    return OutOfRangeError("{} tasks x {} values exceed one MPI_Allgatherv ({} values max)", count,
                           width, INT_MAX);
  }
  std::vector<int> counts(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
  for (int p = 0; p < size_; ++p) {
    size_t begin = 0, end = 0;
    TaskShare(count, size_, p, &begin, &end);
    counts[p] = static_cast<int>((end - begin) * width);
    displs[p] = static_cast<int>(begin * width);
  }
  size_t begin = 0, end = 0;
  TaskShare(count, size_, rank_, &begin, &end);
  std::vector<int64_t> share((end - begin) * width);
  const double t0 = MPI_Wtime(), cpu0 = ProcessCpuSeconds();
  if (end > begin) run(begin, end, share.data());
  const double t1 = MPI_Wtime();
  local_cpu_seconds_ += ProcessCpuSeconds() - cpu0;
  all->assign(count * width, 0);
  TS_RETURN_IF_ERROR(MpiStatus(MPI_Allgatherv(share.data(), counts[rank_], MPI_INT64_T, all->data(),
                                              counts.data(), displs.data(), MPI_INT64_T, comm_),
                               "MPI_Allgatherv"));
  local_tasks_ += static_cast<int64_t>(end - begin);
  local_seconds_ += t1 - t0;
  exchange_seconds_ += MPI_Wtime() - t1;
  return OkStatus();
}

Result<std::unique_ptr<MpiTaskDistributor>> DistributorIfLaunchedByMpi() {
  if (!LaunchedByMpiLauncher()) return std::unique_ptr<MpiTaskDistributor>();
  TS_RETURN_IF_ERROR(InitMpiOnce());
  return MpiTaskDistributor::Create(MPI_COMM_WORLD);
}

}  // namespace trainscope::whatif::mpi
