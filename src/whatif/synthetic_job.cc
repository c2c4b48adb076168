// SPDX-License-Identifier: Apache-2.0
// GenerateSyntheticJob: explicit 1F1B schedule graph, replay, rows.
#include "whatif/synthetic_job.h"

#include <random>

#include "graph/simulator.h"

namespace trainscope::whatif {
namespace {

struct Row {
  OpKind kind;
  int32_t dp, stage, seq, mb;
  int64_t transfer;  // simulated duration (transfer for comm)
};

}  // namespace

Result<OpJob> GenerateSyntheticJob(const SyntheticJobSpec& spec, graph::RawGraph* schedule) {
  const int32_t D = spec.dp, P = spec.pp, M = spec.microbatches;
  if (D < 1 || P < 1 || M < 1 || spec.steps < 1)
    return InvalidArgumentError("synthetic job: sizes must be >= 1");
  if (!spec.worker_factor.empty() && static_cast<int32_t>(spec.worker_factor.size()) != D * P)
    return InvalidArgumentError("synthetic job: worker_factor needs dp*pp entries");
  if (!spec.stage_fwd_factor.empty() && static_cast<int32_t>(spec.stage_fwd_factor.size()) != P)
    return InvalidArgumentError("synthetic job: stage_fwd_factor needs pp entries");
  std::mt19937_64 rng(spec.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  graph::GraphBuilder b;
  std::vector<Row> rows;
  std::vector<int32_t> row_step;
  auto add = [&](int32_t step, int32_t d, int32_t s, OpKind kind, int32_t seq, int32_t mb,
                 int64_t dur) {
    rows.push_back({kind, d, s, seq, mb, dur});
    row_step.push_back(step);
    return b.AddNode(d * P + s, 0, step);
  };
  const bool use_dp = D > 1;
  for (int32_t step = 0; step < spec.steps; ++step) {
    std::vector<double> mb_factor(static_cast<size_t>(D) * M, 1.0);
    for (double& f : mb_factor) f = 1 + spec.microbatch_noise * unit(rng);
    // Per worker: node ids of each kind by microbatch / position.
    std::vector<std::vector<graph::NodeId>> F(D * P), B(D * P), fs(D * P), fr(D * P), bs(D * P),
        br(D * P);
    std::vector<graph::NodeId> ag(D * P, -1), rs(D * P, -1), emb(D * P, -1), clip(D * P, -1);
    for (int32_t d = 0; d < D; ++d) {
      for (int32_t s = 0; s < P; ++s) {
        const int32_t w = d * P + s;
        const double wf = spec.worker_factor.empty() ? 1.0 : spec.worker_factor[w];
        const double sf = spec.stage_fwd_factor.empty() ? 1.0 : spec.stage_fwd_factor[s];
        auto noisy = [&](double base) {
          return static_cast<int64_t>(base * (1 + spec.op_noise * (2 * unit(rng) - 1)));
        };
        for (int32_t k = 0; k < M; ++k) {
          double mf = mb_factor[d * M + k];
          F[w].push_back(add(step, d, s, OpKind::kForwardCompute, k, k,
                             noisy(static_cast<double>(spec.fwd_ns) * wf * sf * mf)));
          B[w].push_back(add(step, d, s, OpKind::kBackwardCompute, k, k,
                             noisy(static_cast<double>(spec.fwd_ns) * spec.bwd_factor * wf * mf)));
          if (s > 0) fr[w].push_back(add(step, d, s, OpKind::kForwardRecv, k, -1, spec.p2p_ns));
          if (s > 0) bs[w].push_back(add(step, d, s, OpKind::kBackwardSend, k, -1, spec.p2p_ns));
          if (s < P - 1) fs[w].push_back(add(step, d, s, OpKind::kForwardSend, k, -1, spec.p2p_ns));
          if (s < P - 1)
            br[w].push_back(add(step, d, s, OpKind::kBackwardRecv, k, -1, spec.p2p_ns));
        }
        // 1F1B compute order.
        const int32_t warm = std::min(P - 1 - s, M);
        std::vector<graph::NodeId> order;
        for (int32_t k = 0; k < warm; ++k) order.push_back(F[w][k]);
        for (int32_t k = 0; k < M - warm; ++k) {
          order.push_back(F[w][warm + k]);
          order.push_back(B[w][k]);
        }
        for (int32_t k = M - warm; k < M; ++k) order.push_back(B[w][k]);
        for (size_t k = 1; k < order.size(); ++k) b.AddEdge(order[k - 1], order[k]);
        for (int32_t k = 0; k < M; ++k) {
          if (s > 0) {
            b.AddEdge(fr[w][k], F[w][k]);
            if (k > 0) b.AddEdge(F[w][k - 1], fr[w][k]), b.AddEdge(fr[w][k - 1], fr[w][k]);
            b.AddEdge(B[w][k], bs[w][k]);
            if (k > 0) b.AddEdge(bs[w][k - 1], bs[w][k]);
          }
          if (s < P - 1) {
            b.AddEdge(F[w][k], fs[w][k]);
            if (k > 0) b.AddEdge(fs[w][k - 1], fs[w][k]);
            b.AddEdge(br[w][k], B[w][k]);
            if (k > 0) b.AddEdge(B[w][k - 1], br[w][k]), b.AddEdge(br[w][k - 1], br[w][k]);
          }
        }
        if (warm >=
            1) {  // first backward send/recv after the forward two before the first backward
          graph::NodeId two_before = order[warm - 1];
          if (s < P - 1) b.AddEdge(two_before, br[w][0]);
          if (s > 0) b.AddEdge(two_before, bs[w][0]);
        }
        // Step tail.
        graph::NodeId gc = add(step, d, s, OpKind::kGc, 0, -1, spec.gc_ns);
        b.AddEdge(order.back(), gc);
        graph::NodeId ln =
            add(step, d, s, OpKind::kLayernormGradsAllReduce, 0, -1, spec.layernorm_ns);
        b.AddEdge(gc, ln);
        graph::NodeId prev = ln;
        if (s == 0 || s == P - 1) {
          emb[w] = add(step, d, s, OpKind::kEmbeddingGradsAllReduce, 0, -1, spec.embedding_ns);
          b.AddEdge(prev, emb[w]);
          prev = emb[w];
        }
        if (use_dp) {
          ag[w] = add(step, d, s, OpKind::kParamsAllGather, 0, -1, spec.all_gather_ns);
          b.AddEdge(ag[w], F[w][0]);
          rs[w] = add(step, d, s, OpKind::kGradsReduceScatter, 0, -1, spec.reduce_scatter_ns);
          b.AddEdge(ag[w], rs[w]);
          b.AddEdge(prev, rs[w]);
          prev = rs[w];
        }
        clip[w] = add(step, d, s, OpKind::kOptimizerClipMainGrad, 0, -1, spec.clip_ns);
        b.AddEdge(prev, clip[w]);
        graph::NodeId opt = add(step, d, s, OpKind::kOptimizer, 0, -1, spec.optimizer_ns);
        b.AddEdge(clip[w], opt);
      }
    }
    // Collectives: p2p pairs, embedding (first + last stage), DP all-gather / reduce-scatter, clip.
    std::vector<graph::NodeId> members;
    for (int32_t d = 0; d < D; ++d) {
      for (int32_t s = 0; s + 1 < P; ++s) {
        for (int32_t k = 0; k < M; ++k) {
          members = {fs[d * P + s][k], fr[d * P + s + 1][k]};
          b.AddCollective(members);
          members = {br[d * P + s][k], bs[d * P + s + 1][k]};
          b.AddCollective(members);
        }
      }
      members = {emb[d * P]};
      if (P > 1) members.push_back(emb[d * P + P - 1]);
      b.AddCollective(members);
    }
    for (int32_t s = 0; s < P && use_dp; ++s) {
      for (auto* v : {&ag, &rs}) {
        members.clear();
        for (int32_t d = 0; d < D; ++d) members.push_back((*v)[d * P + s]);
        b.AddCollective(members);
      }
    }
    b.AddCollective(clip);
  }
  TS_ASSIGN_OR_RETURN(graph::DepGraph g, b.Build());
  const size_t n = rows.size();
  std::vector<int64_t> dur(n), delay(n, 0), start(n), end(n), step_end(spec.steps);
  for (size_t i = 0; i < n; ++i) dur[i] = rows[i].transfer;
  if (spec.gaps_per_step > 0 && !spec.gap_workers.empty()) {
    std::vector<std::vector<std::vector<int32_t>>> computes(
        spec.steps, std::vector<std::vector<int32_t>>(D * P));
    for (size_t i = 0; i < n; ++i)
      if (IsComputeKind(rows[i].kind))
        computes[row_step[i]][rows[i].dp * P + rows[i].stage].push_back(static_cast<int32_t>(i));
    for (int32_t step = 0; step < spec.steps; ++step) {
      for (int32_t k = 0; k < spec.gaps_per_step; ++k) {
        const auto& ops = computes[step][spec.gap_workers[rng() % spec.gap_workers.size()]];
        delay[ops[rng() % ops.size()]] += spec.gap_ns;
      }
    }
  }
  graph::Simulator sim(g);
  sim.Run(dur, delay, step_end, start, end);
  OpJob job;
  job.name = "synthetic";
  job.dp_size = D;
  job.pp_size = P;
  job.world_size = D * P;
  for (size_t i = 0; i < n; ++i) {
    const Row& r = rows[i];
    const bool compute = IsComputeKind(r.kind);
    job.kind.push_back(r.kind);
    job.dp_rank.push_back(r.dp);
    job.stage.push_back(r.stage);
    job.rank.push_back(r.stage * D + r.dp);
    job.step.push_back(row_step[i]);
    job.seq_id.push_back(r.seq);
    job.mc.push_back(compute || r.kind == OpKind::kParamsAllGather ||
                             r.kind == OpKind::kGradsReduceScatter
                         ? 0
                         : -1);
    job.mb_id.push_back(compute ? r.mb : -1);
    job.gmc.push_back(compute ? r.stage : -1);
    job.start_ns.push_back(start[i]);
    job.dur_ns.push_back(end[i] - start[i]);
  }
  if (schedule != nullptr) *schedule = b.raw();
  return job;
}

}  // namespace trainscope::whatif
