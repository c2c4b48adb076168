// SPDX-License-Identifier: Apache-2.0
// Predictor: counts, memory, per-op costs and the replayed step (predictor.h).
#include "workload/predictor.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "base/check.h"
#include "workload/config_io.h"
#include "workload/step_costs.h"

namespace trainscope::workload {
namespace {

bool UpstreamTrainable(const JobConfig& job, const BlockConfig& block) {
  for (const std::string& input : block.inputs) {
    for (const BlockConfig& other : job.blocks) {
      if (other.name == input && (!other.frozen || UpstreamTrainable(job, other))) return true;
    }
  }
  return false;
}

// Expected max / mean of per-GPU vision work: LPT balancing within groups leaves about one
// image of slack; without balancing the slowest of N GPUs sits ~3 sigma above the mean.
double VisionImbalance(const BlockConfig& vit, double images_per_gpu, int gpus) {
  if (images_per_gpu <= 0) return 1.0;
  const double cv = vit.image_tokens_cv;
  if (vit.plan.balancing != Balancing::kNone) return 1.0 + (1.0 + cv * cv) / images_per_gpu;
  const double z = std::sqrt(2.0 * std::log(std::max(2, gpus)));
  return 1.0 + z * cv / std::sqrt(images_per_gpu);
}

// Expected slowest of `n` draws from the empirical distribution `samples` (equal weights).
double ExpectedMaxOf(std::vector<double> samples, int64_t n) {
  std::sort(samples.begin(), samples.end());
  const double count = static_cast<double>(samples.size());
  double expected = 0, f_prev = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const double f = std::pow(static_cast<double>(i + 1) / count, static_cast<double>(n));
    expected += samples[i] * (f - f_prev);
    f_prev = f;
  }
  return expected;
}

// Pipelines (pp > 1): a heavy microbatch also stalls the stages around it, so the worker's step
// is replayed with drawn per-microbatch work (the synthesiser's draw: one sample kind per
// microbatch, fixed seed) kSampleTrials times, and the expected slowest of the DP workers is
// taken from that distribution.
double PipelineSlowestStep(const StepGraph& graph, const StepCosts& costs,
                           const std::vector<double>& work, const std::vector<double>& weights,
                           int dp) {
  constexpr int kSampleTrials = 256;
  std::mt19937_64 rng(19);
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  std::vector<double> factor(static_cast<size_t>(costs.microbatches));
  std::vector<double> steps;
  for (int trial = 0; trial < kSampleTrials; ++trial) {
    for (double& f : factor) f = work[static_cast<size_t>(pick(rng))];
    steps.push_back(SimulateStep(graph, [&](const StepOp& op) {
                      const bool compute = IsComputeOp(op.type);
                      return costs.Seconds(op) *
                             (compute ? factor[static_cast<size_t>(op.microbatch)] : 1.0);
                    }).step_s);
  }
  return ExpectedMaxOf(std::move(steps), dp);
}

// Variable-length data (a DiT's video/image mix): each DP worker draws its microbatches' samples
// and the step waits for the worker with the most work (the gradient reduce is a barrier), as the
// trace synthesiser draws them. pp = 1: analytic, the slowest worker's expected summed work
// (model_math.h, exact distribution) over the mean, times forward+backward per microbatch.
// pp > 1: the same draw replayed on the step graph (PipelineSlowestStep).
void AddSampleWait(const BlockConfig& main, int64_t microbatches, int dp, const StepGraph* graph,
                   const StepCosts& costs, Prediction* out) {
  out->step_time_s = out->step_time_balanced_s;
  std::vector<double> weights;
  const std::vector<double> work = SampleWorkShares(main, &weights);
  if (work.size() < 2 || microbatches <= 0) return;
  std::string how = "exact distribution of the mix";
  if (costs.pp > 1) {
    TS_CHECK(graph != nullptr, "pipeline sample wait needs the step graph");
    const double slowest = PipelineSlowestStep(*graph, costs, work, weights, dp);
    out->sample_wait_s = std::max(0.0, slowest - out->step_time_balanced_s);
    how = "step graph replayed with 256 drawn mixes";
  } else {
    const double slowest = ExpectedSlowestWork(work, weights, microbatches, dp);
    const double per_microbatch = costs.fwd_s[0] + costs.bwd_s[0];
    out->sample_wait_s =
        std::max(0.0, slowest - static_cast<double>(microbatches)) * per_microbatch;
  }
  out->step_time_s += out->sample_wait_s;
  out->notes.push_back(
      fmt::format("step {:.3f} s waits {:.3f} s for the slowest of {} workers' sample mixes ({}); "
                  "balanced {:.3f} s would save {:.1f}%",
                  out->step_time_s, out->sample_wait_s, dp, how, out->step_time_balanced_s,
                  100 * out->sample_wait_s / out->step_time_s));
}

// The replay counts op times in int64 nanoseconds; an input that makes one non-finite or beyond
// a day (an efficiency of 0, a 1e12-wide head) is refused here, naming what to check, rather
// than replayed into an overflowing sum.
Status CheckOpTimes(const StepCosts& c) {
  constexpr double kMaxOpSeconds = 86400;
  const auto bad = [](double s) { return !(s >= 0 && s <= kMaxOpSeconds); };
  double worst = 0;
  bool found = false;
  const auto check = [&](double s) {
    if (!found && bad(s)) {
      found = true;
      worst = s;
    }
  };
  for (const double s : {c.vision_fwd_s, c.vision_bwd_s, c.vision_grad_s, c.p2p_s, c.param_gather_s,
                         c.grad_sync_s, c.embedding_s, c.latency_s, c.optimizer_s}) {
    check(s);
  }
  for (const auto* list : {&c.fwd_s, &c.bwd_s, &c.wgrad_s}) {
    for (const double s : *list) check(s);
  }
  if (!found) return OkStatus();
  return InvalidArgumentError(
      "a step op would take {} s (allowed 0 to {} s): check the cluster's efficiencies and "
      "bandwidths and the model's widths",
      worst, kMaxOpSeconds);
}

// The host side of MoE layers (dropless token-count syncs, one quantize and GEMM launch per
// local expert) is not modelled; the permutation kernels are (cost_model.cc). Published runs show
// how far the rest reaches: it grows with the local experts per GPU and, being host-side, weighs
// more on a faster GPU (docs/workload.md, Validation). Only H100-class rows with at most 4 local
// experts read within 7%; everywhere else the note calls the step time a lower bound and so does
// Prediction::step_time_lower_bound.
std::string MoeCaution(const BlockConfig& main, const JobConfig& job, bool* lower_bound) {
  const GpuSpec& gpu = job.cluster.gpu;
  const int local = LocalExperts(main);
  const bool dropless = main.capacity_factor <= 0;
  // The rows that read within 7%: H100-class GPUs with at most 4 local experts (dropless FP8
  // DeepSeek-V3 and Qwen3 235B), or token dropping in BF16 with 1 (Mixtral 8x22B).
  const bool like_checked_rows = gpu.peak_flops <= 1.0e15 && local <= 4;
  *lower_bound = !like_checked_rows;
  const std::string routing =
      dropless ? "dropless"
               : fmt::format("token dropping at capacity factor {:g}", main.capacity_factor);
  return fmt::format(
      "MoE: the host side of the token dispatcher and of the per-expert kernels (a launch per "
      "local expert; with dropless routing a host sync of the token counts every layer) is not "
      "modelled, and it does not shrink with a faster GPU. Published runs on H100-class "
      "GPUs: 4 local experts per GPU within 3% (DeepSeek-V3 at EP 64, Qwen3 235B-A22B at EP 32, "
      "dropless FP8), 1 within 7% (Mixtral 8x22B, token dropping, BF16); 16 read 8-13% fast "
      "with token dropping in BF16 (Qwen2-57B-A14B) and 1.5x to 4.2x fast dropless or in FP8 "
      "(Qwen3 30B-A3B, GPT-OSS 120B); DeepSeek-V3 on Blackwell 12% to 94% fast with 4 to 32 "
      "(docs/workload.md). This job: {} local expert{} per GPU, {}, {}, on {}{}",
      local, local == 1 ? "" : "s", routing, job.system.fp8_gemm ? "FP8" : "BF16", gpu.name,
      like_checked_rows ? " (as the rows that read within 7%)"
                        : ": treat the step time as a lower bound");
}

// Layers that do not divide over the virtual pipeline stages: the first stages take one more
// (step_costs.cc), and the step is paced by them. Megatron-LM splits evenly unless told where
// the extra layers go (--decoder-first-pipeline-num-layers, a custom pipeline layout), so the
// split the prediction used is stated, not implied.
void AddLayerSplit(const BlockConfig& main, const StepShape& shape, Prediction* out) {
  const int stages = shape.schedule == StepSchedule::kDualPipe ? shape.pp : shape.pp * shape.vpp;
  if (stages <= 1 || main.layers % stages == 0) return;
  const int base = main.layers / stages, extra = main.layers % stages;
  out->assumptions.push_back(
      {"parallel.layer_split",
       fmt::format("{} x {} layers, {} x {}", extra, base + 1, stages - extra, base),
       fmt::format("{} layers over {} pipeline stages: the first stages hold the extra layers and "
                   "pace the step; other placements (Megatron's "
                   "--decoder-first-pipeline-num-layers) are not modelled",
                   main.layers, stages)});
}

// What the cost model leaves out for this job, said next to its numbers.
void AddModelCautions(const JobConfig& job, const BlockConfig& main, Prediction* out) {
  const GpuSpec& gpu = job.cluster.gpu;
  if (!gpu.efficiency_caution.empty() && !gpu.efficiencies_stated) {
    out->notes.push_back(fmt::format("{}: compute efficiencies are {}; {}", gpu.name,
                                     gpu.efficiency_basis, gpu.efficiency_caution));
  }
  if (main.kind == BlockKind::kMoe) {
    out->notes.push_back(MoeCaution(main, job, &out->step_time_lower_bound));
  }
  if (job.system.elementwise == Elementwise::kHfEager && main.plan.recompute != Recompute::kFull) {
    // The memory model counts the tensors Megatron's fused kernels keep; autograd through the
    // eager chains also keeps their intermediates (LlamaRMSNorm's fp32 input, rotary and SiLU
    // products), which only full recompute (gradient checkpointing) discards.
    out->memory_lower_bound = true;
    out->notes.push_back(
        "elementwise hf_eager without full recompute: eager modules keep more activations than the "
        "memory model counts (fp32 norm inputs, rotary and SiLU intermediates): memory per GPU "
        "is a lower bound");
  }
}

// Defaults that matter only for the layout predicted: listed here rather than when the config is
// read, so a layout a sweep or a flag sets (EP turned on) lists them too.
void AddLayoutAssumptions(const JobConfig& job, Prediction* out) {
  for (size_t i = 0; i < job.blocks.size(); ++i) {
    const ParallelPlan& plan = job.blocks[i].plan;
    if (plan.ep > 1 && !plan.ep_layout_given) {
      out->assumptions.push_back(
          {fmt::format("blocks[{}].parallel.ep_layout", i), "consecutive",
           "Megatron Core's expert grid: an EP group is ep consecutive ranks (across_replicas: "
           "one per DP replica, as frameworks that nest EP in DP)"});
    }
  }
}

// MFU, throughput and the whole-job budget from the step time.
void AddRates(const JobConfig& job, Prediction* out) {
  const double capacity = out->step_time_s * job.cluster.gpus * job.cluster.gpu.peak_flops;
  out->mfu = out->model_flops / capacity;
  out->mfu_causal = out->model_flops_causal / capacity;
  out->mfu_balanced = out->model_flops /
                      (out->step_time_balanced_s * job.cluster.gpus * job.cluster.gpu.peak_flops);
  out->hfu = out->hardware_flops / capacity;
  out->tokens_per_s = out->tokens_per_step / out->step_time_s;
  out->tflops_per_gpu = out->model_flops / out->step_time_s / job.cluster.gpus / 1e12;
  if (job.training.tokens_total > 0) {
    out->has_budget = true;
    out->tokens_total = job.training.tokens_total;
    out->steps_total = job.training.tokens_total / out->tokens_per_step;
    out->gpu_hours = out->steps_total * out->step_time_s * job.cluster.gpus / 3600 /
                     job.training.effective_time_ratio;
    out->calendar_days = out->gpu_hours / job.cluster.gpus / 24;
  }
  if (!out->fits) {
    out->notes.push_back(fmt::format("does not fit: {:.1f} GB needed, {:.1f} GB on the GPU",
                                     out->memory.total / 1e9, job.cluster.gpu.hbm_bytes / 1e9));
  }
}

// DualPipe runs half the microbatches from each end, DualPipeV turns every microbatch on the last
// rank: both need at least 2 pp per step, DualPipe an even count. The count is known only here
// (global_batch_tokens rounds to it), so the error names the batch field that gave it, the one
// condition broken and the nearest global_batch that runs.
Status CheckScheduleMicrobatches(const JobConfig& job, int64_t m, int64_t per_step) {
  const ParallelPlan& plan = job.blocks[static_cast<size_t>(MainBlockIndex(job))].plan;
  const bool dualpipe = plan.schedule == PpSchedule::kDualPipe;
  if (!dualpipe && plan.schedule != PpSchedule::kDualPipeV) return OkStatus();
  const int64_t least = 2 * static_cast<int64_t>(plan.pp);
  if (m >= least && (!dualpipe || m % 2 == 0)) return OkStatus();
  const int64_t fix = std::max(least, dualpipe ? m + m % 2 : m);
  const bool tokens = job.training.global_batch <= 0;
  return InvalidArgumentError(
      "training.{}: {} gives {} microbatches per pipeline (dp {} x micro_batch {}); schedule {} "
      "needs {}at least 2 pp = {} (global_batch {} gives {})",
      tokens ? "global_batch_tokens" : "global_batch",
      tokens ? job.training.global_batch_tokens : static_cast<double>(job.training.global_batch), m,
      per_step / plan.micro_batch, plan.micro_batch, Name(plan.schedule),
      dualpipe ? "an even count of " : "", least, fix * per_step, fix);
}

}  // namespace

