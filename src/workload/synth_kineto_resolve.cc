// SPDX-License-Identifier: Apache-2.0
// Placement of the collectives across workers of a synthesised job (synth_kineto.h).
//
// An instance is one collective: its members are (worker, stream) pairs, each with the time its
// rank reaches the op (issue) and the op's transfer time. Streams are FIFOs, so a member starts
// at max(issue, end of the previous op on its stream), and all members end together at the
// latest start plus the longest transfer (a slow link slows the whole collective). An instance
// can be placed once every member's previous op on its stream is placed: Kahn's algorithm over
// the per-stream orders (each stream's ops in issue order). Instances come from the step graph's
// collectives (their issue and transfer from the replayed timeline: without queueing the result
// is the graph's own times) and from the per-layer FSDP and EP collectives of forward and
// backward ops (issue where the worker's compute reaches them, LayOut).
#include <algorithm>
#include <limits>
#include <map>

#include "base/check.h"
#include "workload/internal/synth_kineto.h"

namespace trainscope::workload::internal {
namespace {

struct Member {
  int32_t worker;
  StreamKind stream;
  int64_t issue, transfer;
  Placement* out;
};

class Resolver {
 public:
  explicit Resolver(const Timeline& t)
      : free_(static_cast<size_t>(t.dp * t.pp), [] {
          std::array<int64_t, kStreamKinds> a{};
          a.fill(std::numeric_limits<int64_t>::min());
          return a;
        }()) {}

  void Begin(const std::vector<Member>& members) {
    begin_.push_back(static_cast<int32_t>(members_.size()));
    members_.insert(members_.end(), members.begin(), members.end());
  }

  // Places every instance added since the last call.
  void Run() {
    begin_.push_back(static_cast<int32_t>(members_.size()));
    const size_t instances = begin_.size() - 1;
    std::vector<int32_t> instance_of(members_.size());
    for (size_t i = 0; i < instances; ++i) {
      for (int32_t m = begin_[i]; m < begin_[i + 1]; ++m)
        instance_of[static_cast<size_t>(m)] = static_cast<int32_t>(i);
    }
    // Each (worker, stream)'s members in issue order; `next` links them.
    std::map<std::pair<int32_t, StreamKind>, std::vector<int32_t>> streams;
    for (size_t m = 0; m < members_.size(); ++m) {
      streams[{members_[m].worker, members_[m].stream}].push_back(static_cast<int32_t>(m));
    }
    std::vector<int32_t> next(members_.size(), -1), pending(instances, 0);
    for (auto& [key, list] : streams) {
      std::stable_sort(list.begin(), list.end(), [&](int32_t a, int32_t b) {
        return members_[static_cast<size_t>(a)].issue < members_[static_cast<size_t>(b)].issue;
      });
      for (size_t k = 1; k < list.size(); ++k) {
        next[static_cast<size_t>(list[k - 1])] = list[k];
        ++pending[static_cast<size_t>(instance_of[static_cast<size_t>(list[k])])];
      }
    }
    std::vector<int32_t> ready;
    for (size_t i = 0; i < instances; ++i) {
      if (pending[i] == 0) ready.push_back(static_cast<int32_t>(i));
    }
    size_t placed = 0;
    while (!ready.empty()) {
      const auto i = static_cast<size_t>(ready.back());
      ready.pop_back();
      Place(i);
      ++placed;
      for (int32_t m = begin_[i]; m < begin_[i + 1]; ++m) {
        const int32_t n = next[static_cast<size_t>(m)];
        if (n >= 0 && --pending[static_cast<size_t>(instance_of[static_cast<size_t>(n)])] == 0) {
          ready.push_back(instance_of[static_cast<size_t>(n)]);
        }
      }
    }
    TS_CHECK(placed == instances, "synth: collectives queue on their streams in a cycle");
    members_.clear();
    begin_.clear();
  }

 private:
  void Place(size_t i) {
    int64_t start = std::numeric_limits<int64_t>::min(), transfer = 0;
    for (int32_t m = begin_[i]; m < begin_[i + 1]; ++m) {
      Member& mb = members_[static_cast<size_t>(m)];
      const int64_t own = std::max(mb.issue, Free(mb));
      mb.out->start = own;
      start = std::max(start, own);
      transfer = std::max(transfer, mb.transfer);
    }
    const int64_t end = start + transfer;
    for (int32_t m = begin_[i]; m < begin_[i + 1]; ++m) {
      Member& mb = members_[static_cast<size_t>(m)];
      mb.out->end = end;
      Free(mb) = end;
    }
  }
  int64_t& Free(const Member& m) {
    return free_[static_cast<size_t>(m.worker)][static_cast<size_t>(m.stream)];
  }

