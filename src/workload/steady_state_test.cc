// SPDX-License-Identifier: Apache-2.0
// ReplaySteadyState (schedule.h) against the brute-force reference, the full step graph replayed
// by SimulateStep, on a grid of pipeline shapes with random per-op costs (StepCosts' duration
// function: non-uniform stages, p2p, DP gathers and reduces, vision edges, tail); and against the
// closed-form 1F1B / interleaved bubble where the stages are uniform and transfers free.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "support/status_matchers.h"
#include "workload/config_io.h"
#include "workload/pipeline_replay.h"
#include "workload/predictor.h"
#include "workload/schedule.h"
#include "workload/step_costs.h"

namespace trainscope::workload {
namespace {

// Replayers built on demand and kept, as the Planner does.
class ReplayerCache {
 public:
  Result<StepReplayer*> Get(const StepShape& s) {
    const auto key = std::tuple{s.pp, s.vpp, s.microbatches, s.dp, s.dp_overlap};
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second.second.get();
    TS_ASSIGN_OR_RETURN(StepGraph g, BuildStepGraph(s));
    auto graph = std::make_unique<StepGraph>(std::move(g));
    auto replayer = std::make_unique<StepReplayer>(*graph);
    StepReplayer* out = replayer.get();
    cache_.emplace(key, std::pair{std::move(graph), std::move(replayer)});
    return out;
  }