Result<std::pair<int64_t, int64_t>> Microbatches(const JobConfig& job) {
  const BlockConfig& main = job.blocks[static_cast<size_t>(MainBlockIndex(job))];
  const int64_t dp = DataParallelSize(main, job.cluster.gpus);
  const int64_t per_step = dp * main.plan.micro_batch;
  int64_t batch = job.training.global_batch;
  if (batch <= 0) {
    const double seq = SequenceTokens(main);
    batch = std::max<int64_t>(1, std::llround(job.training.global_batch_tokens / seq /
                                              static_cast<double>(per_step))) *
            per_step;
  }
  if (batch % per_step != 0) {
    return InvalidArgumentError("training.global_batch {} not a multiple of dp {} x micro_batch {}",
                                batch, dp, main.plan.micro_batch);
  }
  if (Status s = CheckScheduleMicrobatches(job, batch / per_step, per_step); !s.ok()) {
    return s.WithPrefix(job.source);
  }
  return std::make_pair(batch / per_step, batch);
}

Result<const StepGraph*> Planner::Graph(const StepShape& shape) {
  TS_ASSIGN_OR_RETURN(StepReplayer * r, Replayer(shape));
  return &r->step();
}

Result<StepReplayer*> Planner::Replayer(const StepShape& shape) {
  for (const CachedGraph& g : graphs_) {
    if (g.graph->shape == shape) return g.replayer.get();
  }
  TS_ASSIGN_OR_RETURN(StepGraph built, BuildStepGraph(shape));
  if (graphs_.size() >= 64) graphs_.erase(graphs_.begin());
  CachedGraph entry;
  entry.graph = std::make_unique<StepGraph>(std::move(built));
  entry.replayer = std::make_unique<StepReplayer>(*entry.graph);
  graphs_.push_back(std::move(entry));
  return graphs_.back().replayer.get();
}

