// SPDX-License-Identifier: Apache-2.0
// Synthesis driver: fault parsing, per-step variation and replay (synth.h).
#include "workload/synth.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <random>
#include <utility>
#include <vector>

#include "workload/config_io.h"
#include "workload/internal/synth_timeline.h"

namespace trainscope::workload {

std::string_view FaultName(FaultType type) {
  switch (type) {
    case FaultType::kStraggler:
      return "straggler";
    case FaultType::kSlowStage:
      return "slow_stage";
    case FaultType::kGcPause:
      return "gc";
    case FaultType::kSlowLink:
      return "slow_link";
    case FaultType::kHang:
      return "hang";
    case FaultType::kDead:
      return "dead";
    case FaultType::kNic:
      return "nic";
    case FaultType::kSeqLen:
      return "seqlen";
  }
  return "?";
}

Result<Fault> ParseFault(std::string_view text) {
  Fault f;
  const size_t colon = text.find(':');
  const std::string_view type = text.substr(0, colon);
  bool known = false;
  for (FaultType t :
       {FaultType::kStraggler, FaultType::kSlowStage, FaultType::kGcPause, FaultType::kSlowLink,
        FaultType::kHang, FaultType::kDead, FaultType::kNic, FaultType::kSeqLen}) {
    if (type == FaultName(t)) {
      f.type = t;
      known = true;
    }
  }
  if (!known) {
    return InvalidArgumentError(
        "--inject '{}': unknown fault '{}' (straggler, slow_stage, gc, "
        "slow_link, hang, dead, nic, seqlen)",
        text, type);
  }
  if (f.type == FaultType::kSlowLink || f.type == FaultType::kNic) f.factor = 4.0;
  std::string_view rest = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view kv = rest.substr(0, comma);
    const size_t eq = kv.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgumentError("--inject '{}': expected key=value, got '{}'", text, kv);
    }
    const std::string_view key = kv.substr(0, eq);
    const std::string value(kv.substr(eq + 1));
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || *end != '\0' || !std::isfinite(number) || number < 0) {
      return InvalidArgumentError("--inject '{}': '{}' is not a non-negative number", text, value);
    }
    if (key == "rank") {
      f.rank = static_cast<int>(number);
    } else if (key == "stage") {
      f.stage = static_cast<int>(number);
    } else if (key == "factor") {
      f.factor = number;
    } else if (key == "seconds") {
      f.seconds = number;
    } else if (key == "step") {
      f.step = static_cast<int>(number);
    } else if (key == "every") {
      f.every = std::max(1, static_cast<int>(number));
    } else if (key == "machine") {
      f.machine = static_cast<int>(number);
    } else if (key == "cv") {
      f.cv = number;
    } else {
      return InvalidArgumentError(
          "--inject '{}': unknown key '{}' (rank, stage, factor, seconds, "
          "step, every, machine, cv)",
          text, key);
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (f.factor <= 0) return InvalidArgumentError("--inject '{}': factor must be > 0", text);
  return f;
}

namespace {

bool IsTransfer(const StepOp& op) {
  switch (op.type) {
    case StepOpType::kForwardSend:
    case StepOpType::kForwardRecv:
    case StepOpType::kBackwardSend:
    case StepOpType::kBackwardRecv:
      return !op.noop;
    case StepOpType::kParamGather:
    case StepOpType::kGradSync:
    case StepOpType::kEmbeddingAllReduce:
      return true;
    default:
      return false;
  }
}

// Relative cost of each DiT sample kind: the planner's own shares (model_math.h), so plan's
// wait for the slowest worker's mix is computed from the same distribution.
std::vector<double> SampleCosts(const BlockConfig& b, std::vector<double>* weights) {
  return SampleWorkShares(b, weights);
}

// The random draws of one synthesised job, made in a fixed order (same seed, same job):
// per step, the microbatch work, then one launch delay per real op in graph order.
struct Randomness {
  Randomness(const SynthOptions& options, const BlockConfig& main)
      : rng(options.seed),
        jitter(1.0 / std::max(1e-12, options.launch_jitter_s)),
        sample_cost(main.kind == BlockKind::kDit ? SampleCosts(main, &weights)
                                                 : std::vector<double>()),
        pick(weights.begin(), weights.end()) {}

