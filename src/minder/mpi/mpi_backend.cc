// SPDX-License-Identifier: Apache-2.0
// Minder's distance backend over MPI processes (see mpi_backend.h).
#include "minder/mpi/mpi_backend.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/mpi/mpi_support.h"
#include "minder/mpi/mpi_distance.h"

namespace trainscope::minder::mpi {
namespace {

// Scores per MPI_Allgatherv: well inside MPI's int counts, and bounds the gather buffers.
constexpr int64_t kScoresPerExchange = int64_t{1} << 26;

}  // namespace

Result<std::unique_ptr<MpiDistanceBackend>> MpiDistanceBackend::Create(MPI_Comm comm, int threads) {
  TS_ASSIGN_OR_RETURN(MpiCommunicator dup, MpiCommunicator::Duplicate(comm));
  return std::unique_ptr<MpiDistanceBackend>(new MpiDistanceBackend(std::move(dup), threads));
}

Status MpiDistanceBackend::MeanDistances(int dims, std::span<const float* const> et,
                                         std::span<const int> n, std::span<float* const> score) {
  const double t0 = MPI_Wtime();
  // Every process must describe the same windows: compare (windows, scores, dims) by min and max.
  int64_t total = 0;
  for (int count : n) total += count;
  const int64_t mine[3] = {static_cast<int64_t>(n.size()), total, dims};
  TS_ASSIGN_OR_RETURN(MinMax batch, comm_.AllMinMax(mine));
  if (!batch.same()) {
    return FailedPreconditionError(
        "MPI process {}: distance batches differ across processes (windows {}..{}, scores {}..{}); "
        "every process must score the same job with the same options",
        comm_.rank(), batch.min[0], batch.max[0], batch.min[1], batch.max[1]);
  }
  // Consecutive windows in exchanges of at most kScoresPerExchange scores (a larger window alone).
  size_t first = 0;
  while (first < n.size()) {
    size_t last = first;
    int64_t scores = 0;
    while (last < n.size() && (last == first || scores + n[last] <= kScoresPerExchange)) {
      scores += n[last];
      ++last;
    }
    TS_RETURN_IF_ERROR(MeanPairwiseDistancesMpi(comm_, dims, et.subspan(first, last - first),
                                                n.subspan(first, last - first),
                                                score.subspan(first, last - first), threads_));
    first = last;
  }
  seconds_ += MPI_Wtime() - t0;
  return OkStatus();
}

Result<std::unique_ptr<MpiDistanceBackend>> BackendIfLaunchedByMpi(int threads) {
  if (!LaunchedByMpiLauncher()) return std::unique_ptr<MpiDistanceBackend>();
  TS_RETURN_IF_ERROR(InitMpiOnce());
  return MpiDistanceBackend::Create(MPI_COMM_WORLD, threads);
}

}  // namespace trainscope::minder::mpi