Result<Prediction> Planner::Predict(const JobConfig& job, PlanDetail* detail) {
  const int main_index = MainBlockIndex(job);
  if (main_index < 0 || !job.blocks[static_cast<size_t>(main_index)].plan.recompute_to_fit) {
    return PredictAsGiven(job, detail);
  }
  // The fewest block-recomputed layers per rank that fit (memory falls as they grow).
  JobConfig fitted = job;
  ParallelPlan& plan = fitted.blocks[static_cast<size_t>(main_index)].plan;
  plan.recompute_to_fit = false;
  const int layers = job.blocks[static_cast<size_t>(main_index)].layers;
  const int most = (layers + plan.pp - 1) / plan.pp;
  // Memory does not depend on the step replay: the search sizes layouts only, and the one it
  // settles on is predicted in full (a sweep replays each layout once).
  Result<Prediction> sized = PredictAsGiven(fitted, nullptr, /*memory_only=*/true);
  if (sized.ok() && !sized->fits && plan.recompute_layers < most) {
    // Only the main block's memory moves with k: find the first k that fits from its memory
    // alone, then size that layout in full (and step on if rounding disagrees).
    const BlockConfig& main = fitted.blocks[static_cast<size_t>(main_index)];
    const auto main_live = [&]() {
      const MemoryBreakdown m = BlockMemory(main, fitted, sized->microbatches);
      return m.weights + m.grads + m.optimizer + m.activations + m.logits;
    };
    const double scale = 1 + fitted.system.fragmentation;
    const double others = sized->memory.total / scale - main_live();
    int k = plan.recompute_layers;
    while (k < most && (others + main_live()) * scale > fitted.cluster.gpu.hbm_bytes) {
      plan.recompute_layers = ++k;
    }
    for (; k <= most; ++k) {
      plan.recompute_layers = k;
      sized = PredictAsGiven(fitted, nullptr, /*memory_only=*/true);
      if (!sized.ok() || sized->fits) break;
    }
  }
  Result<Prediction> best = PredictAsGiven(fitted, detail);
  if (best.ok()) {
    best->notes.push_back(fmt::format(
        "recompute_to_fit: {} layer(s) per pipeline rank recomputed in full on top of '{}' ({})",
        plan.recompute_layers, Name(plan.recompute), best->fits ? "fits" : "still does not fit"));
    best->assumptions.push_back({"parallel.recompute_layers", std::to_string(plan.recompute_layers),
                                 "fewest block-recomputed layers per rank that fit"});
  }
  return best;
}