  std::mt19937_64 rng;
  std::normal_distribution<double> normal{0.0, 1.0};
  std::exponential_distribution<double> jitter;
  std::vector<double> weights;      // of the DiT sample kinds (before sample_cost: it fills them)
  std::vector<double> sample_cost;  // relative cost of each DiT sample kind; empty otherwise
  std::discrete_distribution<int> pick;
};

Status CheckFaults(const SynthOptions& options, const internal::Timeline& t) {
  for (const Fault& f : options.faults) {
    if (f.rank >= t.world) {
      return InvalidArgumentError("--inject {}: rank {} outside the job's {} ranks",
                                  FaultName(f.type), f.rank, t.world);
    }
    if (f.type == FaultType::kSlowStage && f.stage >= t.pp) {
      return InvalidArgumentError("--inject slow_stage: stage {} outside pp {}", f.stage, t.pp);
    }
    const int machines = (t.world + t.gpus_per_node - 1) / t.gpus_per_node;
    if (f.type == FaultType::kNic && f.machine >= machines) {
      return InvalidArgumentError("--inject nic: machine {} outside the job's {} machines",
                                  f.machine, machines);
    }
    if (f.type == FaultType::kSeqLen && f.cv > 3) {
      return InvalidArgumentError("--inject seqlen: cv {} is implausible (at most 3)", f.cv);
    }
  }
  return OkStatus();
}

Status CheckDetailWindow(const SynthOptions& options, const internal::Timeline& t) {
  for (int r : options.detail_ranks) {
    if (r < 0 || r >= t.world) {
      return InvalidArgumentError("--detail-ranks: rank {} outside the job's {} ranks", r, t.world);
    }
  }
  if (options.detail_first_step < 0 || options.detail_first_step >= options.steps) {
    return InvalidArgumentError("--detail-steps: first step {} outside the {} steps (0-{})",
                                options.detail_first_step, options.steps, options.steps - 1);
  }
  return OkStatus();
}

// Work of each (replica, microbatch) of one step: F and B of one microbatch share it.
// A seqlen fault striking `step` spreads the work with its cv instead (lognormal, mean 1).
std::vector<double> MicrobatchWork(size_t count, const SynthOptions& options, int step,
                                   Randomness& rnd) {
  double seqlen_cv = 0;
  for (const Fault& f : options.faults)
    if (f.type == FaultType::kSeqLen && step >= f.step) seqlen_cv = f.cv;
  const auto lognormal = [&](double cv) {
    const double sigma = std::sqrt(std::log1p(cv * cv));
    return std::exp(sigma * rnd.normal(rnd.rng) - 0.5 * sigma * sigma);
  };
  std::vector<double> work(count);
  for (double& w : work) {
    if (!rnd.sample_cost.empty()) {
      w = rnd.sample_cost[static_cast<size_t>(rnd.pick(rnd.rng))];
      if (seqlen_cv > 0) w *= lognormal(seqlen_cv);
    } else if (seqlen_cv > 0) {
      w = lognormal(seqlen_cv);
    } else {
      w = std::exp(options.microbatch_cv * rnd.normal(rnd.rng) -
                   0.5 * options.microbatch_cv * options.microbatch_cv);
    }
  }
  return work;
}

// Whether a rank of the op's worker runs on `machine`.
bool WorkerOnMachine(const internal::Timeline& t, const StepOp& op, int machine) {
  const int first = t.Rank(op.replica, op.stage, 0, 0);
  const int last = first + t.RanksPerWorker() - 1;
  return first / t.gpus_per_node <= machine && machine <= last / t.gpus_per_node;
}

// The hang or dead fault that strikes in `step`, if any (the last one listed).
const Fault* StallIn(const SynthOptions& options, int step) {
  const Fault* stall = nullptr;
  for (const Fault& f : options.faults) {
    if ((f.type == FaultType::kHang || f.type == FaultType::kDead) && f.step == step) stall = &f;
  }
  return stall;
}

// Whether op `op` is where the stalled rank stops: its worker's first backward.
bool IsStallPoint(const internal::Timeline& t, const Fault& stall, const StepOp& op) {
  return t.WorkerOfRank(stall.rank) == t.WorkerOf(op) && op.type == StepOpType::kBackward &&
         op.seq == 0;
}

// Durations and launch delays of every op of one step, and the compute factor applied to each.
struct StepOpTimes {
  std::vector<double> factor;
  std::vector<double> work;  // the microbatch's work alone (no fault factor); 1 for other ops
  std::vector<int64_t> dur, delay;
};

StepOpTimes OpTimesOfStep(const internal::Timeline& t, const SynthOptions& options, int step,
                          int microbatches, const Fault* stall, Randomness& rnd) {
  const size_t n = t.graph.ops.size();
  const std::vector<double> work =
      MicrobatchWork(static_cast<size_t>(t.dp * microbatches), options, step, rnd);
  const StepCosts& costs = t.detail.costs;
  StepOpTimes out{std::vector<double>(n, 1.0), std::vector<double>(n, 1.0), std::vector<int64_t>(n),
                  std::vector<int64_t>(n)};
  for (size_t i = 0; i < n; ++i) {
    const StepOp& op = t.graph.ops[i];
    double seconds = costs.Seconds(op);
    const int worker = t.WorkerOf(op);
    if (IsComputeOp(op.type)) {
      out.factor[i] = work[static_cast<size_t>(op.replica * microbatches + op.microbatch)];
      out.work[i] = out.factor[i];
    }
    for (const Fault& f : options.faults) {
      if (step < f.step) continue;
      const bool mine = t.WorkerOfRank(f.rank) == worker;
      if (f.type == FaultType::kSlowLink && mine && IsTransfer(op)) seconds *= f.factor;
      if (f.type == FaultType::kNic && IsTransfer(op) && WorkerOnMachine(t, op, f.machine)) {
        seconds *= f.factor;
      }
      if (f.type == FaultType::kGcPause && mine && op.type == StepOpType::kGc &&
          (step - f.step) % f.every == 0) {
        seconds += f.seconds;
      }
    }
    if (IsComputeOp(op.type)) {
      out.factor[i] *= internal::WorkerComputeFaultFactor(t, step, op);
      seconds *= out.factor[i];
    }
    if (stall != nullptr && IsStallPoint(t, *stall, op)) {
      seconds = 3600.0;  // never finishes: the job stalls here
    }
    out.dur[i] = std::llround(seconds * 1e9);
    const bool real = !op.noop && op.type != StepOpType::kSeparateGradSync;
    out.delay[i] = real ? std::llround(rnd.jitter(rnd.rng) * 1e9) : 0;
  }
  return out;
}

// Simulates the steps one after the other into `t` (start/end of every op per step, step
// lengths); a hang or dead fault ends the job at its stall.
void SimulateSteps(internal::Timeline& t, const SynthOptions& options, int microbatches,
                   Randomness& rnd) {
  const size_t n = t.graph.ops.size();
  int64_t clock = 0;
  for (int step = 0; step < options.steps; ++step) {
    const Fault* stall = StallIn(options, step);
    StepOpTimes ops = OpTimesOfStep(t, options, step, microbatches, stall, rnd);
    std::vector<int64_t> start(n), end(n);
    const int64_t len = SimulateStepNs(t.graph, ops.dur, ops.delay, start, end);
    t.step_begin_ns.push_back(clock);
    t.compute_factor.push_back(std::move(ops.factor));
    t.work_factor.push_back(std::move(ops.work));
    if (stall != nullptr) {
      // Everyone blocks behind the stalled rank; the NCCL watchdog fires after 10 minutes.
      int64_t stall_at = 0;
      for (size_t i = 0; i < n; ++i) {
        if (IsStallPoint(t, *stall, t.graph.ops[i])) stall_at = start[i];
      }
      t.stall = stall;
      t.stall_begin_ns = clock + stall_at;
      t.cut_ns = t.stall_begin_ns;
      t.step_len_ns.push_back(stall_at);
      t.start_ns.push_back(std::move(start));
      t.end_ns.push_back(std::move(end));
      t.steps = step + 1;
      clock += stall_at + std::llround(600e9);
      break;
    }
    t.step_len_ns.push_back(len);
    t.start_ns.push_back(std::move(start));
    t.end_ns.push_back(std::move(end));
    t.steps = step + 1;
    clock += len + std::llround(options.step_gap_s * 1e9);
  }
  t.job_end_ns = clock;
}

// Sizes and step times; the mean leaves out a step cut short by a stall.
SynthSummary Summarize(const JobConfig& job, const internal::Timeline& t) {
  SynthSummary summary;
  summary.name = job.name;
  summary.ranks = t.world;
  summary.workers = t.dp * t.pp;
  summary.machines = (t.world + t.gpus_per_node - 1) / t.gpus_per_node;
  summary.steps = t.steps;
  summary.predicted_step_s = t.prediction.step_time_s;
  double total = 0;
  int complete = 0;
  for (int s = 0; s < t.steps; ++s) {
    const double len = static_cast<double>(t.step_len_ns[static_cast<size_t>(s)]) * 1e-9;
    summary.step_s.push_back(len);
    if (t.stall == nullptr || s + 1 < t.steps) {
      total += len;
      ++complete;
    }
  }
  summary.mean_step_s = complete > 0 ? total / complete : 0;
  return summary;
}

}  // namespace

