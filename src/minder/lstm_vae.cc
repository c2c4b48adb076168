// SPDX-License-Identifier: Apache-2.0
// LSTM-VAE forward pass, hand-written backpropagation through time, and Adam training.
#include "minder/lstm_vae.h"

#include <algorithm>

#include <chrono>
#include <cmath>
#include <numeric>
#include <vector>

#include "base/check.h"
#include "minder/internal/kernels.h"

namespace trainscope::minder {
namespace {

constexpr int H = kHidden;
constexpr int L = kLatent;
constexpr int G = 4 * kHidden;  // gate rows i, f, g, o
// Offsets of each tensor in the flat parameter vector (shared with the inference kernel).
using V = internal::VaeLayout;
constexpr int kWxe = V::kWxe, kWhe = V::kWhe, kBe = V::kBe, kWmu = V::kWmu, kBmu = V::kBmu,
              kWlv = V::kWlv, kBlv = V::kBlv, kWxd = V::kWxd, kWhd = V::kWhd, kBd = V::kBd,
              kWo = V::kWo, kBo = V::kBo, kEnd = V::kEnd;
static_assert(kEnd == LstmVae::kParams);

template <typename S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
template <typename S>
using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;

template <typename S, typename P>
struct Tensors {
  using M = Eigen::Map<std::conditional_t<std::is_const_v<P>, const Mat<S>, Mat<S>>>;
  using V = Eigen::Map<std::conditional_t<std::is_const_v<P>, const Vec<S>, Vec<S>>>;
  explicit Tensors(P* p)
      : wxe(p + kWxe, G, 1), whe(p + kWhe, G, H), be(p + kBe, G), wmu(p + kWmu, L, H),
        bmu(p + kBmu, L), wlv(p + kWlv, L, H), blv(p + kBlv, L), wxd(p + kWxd, G, L),
        whd(p + kWhd, G, H), bd(p + kBd, G), wo(p + kWo, 1, H), bo(p + kBo, 1) {}
  M wxe, whe;
  V be;
  M wmu;
  V bmu;
  M wlv;
  V blv;
  M wxd, whd;
  V bd;
  M wo;
  V bo;
};

template <typename S>
struct LstmTrace {
  std::vector<Mat<S>> gates, c, h;  // gates[t]: G x B after activation; c/h[0] = initial zeros
};

template <typename S>
struct ForwardState {
  LstmTrace<S> enc, dec;
  Mat<S> mu, lv, z, y;  // L x B, L x B, L x B, T x B
};

// sigmoid(a) = (tanh(a/2) + 1) / 2: one vectorised transcendental for float and double.
template <typename S, typename D>
void LstmCell(const Mat<S>& pre, const Mat<S>& c_prev, Eigen::MatrixBase<D>& gates, Mat<S>* c,
              Mat<S>* h) {
  gates.topRows(2 * H) = ((pre.topRows(2 * H).array() * S(0.5)).tanh() * S(0.5) + S(0.5)).matrix();
  gates.middleRows(2 * H, H) = pre.middleRows(2 * H, H).array().tanh().matrix();
  gates.bottomRows(H) = ((pre.bottomRows(H).array() * S(0.5)).tanh() * S(0.5) + S(0.5)).matrix();
  *c = (gates.middleRows(H, H).array() * c_prev.array() +
        gates.topRows(H).array() * gates.middleRows(2 * H, H).array()).matrix();
  *h = (gates.bottomRows(H).array() * c->array().tanh()).matrix();
}

template <typename S, typename P>
void Forward(const Tensors<S, P>& w, const Mat<S>& x, const Mat<S>* eps, ForwardState<S>* st) {
  const Eigen::Index b = x.cols();
  const int t_steps = static_cast<int>(x.rows());
  Mat<S> h = Mat<S>::Zero(H, b), c = Mat<S>::Zero(H, b), pre(G, b), gates(G, b);
  for (auto* tr : {&st->enc, &st->dec}) {
    tr->gates.assign(static_cast<size_t>(t_steps), Mat<S>());
    tr->c.assign(static_cast<size_t>(t_steps) + 1, Mat<S>::Zero(H, b));
    tr->h.assign(static_cast<size_t>(t_steps) + 1, Mat<S>::Zero(H, b));
  }
  for (int t = 0; t < t_steps; ++t) {
    pre.noalias() = w.wxe * x.row(t);  // G x 1 * 1 x B
    pre.noalias() += w.whe * st->enc.h[t];
    pre.colwise() += w.be;
    LstmCell<S>(pre, st->enc.c[t], gates, &st->enc.c[t + 1], &st->enc.h[t + 1]);
    st->enc.gates[t] = gates;
  }
  const Mat<S>& h_last = st->enc.h[t_steps];
  st->mu = (w.wmu * h_last).colwise() + w.bmu;
  st->lv = (w.wlv * h_last).colwise() + w.blv;
  if (eps != nullptr) {
    st->z = st->mu + ((st->lv.array() * S(0.5)).exp() * eps->array()).matrix();
  } else {
    st->z = st->mu;
  }
  Mat<S> u = (w.wxd * st->z).colwise() + w.bd;  // the decoder input is z at every step
  st->y.resize(t_steps, b);
  for (int t = 0; t < t_steps; ++t) {
    pre = u;
    pre.noalias() += w.whd * st->dec.h[t];
    LstmCell<S>(pre, st->dec.c[t], gates, &st->dec.c[t + 1], &st->dec.h[t + 1]);
    st->dec.gates[t] = gates;
    st->y.row(t) = (w.wo * st->dec.h[t + 1]).array() + w.bo(0);
  }
}

// Backpropagation through one LSTM layer. dh_out[t] (H x B) is the loss gradient reaching
// h[t+1] from above. Accumulates dWh, db and returns per-step gradients of the pre-activation.
std::vector<Eigen::MatrixXd> LstmBackward(const LstmTrace<double>& tr,
                                          const std::vector<Eigen::MatrixXd>& dh_out,
                                          const Eigen::Ref<const Eigen::MatrixXd>& wh,
                                          Eigen::Ref<Eigen::MatrixXd> dwh,
                                          Eigen::Ref<Eigen::VectorXd> db) {
  const int t_steps = static_cast<int>(tr.gates.size());
  const Eigen::Index b = tr.h[0].cols();
  std::vector<Eigen::MatrixXd> dpre(static_cast<size_t>(t_steps));
  Eigen::MatrixXd dh_next = Eigen::MatrixXd::Zero(H, b), dc_next = Eigen::MatrixXd::Zero(H, b);
  for (int t = t_steps - 1; t >= 0; --t) {
    const Eigen::MatrixXd& g = tr.gates[t];
    auto i = g.topRows(H).array();
    auto f = g.middleRows(H, H).array();
    auto gg = g.middleRows(2 * H, H).array();
    auto o = g.bottomRows(H).array();
    Eigen::ArrayXXd tc = tr.c[t + 1].array().tanh();
    Eigen::ArrayXXd dh = dh_out[t].array() + dh_next.array();
    Eigen::ArrayXXd dc = dh * o * (1 - tc * tc) + dc_next.array();
    Eigen::MatrixXd da(G, b);
    da.topRows(H) = (dc * gg * i * (1 - i)).matrix();
    da.middleRows(H, H) = (dc * tr.c[t].array() * f * (1 - f)).matrix();
    da.middleRows(2 * H, H) = (dc * i * (1 - gg * gg)).matrix();
    da.bottomRows(H) = (dh * tc * o * (1 - o)).matrix();
    dc_next = (dc * f).matrix();
    dwh.noalias() += da * tr.h[t].transpose();
    db += da.rowwise().sum();
    dh_next.noalias() = wh.transpose() * da;
    dpre[t] = std::move(da);
  }
  return dpre;
}

// The many small temporaries of BPTT made glibc hand memory back to the kernel and fault it in
// again (10-20 us per page on our VMs, 6x the arithmetic): the process keeps freed memory
// (KeepFreedMemory, base/huge_buffer.h, called by trainscope's main and the benchmarks).

// Inference forward pass with z = mu (no sampling), double precision.
ForwardState<double> InferDouble(const Eigen::VectorXd& params, const Eigen::MatrixXd& x) {
  Tensors<double, const double> w(params.data());
  ForwardState<double> st;
  Forward(w, x, static_cast<const Eigen::MatrixXd*>(nullptr), &st);
  return st;
}

// The SIMD float kernels are unrolled for whole windows of kWindow samples.
void PrepareFloatInference(const Eigen::MatrixXf& x) {
  TS_CHECK(x.rows() == kWindow, "float inference takes windows of {} samples, got {}", kWindow,
           x.rows());
}

}  // namespace

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {
double Uniform01(uint64_t* state) {
  return (static_cast<double>(SplitMix64(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
}  // namespace

Eigen::MatrixXd NormalMatrix(int rows, int cols, uint64_t* state) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index k = 0; k < m.size(); ++k) {
    double u1 = Uniform01(state), u2 = Uniform01(state);
    m.data()[k] = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  return m;
}

LstmVae::LstmVae() : params_(Eigen::VectorXd::Zero(kParams)) { RefreshFloat(); }

void LstmVae::Initialize(uint64_t seed) {
  uint64_t state = seed;
  double bound = 1.0 / std::sqrt(static_cast<double>(H));
  for (int k = 0; k < kParams; ++k) params_[k] = (2 * Uniform01(&state) - 1) * bound;
  RefreshFloat();
}

void LstmVae::RefreshFloat() { params_f_ = params_.cast<float>(); }

double LstmVae::LossAndGradient(const Eigen::MatrixXd& x, const Eigen::MatrixXd& eps, double beta,
                                Eigen::VectorXd* grad, double* mse) const {
  Tensors<double, const double> w(params_.data());
  ForwardState<double> st;
  Forward(w, x, &eps, &st);
  const double n = static_cast<double>(x.size());
  const double b = static_cast<double>(x.cols());
  Eigen::MatrixXd diff = st.y - x;
  double rec = diff.squaredNorm() / n;
  double kl = -0.5 * (1.0 + st.lv.array() - st.mu.array().square() - st.lv.array().exp()).sum() / b;
  if (mse != nullptr) *mse = rec;
  if (grad == nullptr) return rec + beta * kl;

  grad->setZero(kParams);
  Tensors<double, double> g(grad->data());
  const int t_steps = static_cast<int>(x.rows());
  // Output layer and decoder.
  Eigen::MatrixXd dy = diff * (2.0 / n);  // T x B
  std::vector<Eigen::MatrixXd> dh_dec(static_cast<size_t>(t_steps));
  for (int t = 0; t < t_steps; ++t) {
    g.wo.noalias() += dy.row(t) * st.dec.h[t + 1].transpose();
    g.bo(0) += dy.row(t).sum();
    dh_dec[t] = w.wo.transpose() * dy.row(t);
  }
  auto dpre_dec = LstmBackward(st.dec, dh_dec, w.whd, g.whd, g.bd);
  Eigen::MatrixXd du = Eigen::MatrixXd::Zero(G, x.cols());
  for (const auto& d : dpre_dec) du += d;
  g.wxd.noalias() += du * st.z.transpose();
  // (b_d enters every decoder step; LstmBackward already summed its gradient over steps.)
  Eigen::MatrixXd dz = w.wxd.transpose() * du;
  // Latent head, reparameterisation and KL.
  Eigen::MatrixXd dmu = dz + st.mu * (beta / b);
  Eigen::MatrixXd dlv = (dz.array() * eps.array() * (st.lv.array() * 0.5).exp() * 0.5 +
                         (st.lv.array().exp() - 1.0) * (0.5 * beta / b)).matrix();
  const Eigen::MatrixXd& h_last = st.enc.h[t_steps];
  g.wmu.noalias() += dmu * h_last.transpose();
  g.bmu += dmu.rowwise().sum();
  g.wlv.noalias() += dlv * h_last.transpose();
  g.blv += dlv.rowwise().sum();
  // Encoder: only h_T feeds the head.
  std::vector<Eigen::MatrixXd> dh_enc(static_cast<size_t>(t_steps),
                                      Eigen::MatrixXd::Zero(H, x.cols()));
  dh_enc[t_steps - 1] = w.wmu.transpose() * dmu + w.wlv.transpose() * dlv;
  auto dpre_enc = LstmBackward(st.enc, dh_enc, w.whe, g.whe, g.be);
  for (int t = 0; t < t_steps; ++t) g.wxe.noalias() += dpre_enc[t] * x.row(t).transpose();
  return rec + beta * kl;
}

Eigen::MatrixXd LstmVae::Reconstruct(const Eigen::MatrixXd& x) const {
  return InferDouble(params_, x).y;
}

Eigen::MatrixXf LstmVae::ReconstructFloat(const Eigen::MatrixXf& x) const {
  PrepareFloatInference(x);
  Eigen::MatrixXf y(x.rows(), x.cols());
  internal::ReconstructWindows(params_f_.data(), x.data(), x.cols(), y.data());
  return y;
}

Eigen::MatrixXd LstmVae::Encode(const Eigen::MatrixXd& x) const {
  return InferDouble(params_, x).mu;
}

Eigen::MatrixXf LstmVae::EncodeFloat(const Eigen::MatrixXf& x) const {
  PrepareFloatInference(x);
  Eigen::MatrixXf mu(kLatent, x.cols());
  internal::EncodeWindows(params_f_.data(), x.data(), x.cols(), mu.data());
  return mu;
}

VaeTrainReport LstmVae::Train(const Eigen::MatrixXd& windows, const VaeTrainOptions& options) {
  auto start = std::chrono::steady_clock::now();
  VaeTrainReport report;
  uint64_t rng = options.seed * 0x2545F4914F6CDD1DULL + 7;
  // Deterministic subsample when the set is large.
  std::vector<Eigen::Index> cols(static_cast<size_t>(windows.cols()));
  std::iota(cols.begin(), cols.end(), Eigen::Index{0});
  for (size_t k = cols.size(); k > 1; --k) std::swap(cols[k - 1], cols[SplitMix64(&rng) % k]);
  if (static_cast<int>(cols.size()) > options.max_windows) cols.resize(static_cast<size_t>(options.max_windows));
  Eigen::MatrixXd data(windows.rows(), static_cast<Eigen::Index>(cols.size()));
  for (size_t k = 0; k < cols.size(); ++k) data.col(static_cast<Eigen::Index>(k)) = windows.col(cols[k]);
  report.windows = static_cast<int>(data.cols());
  if (data.cols() == 0) return report;

  Eigen::VectorXd m = Eigen::VectorXd::Zero(kParams), v = Eigen::VectorXd::Zero(kParams), grad;
  const double b1 = 0.9, b2 = 0.999, adam_eps = 1e-8;
  int64_t step = 0;
  std::vector<Eigen::Index> order(static_cast<size_t>(data.cols()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  for (int epoch = 0; epoch < options.max_epochs; ++epoch) {
    for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[SplitMix64(&rng) % k]);
    for (size_t first = 0; first < order.size(); first += static_cast<size_t>(options.batch)) {
      size_t count = std::min(order.size() - first, static_cast<size_t>(options.batch));
      Eigen::MatrixXd batch(data.rows(), static_cast<Eigen::Index>(count));
      for (size_t k = 0; k < count; ++k) batch.col(static_cast<Eigen::Index>(k)) = data.col(order[first + k]);
      Eigen::MatrixXd eps = NormalMatrix(L, static_cast<int>(count), &rng);
      (void)LossAndGradient(batch, eps, options.beta, &grad, nullptr);
      ++step;
      m = b1 * m + (1 - b1) * grad;
      v = b2 * v + (1 - b2) * grad.cwiseProduct(grad);
      double c1 = 1 - std::pow(b1, static_cast<double>(step));
      double c2 = 1 - std::pow(b2, static_cast<double>(step));
      params_.array() -= options.learning_rate * (m.array() / c1) /
                         ((v.array() / c2).sqrt() + adam_eps);
    }
    report.epochs = epoch + 1;
    Eigen::MatrixXd rec = Reconstruct(data);
    report.final_mse = (rec - data).squaredNorm() / static_cast<double>(data.size());
    if (report.final_mse < options.target_mse) break;
  }
  RefreshFloat();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace trainscope::minder
