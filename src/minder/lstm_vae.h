// SPDX-License-Identifier: Apache-2.0
// The per-metric LSTM-VAE of Minder (NSDI'25 section 4.2; Minder brief section 8), written by
// hand on Eigen: forward pass, backpropagation through time, MSE + beta*KL loss, Adam.
//
// Shapes (B = windows in a minibatch, one window per matrix column, T = 8 time steps):
//   encoder LSTM  input 1 -> hidden H=4         Wx_e 4H x 1, Wh_e 4H x H, b_e 4H
//   latent head   h_T -> mu, logvar (L=8)       W_mu L x H, b_mu L, W_lv L x H, b_lv L
//   decoder LSTM  input z (repeated) -> H       Wx_d 4H x L, Wh_d 4H x H, b_d 4H
//   output        h'_t -> y_t                   W_o 1 x H, b_o 1
// 389 parameters in all, kept in one flat vector (gate order i, f, g, o as in PyTorch).
// Loss = mean over T*B of (y - x)^2 + beta * mean over B of KL(N(mu, exp(lv)) || N(0, I)).
// Training samples z = mu + exp(lv/2) * eps; inference uses z = mu (deterministic).
// Thread safety: a const model may be shared by threads calling Reconstruct().
#pragma once

#include <cstdint>
#include <string>

#include <Eigen/Dense>

#include "base/status.h"

namespace trainscope::minder {

inline constexpr int kWindow = 8;   // samples per window (8 s at 1 s)
inline constexpr int kHidden = 4;
inline constexpr int kLatent = 8;

struct VaeTrainOptions {
  // Brief defaults were lr 1e-3, batch 256: with hidden 4 that collapses to the mean window
  // (MSE = variance after 20 epochs); lr 1e-2 with batch 32 reaches ~1e-3 (see docs/minder.md).
  double beta = 1e-3;
  double learning_rate = 1e-2;
  int batch = 32;
  int max_epochs = 30;
  double target_mse = 1e-4;     // stop once an epoch's mean reconstruction MSE is below this
  uint64_t seed = 1;
  int max_windows = 10000;      // subsample larger training sets (deterministically)
};

struct VaeTrainReport {
  int epochs = 0;
  double final_mse = 0;  // reconstruction MSE with z = mu on the training windows
  double seconds = 0;
  int windows = 0;
};

class LstmVae {
 public:
  static constexpr int kParams = 4 * kHidden * 1 + 4 * kHidden * kHidden + 4 * kHidden +  // enc
                                 2 * (kLatent * kHidden + kLatent) +                     // head
                                 4 * kHidden * kLatent + 4 * kHidden * kHidden + 4 * kHidden +
                                 kHidden + 1;                                            // dec, out

  LstmVae();  // zero parameters; call Initialize or load
  // PyTorch-style U(-1/sqrt(H), 1/sqrt(H)) initialisation from `seed`.
  void Initialize(uint64_t seed);

  // Loss and (if grad != nullptr) its gradient for windows X (T x B) and noise eps (L x B).
  // Pass eps = 0 for the deterministic (latent mean) path. Returns total loss; `mse` gets the
  // reconstruction part.
  double LossAndGradient(const Eigen::MatrixXd& x, const Eigen::MatrixXd& eps, double beta,
                         Eigen::VectorXd* grad, double* mse) const;

  // Reconstruction with z = mu (double precision, for tests and training reports).
  Eigen::MatrixXd Reconstruct(const Eigen::MatrixXd& x) const;
  // The same in float for detection (T x B in, T x B out).
  Eigen::MatrixXf ReconstructFloat(const Eigen::MatrixXf& x) const;
  // Latent means (L x B) in double precision and in float (detection's `latent` embedding).
  Eigen::MatrixXd Encode(const Eigen::MatrixXd& x) const;
  Eigen::MatrixXf EncodeFloat(const Eigen::MatrixXf& x) const;

  // Trains on windows X (T x N, normalised) with Adam and minibatches as matrix columns.
  VaeTrainReport Train(const Eigen::MatrixXd& windows, const VaeTrainOptions& options);

  // Replaces all parameters (keeps the float copy in sync).
  void SetParams(const Eigen::VectorXd& params) {
    params_ = params;
    RefreshFloat();
  }
  Eigen::VectorXd& params() { return params_; }  // call SetParams(params()) after editing
  const Eigen::VectorXd& params() const { return params_; }

 private:
  void RefreshFloat();
  Eigen::VectorXd params_;
  Eigen::VectorXf params_f_;  // float copy for ReconstructFloat
};

// Deterministic standard normal samples (Box-Muller on splitmix64) for a seed.
Eigen::MatrixXd NormalMatrix(int rows, int cols, uint64_t* state);
uint64_t SplitMix64(uint64_t* state);

}  // namespace trainscope::minder
