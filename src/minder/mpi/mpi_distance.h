// SPDX-License-Identifier: Apache-2.0
// Minder's pairwise distances split over MPI processes, for jobs beyond one machine's reach
// (10,000+ machines: 10^8 pairs x 8 dims per window and channel). Every rank holds all
// machines' embeddings of the windows (8 floats per machine and window, small); the rows of each
// window's distance matrix are partitioned into contiguous, deterministic ranges (rank r gets
// rows [r n / P, (r + 1) n / P)), each rank computes its rows in full with
// internal::MeanDistancesRows, and one MPI_Allgatherv gives every rank all scores. A row's value
// does not depend on the partition, so the scores are bitwise those of one process
// (MeanDistancesRows over all rows) for any number of ranks.
// Thread safety: MPI is called from the calling thread only; collective over `comm` (every rank
// calls with the same window shapes, in the same order).
#pragma once

#include <mpi.h>

#include <span>

#include "base/mpi/communicator.h"
#include "base/status.h"

namespace trainscope::minder::mpi {

// Rows [begin, end) of an n-row matrix for `rank` of `ranks`: contiguous, balanced, deterministic.
std::pair<int, int> RowRange(int n, int rank, int ranks);

// One embedding set per window: window w has n[w] machines, et[w] their `dims` x n[w] row-major
// embeddings (dimension k of machine j at et[w][k * n[w] + j]); score[w] receives n[w] mean
// distances (sum of distances to the others / (n[w] - 1)) on every rank. This rank's rows are
// computed on up to `threads` threads (<= 0: all cores; blocks of rows, so the values do not
// depend on it); MPI is called from the calling thread only.
Status MeanPairwiseDistancesMpi(const MpiCommunicator& comm, int dims,
                                std::span<const float* const> et, std::span<const int> n,
                                std::span<float* const> score, int threads = 1);
// The same over a communicator the caller owns.
Status MeanPairwiseDistancesMpi(MPI_Comm comm, int dims, std::span<const float* const> et,
                                std::span<const int> n, std::span<float* const> score,
                                int threads = 1);

}  // namespace trainscope::minder::mpi
