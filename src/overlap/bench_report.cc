// SPDX-License-Identifier: Apache-2.0
// Text table and JSON of a benchmark result, with the simulator's prediction beside it.
#include <fmt/format.h>

#include "overlap/bench.h"

namespace trainscope::overlap {
namespace {
void WriteLink(JsonWriter& json, const LinkModel& link) {
  json.Key("link").BeginObject();
  json.Field("kind", link.emulated() ? "emulated" : "shared_memory");
  json.Field("bandwidth_bytes_per_s", link.bandwidth_bytes_per_s);
  json.Field("latency_s", link.latency_s);
  json.Field("description", link.Describe());
  json.EndObject();
}
void WriteInterval(JsonWriter& json, const char* key, const Interval& interval) {
  json.Key(key).BeginObject();
  json.Field("median", interval.median).Field("low", interval.low).Field("high", interval.high);
  json.Field("coverage", interval.coverage).EndObject();
}

void WritePaired(JsonWriter& json, const PairedStats& p) {
  json.Key("paired").BeginObject();
  json.Field("repetitions", p.e_fused.samples);
  WriteInterval(json, "efficiency_fused", p.e_fused);
  WriteInterval(json, "efficiency_decomp", p.e_decomp);
  WriteInterval(json, "efficiency_gain", p.e_gain);
  WriteInterval(json, "speedup_vs_decomp", p.speedup_vs_decomp);
  WriteInterval(json, "comm_share", p.comm_share);
  json.Field("comm_share_min", p.comm_share_min).Field("comm_share_max", p.comm_share_max);
  json.Key("fused_beats_decomp").BeginObject();
  json.Field("hits", p.fused_beats_decomp.hits).Field("trials", p.fused_beats_decomp.trials);
  json.Field("share", p.fused_beats_decomp.share).Field("low", p.fused_beats_decomp.low);
  json.Field("high", p.fused_beats_decomp.high).EndObject();
  json.Field("link_bytes_per_s_min", p.link_bytes_per_s_min);
  json.Field("link_bytes_per_s_max", p.link_bytes_per_s_max);
  json.Field("efficiency_bound", p.e_bound).Field("efficiency_decomp_ideal", p.e_decomp_ideal);
  json.Key("repetitions").BeginArray();
  for (const RepetitionTimes& t : p.repetitions) {
    json.BeginObject();
    json.Field("t_gemm_before_nonoverlap_s", t.gemm_before_nonoverlap_s);
    json.Field("t_nonoverlap_s", t.nonoverlap_s);
    json.Field("t_gemm_before_decomp_s", t.gemm_before_decomp_s).Field("t_decomp_s", t.decomp_s);
    json.Field("t_gemm_before_fused_s", t.gemm_before_fused_s).Field("t_fused_s", t.fused_s);
    json.Field("t_tile_loop_s", t.tile_loop_s).Field("t_signals_preset_s", t.preset_s);
    json.Field("t_mpi_s", t.mpi_s).Field("link_bytes_per_s", t.link_bytes_per_s);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

std::string FormatPaired(const PairedStats& p) {
  auto iv = [](const Interval& i) {
    return fmt::format("{:.3f} [{:.3f}, {:.3f}]", i.median, i.low, i.high);
  };
  const Proportion& w = p.fused_beats_decomp;
  return fmt::format(
      "\n  paired repetitions ({}; median [{:.0f}% interval]):\n"
      "    E fused {}, E decomposition {}, E fused - E decomposition {}\n"
      "    T_m / T_f {}; fused faster than decomposition in {} of {} ({:.0f}% [{:.0f}%, {:.0f}%])\n"
      "    comm share {} (range {:.3f}-{:.3f}); link {:.4g}-{:.4g} GB/s, re-derived per "
      "repetition\n"
      "    bounds at this share: any method E <= min(1, (1-s)/s) = {:.3f}; decomposition ideally "
      "pipelined {:.3f}\n",
      p.e_fused.samples, p.e_fused.coverage * 100, iv(p.e_fused), iv(p.e_decomp), iv(p.e_gain),
      iv(p.speedup_vs_decomp), w.hits, w.trials, w.share * 100, w.low * 100, w.high * 100,
      iv(p.comm_share), p.comm_share_min, p.comm_share_max, p.link_bytes_per_s_min / 1e9,
      p.link_bytes_per_s_max / 1e9, p.e_bound, p.e_decomp_ideal);
}

}  // namespace

void WriteBenchJson(JsonWriter& json, const BenchResult& r, const SimResult* prediction) {
  const BenchConfig& config = r.config;
  json.BeginObject();
  json.Field("op", OpKindName(config.op));
  json.Field("tp", config.problem.tp());
  json.Field("m", config.problem.total_rows());
  json.Field("n", config.problem.n);
  json.Field("k", config.problem.k);
  json.Key("rows_per_rank").BeginArray();
  for (int64_t rows : config.problem.rows_per_rank) json.Int(rows);
  json.EndArray();
  json.Field("options", config.options.Describe());
  if (!r.comm_rows_tried.empty()) {
    // The tuner's trials (BenchConfig::tune_comm_rows): the chosen one is in options.
    json.Key("comm_rows_tuning").BeginArray();
    for (const CommRowsTrial& trial : r.comm_rows_tried) {
      json.BeginObject();
      json.Field("comm_rows", trial.comm_rows);
      json.Field("fused_s", trial.fused_s);
      json.EndObject();
    }
    json.EndArray();
  }
  json.Field("reps", config.reps);
  json.Field("target_comm_share", config.target_comm_share);
  WriteLink(json, config.options.link);
  json.Field("t_gemm_s", r.t_gemm_s);
  json.Field("t_own_gemm_s", r.t_own_gemm_s);
  json.Field("t_signals_preset_s", r.t_preset_s);
  json.Field("t_nonoverlap_s", r.t_nonoverlap_s);
  json.Field("t_nonoverlap_agent_s", r.t_nonoverlap_agent_s);
  json.Field("t_nonoverlap_mpi_s", r.t_nonoverlap_mpi_s);
  json.Field("nonoverlap_collective", r.nonoverlap_collective);
  json.Field("t_decomp_s", r.t_decomp_s);
  json.Field("t_fused_s", r.t_fused_s);
  json.Field("ect_nonoverlap_s", r.t_nonoverlap_s - r.t_gemm_s);
  json.Field("ect_decomp_s", r.t_decomp_s - r.t_gemm_s);
  json.Field("ect_fused_s", r.t_fused_s - r.t_gemm_s);
  json.Field("repo_style_comm_s", r.t_fused_s - r.t_own_gemm_s);
  json.Field("efficiency_decomp", r.efficiency_decomp);
  json.Field("efficiency_fused", r.efficiency_fused);
  json.Field("speedup_vs_nonoverlap", r.speedup_vs_nonoverlap);
  json.Field("speedup_vs_decomp", r.speedup_vs_decomp);
  json.Field("fusion_overhead", r.fusion_overhead);
  json.Field("comm_share", r.comm_share);
  json.Field("gemm_gflops_per_s", r.gemm_flops / r.t_gemm_s / 1e9);
  json.Field("link_bytes_per_call", r.link_bytes);
  json.Field("link_transfers_per_call", r.link_transfers);
  WritePaired(json, r.paired);
  if (prediction != nullptr) {
    json.Key("prediction").BeginObject();
    json.Field("t_gemm_s", prediction->t_gemm_s);
    json.Field("t_nonoverlap_s", prediction->t_nonoverlap_s);
    json.Field("t_decomp_s", prediction->t_decomp_s);
    json.Field("t_fused_s", prediction->t_fused_s);
    json.Field("efficiency_decomp", prediction->efficiency_decomp);
    json.Field("efficiency_fused", prediction->efficiency_fused);
    json.EndObject();
  }
  json.EndObject();
}

std::string FormatBenchTable(const BenchResult& r, const SimResult* p) {
  const BenchConfig& config = r.config;
  std::string out = fmt::format(
      "overlap bench: {} m={} n={} k={} tp={} ({}), median of {} reps (max over ranks)\n"
      "link: {}\n"
      "non-overlapped collective: {}\n\n",
      OpKindName(config.op), config.problem.total_rows(), config.problem.n, config.problem.k,
      config.problem.tp(), config.options.Describe(), config.reps, config.options.link.Describe(),
      r.nonoverlap_collective);
  auto row = [&](const char* name, double measured, double predicted) {
    out += fmt::format("  {:<34} {:>10.3f} ms", name, measured * 1e3);
    if (p != nullptr && predicted >= 0)
      out += fmt::format("   (simulator {:>9.3f} ms)", predicted * 1e3);
    out += "\n";
  };
  row("T_g  best unsplit GEMM", r.t_gemm_s, p ? p->t_gemm_s : -1);
  row("     own tile loop, no waits", r.t_own_gemm_s, -1);
  row("     tile loop, signals preset", r.t_preset_s, -1);
  row("T_c  non-overlapped", r.t_nonoverlap_s, p ? p->t_nonoverlap_s : -1);
  if (r.t_nonoverlap_mpi_s == r.t_nonoverlap_mpi_s)
    row("     (MPI collective)", r.t_nonoverlap_mpi_s, -1);
  row("     (transfer agent)", r.t_nonoverlap_agent_s, -1);
  row("T_m  decomposition", r.t_decomp_s, p ? p->t_decomp_s : -1);
  row("T_f  fused", r.t_fused_s, p ? p->t_fused_s : -1);
  out += fmt::format(
      "\n  effective comm time (T - T_g): non-overlapped {:.3f} ms, decomposition {:.3f} ms, "
      "fused {:.3f} ms\n"
      "  repo-style comm (T_f - own tile loop): {:.3f} ms\n"
      "  overlap efficiency E: decomposition {:.3f}, fused {:.3f}",
      (r.t_nonoverlap_s - r.t_gemm_s) * 1e3, (r.t_decomp_s - r.t_gemm_s) * 1e3,
      (r.t_fused_s - r.t_gemm_s) * 1e3, (r.t_fused_s - r.t_own_gemm_s) * 1e3, r.efficiency_decomp,
      r.efficiency_fused);
  if (p != nullptr) {
    out += fmt::format("   (simulator: {:.3f}, {:.3f})", p->efficiency_decomp, p->efficiency_fused);
  }
  out += fmt::format(
      "\n  speedup T_c/T_f {:.3f}x, T_m/T_f {:.3f}x\n"
      "  fusion overhead (preset / own tile loop - 1): {:+.2f}%\n"
      "  comm share (T_c - T_g) / T_c: {:.1f}%\n"
      "  GEMM rate {:.1f} GFLOP/s per rank; link {:.3g} MB in {} transfers per call\n",
      r.speedup_vs_nonoverlap, r.speedup_vs_decomp, r.fusion_overhead * 100, r.comm_share * 100,
      r.gemm_flops / r.t_gemm_s / 1e9, r.link_bytes / 1e6, r.link_transfers);
  out += FormatPaired(r.paired);
  return out;
}

}  // namespace trainscope::overlap
