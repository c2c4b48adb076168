// SPDX-License-Identifier: Apache-2.0
// Template construction of the Megatron dependency model (artifact dependency_model.py).
#include "whatif/internal/megatron_template.h"

#include <algorithm>
#include <map>
#include <string>

#include "whatif/megatron_model.h"

namespace trainscope::whatif::internal {
namespace {

// Tolerance of the tracer's clock when deciding no-op sends/recvs (the artifact's 5e-5 s).
constexpr int64_t kNoOpEpsNs = 50'000;

class Builder {
 public:
  Builder(const OpJob& job, ModelTemplate& t, int32_t pp, int32_t vpp)
      : job_(job), t_(t), pp_(pp), vpp_(vpp) {}

  int64_t Start(int32_t op) const { return job_.start_ns[t_.rows[op]]; }
  int64_t End(int32_t op) const { return job_.start_ns[t_.rows[op]] + job_.dur_ns[t_.rows[op]]; }
  OpKind Kind(int32_t op) const { return job_.kind[t_.rows[op]]; }
  int32_t Seq(int32_t op) const { return job_.seq_id[t_.rows[op]]; }
  int32_t Find(int32_t stage, OpKind kind, int32_t seq) const {
    auto it = t_.index.find(OpKey(stage, kind, seq));
    return it == t_.index.end() ? -1 : it->second;
  }
  Result<int32_t> Need(int32_t stage, OpKind kind, int32_t seq, const char* why) const {
    int32_t op = Find(stage, kind, seq);
    if (op < 0) {
      return InvalidArgumentError(
          "{}: dependency model needs {} seq {} on stage {} (dp_rank 0, first step) for {}",
          job_.name, OpKindName(kind), seq, stage, why);
    }
    return op;
  }
  void Edge(int32_t before, int32_t after) { t_.edges.emplace_back(before, after); }
  void Chain(const std::vector<int32_t>& ops) {
    for (size_t k = 1; k < ops.size(); ++k) Edge(ops[k - 1], ops[k]);
  }
  // Sorted by (start, seq_id, optype name) as the artifact does.
  void SortByStart(std::vector<int32_t>& ops) const {
    std::stable_sort(ops.begin(), ops.end(), [&](int32_t a, int32_t b) {
      if (Start(a) != Start(b)) return Start(a) < Start(b);
      if (Seq(a) != Seq(b)) return Seq(a) < Seq(b);
      return OpKindName(Kind(a)) < OpKindName(Kind(b));
    });
  }

  Status Stage(int32_t stage, const std::vector<int32_t>& ops, bool use_dp, bool overlap_dp,
               std::map<std::string, std::vector<int32_t>>& p2p_groups);

