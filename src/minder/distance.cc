// SPDX-License-Identifier: Apache-2.0
// The O(N^2) pairwise-distance kernel of Minder's similarity step, vectorised for the CPU found
// at run time (GCC function multi-versioning), and the window extraction feeding it.
#include <algorithm>
#include <cmath>
#include <vector>

#include "minder/detector.h"

namespace trainscope::minder {
namespace {

// et: D x n row-major (dimension k of machine j at et[k*n + j]). score[j] += sum_i d(i, j).
// Full rows instead of the symmetric half keep the inner loop free of reductions, so it
// vectorises over j without -ffast-math; the flop count doubles but runs 8-16 lanes wide.
__attribute__((target_clones("avx512f", "avx2", "default")))
void DistanceRows(const float* __restrict et, int n, float* __restrict score) {
  for (int i = 0; i < n; ++i) {
    float ei[kWindow];
    for (int k = 0; k < kWindow; ++k) ei[k] = et[k * n + i];
    for (int j = 0; j < n; ++j) {
      float d = 0.f;
      for (int k = 0; k < kWindow; ++k) {
        float diff = et[k * n + j] - ei[k];
        d += diff * diff;
      }
      score[j] += std::sqrt(d);
    }
  }
}

}  // namespace

void MeanPairwiseDistances(const float* e, int dims, int n, float* score) {
  std::fill(score, score + n, 0.f);
  if (n < 2) return;
  // Transpose D x n (column per machine) into row-major dims for the kernel.
  thread_local std::vector<float> et;
  et.assign(static_cast<size_t>(dims) * static_cast<size_t>(n), 0.f);
  for (int j = 0; j < n; ++j) {
    for (int k = 0; k < dims; ++k) et[static_cast<size_t>(k) * n + j] = e[static_cast<size_t>(j) * dims + k];
  }
  if (dims == kWindow) {
    DistanceRows(et.data(), n, score);
  } else {
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        float d = 0.f;
        for (int k = 0; k < dims; ++k) {
          float diff = et[static_cast<size_t>(k) * n + j] - et[static_cast<size_t>(k) * n + i];
          d += diff * diff;
        }
        score[j] += std::sqrt(d);
      }
    }
  }
  const float inv = 1.f / static_cast<float>(n - 1);
  for (int j = 0; j < n; ++j) score[j] *= inv;
}

Eigen::MatrixXf ChannelWindows(const Grid& grid, size_t channel) {
  const int steps = grid.steps;
  const int windows = std::max(0, steps - kWindow + 1);
  const size_t machines = grid.machines.size();
  Eigen::MatrixXf x(kWindow, static_cast<Eigen::Index>(machines * static_cast<size_t>(windows)));
  const std::vector<float>& v = grid.channels[channel].values;
  for (size_t m = 0; m < machines; ++m) {
    for (int w = 0; w < windows; ++w) {
      Eigen::Index col = static_cast<Eigen::Index>(m * static_cast<size_t>(windows) + static_cast<size_t>(w));
      for (int t = 0; t < kWindow; ++t) x(t, col) = v[m * static_cast<size_t>(steps) + static_cast<size_t>(w + t)];
    }
  }
  return x;
}

}  // namespace trainscope::minder