namespace internal {

double RankComputeFaultFactor(const Timeline& t, int rank, int step, const StepOp& op) {
  double factor = 1;
  if (!IsComputeOp(op.type)) return factor;
  for (const Fault& f : t.options.faults) {
    if (step < f.step) continue;
    if (f.type == FaultType::kStraggler && f.rank == rank) factor *= f.factor;
    if (f.type == FaultType::kSlowStage && f.stage == op.stage) factor *= f.factor;
  }
  return factor;
}

double WorkerComputeFaultFactor(const Timeline& t, int step, const StepOp& op) {
  if (!IsComputeOp(op.type) || t.options.faults.empty()) return 1;
  const int first = t.Rank(op.replica, op.stage, 0, 0);
  double slowest = 0;
  bool unnamed_seen = false;  // the ranks no straggler names share one factor
  for (int r = first; r < first + t.RanksPerWorker(); ++r) {
    bool named = false;
    for (const Fault& f : t.options.faults) named |= f.type == FaultType::kStraggler && f.rank == r;
    if (!named && std::exchange(unnamed_seen, true)) continue;
    slowest = std::max(slowest, RankComputeFaultFactor(t, r, step, op));
  }
  return slowest;
}

}  // namespace internal

namespace {

// Synthesis holds every op's start, end and two factors of every step in memory (the op table,
// the metrics and the traces are written from them), and the metrics cover the job at 1 s; so
// --steps is bounded before anything runs, instead of growing until the machine gives out.
constexpr double kMaxTimelineBytes = 8.0 * (1ull << 30);
constexpr double kBytesPerOpStep = 2 * sizeof(int64_t) + 2 * sizeof(double);
constexpr double kMaxMetricSeconds = 30.0 * 86400;  // what the metric readers accept at 1 s
constexpr double kMaxLaunchJitterS = 1.0;  // per op; real launch gaps are microseconds

Status CheckSynthSize(const SynthOptions& options, size_t ops_per_step, double step_s) {
  const double steps = options.steps;
  if (options.write_metrics && steps * step_s > kMaxMetricSeconds) {
    return InvalidArgumentError(
        "--steps {}: the job would run {:.0f} days at {:.1f} s a step, but per-second metrics "
        "cover at most 30 days (use fewer steps, or --no-metrics)",
        options.steps, steps * step_s / 86400, step_s);
  }
  const double op_step_bytes = static_cast<double>(ops_per_step) * kBytesPerOpStep;
  if (steps * op_step_bytes > kMaxTimelineBytes) {
    return InvalidArgumentError(
        "--steps {}: the step timeline would take {:.1f} GiB ({} ops a step); at most {} steps "
        "of this job fit in the {:.0f} GiB synthesis allows",
        options.steps, steps * op_step_bytes / (1ull << 30), ops_per_step,
        static_cast<int64_t>(kMaxTimelineBytes / op_step_bytes), kMaxTimelineBytes / (1ull << 30));
  }
  return OkStatus();
}

}  // namespace

