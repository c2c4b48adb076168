// SPDX-License-Identifier: Apache-2.0
// The MPI split of Minder's distances (run under mpirun with 1, 2 or 3 ranks): scores on every
// rank are bitwise those of one process and match a double-precision brute force; the row
// ranges cover every row once; a 10,000-machine window is split and timed.
#include "minder/mpi/mpi_distance.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include <gtest/gtest.h>

#include "minder/internal/kernels.h"
#include "minder/lstm_vae.h"

namespace trainscope::minder::mpi {
namespace {

int Rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int Ranks() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// Every rank draws the same embeddings (same seed): dims x n row-major, a tight healthy cluster
// and one machine far away.
std::vector<float> Embeddings(int n, uint64_t seed) {
  uint64_t state = seed;
  Eigen::MatrixXd m = NormalMatrix(kWindow, n, &state) * 0.01;
  m.col(n / 2).array() += 0.5;
  Eigen::MatrixXf t = m.transpose().cast<float>();  // n x D column-major = D x n row-major
  return std::vector<float>(t.data(), t.data() + t.size());
}

TEST(MinderMpiTest, RowRangesCoverEveryRowOnce) {
  for (int n : {0, 1, 2, 7, 1000, 10001}) {
    for (int ranks : {1, 2, 3, 8}) {
      int next = 0;
      for (int r = 0; r < ranks; ++r) {
        auto [b, e] = RowRange(n, r, ranks);
        EXPECT_EQ(b, next);
        EXPECT_LE(e - b, n / ranks + 1);
        next = e;
      }
      EXPECT_EQ(next, n);
    }
  }
}

TEST(MinderMpiTest, SplitScoresAreBitwiseTheOneProcessScores) {
  const std::vector<int> sizes = {2, 3, 17, 64, 1000, 2501};
  std::vector<std::vector<float>> et, score;
  for (size_t w = 0; w < sizes.size(); ++w) {
    et.push_back(Embeddings(sizes[w], 100 + w));
    score.emplace_back(static_cast<size_t>(sizes[w]), -1.f);
  }
  std::vector<const float*> et_ptr;
  std::vector<float*> score_ptr;
  for (size_t w = 0; w < sizes.size(); ++w) {
    et_ptr.push_back(et[w].data());
    score_ptr.push_back(score[w].data());
  }
  ASSERT_TRUE(MeanPairwiseDistancesMpi(MPI_COMM_WORLD, kWindow, et_ptr, sizes, score_ptr).ok());
  for (size_t w = 0; w < sizes.size(); ++w) {
    const int n = sizes[w];
    std::vector<float> one(static_cast<size_t>(n));
    internal::MeanDistancesRows(et[w].data(), kWindow, n, 0, n, one.data());
    EXPECT_EQ(score[w], one) << "rank " << Rank() << " of " << Ranks() << ", n=" << n;
    // And the exact mean distances, up to float rounding (a sample of rows for large n).
    for (int i = 0; i < n; i += std::max(1, n / 50)) {
      double ref = 0;
      for (int j = 0; j < n; ++j) {
        double d2 = 0;
        for (int k = 0; k < kWindow; ++k) {
          double diff = static_cast<double>(et[w][static_cast<size_t>(k * n + j)]) -
                        static_cast<double>(et[w][static_cast<size_t>(k * n + i)]);
          d2 += diff * diff;
        }
        ref += std::sqrt(d2);
      }
      ref /= n - 1;
      EXPECT_NEAR(score[w][static_cast<size_t>(i)], ref, 1e-5 * ref + 1e-9) << "n=" << n << " i=" << i;
    }
    // The far machine has the top score (two machines tie).
    if (n >= 3) {
      EXPECT_EQ(std::max_element(score[w].begin(), score[w].end()) - score[w].begin(), n / 2);
    }
  }
}

TEST(MinderMpiTest, TenThousandMachines) {
  const int n = 10000;
  std::vector<float> et = Embeddings(n, 7);
  std::vector<float> score(static_cast<size_t>(n));
  const float* e = et.data();
  float* s = score.data();
  MPI_Barrier(MPI_COMM_WORLD);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(MeanPairwiseDistancesMpi(MPI_COMM_WORLD, kWindow, {&e, 1}, {&n, 1}, {&s, 1}).ok());
  double split_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Each rank checks its own rows against one process (the whole matrix would cost P times more).
  auto [b, end] = RowRange(n, Rank(), Ranks());
  std::vector<float> mine(static_cast<size_t>(end - b));
  internal::MeanDistancesRows(et.data(), kWindow, n, b, end, mine.data());
  EXPECT_TRUE(std::equal(mine.begin(), mine.end(), score.begin() + b));
  if (Rank() == 0) {
    std::printf("10,000 machines, one window (10^8 pairs): %.3f s on %d rank(s)\n", split_s, Ranks());
  }
}

}  // namespace
}  // namespace trainscope::minder::mpi