 private:
  const OpJob& job_;
  ModelTemplate& t_;
  int32_t pp_, vpp_;
};

int32_t P2pDelta(OpKind kind) {
  return (kind == OpKind::kForwardSend || kind == OpKind::kBackwardRecv) ? 1 : -1;
}

OpKind P2pPeer(OpKind kind) {
  switch (kind) {
    case OpKind::kForwardSend:
      return OpKind::kForwardRecv;
    case OpKind::kForwardRecv:
      return OpKind::kForwardSend;
    case OpKind::kBackwardSend:
      return OpKind::kBackwardRecv;
    default:
      return OpKind::kBackwardSend;
  }
}

Status Builder::Stage(int32_t stage, const std::vector<int32_t>& ops, bool use_dp, bool overlap_dp,
                      std::map<std::string, std::vector<int32_t>>& p2p_groups) {
  std::vector<int32_t> comp, comm, dp_comm;
  for (int32_t op : ops) {
    if (IsComputeKind(Kind(op))) comp.push_back(op);
    if (IsP2pKind(Kind(op))) comm.push_back(op);
    if (Kind(op) == OpKind::kParamsAllGather || Kind(op) == OpKind::kGradsReduceScatter)
      dp_comm.push_back(op);
  }
  SortByStart(comp);
  SortByStart(comm);
  SortByStart(dp_comm);
  if (comp.empty())
    return InvalidArgumentError("{}: stage {} has no forward/backward compute", job_.name, stage);

  // PP p2p: match sends/recvs with computes, find no-ops (artifact get_peer_op_and_match_compute).
  std::vector<uint8_t> no_op(comm.size(), 1);
  for (OpKind dir : {OpKind::kForwardCompute, OpKind::kBackwardCompute}) {
    const bool fwd = dir == OpKind::kForwardCompute;
    int64_t last_compute_start = INT64_MIN, first_compute_end = INT64_MAX;
    int32_t num_compute = 0;
    for (int32_t op : comp) {
      if (Kind(op) != dir) continue;
      last_compute_start = std::max(last_compute_start, Start(op));
      first_compute_end = std::min(first_compute_end, End(op));
      ++num_compute;
    }
    for (bool send : {true, false}) {
      OpKind kind = fwd ? (send ? OpKind::kForwardSend : OpKind::kForwardRecv)
                        : (send ? OpKind::kBackwardSend : OpKind::kBackwardRecv);
      auto real = [&](int32_t op) {
        return send ? End(op) >= first_compute_end - kNoOpEpsNs
                    : Start(op) <= last_compute_start + kNoOpEpsNs;
      };
      int32_t count = 0;
      for (int32_t op : comm)
        if (Kind(op) == kind && real(op)) ++count;
      int32_t compute_id = 0;
      if (count != num_compute) {
        if ((stage != 0 && stage != pp_ - 1) || (count != 0 && count + 1 != num_compute)) {
          return InvalidArgumentError(
              "{}: stage {} has {} {} ops within its compute window but {} {} ops (only the "
              "first/last stage may "
              "miss one)",
              job_.name, stage, count, OpKindName(kind), num_compute, OpKindName(dir));
        }
        if (!send && count + 1 == num_compute)
          compute_id = 1;  // missing first recv: skip its compute
      }
      for (size_t k = 0; k < comm.size(); ++k) {
        int32_t op = comm[k];
        if (Kind(op) != kind || !real(op)) continue;
        TS_ASSIGN_OR_RETURN(int32_t match, Need(stage, dir, compute_id, "p2p matching"));
        const int64_t peer_gmc = static_cast<int64_t>(job_.gmc[t_.rows[match]]) + P2pDelta(kind);
        no_op[k] = (peer_gmc >= static_cast<int64_t>(vpp_) * pp_ || peer_gmc < 0) ? 1 : 0;
        if (send) {
          Edge(match, op);  // compute -> send
        } else {
          Edge(op, match);  // recv -> compute
          if (compute_id > 0) {
            TS_ASSIGN_OR_RETURN(int32_t prev, Need(stage, dir, compute_id - 1, "p2p matching"));
            Edge(prev, op);  // previous compute -> recv
          }
        }
        ++compute_id;
      }
    }
  }
  // Pair the k-th real op of each kind with the k-th real op of its peer kind on the peer stage.
  for (OpKind kind :
       {OpKind::kForwardSend, OpKind::kForwardRecv, OpKind::kBackwardSend, OpKind::kBackwardRecv}) {
    int32_t valid = 0;
    for (size_t k = 0; k < comm.size(); ++k) {
      if (Kind(comm[k]) != kind) continue;
      if (no_op[k]) {
        t_.groups.push_back({{comm[k]}, false});
        continue;
      }
      int32_t peer_stage = (stage + P2pDelta(kind) + pp_) % pp_;
      std::string a = fmt::format("{}_{}_{}", OpKindName(kind), valid, stage);
      std::string b = fmt::format("{}_{}_{}", OpKindName(P2pPeer(kind)), valid, peer_stage);
      p2p_groups[a < b ? a + "," + b : b + "," + a].push_back(comm[k]);
      ++valid;
    }
  }
  // Streams.
  Chain(comp);
  for (OpKind kind :
       {OpKind::kForwardSend, OpKind::kForwardRecv, OpKind::kBackwardSend, OpKind::kBackwardRecv}) {
    std::vector<int32_t> stream;
    for (int32_t op : comm)
      if (Kind(op) == kind) stream.push_back(op);
    Chain(stream);
  }
  // First backward send/recv waits for the forward compute two before the first backward.
  for (size_t i = 0; i < comp.size(); ++i) {
    if (Kind(comp[i]) != OpKind::kBackwardCompute) continue;
    if (i >= 2) {
      if (Kind(comp[i - 1]) != OpKind::kForwardCompute ||
          Kind(comp[i - 2]) != OpKind::kForwardCompute) {
        return InvalidArgumentError(
            "{}: stage {}: the two computes before the first backward are not forward", job_.name,
            stage);
      }
      for (OpKind kind : {OpKind::kBackwardRecv, OpKind::kBackwardSend}) {
        int32_t first = Find(stage, kind, 0);
        if (first >= 0) Edge(comp[i - 2], first);
      }
    }
    break;
  }
  // DP stream and DP/compute dependencies.
  if (use_dp) {
    Chain(dp_comm);
    std::vector<int32_t> assigned;
    int32_t ag_count = 0;
    for (int32_t op : ops) ag_count += Kind(op) == OpKind::kParamsAllGather;
    for (int32_t i = ag_count - 1; i >= 0; --i) {
      TS_ASSIGN_OR_RETURN(int32_t ag,
                          Need(stage, OpKind::kParamsAllGather, i, "params-all-gather order"));
      int32_t chunk = job_.mc[t_.rows[ag]];
      if (std::find(assigned.begin(), assigned.end(), chunk) != assigned.end()) continue;
      int32_t first = -1;
      for (int32_t op : ops)
        if (Kind(op) == OpKind::kForwardCompute && job_.mc[t_.rows[op]] == chunk &&
            (first < 0 || Start(op) < Start(first)))
          first = op;
      if (first >= 0) Edge(ag, first);
      assigned.push_back(chunk);
    }
    if (overlap_dp) {
      assigned.clear();
      int32_t rs_count = 0;
      for (int32_t op : ops) rs_count += Kind(op) == OpKind::kGradsReduceScatter;
      for (int32_t i = 0; i < rs_count; ++i) {
        TS_ASSIGN_OR_RETURN(
            int32_t rs, Need(stage, OpKind::kGradsReduceScatter, i, "grads-reduce-scatter order"));
        int32_t chunk = job_.mc[t_.rows[rs]];
        if (std::find(assigned.begin(), assigned.end(), chunk) != assigned.end()) continue;
        int32_t last = -1;
        for (int32_t op : ops)
          if (Kind(op) == OpKind::kBackwardCompute && job_.mc[t_.rows[op]] == chunk &&
              (last < 0 || End(op) > End(last)))
            last = op;
        if (last >= 0) Edge(last, rs);
        assigned.push_back(chunk);
      }
    }
  }
  // Step tail.
  int32_t last_compute = comp[0];
  for (int32_t op : comp)
    if (End(op) > End(last_compute)) last_compute = op;
  TS_ASSIGN_OR_RETURN(int32_t gc, Need(stage, OpKind::kGc, 0, "the step tail"));
  Edge(last_compute, gc);
  std::vector<int32_t> tail;
  TS_ASSIGN_OR_RETURN(int32_t layernorm,
                      Need(stage, OpKind::kLayernormGradsAllReduce, 0, "the step tail"));
  tail.push_back(layernorm);
  if (stage == 0 || stage == pp_ - 1) {
    TS_ASSIGN_OR_RETURN(int32_t emb,
                        Need(stage, OpKind::kEmbeddingGradsAllReduce, 0, "the step tail"));
    tail.push_back(emb);
  }
  int32_t rs_count = 0;
  for (int32_t op : ops)
    rs_count = std::max(rs_count, Kind(op) == OpKind::kGradsReduceScatter ? Seq(op) + 1 : 0);
  if (use_dp && overlap_dp) {
    TS_ASSIGN_OR_RETURN(int32_t sep,
                        Need(stage, OpKind::kSeparateGradsAllReduce, 0, "the step tail"));
    tail.push_back(sep);
    if (rs_count > 0) {
      TS_ASSIGN_OR_RETURN(int32_t last_rs,
                          Need(stage, OpKind::kGradsReduceScatter, rs_count - 1, "the step tail"));
      Edge(last_rs, layernorm);
    }
  } else if (use_dp) {
    for (int32_t i = 0; i < rs_count; ++i) {
      TS_ASSIGN_OR_RETURN(int32_t rs, Need(stage, OpKind::kGradsReduceScatter, i, "the step tail"));
      tail.push_back(rs);
    }
  }
  TS_ASSIGN_OR_RETURN(int32_t clip,
                      Need(stage, OpKind::kOptimizerClipMainGrad, 0, "the step tail"));
  TS_ASSIGN_OR_RETURN(int32_t opt, Need(stage, OpKind::kOptimizer, 0, "the step tail"));
  tail.push_back(clip);
  tail.push_back(opt);
  Edge(gc, layernorm);
  Chain(tail);
  if (use_dp) {
    for (int32_t op : ops) {
      OpKind k = Kind(op);
      if (k == OpKind::kParamsAllGather || k == OpKind::kGradsReduceScatter ||
          k == OpKind::kSeparateGradsAllReduce)
        t_.groups.push_back({{op}, true});
    }
  }
  return OkStatus();
}

}  // namespace

Result<ModelTemplate> BuildModelTemplate(const OpJob& job, const std::vector<int64_t>& rows,
                                         int32_t pp, int32_t vpp, bool use_dp) {
  ModelTemplate t;
  t.rows = rows;
  std::vector<std::vector<int32_t>> by_stage(pp);
  bool overlap_dp = false;
  for (int32_t op = 0; op < static_cast<int32_t>(rows.size()); ++op) {
    int64_t row = rows[op];
    const auto [it, added] =
        t.index.emplace(OpKey(job.stage[row], job.kind[row], job.seq_id[row]), op);
    if (!added) {
      return InvalidArgumentError("{}: op {} appears twice (first at {})", job.name,
                                  DescribeOp(job, row), RowPlace(job, rows[it->second]));
    }
    by_stage[job.stage[row]].push_back(op);
    overlap_dp |= job.kind[row] == OpKind::kSeparateGradsAllReduce;
  }
  Builder builder(job, t, pp, vpp);
  std::map<std::string, std::vector<int32_t>> p2p_groups;
  for (int32_t stage = 0; stage < pp; ++stage) {
    TS_RETURN_IF_ERROR(builder.Stage(stage, by_stage[stage], use_dp, overlap_dp, p2p_groups));
  }
  for (auto& [name, members] : p2p_groups) {
    if (members.size() != 2) {
      return InvalidArgumentError(
          "{}: p2p pair {} has {} member(s) in the first step of dp_rank 0, expected 2 ({})",
          job.name, name, members.size(), DescribeOp(job, rows[members[0]]));
    }
    t.groups.push_back({members, false});
  }
  // Embedding all-reduce: first and last stage together; clip-grad: all stages (and DP ranks).
  ModelTemplate::Group emb, clip;
  clip.dp_sync = true;
  for (int32_t stage = 0; stage < pp; ++stage) {
    int32_t e = builder.Find(stage, OpKind::kEmbeddingGradsAllReduce, 0);
    if (e >= 0 && (stage == 0 || stage == pp - 1)) emb.ops.push_back(e);
    int32_t c = builder.Find(stage, OpKind::kOptimizerClipMainGrad, 0);
    if (c >= 0) clip.ops.push_back(c);
  }
  if (!emb.ops.empty()) t.groups.push_back(emb);
  if (!clip.ops.empty()) t.groups.push_back(clip);
  return t;
}

}  // namespace trainscope::whatif::internal
