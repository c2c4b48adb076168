// SPDX-License-Identifier: Apache-2.0
// Synthetic lock-step job metrics (compute and communication phases of each iteration).
#include "minder/synth.h"

#include <cmath>
#include <string>

#include <fmt/core.h>

#include "minder/lstm_vae.h"

namespace trainscope::minder {
namespace {

double Gauss(uint64_t* state) {
  double u1 = (static_cast<double>(SplitMix64(state) >> 11) + 0.5) / 9007199254740992.0;
  double u2 = (static_cast<double>(SplitMix64(state) >> 11) + 0.5) / 9007199254740992.0;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace

void SynthesizeJob(const SynthJobOptions& options, model::MetricTable* out) {
  const char* names[] = {"pfc_tx", "cpu", "gpu_util", "gpu_power", "gr_engine", "tensor", "nvlink"};
  int32_t ids[7];
  for (int k = 0; k < 7; ++k) ids[k] = out->InternMetric(names[k]);
  uint64_t rng = options.seed * 0x9E3779B97F4A7C15ULL + 17;
  // Job-level phase pattern shared by all machines: a slow drift in load (data mix) too.
  std::vector<double> comm(static_cast<size_t>(options.seconds)), load(static_cast<size_t>(options.seconds));
  double drift = 0;
  for (int s = 0; s < options.seconds; ++s) {
    double phase = std::fmod(s / options.step_seconds, 1.0);
    comm[static_cast<size_t>(s)] = phase > 0.7 ? 1.0 : 0.0;  // all-reduce tail of the iteration
    drift = 0.98 * drift + 0.02 * Gauss(&rng);
    load[static_cast<size_t>(s)] = 1.0 + 0.05 * drift;
  }
  const int gpus = std::max(1, options.gpus);
  for (int m = 0; m < options.machines; ++m) {
    int32_t mid = out->InternMachine(fmt::format("m{:04d}", m));
    for (int s = 0; s < options.seconds; ++s) {
      int64_t ts = (options.start_s + s) * model::kNanosPerSecond;
      double c = comm[static_cast<size_t>(s)], l = load[static_cast<size_t>(s)];
      auto noisy = [&](double v) { return v * (1.0 + options.noise * Gauss(&rng)); };
      out->Append(ts, mid, ids[0], model::kNoGpu, std::max(0.0, noisy(50 + 150 * c)));   // pauses/s
      out->Append(ts, mid, ids[1], model::kNoGpu, noisy(0.25 + 0.1 * (1 - c) * l));      // ratio
      for (int g = 0; g < gpus; ++g) {
        int16_t gpu = options.gpus > 0 ? static_cast<int16_t>(g) : model::kNoGpu;
        out->Append(ts, mid, ids[2], gpu, std::min(100.0, noisy(95 * l - 50 * c)));     // %
        out->Append(ts, mid, ids[3], gpu, noisy(150 + 450 * (1 - c) * l));              // W
        out->Append(ts, mid, ids[4], gpu, std::min(1.0, noisy(0.9 * l - 0.5 * c)));     // ratio
        out->Append(ts, mid, ids[5], gpu, std::min(1.0, noisy(0.6 * (1 - c) * l)));     // ratio
        out->Append(ts, mid, ids[6], gpu, noisy(2e9 + 4e10 * c));                       // B/s
      }
    }
  }
}

}  // namespace trainscope::minder