 private:
  std::map<std::tuple<int, int, int, int, bool>,
           std::pair<std::unique_ptr<StepGraph>, std::unique_ptr<StepReplayer>>>
      cache_;
};

// Uniform interior stages with heavier first and last virtual stages (embedding, head), or every
// virtual stage drawn on its own.
StepCosts RandomCosts(const StepShape& s, bool uniform_interior, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.5, 1.5), small(0.0, 0.2);
  StepCosts c;
  c.pp = s.pp;
  c.vpp = s.vpp;
  c.microbatches = s.microbatches;
  const double f = 1e-3 * u(rng), b = 2e-3 * u(rng);
  for (int vs = 0; vs < s.pp * s.vpp; ++vs) {
    c.fwd_s.push_back(uniform_interior ? f : f * u(rng));
    c.bwd_s.push_back(uniform_interior ? b : b * u(rng));
  }
  c.fwd_s.front() += f * small(rng);
  c.bwd_s.front() += b * small(rng);
  c.fwd_s.back() += f * small(rng);
  c.bwd_s.back() += b * small(rng);
  c.vision_fwd_s = 1e-3 * small(rng);
  c.vision_bwd_s = 2e-3 * small(rng);
  c.vision_grad_s = 1e-3 * small(rng);
  c.p2p_s = 1e-3 * small(rng);
  c.param_gather_s = 5e-3 * u(rng);
  c.grad_sync_s = 5e-3 * u(rng);
  c.embedding_s = 1e-3 * small(rng);
  c.latency_s = 1e-5;
  c.optimizer_s = 3e-3 * u(rng);
  return c;
}

// The steady-state replay of `shape` against the brute-force reference, the full step graph
// replayed by SimulateStep: the step end to the nanosecond (durations are whole nanoseconds in
// both) and the busy time. Returns whether the extrapolation was taken.
bool ExpectEqualsFullReplay(const StepShape& shape, const StepCosts& costs, ReplayerCache& cache,
                            const std::string& label) {
  const OpDuration dur = [&](const StepOp& op) { return costs.Seconds(op); };
  Result<StepGraph> graph = BuildStepGraph(shape);
  EXPECT_TRUE(graph.ok()) << label;
  if (!graph.ok()) return false;
  const StepReplay want = SimulateStep(*graph, dur);
  // Short steps through the step graph's replayer and through the graph-free replay.
  bool extrapolated = false;
  MegatronStepReplay graph_free;
  for (MegatronStepReplay* direct : {static_cast<MegatronStepReplay*>(nullptr), &graph_free}) {
    Result<StepReplay> got = ReplaySteadyState(
        shape, dur, [&](const StepShape& s) { return cache.Get(s); }, &extrapolated, direct);
    EXPECT_TRUE(got.ok()) << label;
    if (!got.ok()) return false;
    EXPECT_EQ(std::llround(got->step_s * 1e9), std::llround(want.step_s * 1e9))
        << label << " extrapolated " << extrapolated << " graph-free " << (direct != nullptr);
    EXPECT_NEAR(got->compute_busy_s, want.compute_busy_s, 1e-12 * want.compute_busy_s) << label;
  }
  return extrapolated;
}

std::string Label(const StepShape& s) {
  return "p " + std::to_string(s.pp) + " v " + std::to_string(s.vpp) + " m " +
         std::to_string(s.microbatches) + " overlap " + std::to_string(s.dp_overlap);
}

TEST(SteadyState, MatchesFullReplayOnGrid) {
  std::mt19937_64 rng(6);
  ReplayerCache cache;
  int cases = 0, extrapolated_cases = 0;
  for (int p : {1, 2, 3, 4, 8}) {
    for (int v : {1, 2, 3}) {
      if (p == 1 && v > 1) continue;
      for (int m_mult : {1, 3, 7, 12, 20, 40, 64, 100}) {
        for (int extra : {0, 1}) {
          const int m = v > 1 ? m_mult * p : m_mult * p + extra;  // extra: 1F1B, m % p != 0
          for (bool overlap : {true, false}) {
            const StepShape shape{p, v, m, 1, overlap};
            const StepCosts costs = RandomCosts(shape, extra == 0, rng);
            extrapolated_cases += ExpectEqualsFullReplay(shape, costs, cache, Label(shape)) ? 1 : 0;
            ++cases;
          }
        }
      }
    }
  }
  // The grid must exercise the extrapolation, not only the fallback.
  EXPECT_GT(extrapolated_cases, cases / 4) << extrapolated_cases << " of " << cases;
}

// The step end held by non-pipeline ops: a params all-gather (with the DP chain behind it) longer
// than the whole pipeline. The bound on non-pipeline paths cannot rule that out, so the M - q
// replay decides; the step must still equal the full replay, for gathers from negligible to
// dominant (the crossing, where the tail switches from the pipeline to the DP chain, included).
TEST(SteadyState, TailHeldByTheDpChainEqualsFullReplay) {
  std::mt19937_64 rng(19);
  ReplayerCache cache;
  for (auto [p, v, m] : {std::tuple{4, 1, 300}, {4, 2, 400}, {8, 3, 512}}) {
    for (double gather_s : {1e-4, 0.5, 1.0, 1.5, 2.0, 3.0, 50.0}) {
      const StepShape shape{p, v, m, 1, true};
      StepCosts costs = RandomCosts(shape, true, rng);
      costs.param_gather_s = gather_s;
      ExpectEqualsFullReplay(shape, costs, cache, Label(shape) + " gather " + std::to_string(gather_s));
    }
  }
}

// Random shapes (pp 1-16, vpp 1-4, up to 700 microbatches) and costs (free transfers, DP
// reduce-scatters or gathers a thousand times a microbatch): always the full replay's step.
TEST(SteadyState, RandomShapesEqualFullReplay) {
  std::mt19937_64 rng(123);
  int extrapolated_cases = 0;
  constexpr int kCases = 100;
  for (int i = 0; i < kCases; ++i) {
    const int p = 1 + static_cast<int>(rng() % 16);
    const int v = p == 1 ? 1 : 1 + static_cast<int>(rng() % 4);
    const int m = v > 1 ? p * (1 + static_cast<int>(rng() % 120))
                        : 1 + static_cast<int>(rng() % 700);
    const StepShape shape{p, v, m, 1, (rng() & 1) != 0};
    StepCosts costs = RandomCosts(shape, (rng() & 1) != 0, rng);
    if (rng() % 4 == 0) costs.p2p_s = 0;
    if (rng() % 4 == 0) costs.grad_sync_s *= 1000.0 * static_cast<double>(rng() % 3);
    if (rng() % 5 == 0) costs.param_gather_s *= 1000;
    ReplayerCache cache;
    extrapolated_cases += ExpectEqualsFullReplay(shape, costs, cache, Label(shape)) ? 1 : 0;
  }
  EXPECT_GT(extrapolated_cases, kCases / 2);
}

// Uniform stages, free transfers, no DP or tail cost: the closed forms
// (m + p - 1)(f + b) for 1F1B and (v m + p - 1)(f + b) per chunk when interleaved (Narayanan et
// al. 2021, section 2.2), on long steps that take the extrapolated path.
TEST(SteadyState, UniformStagesFollowTheClosedForm) {
  ReplayerCache cache;
  for (auto [p, v, m] : {std::tuple{4, 1, 257}, {8, 1, 1024}, {8, 3, 768}, {16, 2, 1536}}) {
    const double f = 1e-3, b = 2e-3;  // per chunk
    const OpDuration dur = [&](const StepOp& op) {
      if (op.type == StepOpType::kForward) return f;
      if (op.type == StepOpType::kBackward) return b;
      return 0.0;
    };
    bool extrapolated = false;
    ASSERT_OK_AND_ASSIGN(StepReplay got,
                         ReplaySteadyState(
                             {p, v, m, 1, true}, dur,
                             [&](const StepShape& s) { return cache.Get(s); }, &extrapolated));
    EXPECT_TRUE(extrapolated) << p << " " << v << " " << m;
    EXPECT_NEAR(got.step_s, (v * m + p - 1) * (f + b), 1e-9) << p << " " << v << " " << m;
    EXPECT_NEAR(got.compute_busy_s, v * m * (f + b), 1e-9);
  }
}

// The graph-free replay (pipeline_replay.h) against the full step graph replayed by
// SimulateStep, op rule for op rule: the step end to the nanosecond and every stage's busy time,
// on random shapes (1F1B with fewer microbatches than stages included) and costs (transfers from
// free to longer than a microbatch, DP gathers and reduce-scatters up to a thousand microbatches,
// DP comm overlapped or not), with one replay object reused across them as a sweep does.
TEST(GraphFreeReplay, EqualsFullReplayOfTheStepGraph) {
  std::mt19937_64 rng(2026);
  MegatronStepReplay direct;
  constexpr int kCases = 400;
  for (int i = 0; i < kCases; ++i) {
    const int p = 1 + static_cast<int>(rng() % 16);
    const int v = 1 + static_cast<int>(rng() % 4);
    const int m = v > 1 ? p * (1 + static_cast<int>(rng() % 12)) : 1 + static_cast<int>(rng() % 80);
    const StepShape shape{p, v, m, 1, (rng() & 1) != 0};
    StepCosts costs = RandomCosts(shape, (rng() & 1) != 0, rng);
    switch (rng() % 5) {
      case 0: costs.p2p_s = 0; break;
      case 1: costs.p2p_s = 5e-3; break;  // transfers longer than a microbatch's compute
      case 2: costs.grad_sync_s *= 1000; break;
      case 3: costs.param_gather_s *= 1000; break;
      default: break;
    }
    const OpDuration dur = [&](const StepOp& op) { return costs.Seconds(op); };
    ASSERT_OK_AND_ASSIGN(StepGraph graph, BuildStepGraph(shape));
    std::vector<int64_t> ns(graph.ops.size());
    std::vector<int64_t> busy(static_cast<size_t>(p), 0);
    for (size_t n = 0; n < graph.ops.size(); ++n) {
      ns[n] = std::llround(dur(graph.ops[n]) * 1e9);
      if (IsComputeOp(graph.ops[n].type)) busy[static_cast<size_t>(graph.ops[n].stage)] += ns[n];
    }
    const int64_t want = SimulateStepNs(graph, ns, {}, {}, {});
    ASSERT_OK_AND_ASSIGN(MegatronStepReplay::Replayed got, direct.Run(shape, dur));
    EXPECT_EQ(got.step_ns, want) << Label(shape) << " case " << i;
    EXPECT_EQ(got.busy_ns, busy) << Label(shape) << " case " << i;
  }
}

// Deep and long pipelines (pp up to 96, a few hundred microbatches): the recursion the round-by-
// round order leaves stays within its bound, and the step equals the graph's.
TEST(GraphFreeReplay, DeepLongPipelinesEqualFullReplay) {
  std::mt19937_64 rng(4242);
  MegatronStepReplay direct;
  for (auto [p, v, m] : {std::tuple{32, 1, 300}, {32, 2, 64}, {48, 3, 96}, {64, 1, 64},
                         {64, 2, 128}, {96, 1, 20}, {24, 4, 240}, {5, 7, 35}}) {
    for (bool overlap : {true, false}) {
      const StepShape shape{p, v, m, 1, overlap};
      const StepCosts costs = RandomCosts(shape, false, rng);
      const OpDuration dur = [&](const StepOp& op) { return costs.Seconds(op); };
      ASSERT_OK_AND_ASSIGN(StepGraph graph, BuildStepGraph(shape));
      const StepReplay want = SimulateStep(graph, dur);
      ASSERT_OK_AND_ASSIGN(MegatronStepReplay::Replayed got, direct.Run(shape, dur));
      EXPECT_EQ(got.step_ns, std::llround(want.step_s * 1e9)) << Label(shape);
    }
  }
}

// Steps of a length met before reuse its kept slots (8 layouts, least recently used replaced):
// ten shapes visited in turn three times with fresh costs each time, against fresh replays.
TEST(GraphFreeReplay, KeptLayoutsReplayAsFreshOnes) {
  std::mt19937_64 rng(99);
  const StepShape shapes[] = {{4, 1, 8, 1, true},   {4, 2, 8, 1, true},   {8, 1, 3, 1, false},
                              {8, 3, 16, 1, true},  {2, 1, 40, 1, true},  {16, 2, 32, 1, false},
                              {3, 2, 9, 1, true},   {5, 1, 12, 1, true},  {1, 1, 6, 1, false},
                              {8, 1, 64, 1, true}};
  MegatronStepReplay kept;
  for (int round = 0; round < 3; ++round) {
    for (const StepShape& shape : shapes) {
      const StepCosts costs = RandomCosts(shape, false, rng);
      const OpDuration dur = [&](const StepOp& op) { return costs.Seconds(op); };
      MegatronStepReplay fresh;
      ASSERT_OK_AND_ASSIGN(MegatronStepReplay::Replayed want, fresh.Run(shape, dur));
      ASSERT_OK_AND_ASSIGN(MegatronStepReplay::Replayed got, kept.Run(shape, dur));
      EXPECT_EQ(got.step_ns, want.step_ns) << Label(shape) << " round " << round;
      EXPECT_EQ(got.busy_ns, want.busy_ns) << Label(shape) << " round " << round;
    }
  }
}

// A pipeline deeper than the graph-free replay recurses (its cool-down chains every stage in one
// round) is refused by it, and ReplaySteadyState replays the step graph instead: same step.
TEST(GraphFreeReplay, DeepPipelinesFallBackToTheStepGraph) {
  std::mt19937_64 rng(7);
  const StepShape shape{600, 1, 3, 1, true};
  const StepCosts costs = RandomCosts(shape, false, rng);
  const OpDuration dur = [&](const StepOp& op) { return costs.Seconds(op); };
  MegatronStepReplay direct;
  EXPECT_FALSE(direct.Run(shape, dur).ok());
  ASSERT_OK_AND_ASSIGN(StepGraph graph, BuildStepGraph(shape));
  const StepReplay want = SimulateStep(graph, dur);
  ReplayerCache cache;
  ASSERT_OK_AND_ASSIGN(StepReplay got,
                       ReplaySteadyState(
                           shape, dur, [&](const StepShape& s) { return cache.Get(s); }, nullptr,
                           &direct));
  EXPECT_EQ(std::llround(got.step_s * 1e9), std::llround(want.step_s * 1e9));
  // The same replay object still serves the next step.
  EXPECT_TRUE(direct.Run(StepShape{8, 2, 16, 1, false}, dur).ok());
}

// What it does not replay it refuses (the step graph and its replayer take those).
TEST(GraphFreeReplay, RefusesOtherSchedulesAndReplicas) {
  MegatronStepReplay direct;
  const OpDuration dur = [](const StepOp&) { return 1e-3; };
  StepShape zb{4, 1, 8, 1, true, StepSchedule::kZeroBubbleH1};
  EXPECT_FALSE(direct.Run(zb, dur).ok());
  EXPECT_FALSE(direct.Run(StepShape{4, 1, 8, 2, true}, dur).ok());
  EXPECT_FALSE(direct.Run(StepShape{4, 2, 6, 1, true}, dur).ok());  // interleaved, m % p != 0
  EXPECT_TRUE(direct.Run(StepShape{4, 2, 8, 1, true}, dur).ok());
}

// Whole predictions: the Planner's steady-state replay against the full replay (the non-cached
// path) on the presets the sweep floor names, at long steps (extrapolated) and short ones
// (replayed whole without a graph).
TEST(SteadyState, PredictionsEqualFullReplay) {
  struct Case {
    const char* preset;
    int64_t global_batch;
    int tp, pp, vpp, gpus;
    bool long_step = true;
  };
  const Case cases[] = {{"gpt3-175b", 6144, 8, 8, 3, 64},
                        {"gpt3-175b", 6144, 4, 16, 1, 512},
                        {"llama3-405b", 16384, 8, 16, 4, 2048},
                        // Short steps: replayed whole, without a step graph.
                        {"llama3-405b", 2048, 8, 16, 4, 2048, false},
                        {"llama3-405b", 2048, 8, 8, 1, 1024, false},
                        {"gpt3-175b", 1536, 8, 16, 2, 1024, false}};
  Planner fast;
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset(c.preset));
    job.training.global_batch = c.global_batch;
    ParallelPlan& plan = job.blocks[static_cast<size_t>(MainBlockIndex(job))].plan;
    plan.tp = c.tp;
    plan.pp = c.pp;
    plan.vpp = c.vpp;
    plan.schedule = c.vpp > 1 ? PpSchedule::kInterleaved : PpSchedule::k1f1b;
    job.cluster.gpus = c.gpus;
    Planner reference;
    reference.set_full_replay(true);
    ASSERT_OK_AND_ASSIGN(Prediction want, reference.Predict(job));
    ASSERT_OK_AND_ASSIGN(Prediction got, fast.Predict(job));
    if (c.long_step) {
      EXPECT_GT(want.microbatches, 100) << c.preset;  // the extrapolated path
    }
    EXPECT_EQ(got.step_time_s, want.step_time_s) << c.preset << " tp " << c.tp << " pp " << c.pp;
    EXPECT_NEAR(got.compute_s, want.compute_s, 1e-12 * want.compute_s);
    EXPECT_EQ(got.mfu, want.mfu);
  }
}

}  // namespace
}  // namespace trainscope::workload
