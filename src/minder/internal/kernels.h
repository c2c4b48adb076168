// SPDX-License-Identifier: Apache-2.0
// Vectorised detection kernels of Minder: batched LSTM-VAE inference and the O(n^2) mean
// pairwise distances, each compiled for AVX-512, AVX2+FMA and baseline x86-64 and chosen at run
// time from the CPU (CI builds without -march=native). Results equal the scalar references up to
// float rounding (summation order, FMA contraction).
// Thread safety: pure functions of their arguments.
#pragma once

#include <cstdint>

#include "minder/lstm_vae.h"

namespace trainscope::minder::internal {

// Instruction sets a kernel may run on; kAuto picks the best the CPU supports.
enum class Isa { kAuto, kGeneric, kAvx2, kAvx512 };
bool IsaSupported(Isa isa);
const char* IsaName(Isa isa);
Isa ResolveIsa(Isa isa);  // kAuto -> the best supported

// Offsets of each tensor in the LstmVae flat parameter vector (see lstm_vae.h for shapes;
// Eigen column-major within a tensor; gate order i, f, g, o).
struct VaeLayout {
  static constexpr int kG = 4 * kHidden;
  static constexpr int kWxe = 0, kWhe = kWxe + kG, kBe = kWhe + kG * kHidden,
                       kWmu = kBe + kG, kBmu = kWmu + kLatent * kHidden,
                       kWlv = kBmu + kLatent, kBlv = kWlv + kLatent * kHidden,
                       kWxd = kBlv + kLatent, kWhd = kWxd + kG * kLatent,
                       kBd = kWhd + kG * kHidden, kWo = kBd + kG, kBo = kWo + kHidden,
                       kEnd = kBo + 1;
};

// Reconstruction with z = mu of `n` windows. x and y: kWindow x n column-major (window j at
// x + j*kWindow); `params`: the LstmVae parameters as float (LstmVae::kParams values).
void ReconstructWindows(const float* params, const float* x, int64_t n, float* y,
                        Isa isa = Isa::kAuto);
// Latent means of `n` windows (the encoder only): mu is kLatent x n column-major.
void EncodeWindows(const float* params, const float* x, int64_t n, float* mu, Isa isa = Isa::kAuto);

// Mean distance of each machine to all others: `et` is dims x n row-major (dimension k of
// machine j at et[k*n + j]); score[j] = sum_i |e_i - e_j| / (n - 1). Each pair computed once.
void MeanDistancesRowMajor(const float* et, int dims, int n, float* score, Isa isa = Isa::kAuto);

// The same for rows [row_begin, row_end) only, into score[0 .. row_end - row_begin): full rows
// (n D flops each, no symmetry), each row's value independent of the range it is computed in, so
// splitting the rows over processes (minder/mpi) gives bitwise the one-process result.
void MeanDistancesRows(const float* et, int dims, int n, int row_begin, int row_end, float* score,
                       Isa isa = Isa::kAuto);

}  // namespace trainscope::minder::internal
