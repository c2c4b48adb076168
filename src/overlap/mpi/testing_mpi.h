// SPDX-License-Identifier: Apache-2.0
// Test helpers of the MPI-launched operator tests (overlap_mpi_test, overlap_cuda_mpi_test):
// world rank and size, and every rank's output gathered to rank 0 for the reference check.
// Header-only; included by tests only. Call from the thread that owns MPI.
#pragma once

#include <mpi.h>

#include <vector>

#include "overlap/testing_reference.h"

namespace trainscope::overlap::testing_support {

inline int WorldRank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

inline int WorldSize() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

// Sends every rank's c to rank 0 (into data[r].c there).
inline void GatherToRankZero(std::vector<RankData>& data) {
  const int rank = WorldRank();
  for (int src = 1; src < WorldSize(); ++src) {
    std::vector<float>& c = data[static_cast<size_t>(src)].c;
    if (rank == src) {
      MPI_Send(c.data(), static_cast<int>(c.size()), MPI_FLOAT, 0, 7, MPI_COMM_WORLD);
    } else if (rank == 0) {
      MPI_Recv(c.data(), static_cast<int>(c.size()), MPI_FLOAT, src, 7, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
    }
  }
}

}  // namespace trainscope::overlap::testing_support
