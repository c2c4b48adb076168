// SPDX-License-Identifier: Apache-2.0
// DistanceBackend: where Minder's per-window mean pairwise distances are computed. Without one
// (DetectOptions::distance_backend == nullptr) ScoreChannel computes each window's distances on
// this process's threads (symmetric kernel, each pair once). A backend receives the embeddings of
// all of a channel's windows in ONE call, so an implementation may split the work over processes
// (minder/mpi: MpiDistanceBackend, rows of each window's distance matrix over MPI ranks).
// Units: the embeddings are normalised metric values (kWindow = 8 per machine and window); a
// score is the mean Euclidean distance of a machine to the other machines of its window.
// Ownership: the caller owns the backend and every buffer; spans are valid for the call only.
// Thread safety: ScoreChannel calls MeanDistances from the thread that called it, never from
// inside its ParallelFor; a collective implementation needs every process to call it with the
// same shapes in the same order (every process scores the same grid with the same options).
#pragma once

#include <span>

#include "base/status.h"

namespace trainscope::minder {

class DistanceBackend {
 public:
  virtual ~DistanceBackend() = default;

  // One embedding set per window: window w has n[w] machines, et[w] their `dims` x n[w]
  // row-major embeddings (dimension k of machine j at et[w][k * n[w] + j]); score[w] receives
  // n[w] mean distances (sum of the distances to the others / (n[w] - 1)). Results must not
  // depend on how the work is split (identical on every process and for any process count).
  virtual Status MeanDistances(int dims, std::span<const float* const> et, std::span<const int> n,
                               std::span<float* const> score) = 0;

  // Processes sharing the work (1 for a local backend) and this one's index in [0, count).
  virtual int process_count() const { return 1; }
  virtual int process_index() const { return 0; }
};

}  // namespace trainscope::minder