  std::vector<std::array<int64_t, kStreamKinds>> free_;  // per worker: when each stream frees
  std::vector<Member> members_;
  std::vector<int32_t> begin_;
};

// The step graph's collectives (and its plain ops) that write NCCL kernels placed across
// workers: everything but the TP layernorm all-reduce, placed inside its worker.
void AddGraphCollectives(const Timeline& t, int step, Resolver& resolver,
                         std::vector<Placement>* node) {
  const auto s = static_cast<size_t>(step);
  const int64_t base = t.step_begin_ns[s];
  const graph::DepGraph& g = t.graph.graph;
  std::span<const int32_t> unit_begin = g.unit_begin();
  std::vector<Member> members;
  for (int32_t u = 0; u < g.num_units(); ++u) {
    members.clear();
    int64_t latest = std::numeric_limits<int64_t>::min();
    for (int32_t pos = unit_begin[static_cast<size_t>(u)];
         pos < unit_begin[static_cast<size_t>(u) + 1]; ++pos) {
      latest = std::max(latest,
                        t.start_ns[s][static_cast<size_t>(g.node_at()[static_cast<size_t>(pos)])]);
    }
    for (int32_t pos = unit_begin[static_cast<size_t>(u)];
         pos < unit_begin[static_cast<size_t>(u) + 1]; ++pos) {
      const auto n = static_cast<size_t>(g.node_at()[static_cast<size_t>(pos)]);
      const StepOp& op = t.graph.ops[n];
      const GraphComm comm = GraphCommOf(t, op);
      if (!comm.writes || comm.group == GroupKind::kTp) continue;
      // Without queueing: start as replayed, end = latest start + own transfer (the graph's).
      members.push_back({t.WorkerOf(op), comm.stream, base + t.start_ns[s][n],
                         t.end_ns[s][n] - latest, &(*node)[n]});
    }
    if (!members.empty()) resolver.Begin(members);
  }
}

// The per-layer collectives across workers (FSDP, EP) of every worker's forward and backward
// ops; instance k of a group is the k-th such op of every member worker (all members run the
// same layers in the same order).
void AddLayerCollectives(const Timeline& t, int step, const JobGroups& groups,
                         const std::vector<std::vector<int32_t>>& ops_of, Resolver& resolver,
                         std::vector<std::array<std::vector<Placement>, 2>>* layer) {
  const auto workers = static_cast<size_t>(t.dp * t.pp);
  struct Issued {
    int64_t issue, transfer;
  };
  // Per worker and stream (0: EP, 1: FSDP), and the group kind of each stream.
  std::vector<std::array<std::vector<Issued>, 2>> issued(workers);
  std::array<GroupKind, 2> kind{GroupKind::kEp, GroupKind::kDp};
  std::vector<LaidKernel> laid;
  for (size_t w = 0; w < workers; ++w) {
    for (int32_t i : ops_of[w]) {
      const StepOpType type = t.graph.ops[static_cast<size_t>(i)].type;
      if (type != StepOpType::kForward && type != StepOpType::kBackward) continue;
      LayOut(t, static_cast<size_t>(i), step, &laid);
      for (const LaidKernel& k : laid) {
        if (!k.comm || k.kernel == nullptr) continue;
        const LayerComm c = LayerCommOf(t, *k.kernel);
        if (!c.across_workers) continue;
        const size_t idx = c.stream == StreamKind::kEp ? 0 : 1;
        kind[idx] = c.group;
        issued[w][idx].push_back({k.ts, k.dur});
      }
    }
    for (size_t idx = 0; idx < 2; ++idx) (*layer)[w][idx].resize(issued[w][idx].size());
  }
  std::vector<Member> members;
  for (size_t idx = 0; idx < 2; ++idx) {
    std::map<int32_t, std::vector<size_t>> sets;  // process group -> its member workers
    for (size_t w = 0; w < workers; ++w) {
      if (issued[w][idx].empty()) continue;
      const int rank = t.Rank(static_cast<int>(w) / t.pp, static_cast<int>(w) % t.pp, 0, 0);
      sets[groups.of_rank[static_cast<size_t>(rank)][static_cast<size_t>(kind[idx])]].push_back(w);
    }
    const StreamKind stream = idx == 0 ? StreamKind::kEp : StreamKind::kFsdp;
    for (const auto& [group, set] : sets) {
      const size_t count = issued[set[0]][idx].size();
      for (size_t w : set) {
        TS_CHECK(issued[w][idx].size() == count,
                 "synth: members of a layer collective group issue different counts");
      }
      for (size_t k = 0; k < count; ++k) {
        members.clear();
        for (size_t w : set) {
          members.push_back({static_cast<int32_t>(w), stream, issued[w][idx][k].issue,
                             issued[w][idx][k].transfer, &(*layer)[w][idx][k]});
        }
        resolver.Begin(members);
      }
    }
  }
}

}  // namespace

ResolvedCollectives ResolveCollectives(const Timeline& t) {
  ResolvedCollectives r;
  const int workers = t.dp * t.pp;
  std::vector<std::vector<int32_t>> ops_of(static_cast<size_t>(workers));
  for (size_t i = 0; i < t.graph.ops.size(); ++i) {
    ops_of[static_cast<size_t>(t.WorkerOf(t.graph.ops[i]))].push_back(static_cast<int32_t>(i));
  }
  bool layered = false;
  if (t.options.kernels == KernelDetail::kPerLayer) {
    for (const auto* list : {&t.detail.main_timing.layer_fwd, &t.detail.main_timing.layer_bwd}) {
      for (const Kernel& k : *list) {
        layered = layered || (k.kind == KernelKind::kComm && LayerCommOf(t, k).across_workers);
      }
    }
  }
  const JobGroups groups = BuildGroups(t);
  Resolver resolver(t);
  r.node.resize(static_cast<size_t>(t.steps));
  r.layer.resize(static_cast<size_t>(t.steps));
  for (int step = 0; step < t.steps; ++step) {
    const auto s = static_cast<size_t>(step);
    r.node[s].resize(t.graph.ops.size());
    r.layer[s].resize(static_cast<size_t>(workers));
    AddGraphCollectives(t, step, resolver, &r.node[s]);
    if (layered) AddLayerCollectives(t, step, groups, ops_of, resolver, &r.layer[s]);
    resolver.Run();
  }
  return r;
}

}  // namespace trainscope::workload::internal
