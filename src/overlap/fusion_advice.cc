// SPDX-License-Identifier: Apache-2.0
// Per-GEMM fusion advice: predictor + its measured error.
#include "overlap/fusion_advice.h"

#include <fmt/format.h>

#include <algorithm>

#include "overlap/gpu_presets.h"

namespace trainscope::overlap {
namespace {

Result<GemmAdvice> Advise(const TpGemm& gemm, int tp, const SimHardware& hw, double t_error) {
  const bool ag = gemm.op == OpKind::kAgGemm;
  if (gemm.m <= 0 || gemm.n <= 0 || gemm.k <= 0 || (ag ? gemm.n : gemm.k) % tp != 0) {
    return InvalidArgumentError(
        "{}: m {}, n {}, k {}: sizes must be positive and tp {} must "
        "divide {}",
        gemm.name, gemm.m, gemm.n, gemm.k, tp, ag ? "n" : "k");
  }
  OverlapOptions options;  // Flux's tiles
  options.tile_m = 128;
  options.tile_n = 256;
  options.comm_rows = 128;
  const ShardedProblem problem =
      ShardedProblem::Even(gemm.m, ag ? gemm.n / tp : gemm.n, ag ? gemm.k : gemm.k / tp, tp);
  GemmAdvice advice;
  advice.gemm = gemm;
  TS_ASSIGN_OR_RETURN(advice.predicted, Simulate(gemm.op, problem, options, hw));
  const SimResult& r = advice.predicted;
  advice.saved_per_call_s = r.t_nonoverlap_s - r.t_fused_s;
  advice.saved_per_step_s = advice.saved_per_call_s * gemm.calls_per_step;
  advice.saved_low_s = (r.t_nonoverlap_s - r.t_fused_s * (1 + t_error)) * gemm.calls_per_step;
  advice.pays = advice.saved_low_s > 0;
  return advice;
}

}  // namespace

Result<FusionAdvice> AdviseTpFusion(std::string_view gpu, int tp,
                                    const std::vector<TpGemm>& gemms) {
  if (tp < 2) return InvalidArgumentError("TP {}: fusion needs tensor parallelism (TP > 1)", tp);
  TS_ASSIGN_OR_RETURN(GpuPresetInfo preset, ResolveGpu(gpu));
  FusionAdvice advice;
  advice.gpu_key = preset.key;
  advice.gpu_name = preset.name;
  advice.tp = tp;
  advice.error = BuiltinPredictorError();
  for (const TpGemm& gemm : gemms) {
    TS_ASSIGN_OR_RETURN(GemmAdvice one, Advise(gemm, tp, preset.hw, advice.error.t_fused_max_abs));
    advice.saved_per_step_s += one.saved_per_step_s;
    advice.saved_low_s += one.saved_low_s;
    advice.gemms.push_back(std::move(one));
  }
  return advice;
}

std::vector<std::string> FormatFusionAdvice(const FusionAdvice& advice, double step_time_s) {
  std::vector<std::string> lines;
  lines.push_back(fmt::format(
      "Will Flux-style fusion pay (TP {}, {} preset)? Predictor error on published Flux rows it "
      "was not fitted on: T_f within {:.0f}%, E within {:.2f} (rows with times; {:.2f} over all "
      "{} check rows)",
      advice.tp, advice.gpu_key, advice.error.t_fused_max_abs * 100, advice.error.e_point_max_abs,
      advice.error.e_max_abs, advice.error.point_rows + advice.error.range_rows));
  for (const GemmAdvice& g : advice.gemms) {
    lines.push_back(fmt::format(
        "  {} m={} n={} k={}: E {:.2f} +/- {:.2f}, saves {:.3f} ms per call, {:.1f} ms per step "
        "(at least {:.1f}) -> {}",
        g.gemm.name, g.gemm.m, g.gemm.n, g.gemm.k, g.predicted.efficiency_fused,
        advice.error.e_point_max_abs, g.saved_per_call_s * 1e3, g.saved_per_step_s * 1e3,
        g.saved_low_s * 1e3, g.pays ? "fuse" : "no clear gain: keep torch + NCCL"));
  }
  std::string share;
  if (step_time_s > 0) {
    share = fmt::format(" ({:.1f}% of the {:.2f} s step)",
                        advice.saved_per_step_s / step_time_s * 100, step_time_s);
  }
  lines.push_back(fmt::format("  total: {:.1f} ms per step{}, at least {:.1f} ms",
                              advice.saved_per_step_s * 1e3, share, advice.saved_low_s * 1e3));
  return lines;
}

}  // namespace trainscope::overlap
