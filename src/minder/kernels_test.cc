// SPDX-License-Identifier: Apache-2.0
// The vectorised detection kernels against scalar double-precision references on random inputs,
// on every instruction set this CPU runs: LSTM-VAE inference vs LstmVae::Reconstruct/Encode,
// pairwise mean distances vs the brute-force double sum over all ordered pairs.
#include "minder/internal/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

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

// One batched inference kernel (reconstruction or latent mean) against its double-precision
// LstmVae reference on every ISA, for batch sizes around the vector width, and the public float
// method that wraps the kernel.
struct InferencePath {
  int rows;  // output rows per window
  void (*kernel)(const float*, const float*, int64_t, float*, Isa);
  Eigen::MatrixXd (LstmVae::*reference)(const Eigen::MatrixXd&) const;
  Eigen::MatrixXf (LstmVae::*float_method)(const Eigen::MatrixXf&) const;
};

void ExpectMatchesDoubleReference(const InferencePath& path, uint64_t seed) {
  LstmVae vae;
  vae.Initialize(seed);
  // Larger weights than the U(-1/2, 1/2) start so gates saturate too (tanh clamp region).
  Eigen::VectorXd p = vae.params() * 3.0;
  vae.SetParams(p);
  Eigen::VectorXf pf = p.cast<float>();
  uint64_t rng = seed + 100;
  for (int n : {1, 63, 64, 65, 200}) {
    Eigen::MatrixXd x = NormalMatrix(kWindow, n, &rng);
    x(0, 0) = 1e-5;  // near zero, where Eigen returns the argument itself
    Eigen::MatrixXd ref = (vae.*path.reference)(x);
    ASSERT_EQ(ref.rows(), path.rows);
    Eigen::MatrixXf xf = x.cast<float>();
    for (Isa isa : Isas()) {
      Eigen::MatrixXf out(path.rows, n);
      path.kernel(pf.data(), xf.data(), n, out.data(), isa);
      EXPECT_LT((out.cast<double>() - ref).cwiseAbs().maxCoeff(), 2e-5)
          << IsaName(isa) << " n=" << n;
    }
  }
  Eigen::MatrixXd x = NormalMatrix(kWindow, 130, &rng);
  Eigen::MatrixXf public_out = (vae.*path.float_method)(x.cast<float>());
  EXPECT_LT((public_out.cast<double>() - (vae.*path.reference)(x)).cwiseAbs().maxCoeff(), 2e-5);
}

TEST(MinderKernelsTest, InferenceMatchesDoubleReferenceOnEveryIsa) {
  ExpectMatchesDoubleReference(
      {kWindow, &ReconstructWindows, &LstmVae::Reconstruct, &LstmVae::ReconstructFloat}, 11);
}

TEST(MinderKernelsTest, LatentMeansMatchDoubleReferenceOnEveryIsa) {
  ExpectMatchesDoubleReference({kLatent, &EncodeWindows, &LstmVae::Encode, &LstmVae::EncodeFloat},
                               12);
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
        EXPECT_NEAR(s[static_cast<size_t>(i)], r, 1e-5 * r + 1e-9)
            << IsaName(isa) << " n=" << n << " i=" << i;
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
        for (int j = 0; j < n; ++j)
          r += (ef.col(i).cast<double>() - ef.col(j).cast<double>()).norm();
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
