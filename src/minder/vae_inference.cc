// SPDX-License-Identifier: Apache-2.0
// Batched LSTM-VAE inference (z = mu; or the latent mean alone) for detection: 64 windows at a time as vector lanes, every
// loop running over lanes, compiled per instruction set and dispatched at run time.
#include <algorithm>
#include <cmath>

#include "base/check.h"
#include "minder/internal/kernels.h"

#define TS_MINDER_INLINE inline __attribute__((always_inline))

namespace trainscope::minder::internal {
namespace {

constexpr int H = kHidden;
constexpr int L = kLatent;
constexpr int T = kWindow;
constexpr int G = VaeLayout::kG;
constexpr int kLanes = 64;  // windows per block: 4 AVX-512 registers per row

// Weights unpacked from the flat parameter vector, row-major per output for broadcasting.
struct Weights {
  float wxe[G], be[G], whe[G][H];
  float wmu[L][H], bmu[L];
  float wxd[G][L], bd[G], whd[G][H];
  float wo[H], bo;
};

Weights Unpack(const float* p) {
  using V = VaeLayout;
  Weights w;
  for (int g = 0; g < G; ++g) {
    w.wxe[g] = p[V::kWxe + g];
    w.be[g] = p[V::kBe + g];
    w.bd[g] = p[V::kBd + g];
    for (int j = 0; j < H; ++j) {
      w.whe[g][j] = p[V::kWhe + j * G + g];
      w.whd[g][j] = p[V::kWhd + j * G + g];
    }
    for (int l = 0; l < L; ++l) w.wxd[g][l] = p[V::kWxd + l * G + g];
  }
  for (int l = 0; l < L; ++l) {
    w.bmu[l] = p[V::kBmu + l];
    for (int j = 0; j < H; ++j) w.wmu[l][j] = p[V::kWmu + j * L + l];
  }
  for (int j = 0; j < H; ++j) w.wo[j] = p[V::kWo + j];
  w.bo = p[V::kBo];
  return w;
}

// Eigen 3.4's float tanh (generic_fast_tanh_float, non-FMA clamp), so this kernel matches the
// Eigen reference up to rounding: a [13/6] rational approximation. Eigen returns a itself for
// |a| < 4e-4; there the rational form differs from a by 1.3e-7 relative (about one float ulp),
// so that branch is left out (a fifth of the function's cost).
TS_MINDER_INLINE float Tanh(float a) {
  constexpr float kClamp = 7.90531110763549805f;
  const float lo = a < kClamp ? a : kClamp;  // the forms of vminps / vmaxps
  const float x = lo > -kClamp ? lo : -kClamp;
  const float x2 = x * x;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-08f;
  p = x2 * p + 1.48572235717979e-05f;
  p = x2 * p + 6.37261928875436e-04f;
  p = x2 * p + 4.89352455891786e-03f;
  p = x * p;
  float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = x2 * q + 2.26843463243900e-03f;
  q = x2 * q + 4.89352518554385e-03f;
  return p / q;
}

TS_MINDER_INLINE float Sigmoid(float a) { return Tanh(a * 0.5f) * 0.5f + 0.5f; }

// One LSTM step for all lanes: pre-activations = in[g][b] + wh[g] . h_old; new c and h.
TS_MINDER_INLINE void LstmStep(const float (&wh)[G][H], const float (&in)[G][kLanes],
                               float (&h)[H][kLanes], float (&c)[H][kLanes]) {
  for (int b = 0; b < kLanes; ++b) {
    // All four units per lane at once: 16 independent gate chains keep the pipelines full.
    const float h0 = h[0][b], h1 = h[1][b], h2 = h[2][b], h3 = h[3][b];
#pragma GCC unroll 4
    for (int k = 0; k < H; ++k) {
      float a[4];
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) {
        const int g = q * H + k;
        a[q] = in[g][b] + wh[g][0] * h0 + wh[g][1] * h1 + wh[g][2] * h2 + wh[g][3] * h3;
      }
      const float i = Sigmoid(a[0]), f = Sigmoid(a[1]), gg = Tanh(a[2]), o = Sigmoid(a[3]);
      const float cn = f * c[k][b] + i * gg;
      c[k][b] = cn;
      h[k][b] = o * Tanh(cn);
    }
  }
}

static_assert(H == 4, "LstmStep unrolls the hidden dot product for H = 4");

// Reconstructs `count` <= kLanes windows at x (column-major, T values each) into y, or with
// kEncodeOnly writes their latent means (L values each) and skips the decoder.
template <bool kEncodeOnly>
TS_MINDER_INLINE void Block(const Weights& w, const float* x, int count, float* y) {
  alignas(64) float xt[T][kLanes];
  alignas(64) float in[G][kLanes];
  alignas(64) float h[H][kLanes];
  alignas(64) float c[H][kLanes];
  alignas(64) float z[L][kLanes];
  alignas(64) float yt[T][kLanes];
  for (int t = 0; t < T; ++t) {
    for (int b = 0; b < kLanes; ++b) xt[t][b] = 0.f;
  }
  for (int b = 0; b < count; ++b) {
    for (int t = 0; t < T; ++t) xt[t][b] = x[b * T + t];
  }
  for (int k = 0; k < H; ++k) {
    for (int b = 0; b < kLanes; ++b) h[k][b] = c[k][b] = 0.f;
  }
  // Encoder: input projection of x_t, then the recurrent step.
  for (int t = 0; t < T; ++t) {
    for (int g = 0; g < G; ++g) {
      for (int b = 0; b < kLanes; ++b) in[g][b] = w.wxe[g] * xt[t][b] + w.be[g];
    }
    LstmStep(w.whe, in, h, c);
  }
  // Latent mean, then the decoder input u = Wxd z + bd, the same at every step.
  for (int l = 0; l < L; ++l) {
    for (int b = 0; b < kLanes; ++b) {
      z[l][b] = w.wmu[l][0] * h[0][b] + w.wmu[l][1] * h[1][b] + w.wmu[l][2] * h[2][b] +
                w.wmu[l][3] * h[3][b] + w.bmu[l];
    }
  }
  if constexpr (kEncodeOnly) {
    for (int b = 0; b < count; ++b) {
      for (int l = 0; l < L; ++l) y[b * L + l] = z[l][b];
    }
    return;
  }
  for (int g = 0; g < G; ++g) {
    for (int b = 0; b < kLanes; ++b) {
      float s = 0.f;
      for (int l = 0; l < L; ++l) s += w.wxd[g][l] * z[l][b];
      in[g][b] = s + w.bd[g];
    }
  }
  for (int k = 0; k < H; ++k) {
    for (int b = 0; b < kLanes; ++b) h[k][b] = c[k][b] = 0.f;
  }
  for (int t = 0; t < T; ++t) {
    LstmStep(w.whd, in, h, c);
    for (int b = 0; b < kLanes; ++b) {
      yt[t][b] = w.wo[0] * h[0][b] + w.wo[1] * h[1][b] + w.wo[2] * h[2][b] + w.wo[3] * h[3][b] +
                 w.bo;
    }
  }
  for (int b = 0; b < count; ++b) {
    for (int t = 0; t < T; ++t) y[b * T + t] = yt[t][b];
  }
}

template <bool kEncodeOnly>
TS_MINDER_INLINE void AllBlocks(const Weights& w, const float* x, int64_t n, float* y) {
  constexpr int kOut = kEncodeOnly ? L : T;
  for (int64_t first = 0; first < n; first += kLanes) {
    const int count = static_cast<int>(std::min<int64_t>(kLanes, n - first));
    Block<kEncodeOnly>(w, x + first * T, count, y + first * kOut);
  }
}

template <bool kEncodeOnly>
__attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma,prefer-vector-width=512")))
void RunAvx512(const Weights& w, const float* x, int64_t n, float* y) {
  AllBlocks<kEncodeOnly>(w, x, n, y);
}

template <bool kEncodeOnly>
__attribute__((target("avx2,fma"))) void RunAvx2(const Weights& w, const float* x, int64_t n, float* y) {
  AllBlocks<kEncodeOnly>(w, x, n, y);
}

template <bool kEncodeOnly>
void RunGeneric(const Weights& w, const float* x, int64_t n, float* y) {
  AllBlocks<kEncodeOnly>(w, x, n, y);
}

template <bool kEncodeOnly>
void Run(const float* params, const float* x, int64_t n, float* y, Isa isa) {
  const Weights w = Unpack(params);
  switch (ResolveIsa(isa)) {
    case Isa::kAvx512:
      RunAvx512<kEncodeOnly>(w, x, n, y);
      return;
    case Isa::kAvx2:
      RunAvx2<kEncodeOnly>(w, x, n, y);
      return;
    default:
      RunGeneric<kEncodeOnly>(w, x, n, y);
      return;
  }
}

}  // namespace

void ReconstructWindows(const float* params, const float* x, int64_t n, float* y, Isa isa) {
  Run<false>(params, x, n, y, isa);
}

void EncodeWindows(const float* params, const float* x, int64_t n, float* mu, Isa isa) {
  Run<true>(params, x, n, mu, isa);
}

}  // namespace trainscope::minder::internal
