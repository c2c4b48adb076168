// SPDX-License-Identifier: Apache-2.0
// The vectorised detection kernels against scalar double-precision references on random inputs,
// on every instruction set this CPU runs: LSTM-VAE inference vs LstmVae::Reconstruct, pairwise
// mean distances vs the brute-force double sum over all ordered pairs.
#include "minder/internal/kernels.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "minder/detector.h"

namespace trainscope::minder::internal {
namespace {

std::vector<Isa> Isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kGeneric, Isa::kAvx2, Isa::kAvx512}) {
    if (IsaSupported(isa)) out.push_back(isa);
  }
  return out;
}

TEST(MinderKernelsTest, InferenceMatchesDoubleReferenceOnEveryIsa) {
  LstmVae vae;
  vae.Initialize(11);
  // Larger weights than the U(-1/2, 1/2) start so gates saturate too (tanh clamp region).
  Eigen::VectorXd p = vae.params() * 3.0;
  vae.SetParams(p);
  Eigen::VectorXf pf = p.cast<float>();
  uint64_t rng = 5;
  for (int n : {1, 63, 64, 65, 200}) {
    Eigen::MatrixXd x = NormalMatrix(kWindow, n, &rng);
    x(0, 0) = 1e-5;  // near zero, where Eigen returns the argument itself
    Eigen::MatrixXd ref = vae.Reconstruct(x);
    Eigen::MatrixXf xf = x.cast<float>();
    for (Isa isa : Isas()) {
      Eigen::MatrixXf y(kWindow, n);
      ReconstructWindows(pf.data(), xf.data(), n, y.data(), isa);
      double err = (y.cast<double>() - ref).cwiseAbs().maxCoeff();
      EXPECT_LT(err, 2e-5) << IsaName(isa) << " n=" << n;
    }
  }
  // The public float path uses the same kernel.
  Eigen::MatrixXd x = NormalMatrix(kWindow, 130, &rng);
  EXPECT_LT((vae.ReconstructFloat(x.cast<float>()).cast<double>() - vae.Reconstruct(x))
                .cwiseAbs().maxCoeff(), 2e-5);
}

TEST(MinderKernelsTest, LatentMeansMatchDoubleReferenceOnEveryIsa) {
  LstmVae vae;
  vae.Initialize(12);
  Eigen::VectorXd p = vae.params() * 3.0;
  vae.SetParams(p);
  Eigen::VectorXf pf = p.cast<float>();
  uint64_t rng = 6;
  for (int n : {1, 63, 64, 65, 200}) {
    Eigen::MatrixXd x = NormalMatrix(kWindow, n, &rng);
    Eigen::MatrixXd ref = vae.Encode(x);
    ASSERT_EQ(ref.rows(), kLatent);
    Eigen::MatrixXf xf = x.cast<float>();
    for (Isa isa : Isas()) {
      Eigen::MatrixXf mu(kLatent, n);
      EncodeWindows(pf.data(), xf.data(), n, mu.data(), isa);
      EXPECT_LT((mu.cast<double>() - ref).cwiseAbs().maxCoeff(), 2e-5) << IsaName(isa) << " n=" << n;
    }
  }
  Eigen::MatrixXd x = NormalMatrix(kWindow, 130, &rng);
  EXPECT_LT((vae.EncodeFloat(x.cast<float>()).cast<double>() - vae.Encode(x)).cwiseAbs().maxCoeff(), 2e-5);
}

TEST(MinderKernelsTest, DistancesMatchBruteForceOnEveryIsa) {
  uint64_t rng = 7;
  for (int n : {2, 3, 4, 16, 17, 18, 33, 257}) {
    // Clustered machines (healthy peers almost equal) plus one far away.
    Eigen::MatrixXd e = NormalMatrix(kWindow, n, &rng) * 1e-3;
    e.col(n - 1).array() += 0.7;
    Eigen::MatrixXf ef = e.cast<float>();
    Eigen::MatrixXf et = ef.transpose();  // n x D column-major = D x n row-major
    std::vector<double> ref(static_cast<size_t>(n), 0.0);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        ref[static_cast<size_t>(i)] += (ef.col(i).cast<double>() - ef.col(j).cast<double>()).norm();
      }
      ref[static_cast<size_t>(i)] /= n - 1;
    }
    for (Isa isa : Isas()) {
      std::vector<float> s(static_cast<size_t>(n));
      MeanDistancesRowMajor(et.data(), kWindow, n, s.data(), isa);
      for (int i = 0; i < n; ++i) {
        double r = ref[static_cast<size_t>(i)];
        EXPECT_NEAR(s[static_cast<size_t>(i)], r, 1e-5 * r + 1e-9) << IsaName(isa) << " n=" << n
                                                                  << " i=" << i;
      }
    }
    // Other dimensions take the scalar path.
    std::vector<float> s3(static_cast<size_t>(n));
    Eigen::MatrixXf e3 = ef.topRows(3);
    MeanPairwiseDistances(e3.data(), 3, n, s3.data());
    for (int i = 0; i < n; ++i) {
      double r = 0;
      for (int j = 0; j < n; ++j) r += (e3.col(i).cast<double>() - e3.col(j).cast<double>()).norm();
      EXPECT_NEAR(s3[static_cast<size_t>(i)], r / (n - 1), 1e-5 * r / (n - 1) + 1e-9);
    }
  }
}

TEST(MinderKernelsTest, RowRangesMatchBruteForceAndAreIndependentOfTheSplit) {
  uint64_t rng = 9;
  for (int n : {2, 5, 16, 31, 100}) {
    Eigen::MatrixXf ef = (NormalMatrix(kWindow, n, &rng) * 0.1).cast<float>();
    Eigen::MatrixXf et = ef.transpose();
    for (Isa isa : Isas()) {
      std::vector<float> all(static_cast<size_t>(n));
      MeanDistancesRows(et.data(), kWindow, n, 0, n, all.data(), isa);
      for (int i = 0; i < n; ++i) {
        double r = 0;
        for (int j = 0; j < n; ++j) r += (ef.col(i).cast<double>() - ef.col(j).cast<double>()).norm();
        r /= n - 1;
        EXPECT_NEAR(all[static_cast<size_t>(i)], r, 1e-5 * r + 1e-9) << IsaName(isa) << " n=" << n;
      }
      // Any split of the rows gives bitwise the same values.
      for (int cut : {1, n / 3, n - 1}) {
        std::vector<float> part(static_cast<size_t>(n));
        MeanDistancesRows(et.data(), kWindow, n, 0, cut, part.data(), isa);
        MeanDistancesRows(et.data(), kWindow, n, cut, n, part.data() + cut, isa);
        EXPECT_EQ(part, all) << IsaName(isa) << " n=" << n << " cut=" << cut;
      }
    }
  }
}

TEST(MinderKernelsTest, AutoPicksASupportedIsa) {
  EXPECT_TRUE(IsaSupported(ResolveIsa(Isa::kAuto)));
  EXPECT_NE(ResolveIsa(Isa::kAuto), Isa::kAuto);
}

}  // namespace
}  // namespace trainscope::minder::internal