Result<Prediction> Planner::PredictAsGiven(const JobConfig& job, PlanDetail* detail,
                                           bool memory_only) {
  Prediction out;
  out.name = job.name;
  out.gpus = job.cluster.gpus;
  out.assumptions = job.assumed;
  AddLayoutAssumptions(job, &out);
  out.effective_time_ratio = job.training.effective_time_ratio;
  const int main_index = MainBlockIndex(job);
  const BlockConfig& main = job.blocks[static_cast<size_t>(main_index)];
  const ParallelPlan& plan = main.plan;
  TS_ASSIGN_OR_RETURN(auto mb_batch, Microbatches(job));
  out.microbatches = mb_batch.first;
  out.global_batch = mb_batch.second;
  out.dp = DataParallelSize(main, job.cluster.gpus);
  const double seq = SequenceTokens(main);
  out.tokens_per_step = static_cast<double>(out.global_batch) * seq;
  if (job.training.global_batch <= 0) {
    out.notes.push_back(fmt::format(
        "global batch {} sequences ({:.3g} tokens) realised from {:.3g} requested tokens",
        out.global_batch, out.tokens_per_step, job.training.global_batch_tokens));
  }

  // Per block: counts, FLOPs and memory.
  const BlockConfig* vision = nullptr;
  BlockTiming vision_timing;
  double vision_imbalance = 1.0;
  for (size_t i = 0; i < job.blocks.size(); ++i) {
    const BlockConfig& b = job.blocks[i];
    BlockSummary s;
    s.name = b.name;
    s.kind = b.kind;
    s.frozen = b.frozen;
    s.params = CountParams(b);
    if (b.kind == BlockKind::kVit) {
      // Visual LLM tokens x pooling^2 ViT tokens, spread over every GPU.
      s.tokens_per_step = out.tokens_per_step * b.visual_token_share * b.pooling * b.pooling;
      const double per_gpu = s.tokens_per_step / job.cluster.gpus;
      vision = &b;
      vision_timing = ComputeBlockTiming(b, job, per_gpu);
      vision_imbalance = VisionImbalance(
          b, per_gpu / static_cast<double>(b.image_vit_tokens),
          b.plan.balancing != Balancing::kNone ? b.plan.balancing_group : job.cluster.gpus);
      s.memory = BlockMemory(b, job, 1);
      s.memory.activations = LayerActivationBytes(b, per_gpu) * b.layers;
      s.params_on_rank = s.memory.params_on_rank;
    } else if (static_cast<int>(i) == main_index) {
      s.tokens_per_step = out.tokens_per_step;
      s.memory = BlockMemory(b, job, out.microbatches);
      s.params_on_rank = s.memory.params_on_rank;
    } else {
      s.tokens_per_step = out.tokens_per_step;
      s.memory = BlockMemory(b, job, out.microbatches);
      s.params_on_rank = s.memory.params_on_rank;
    }
    s.flops = BlockStepFlops(b, s.tokens_per_step, UpstreamTrainable(job, b), b.flash_attention);
    out.params_total += s.params.total;
    out.params_active += s.params.active;
    out.params_per_rank += s.params_on_rank;
    out.model_flops += s.flops.model_full;
    out.model_flops_causal += s.flops.model_causal;
    out.hardware_flops += s.flops.hardware;
    MemoryBreakdown& m = out.memory;
    m.weights += s.memory.weights;
    m.grads += s.memory.grads;
    m.optimizer += s.memory.optimizer;
    m.activations += s.memory.activations;
    m.logits += s.memory.logits;
    m.params_on_rank += s.memory.params_on_rank;
    if (static_cast<int>(i) == main_index) m.worst_stage = s.memory.worst_stage;
    out.blocks.push_back(std::move(s));
  }
  MemoryBreakdown& m = out.memory;
  m.buffers = job.system.comm_buffer_bytes;
  const double live = m.weights + m.grads + m.optimizer + m.activations + m.logits + m.buffers;
  m.fragmentation = live * job.system.fragmentation;
  m.total = live + m.fragmentation;
  out.memory_per_gpu_bytes = m.total;
  out.hbm_bytes = job.cluster.gpu.hbm_bytes;
  out.fits = m.total <= job.cluster.gpu.hbm_bytes;
  if (memory_only) return out;

  // Per-op costs of the main block and the replayed step.
  BlockTiming t = ComputeBlockTiming(main, job, seq * plan.micro_batch);
  AddStepComm(main, job, out.microbatches, &t);
  out.comm = t.comm;
  const StepShape shape = StepShapeOf(plan, static_cast<int>(out.microbatches));
  const StepCosts costs = MakeStepCosts(job, t, vision, vision_timing, vision_imbalance, shape);
  if (Status times = CheckOpTimes(costs); !times.ok()) return times.WithPrefix(job.source);
  // The balanced step through the schedule's steady state (schedule.h: exact to the ns).
  const OpDuration duration = [&](const StepOp& op) { return costs.Seconds(op); };
  StepReplay replay;
  if (full_replay_) {
    Result<const StepGraph*> full = Graph(shape);
    if (!full.ok()) return full.error().WithPrefix(job.source);
    replay = SimulateStep(**full, duration);
  } else {
    Result<StepReplay> replayed =
        ReplaySteadyState(shape, duration, [this](const StepShape& s) { return Replayer(s); },
                          nullptr, &graph_free_);
    if (!replayed.ok()) return replayed.error().WithPrefix(job.source);  // e.g. too large a step
    replay = *replayed;
  }
  out.step_time_balanced_s = replay.step_s;
  const StepGraph* graph = nullptr;
  if (costs.pp > 1 && main.kind == BlockKind::kDit && main.samples.size() >= 2) {
    TS_ASSIGN_OR_RETURN(graph, Graph(shape));  // the sample draw replays the whole step
  }
  AddSampleWait(main, out.microbatches, out.dp, graph, costs, &out);
  AddModelCautions(job, main, &out);
  AddLayerSplit(main, shape, &out);
  if (detail != nullptr) {
    detail->main_timing = t;
    detail->costs = costs;
    detail->shape = shape;
  }
  out.compute_s = replay.compute_busy_s + out.sample_wait_s;
  out.bubble_fraction = out.step_time_s > 0 ? 1 - out.compute_s / out.step_time_s : 0;
  AddRates(job, &out);
  return out;
}

Result<Prediction> Predict(const JobConfig& job) {
  Planner planner;
  return planner.Predict(job);
}

double ImpliedMfu(const Prediction& p, const JobConfig& job, double published_gpu_hours) {
  if (p.tokens_per_step <= 0 || published_gpu_hours <= 0) return 0;
  const double flops = p.model_flops / p.tokens_per_step * job.training.tokens_total;
  return flops / (published_gpu_hours * 3600 * job.cluster.gpu.peak_flops);
}

}  // namespace trainscope::workload
