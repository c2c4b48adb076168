// SPDX-License-Identifier: Apache-2.0
// Test helpers shared by the thread-rank and MPI-rank operator tests: deterministic inputs
// and the gather-to-one reference (double-precision triple loop, then the collective).
// Header-only; included by tests only. Thread safety: none needed.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "overlap/problem.h"

namespace trainscope::overlap::testing_support {

struct RankData {
  std::vector<float> a, b, c;
};

// Fills per-rank inputs; AG: a = shard [rows_r, k]; RS: a = [M, k]. b = [k, n] per rank.
inline std::vector<RankData> MakeInputs(OpKind op, const ShardedProblem& problem, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const int64_t m = problem.total_rows();
  std::vector<RankData> data(static_cast<size_t>(problem.tp()));
  for (int rank = 0; rank < problem.tp(); ++rank) {
    const int64_t a_rows = op == OpKind::kAgGemm ? problem.rows_per_rank[rank] : m;
    const int64_t c_rows = op == OpKind::kAgGemm ? m : problem.rows_per_rank[rank];
    data[rank].a.resize(static_cast<size_t>(a_rows * problem.k));
    data[rank].b.resize(static_cast<size_t>(problem.k * problem.n));
    data[rank].c.assign(static_cast<size_t>(c_rows * problem.n), NAN);
    for (float& v : data[rank].a) v = dist(rng);
    for (float& v : data[rank].b) v = dist(rng);
  }
  return data;
}

// Reference: gather everything to one place, GEMM in double, then the collective.
// Returns per rank the expected C and a per-element error bound (sum of |a||b|).
inline void CheckAgainstReference(OpKind op, const ShardedProblem& problem,
                                  const std::vector<RankData>& data, const std::string& label) {
  const int64_t m = problem.total_rows(), n = problem.n, k = problem.k;
  const int tp = problem.tp();
  std::vector<int64_t> offsets(1, 0);
  for (int64_t rows : problem.rows_per_rank) offsets.push_back(offsets.back() + rows);
  for (int rank = 0; rank < tp; ++rank) {
    const int64_t c_rows = op == OpKind::kAgGemm ? m : problem.rows_per_rank[rank];
    for (int64_t row = 0; row < c_rows; ++row) {
      for (int64_t col = 0; col < n; ++col) {
        double sum = 0, bound = 0;
        if (op == OpKind::kAgGemm) {
          int owner = 0;
          while (offsets[owner + 1] <= row) ++owner;
          const float* a_row = data[owner].a.data() + (row - offsets[owner]) * k;
          for (int64_t idx = 0; idx < k; ++idx) {
            const double term = double(a_row[idx]) * data[rank].b[idx * n + col];
            sum += term;
            bound += std::fabs(term);
          }
        } else {
          const int64_t global_row = offsets[rank] + row;
          for (int src = 0; src < tp; ++src) {
            for (int64_t idx = 0; idx < k; ++idx) {
              const double term =
                  double(data[src].a[global_row * k + idx]) * data[src].b[idx * n + col];
              sum += term;
              bound += std::fabs(term);
            }
          }
        }
        const float got = data[rank].c[row * n + col];
        ASSERT_NEAR(got, sum, 1e-5 * bound + 1e-6)
            << label << " rank " << rank << " row " << row << " col " << col;
      }
    }
  }
}

}  // namespace trainscope::overlap::testing_support
