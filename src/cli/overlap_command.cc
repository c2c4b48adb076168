// SPDX-License-Identifier: Apache-2.0
// `trainscope overlap bench` (all methods interleaved on MPI ranks, the paper's metrics,
// the simulator's prediction beside them) and `trainscope overlap predict` (the simulator
// alone, for GPU shapes and links). Run bench as `mpirun -np N trainscope overlap bench ...`.
#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "base/json_writer.h"
#include "cli/command.h"
#include "overlap/bench.h"
#include "overlap/published.h"
#include "overlap/simulator.h"
#if defined(TS_OVERLAP_HAVE_MPI)
#include "overlap/mpi/mpi_world.h"
#endif

namespace trainscope::cli {
namespace {

using overlap::OpKind;

struct OverlapArgs {
  std::string op = "ag";
  int64_t m = 1024;
  int64_t n = 0;  // global (paper convention); 0 = the brief's default for the op
  int64_t k = 0;
  int tp = 0;  // 0 = MPI world size
  double link_gbps = 0;
  double link_us = 0;
  double comm_share = 0;
  int reps = 7;
  int64_t tile_m = -1, tile_n = -1, comm_rows = -1;  // -1: per-command default
  std::string transfer = "pull", schedule = "direct", rs_mode = "write";
  bool no_swizzle = false;
  bool ranks_as_threads = false;
  double timeout_s = 60;
  // predict
  std::string gpu = "h800";
  double gemm_tflops = 0;
  int sms = 0;
  double baseline_link_eff = 0, fused_link_eff = 0;  // 0: the preset's
  double call_overhead_us = -1, tile_overhead_us = -1;
  std::string dtype = "bf16";
};

Result<OpKind> ParseOp(const std::string& op) {
  if (op == "ag") return OpKind::kAgGemm;
  if (op == "rs") return OpKind::kGemmRs;
  return InvalidArgumentError("--op {}: expected ag or rs", op);
}

// Local problem from the paper's global (m, n, k): AG [m, k] x [k, n/tp]; RS [m, k/tp] x
// [k/tp, n]. Brief 10: default (n, k) = (6144, 1536) for AG and (1536, 6144) for RS.
Result<overlap::ShardedProblem> LocalProblem(const OverlapArgs& args, OpKind op, int tp) {
  const bool ag = op == OpKind::kAgGemm;
  const int64_t n = args.n > 0 ? args.n : (ag ? 6144 : 1536);
  const int64_t k = args.k > 0 ? args.k : (ag ? 1536 : 6144);
  const int64_t split = ag ? n : k;
  if (args.m <= 0 || n <= 0 || k <= 0 || tp <= 0 || split % tp != 0) {
    return InvalidArgumentError(
        "--m {} --n {} --k {} --tp {}: sizes must be positive and tp must "
        "divide {} for --op {}",
        args.m, n, k, tp, ag ? "n" : "k", args.op);
  }
  return overlap::ShardedProblem::Even(args.m, ag ? n / tp : n, ag ? k : k / tp, tp);
}

// Tile defaults. CPU (bench): TM = m / tp / 2 clamped to [16, 128] so that every shard has
// at least two row tiles, TN = 1024 (per-tile cblas_sgemm within noise of the unsplit GEMM),
// comm tile = TM rows. GPU (predict): Flux's 128 x 256 with 128-row comm tiles.
Result<overlap::OverlapOptions> Options(const OverlapArgs& args, bool gpu) {
  overlap::OverlapOptions options;
  const int tp = args.tp > 0 ? args.tp : 2;
  const int64_t auto_tm = gpu ? 128 : std::clamp<int64_t>(args.m / tp / 2, 16, 128);
  options.tile_m = args.tile_m >= 0 ? args.tile_m : auto_tm;
  options.tile_n = args.tile_n >= 0 ? args.tile_n : (gpu ? 256 : 1024);
  options.comm_rows = args.comm_rows >= 0 ? args.comm_rows : options.tile_m;
  options.swizzle = !args.no_swizzle;
  options.timeout_s = args.timeout_s;
  if (args.transfer != "pull" && args.transfer != "push") {
    return InvalidArgumentError("--transfer {}: expected pull or push", args.transfer);
  }
  options.transfer =
      args.transfer == "pull" ? overlap::TransferMode::kPull : overlap::TransferMode::kPush;
  if (args.schedule != "direct" && args.schedule != "ring") {
    return InvalidArgumentError("--schedule {}: expected direct or ring", args.schedule);
  }
  options.schedule =
      args.schedule == "direct" ? overlap::ScheduleKind::kDirect : overlap::ScheduleKind::kRing;
  if (args.rs_mode != "write" && args.rs_mode != "reduce") {
    return InvalidArgumentError("--rs-mode {}: expected write or reduce", args.rs_mode);
  }
  options.rs_mode = args.rs_mode == "write" ? overlap::RsMode::kWrite : overlap::RsMode::kReduce;
  // Negated so that NaN, which fails every comparison, is refused (it ran as 'no share').
  for (const auto& [flag, value] : {std::pair<const char*, double>{"--link-gbps", args.link_gbps},
                                    {"--link-us", args.link_us}}) {
    if (!(value >= 0)) return InvalidArgumentError("{} {}: must be >= 0", flag, value);
  }
  if (!(args.comm_share >= 0 && args.comm_share < 1)) {
    return InvalidArgumentError("--comm-share {}: must be in [0, 1)", args.comm_share);
  }
  options.link.bandwidth_bytes_per_s = args.link_gbps * 1e9;
  options.link.latency_s = args.link_us * 1e-6;
  return options;
}

void Print(const overlap::BenchResult& result, const overlap::SimResult* prediction) {
  if (Globals().json) {
    JsonWriter out(stdout, /*pretty=*/true);
    overlap::WriteBenchJson(out, result, prediction);
    out.Flush();
    std::fputc('\n', stdout);
  } else {
    std::fputs(overlap::FormatBenchTable(result, prediction).c_str(), stdout);
  }
  std::fflush(stdout);
}

// Runs the benchmark on `world` (every rank), prints on rank 0.
Status BenchOnWorld(overlap::PeerWorld& world, const overlap::BenchConfig& config,
                    const overlap::ExternalBaseline& mpi_baseline) {
  TS_ASSIGN_OR_RETURN(overlap::BenchResult result,
                      overlap::RunBenchmark(world, config, mpi_baseline));
  if (world.rank() != 0) return OkStatus();
  Result<overlap::SimResult> prediction = overlap::Simulate(
      config.op, config.problem, result.config.options, overlap::CpuHardwareFromBench(result));
  Print(result, prediction.ok() ? &*prediction : nullptr);
  return OkStatus();
}

Status RunBench(const OverlapArgs& args) {
  TS_ASSIGN_OR_RETURN(OpKind op, ParseOp(args.op));
  TS_ASSIGN_OR_RETURN(overlap::OverlapOptions options, Options(args, /*gpu=*/false));
  overlap::BenchConfig config;
  config.op = op;
  config.options = options;
  config.reps = args.reps;
  config.target_comm_share = args.comm_share;
  // RS closes a GEMM run (one B packing) per comm tile; without --comm-rows the bench tunes
  // the tile as Flux's tuner would. AG batches arrived tiles into runs itself.
  config.tune_comm_rows = args.comm_rows < 0 && op == OpKind::kGemmRs;
  if (args.ranks_as_threads) {
    const int tp = args.tp > 0 ? args.tp : 2;
    TS_ASSIGN_OR_RETURN(config.problem, LocalProblem(args, op, tp));
    TS_ASSIGN_OR_RETURN(size_t bytes,
                        overlap::FusedOperator::PayloadBytes(op, config.problem, options));
    overlap::ThreadWorldGroup group(tp, bytes);
    return group.RunOnAllRanks(
        [&](overlap::PeerWorld& world) { return BenchOnWorld(world, config, nullptr); });
  }
#if defined(TS_OVERLAP_HAVE_MPI)
  if (!LaunchedByMpiLauncher()) {
    return FailedPreconditionError(
        "overlap bench runs one process per TP rank: start it as `mpirun -np N trainscope "
        "overlap bench ...` (the nccl-tests convention), or pass --ranks-as-threads to run the "
        "ranks as threads of this process");
  }
  TS_RETURN_IF_ERROR(InitMpiOnce());
  Status status = [&]() -> Status {
    int world_size = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    if (args.tp > 0 && args.tp != world_size) {
      return InvalidArgumentError("--tp {} but mpirun started {} ranks", args.tp, world_size);
    }
    TS_ASSIGN_OR_RETURN(config.problem, LocalProblem(args, op, world_size));
    TS_ASSIGN_OR_RETURN(size_t bytes,
                        overlap::FusedOperator::PayloadBytes(op, config.problem, options));
    TS_ASSIGN_OR_RETURN(auto world, overlap::MpiWorld::Create(MPI_COMM_WORLD, bytes));
    const int64_t m = config.problem.total_rows();
    std::vector<float> scratch(
        static_cast<size_t>(m * std::max(config.problem.n, config.problem.k)) + 1);
    overlap::ExternalBaseline mpi = [&](const float* a, const float* b, float* c) {
      return overlap::MpiNonOverlapped(MPI_COMM_WORLD, op, config.problem, a, b, c, scratch.data());
    };
    return BenchOnWorld(*world, config, mpi);
  }();
  if (!status.ok()) {
    ReportError(status);
    MPI_Abort(MPI_COMM_WORLD, ExitCodeFor(status));  // peers may be waiting: never hang
  }
  MPI_Finalize();
  return status;
#else
  return FailedPreconditionError(
      "this trainscope was built without MPI: use --ranks-as-threads, or rebuild with "
      "libopenmpi-dev installed and run `mpirun -np N trainscope overlap bench ...`");
#endif
}

Result<overlap::SimHardware> Hardware(const OverlapArgs& args) {
  // custom = the h800 preset with --sms / --gemm-tflops / --link-gbps / --link-us overriding.
  Result<overlap::SimHardware> preset =
      overlap::GpuPreset(args.gpu == "custom" ? "h800" : args.gpu);
  if (!preset.ok()) return preset.status().WithPrefix("--gpu");
  overlap::SimHardware hw = *preset;
  if (args.sms > 0) hw.workers = args.sms;
  if (args.gemm_tflops > 0) hw.gemm_flops_per_s = args.gemm_tflops * 1e12;
  if (args.link_gbps > 0) hw.link_bandwidth_bytes_per_s = args.link_gbps * 1e9;
  if (args.link_us > 0) hw.link_latency_s = args.link_us * 1e-6;
  if (args.baseline_link_eff > 0) hw.baseline_link_efficiency = args.baseline_link_eff;
  if (args.fused_link_eff > 0) hw.fused_link_efficiency = args.fused_link_eff;
  if (args.call_overhead_us >= 0) hw.fused_call_overhead_s = args.call_overhead_us * 1e-6;
  if (args.tile_overhead_us >= 0) hw.fused_tile_overhead_s = args.tile_overhead_us * 1e-6;
  if (args.dtype != "bf16" && args.dtype != "fp32") {
    return InvalidArgumentError("--dtype {}: expected bf16 or fp32", args.dtype);
  }
  hw.bytes_per_element = args.dtype == "bf16" ? 2 : 4;
  return hw;
}

Status RunPredict(const OverlapArgs& args) {
  TS_ASSIGN_OR_RETURN(OpKind op, ParseOp(args.op));
  TS_ASSIGN_OR_RETURN(overlap::OverlapOptions options, Options(args, /*gpu=*/true));
  TS_ASSIGN_OR_RETURN(overlap::SimHardware hw, Hardware(args));
  OverlapArgs global = args;
  if (global.n == 0) global.n = op == OpKind::kAgGemm ? 49152 : 12288;  // GPT-3 175B
  if (global.k == 0) global.k = op == OpKind::kAgGemm ? 12288 : 49152;
  TS_ASSIGN_OR_RETURN(overlap::ShardedProblem problem,
                      LocalProblem(global, op, args.tp > 0 ? args.tp : 8));
  TS_ASSIGN_OR_RETURN(overlap::SimResult r, overlap::Simulate(op, problem, options, hw));
  if (Globals().json) {
    JsonWriter out(stdout, /*pretty=*/true);
    out.BeginObject().Field("op", args.op).Field("m", global.m).Field("n", global.n);
    out.Field("k", global.k).Field("tp", problem.tp()).Field("options", options.Describe());
    out.Field("t_gemm_s", r.t_gemm_s).Field("t_comm_s", r.t_comm_s);
    out.Field("t_nonoverlap_s", r.t_nonoverlap_s).Field("t_decomp_s", r.t_decomp_s);
    out.Field("t_fused_s", r.t_fused_s).Field("efficiency_decomp", r.efficiency_decomp);
    out.Field("efficiency_fused", r.efficiency_fused);
    out.Field("speedup_vs_nonoverlap", r.speedup_vs_nonoverlap);
    out.Field("speedup_vs_decomp", r.speedup_vs_decomp).Field("comm_share", r.comm_share);
    const overlap::PredictorError& error = overlap::BuiltinPredictorError();
    out.Key("predictor_error").BeginObject();
    out.Field("t_fused_max_abs", error.t_fused_max_abs).Field("e_max_abs", error.e_max_abs);
    out.Field("e_point_rows_max_abs", error.e_point_max_abs);
    out.Field("check_rows", error.point_rows + error.range_rows).EndObject();
    out.EndObject();
    out.Flush();
    std::fputc('\n', stdout);
    return OkStatus();
  }
  std::printf(
      "overlap predict: %s m=%lld n=%lld k=%lld tp=%d, %d workers, %.0f TFLOP/s, link %.1f GB/s\n"
      "  T_g %.3f ms  T_c %.3f ms  T_m %.3f ms  T_f %.3f ms\n"
      "  E decomposition %.3f, fused %.3f; speedup T_c/T_f %.3fx, T_m/T_f %.3fx; comm share "
      "%.1f%%\n"
      "  links: baseline collective %.0f%%, fused copies %.0f%% of the link; fusion overhead %.0f "
      "us per call, %.1f us per tile\n"
      "  predictor error on published Flux rows it was not fitted on: T_f within %.1f%%, E "
      "within %.2f on rows with times, %.2f on all %d (docs/overlap.md)\n",
      args.op.c_str(), static_cast<long long>(global.m), static_cast<long long>(global.n),
      static_cast<long long>(global.k), problem.tp(), hw.workers, hw.gemm_flops_per_s / 1e12,
      hw.link_bandwidth_bytes_per_s / 1e9, r.t_gemm_s * 1e3, r.t_nonoverlap_s * 1e3,
      r.t_decomp_s * 1e3, r.t_fused_s * 1e3, r.efficiency_decomp, r.efficiency_fused,
      r.speedup_vs_nonoverlap, r.speedup_vs_decomp, r.comm_share * 100,
      hw.baseline_link_efficiency * 100, hw.fused_link_efficiency * 100,
      hw.fused_call_overhead_s * 1e6, hw.fused_tile_overhead_s * 1e6,
      overlap::BuiltinPredictorError().t_fused_max_abs * 100,
      overlap::BuiltinPredictorError().e_point_max_abs, overlap::BuiltinPredictorError().e_max_abs,
      overlap::BuiltinPredictorError().point_rows + overlap::BuiltinPredictorError().range_rows);
  return OkStatus();
}

void AddShapeOptions(CLI::App* app, OverlapArgs& args) {
  app->add_option("--op", args.op, "ag (AllGather+GEMM) or rs (GEMM+ReduceScatter)")
      ->capture_default_str();
  app->add_option("--m", args.m, "Rows of the activations (tokens)")->capture_default_str();
  app->add_option("--n", args.n, "Global n (paper convention; AG shards n, RS keeps it)");
  app->add_option("--k", args.k, "Global k (AG keeps k, RS shards it)");
  app->add_option("--tp", args.tp, "TP degree (bench: must equal the mpirun rank count)");
  app->add_option("--link-gbps", args.link_gbps,
                  "Link bandwidth in GB/s (1e9 bytes/s); bench: 0 = real shared memory");
  app->add_option("--link-us", args.link_us, "Link latency per transfer in microseconds");
  app->add_option("--tile-m", args.tile_m,
                  "GEMM tile rows (default: bench m/tp/2 in [16, 128], "
                  "predict 128)")
      ->check(IntAtLeast(0));
  app->add_option("--tile-n", args.tile_n, "GEMM tile columns (default: bench 1024, predict 256)")
      ->check(IntAtLeast(0));
  app->add_option("--comm-rows", args.comm_rows,
                  "Rows per comm tile (0 = whole shard; default: the tile rows, and bench --op rs with "
                  "--comm-share tunes it: the fastest of the tile rows doubled up to the shard)")
      ->check(IntAtLeast(0));
  app->add_option("--transfer", args.transfer, "pull or push")->capture_default_str();
  app->add_option("--schedule", args.schedule, "direct or ring")->capture_default_str();
  app->add_option("--rs-mode", args.rs_mode, "write or reduce")->capture_default_str();
  app->add_flag("--no-swizzle", args.no_swizzle, "Natural tile order");
}

void RegisterOverlap(CLI::App& root) {
  auto args = std::make_shared<OverlapArgs>();
  CLI::App* overlap = root.add_subcommand(
      "overlap", "Flux-style fused GEMM + TP collective: benchmark and predict");
  overlap->require_subcommand(1);
  CLI::App* bench = overlap->add_subcommand(
      "bench",
      "Run non-overlapped, decomposition and fused methods interleaved on MPI ranks "
      "(mpirun -np N trainscope overlap bench ...) and report T_g, T_c, T_m, T_f, E");
  AddShapeOptions(bench, *args);
  bench->add_option("--comm-share", args->comm_share,
                    "Pick the emulated link bandwidth so that (T_c - T_g) / T_c is this share");
  bench->add_option("--reps", args->reps, "Timed repetitions (median)")
      ->capture_default_str()
      ->check(IntInRange(1, 1000));
  bench->add_option("--timeout", args->timeout_s, "Deadline of every wait in seconds")
      ->capture_default_str();
  bench->add_flag("--ranks-as-threads", args->ranks_as_threads,
                  "Run the TP ranks as threads of this process (no mpirun)");
  bench->callback([args] { RunAndSetExit([args] { return RunBench(*args); }); });

  CLI::App* predict = overlap->add_subcommand(
      "predict", "Simulate T_g, T_c, T_m, T_f and E for a GPU shape (default GPT-3 175B, tp 8)");
  AddShapeOptions(predict, *args);
  predict
      ->add_option("--gpu", args->gpu,
                   "a100-sxm, a100-pcie, a800, h100, h800, h20, h200, l20, b200 (or a name "
                   "such as 'NVIDIA H100 80GB HBM3'), or custom (h800 with your overrides)")
      ->capture_default_str();
  predict->add_option("--baseline-link-eff", args->baseline_link_eff,
                      "Share of the link the baseline collective (NCCL) reaches (0 = preset)");
  predict->add_option("--fused-link-eff", args->fused_link_eff,
                      "Share of the link the fused copies reach (0 = preset)");
  predict->add_option("--call-overhead-us", args->call_overhead_us,
                      "Fusion overhead per call in us (default: preset)");
  predict->add_option("--tile-overhead-us", args->tile_overhead_us,
                      "Fusion overhead per GEMM tile in us (default: preset)");
  predict->add_option("--gemm-tflops", args->gemm_tflops, "Achieved GEMM TFLOP/s");
  predict->add_option("--sms", args->sms, "SM count");
  predict->add_option("--dtype", args->dtype, "bf16 or fp32")->capture_default_str();
  predict->callback([args] { RunAndSetExit([args] { return RunPredict(*args); }); });
}

}  // namespace

TS_REGISTER_COMMAND(60, RegisterOverlap);

}  // namespace trainscope::cli
