// SPDX-License-Identifier: Apache-2.0
// The O(N^2) pairwise-distance kernel of Minder's similarity step (each pair once, vectorised
// over machines, per instruction set with run-time dispatch), and the window extraction.
#include <algorithm>
#include <cmath>
#include <vector>

#include "base/check.h"
#include "minder/detector.h"
#include "minder/internal/kernels.h"

#define TS_MINDER_INLINE inline __attribute__((always_inline))

namespace trainscope::minder {
namespace internal {
namespace {

constexpr int kLanes = 16;  // one AVX-512 register of machines j per step

// Adds d(i, j) to score[i] and score[j] for rows i in [i0, i0 + R) and all j >= j0. R rows
// share the loads of machine j's dimensions; row sums collect per lane, reduced at the end.
template <int D, int R>
TS_MINDER_INLINE void RowBlock(const float* __restrict et, int n, int i0, int j0,
                               float* __restrict score) {
  float e[R][D];
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < D; ++k) e[r][k] = et[k * n + i0 + r];
  }
  float acc[R][kLanes] = {};
  int j = j0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      float v[D];
      for (int k = 0; k < D; ++k) v[k] = et[k * n + j + l];
      float sum = 0.f;
      for (int r = 0; r < R; ++r) {
        float d = 0.f;
        for (int k = 0; k < D; ++k) d += (v[k] - e[r][k]) * (v[k] - e[r][k]);
        d = std::sqrt(d);
        sum += d;
        acc[r][l] += d;
      }
      score[j + l] += sum;
    }
  }
  float row[R] = {};
  for (; j < n; ++j) {
    for (int r = 0; r < R; ++r) {
      float d = 0.f;
      for (int k = 0; k < D; ++k) {
        const float diff = et[k * n + j] - e[r][k];
        d += diff * diff;
      }
      d = std::sqrt(d);
      score[j] += d;
      row[r] += d;
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int l = 0; l < kLanes; ++l) row[r] += acc[r][l];
    score[i0 + r] += row[r];
  }
}

// score[j] += d(i, j) and score[i] += d(i, j) for every pair i < j: blocks of kRows rows against
// the machines after the block; pairs inside a block one row at a time.
template <int D>
TS_MINDER_INLINE void PairRows(const float* __restrict et, int n, float* __restrict score) {
  constexpr int kRows = 4;
  int i = 0;
  for (; i + kRows <= n; i += kRows) {
    for (int r = 0; r < kRows - 1; ++r) {
      for (int q = r + 1; q < kRows; ++q) {
        float d = 0.f;
        for (int k = 0; k < D; ++k) {
          const float diff = et[k * n + i + q] - et[k * n + i + r];
          d += diff * diff;
        }
        d = std::sqrt(d);
        score[i + r] += d;
        score[i + q] += d;
      }
    }
    RowBlock<D, kRows>(et, n, i, i + kRows, score);
  }
  for (; i < n; ++i) RowBlock<D, 1>(et, n, i, i + 1, score);
}

// score[i - row_begin] = sum over all j != i of d(i, j) for rows i in [row_begin, row_end): full
// rows, each summed per lane over j in index order, then the lanes in a fixed order, so a row's
// value does not depend on which rows are computed with it (the basis of the MPI split).
template <int D>
TS_MINDER_INLINE void FullRows(const float* __restrict et, int n, int row_begin, int row_end,
                               float* __restrict score) {
  for (int i = row_begin; i < row_end; ++i) {
    float e[D];
    for (int k = 0; k < D; ++k) e[k] = et[k * n + i];
    float acc[kLanes] = {};
    int j = 0;
    for (; j + kLanes <= n; j += kLanes) {
      for (int l = 0; l < kLanes; ++l) {
        float d = 0.f;
        for (int k = 0; k < D; ++k) {
          const float diff = et[k * n + j + l] - e[k];
          d += diff * diff;
        }
        acc[l] += std::sqrt(d);  // d(i, i) = 0 adds nothing
      }
    }
    float tail = 0.f;
    for (; j < n; ++j) {
      float d = 0.f;
      for (int k = 0; k < D; ++k) {
        const float diff = et[k * n + j] - e[k];
        d += diff * diff;
      }
      tail += std::sqrt(d);
    }
    float total = 0.f;
    for (int l = 0; l < kLanes; ++l) total += acc[l];
    score[i - row_begin] = total + tail;
  }
}

__attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma,prefer-vector-width=512")))
void PairRowsAvx512(const float* et, int n, float* score) {
  PairRows<kWindow>(et, n, score);
}
__attribute__((target("avx2,fma"))) void PairRowsAvx2(const float* et, int n, float* score) {
  PairRows<kWindow>(et, n, score);
}
void PairRowsGeneric(const float* et, int n, float* score) { PairRows<kWindow>(et, n, score); }

__attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma,prefer-vector-width=512")))
void FullRowsAvx512(const float* et, int n, int b, int e, float* score) {
  FullRows<kWindow>(et, n, b, e, score);
}
__attribute__((target("avx2,fma"))) void FullRowsAvx2(const float* et, int n, int b, int e,
                                                     float* score) {
  FullRows<kWindow>(et, n, b, e, score);
}
void FullRowsGeneric(const float* et, int n, int b, int e, float* score) {
  FullRows<kWindow>(et, n, b, e, score);
}

}  // namespace

void MeanDistancesRowMajor(const float* et, int dims, int n, float* score, Isa isa) {
  std::fill(score, score + n, 0.f);
  if (n < 2) return;
  if (dims == kWindow) {
    switch (ResolveIsa(isa)) {
      case Isa::kAvx512:
        PairRowsAvx512(et, n, score);
        break;
      case Isa::kAvx2:
        PairRowsAvx2(et, n, score);
        break;
      default:
        PairRowsGeneric(et, n, score);
        break;
    }
  } else {
    for (int i = 0; i < n; ++i) {
      for (int j = i + 1; j < n; ++j) {
        float d = 0.f;
        for (int k = 0; k < dims; ++k) {
          const float diff = et[k * n + j] - et[k * n + i];
          d += diff * diff;
        }
        d = std::sqrt(d);
        score[i] += d;
        score[j] += d;
      }
    }
  }
  const float inv = 1.f / static_cast<float>(n - 1);
  for (int j = 0; j < n; ++j) score[j] *= inv;
}

void MeanDistancesRows(const float* et, int dims, int n, int row_begin, int row_end, float* score,
                       Isa isa) {
  TS_CHECK(0 <= row_begin && row_begin <= row_end && row_end <= n, "rows [{}, {}) of {}",
           row_begin, row_end, n);
  float* out = score;
  if (n < 2) {
    std::fill(out, out + (row_end - row_begin), 0.f);
    return;
  }
  if (dims == kWindow) {
    switch (ResolveIsa(isa)) {
      case Isa::kAvx512:
        FullRowsAvx512(et, n, row_begin, row_end, out);
        break;
      case Isa::kAvx2:
        FullRowsAvx2(et, n, row_begin, row_end, out);
        break;
      default:
        FullRowsGeneric(et, n, row_begin, row_end, out);
        break;
    }
  } else {
    for (int i = row_begin; i < row_end; ++i) {
      float total = 0.f;
      for (int j = 0; j < n; ++j) {
        float d = 0.f;
        for (int k = 0; k < dims; ++k) {
          const float diff = et[k * n + j] - et[k * n + i];
          d += diff * diff;
        }
        total += std::sqrt(d);
      }
      out[i - row_begin] = total;
    }
  }
  const float inv = 1.f / static_cast<float>(n - 1);
  for (int i = 0; i < row_end - row_begin; ++i) out[i] *= inv;
}

}  // namespace internal

void MeanPairwiseDistances(const float* e, int dims, int n, float* score) {
  // Transpose D x n (column per machine) into row-major dims for the kernel.
  thread_local std::vector<float> et;
  et.resize(static_cast<size_t>(dims) * static_cast<size_t>(std::max(n, 0)));
  for (int j = 0; j < n; ++j) {
    for (int k = 0; k < dims; ++k) {
      et[static_cast<size_t>(k) * static_cast<size_t>(n) + static_cast<size_t>(j)] =
          e[static_cast<size_t>(j) * static_cast<size_t>(dims) + static_cast<size_t>(k)];
    }
  }
  internal::MeanDistancesRowMajor(et.data(), dims, n, score);
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