Result<SynthSummary> Synthesize(const JobConfig& job, const SynthOptions& options) {
  if (options.steps < 1) return InvalidArgumentError("--steps must be >= 1");
  // A launch delay is drawn per op: a mean of seconds makes a step of hours and, at 1e9 s, wraps
  // the ns timestamps so that collectives seem to queue in a cycle (an internal-check abort).
  if (!(options.launch_jitter_s >= 0) || options.launch_jitter_s > kMaxLaunchJitterS) {
    return InvalidArgumentError("--jitter {}: the mean launch delay per op must be in [0, {}] s",
                                options.launch_jitter_s, kMaxLaunchJitterS);
  }
  internal::Timeline t;
  t.job = &job;
  t.options = options;
  Planner planner;
  TS_ASSIGN_OR_RETURN(t.prediction, planner.Predict(job, &t.detail));
  const BlockConfig& main = job.blocks[static_cast<size_t>(MainBlockIndex(job))];
  if (t.detail.shape.schedule != StepSchedule::kMegatron) {
    // The what-if analysis reads Megatron's 1F1B / interleaved dependency model; a trace with
    // W passes or two-way pipelines would be analysed as something it is not.
    return InvalidArgumentError(
        "{}: synth writes 1F1B and interleaved pipelines only, not schedule {} (plan predicts "
        "it)",
        job.name, Name(main.plan.schedule));
  }
  t.pp = main.plan.pp;
  t.tp = main.plan.tp;
  t.cp = main.plan.cp;
  t.dp = t.prediction.dp;
  t.world = job.cluster.gpus;
  t.gpus_per_node = job.cluster.gpus_per_node;
  TS_RETURN_IF_ERROR(CheckFaults(options, t));
  TS_RETURN_IF_ERROR(CheckDetailWindow(options, t));
  StepShape shape = t.detail.shape;
  shape.dp = t.dp;
  TS_ASSIGN_OR_RETURN(t.graph, BuildStepGraph(shape));
  TS_RETURN_IF_ERROR(CheckSynthSize(options, t.graph.ops.size(), t.prediction.step_time_s));
  Randomness rnd(options, main);
  SimulateSteps(t, options, shape.microbatches, rnd);

  SynthSummary summary = Summarize(job, t);
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return IoError("{}: cannot create output folder: {}", options.out_dir, ec.message());
  if (options.write_op_table)
    TS_RETURN_IF_ERROR(internal::WriteOpTable(t, options.out_dir, &summary));
  if (options.write_metrics)
    TS_RETURN_IF_ERROR(internal::WriteMetrics(t, options.out_dir, &summary));
  if (options.write_kineto && options.kernels != KernelDetail::kNone) {
    TS_RETURN_IF_ERROR(internal::WriteKineto(t, options.out_dir, &summary));
  }
  return summary;
}

}  // namespace trainscope::workload
