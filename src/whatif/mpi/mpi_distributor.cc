// SPDX-License-Identifier: Apache-2.0
// MPI task distribution for the what-if replays (see mpi_distributor.h).
#include "whatif/mpi/mpi_distributor.h"

#include <fmt/format.h>

#include <utility>

#include "base/cpu_time.h"

namespace trainscope::whatif::mpi {

Result<std::unique_ptr<MpiTaskDistributor>> MpiTaskDistributor::Create(MPI_Comm comm) {
  TS_ASSIGN_OR_RETURN(MpiCommunicator dup, MpiCommunicator::Duplicate(comm));
  return std::unique_ptr<MpiTaskDistributor>(new MpiTaskDistributor(std::move(dup)));
}

Status MpiTaskDistributor::Run(size_t count, size_t width, const LocalRun& run,
                               std::vector<int64_t>* all) {
  // Every process must describe the same batch: compare (count, width) via min and max.
  const int64_t mine[2] = {static_cast<int64_t>(count), static_cast<int64_t>(width)};
  TS_ASSIGN_OR_RETURN(MinMax batch, comm_.AllMinMax(mine));
  if (!batch.same()) {
    return FailedPreconditionError(
        "MPI process {}: task batches differ across processes (tasks {}..{}, width {}..{}); "
        "every process must analyse the same job with the same options",
        comm_.rank(), batch.min[0], batch.max[0], batch.min[1], batch.max[1]);
  }
  const int processes = comm_.size();
  std::vector<int64_t> values(static_cast<size_t>(processes));
  for (int p = 0; p < processes; ++p) {
    size_t begin = 0, end = 0;
    TaskShare(count, processes, p, &begin, &end);
    values[static_cast<size_t>(p)] = static_cast<int64_t>((end - begin) * width);
  }
  Result<GatherLayout> layout = GatherLayout::FromCounts(values);
  if (!layout.has_value()) {
    return layout.error().WithPrefix(fmt::format("{} tasks x {} values", count, width));
  }
  size_t begin = 0, end = 0;
  TaskShare(count, processes, comm_.rank(), &begin, &end);
  std::vector<int64_t> share((end - begin) * width);
  const double t0 = MPI_Wtime(), cpu0 = ProcessCpuSeconds();
  if (end > begin) run(begin, end, share.data());
  const double t1 = MPI_Wtime();
  local_cpu_seconds_ += ProcessCpuSeconds() - cpu0;
  all->assign(count * width, 0);
  TS_RETURN_IF_ERROR(comm_.AllGather<int64_t>(share, *layout, *all));
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
