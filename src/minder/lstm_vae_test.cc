// SPDX-License-Identifier: Apache-2.0
// LSTM-VAE tests: every gradient against central finite differences, a hand-computed 2-step
// forward pass, float/double agreement, determinism, and training on healthy windows.
#include "minder/lstm_vae.h"

#include <cmath>

#include <gtest/gtest.h>

namespace trainscope::minder {
namespace {

// Flat layout of the header's shape table (gate order i, f, g, o; column-major tensors).
constexpr int kWxe = 0, kWmu = 96, kWxd = 176, kWo = 384, kBo = 388;

TEST(LstmVaeTest, EveryGradientMatchesFiniteDifferences) {
  LstmVae vae;
  vae.Initialize(42);
  uint64_t rng = 7;
  Eigen::MatrixXd x = NormalMatrix(kWindow, 3, &rng) * 0.5;
  Eigen::MatrixXd eps = NormalMatrix(kLatent, 3, &rng);
  const double beta = 0.5;  // large, so the KL part of every gradient is exercised
  Eigen::VectorXd grad;
  (void)vae.LossAndGradient(x, eps, beta, &grad, nullptr);
  ASSERT_EQ(grad.size(), LstmVae::kParams);
  EXPECT_EQ(LstmVae::kParams, 389);
  const double h = 1e-6;
  int checked = 0;
  for (int k = 0; k < LstmVae::kParams; ++k) {
    double saved = vae.params()[k];
    vae.params()[k] = saved + h;
    double up = vae.LossAndGradient(x, eps, beta, nullptr, nullptr);
    vae.params()[k] = saved - h;
    double down = vae.LossAndGradient(x, eps, beta, nullptr, nullptr);
    vae.params()[k] = saved;
    double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(grad[k], numeric, 1e-7 + 1e-5 * std::fabs(numeric)) << "parameter " << k;
    ++checked;
  }
  EXPECT_EQ(checked, 389);
}

TEST(LstmVaeTest, HandComputedTwoStepForward) {
  // All weights zero (so i = f = o = sigmoid(0) = 1/2) except: the encoder's first cell input
  // g0 = tanh(x_t), mu_0 = h_T[0], the decoder's first cell input g0 = tanh(z_0), y = 2 h'[0] + 0.1.
  // By hand (see the comment in lstm_vae_test.cc history): x = (1, 2):
  //   c1 = tanh(1)/2, h1 = tanh(c1)/2, c2 = c1/2 + tanh(2)/2, h2 = tanh(c2)/2 = 0.293282235...
  //   z0 = h2; d1 = tanh(z0)/2, y1 = 2 tanh(d1)/2 + 0.1; d2 = d1/2 + tanh(z0)/2, y2 = tanh(d2) + 0.1
  LstmVae vae;
  vae.params()[kWxe + 8] = 1.0;
  vae.params()[kWmu + 0] = 1.0;
  vae.params()[kWxd + 8] = 1.0;
  vae.params()[kWo + 0] = 2.0;
  vae.params()[kBo] = 0.1;
  Eigen::MatrixXd x(2, 1);
  x << 1.0, 2.0;
  Eigen::MatrixXd y = vae.Reconstruct(x);
  EXPECT_NEAR(y(0, 0), 0.24161817854349088, 1e-12);
  EXPECT_NEAR(y(1, 0), 0.3106627104803409, 1e-12);
  double mse = 0;
  Eigen::MatrixXd eps = Eigen::MatrixXd::Zero(kLatent, 1);
  double loss = vae.LossAndGradient(x, eps, 1.0, nullptr, &mse);
  double expected_mse = (std::pow(y(0, 0) - 1, 2) + std::pow(y(1, 0) - 2, 2)) / 2;
  EXPECT_NEAR(mse, expected_mse, 1e-12);
  // KL with mu = (h2, 0, ...), logvar = 0: 0.5 * h2^2.
  EXPECT_NEAR(loss - mse, 0.5 * 0.29328223509910123 * 0.29328223509910123, 1e-12);
}

TEST(LstmVaeTest, FloatInferenceMatchesDouble) {
  LstmVae vae;
  vae.Initialize(3);
  vae.Train(Eigen::MatrixXd::Random(kWindow, 64) * 0.5 + Eigen::MatrixXd::Constant(kWindow, 64, 0.5),
            VaeTrainOptions{.max_epochs = 2});
  uint64_t rng = 1;
  Eigen::MatrixXd x = NormalMatrix(kWindow, 10, &rng);
  Eigen::MatrixXf yf = vae.ReconstructFloat(x.cast<float>());
  Eigen::MatrixXd yd = vae.Reconstruct(x);
  EXPECT_LT((yf.cast<double>() - yd).cwiseAbs().maxCoeff(), 1e-5);
}

// Healthy windows: a smooth periodic load plus small noise, as a lock-step job produces.
Eigen::MatrixXd HealthyWindows(int count, uint64_t seed) {
  uint64_t rng = seed;
  Eigen::MatrixXd noise = NormalMatrix(kWindow, count, &rng);
  Eigen::MatrixXd w(kWindow, count);
  for (int c = 0; c < count; ++c) {
    for (int t = 0; t < kWindow; ++t) {
      w(t, c) = 0.5 + 0.3 * std::sin(0.05 * (c + t)) + 0.002 * noise(t, c);
    }
  }
  return w;
}

TEST(LstmVaeTest, TrainingIsDeterministicAndReducesError) {
  Eigen::MatrixXd data = HealthyWindows(2000, 11);
  VaeTrainOptions opt;
  opt.max_epochs = 30;
  opt.learning_rate = 1e-2;
  opt.seed = 5;
  LstmVae a, b;
  a.Initialize(opt.seed);
  b.Initialize(opt.seed);
  double before = (a.Reconstruct(data) - data).squaredNorm() / static_cast<double>(data.size());
  VaeTrainReport ra = a.Train(data, opt);
  VaeTrainReport rb = b.Train(data, opt);
  EXPECT_EQ(a.params(), b.params());  // bit-identical for one seed
  EXPECT_EQ(ra.final_mse, rb.final_mse);
  EXPECT_LT(ra.final_mse, before / 20);
  EXPECT_LT(ra.final_mse, 2e-3) << "epochs " << ra.epochs;
}

}  // namespace
}  // namespace trainscope::minder
