// SPDX-License-Identifier: Apache-2.0
// Graph-free replay of Megatron's pipeline schedules (pipeline_replay.h). Every dependency below
// is one of BuildStepGraph's edges (schedule.cc, StepBuilder::PipelineOps and Worker); keep the
// two in step: steady_state_test compares them op for op on random shapes.
#include "workload/pipeline_replay.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace trainscope::workload {
namespace {

int64_t Ns(const OpDuration& duration, const StepOp& op) {
  return std::llround(duration(op) * 1e9);
}

StepOp OpOf(StepOpType type, int stage, int chunk = -1, int seq = 0, bool noop = false) {
  StepOp op{type, noop, false, static_cast<int16_t>(stage), static_cast<int16_t>(chunk), -1, 0, 0};
  op.seq = seq;
  return op;
}

// Ready time of an op: the latest end of its dependencies, 0 without any (graph::Simulator).
struct Ready {
  int64_t at = std::numeric_limits<int64_t>::min();
  void After(int64_t end) { at = std::max(at, end); }
  int64_t Time() const { return at == std::numeric_limits<int64_t>::min() ? 0 : at; }
};

}  // namespace

Result<MegatronStepReplay::Replayed> MegatronStepReplay::Run(const StepShape& shape,
                                                             const OpDuration& duration) {
  if (shape.schedule != StepSchedule::kMegatron || shape.dp != 1 || shape.pp < 1 || shape.vpp < 1 ||
      shape.microbatches < 1 || (shape.vpp > 1 && shape.microbatches % shape.pp != 0)) {
    return InvalidArgumentError("graph-free replay: a Megatron schedule of one DP replica only");
  }
  // The cool-down chains every stage within one round: about pp frames deep. Refused before its
  // slots are laid out (and kept).
  if (shape.pp >= kMaxDepth) {
    return InvalidArgumentError("graph-free replay: {} stages, deeper than its {} frames", shape.pp,
                                kMaxDepth);
  }
  Prepare(shape, duration);
  // Round by round (the k-th compute slot of every stage): a pipeline transfer mostly pairs
  // slots of the same or an earlier round, so the demand-driven evaluation rarely recurses far.
  const int32_t n = static_cast<int32_t>(StageAt(0).slots.size());
  depth_ = 0;
  for (int32_t k = 0; k < n; ++k) {
    for (int s = 0; s < shape.pp; ++s) {
      if (!ComputeThrough(s, k)) {
        return InternalError(
            "graph-free replay: dependencies {} deep (pp {}, vpp {}, {} "
            "microbatches); the step graph replays it",
            depth_, shape.pp, shape.vpp, shape.microbatches);
      }
    }
  }
  for (int s = 0; s < shape.pp; ++s) {
    for (int fwd = 0; fwd < 2; ++fwd) {
      int64_t ignored = 0;
      if (!SendReady(s, fwd != 0, -1, &ignored)) {
        return InternalError("graph-free replay: a send left unpaired");
      }
    }
  }
  Replayed out;
  out.busy_ns.assign(static_cast<size_t>(shape.pp), 0);
  out.step_ns = Tail(duration, &out.busy_ns);
  return out;
}

void MegatronStepReplay::Prepare(const StepShape& shape, const OpDuration& duration) {
  shape_ = shape;
  step_max_ = std::numeric_limits<int64_t>::min();
  UseLayout();
  for (int s = 0; s < shape.pp; ++s) {
    Stage& st = StageAt(s);
    st.comp_at = 0;
    st.send_at[0] = st.send_at[1] = 0;
    st.computing = false;
    st.busy_ns = 0;
    PrepareDurations(s, duration);
  }
}

// The slots of shape_'s (pp, vpp, microbatches), from the cache of recent layouts or built (the
// least recently used one replaced): a sweep meets each of a few step lengths many times.
void MegatronStepReplay::UseLayout() {
  ++clock_;
  Layout* use = nullptr;
  for (Layout& l : layouts_) {
    if (l.pp == shape_.pp && l.vpp == shape_.vpp && l.microbatches == shape_.microbatches) {
      use = &l;
      break;
    }
  }
  if (use == nullptr) {
    if (layouts_.size() < kLayouts) {
      use = &layouts_.emplace_back();
    } else {
      use = &*std::min_element(layouts_.begin(), layouts_.end(),
                               [](const Layout& a, const Layout& b) { return a.used < b.used; });
    }
    use->pp = shape_.pp;
    use->vpp = shape_.vpp;
    use->microbatches = shape_.microbatches;
    use->stages.resize(static_cast<size_t>(shape_.pp));
    stages_ = &use->stages;
    for (int s = 0; s < shape_.pp; ++s) PrepareSlots(s);
    PairTransfers();
  }
  use->used = clock_;
  stages_ = &use->stages;
}

// The stage's compute order, each slot's previous slot of its direction and its peers.
void MegatronStepReplay::PrepareSlots(int s) {
  const int p = shape_.pp, v = shape_.vpp;
  Stage& st = StageAt(s);
  std::vector<ComputeSlot>& order = order_;
  PipelineOrder(p, v, shape_.microbatches, s, &order);
  st.slots.resize(order.size());
  st.first_fwd_of_chunk.assign(static_cast<size_t>(v), -1);
  st.last_bwd_of_chunk.assign(static_cast<size_t>(v), -1);
  st.first_backward = -1;
  int32_t last[2] = {-1, -1};  // [forward?]
  for (auto& list : st.dir_slots) list.clear();
  for (size_t k = 0; k < order.size(); ++k) {
    const bool fwd = order[k].forward();
    const int32_t slot = static_cast<int32_t>(k);
    const size_t c = static_cast<size_t>(order[k].chunk);
    st.slots[k] =
        Slot{0, 0, 0, last[fwd], -1, -1, static_cast<int16_t>(c), fwd};
    st.dir_slots[fwd].push_back(slot);
    last[fwd] = slot;
    if (fwd && st.first_fwd_of_chunk[c] < 0) st.first_fwd_of_chunk[c] = slot;
    if (!fwd) st.last_bwd_of_chunk[c] = slot;
    if (!fwd && st.first_backward < 0) st.first_backward = slot;
  }
  for (int fwd = 0; fwd < 2; ++fwd) {
    for (int send = 0; send < 2; ++send) {
      st.peer[fwd][send] = (s + ((fwd != 0) == (send != 0) ? 1 : p - 1)) % p;
    }
  }
}

// Durations, once per class (StepReplayer's classes); the params all-gathers that start the DP
// stream (one per chunk when overlapped), each a collective of this replica alone.
void MegatronStepReplay::PrepareDurations(int s, const OpDuration& duration) {
  const int v = shape_.vpp;
  Stage& st = StageAt(s);
  const int last_seq = PassesPerWorker(shape_) - 1;
  for (auto* ns : {&st.fwd_first_ns, &st.fwd_ns, &st.bwd_last_ns, &st.bwd_ns}) {
    ns->resize(static_cast<size_t>(v));
  }
  for (int c = 0; c < v; ++c) {
    const size_t i = static_cast<size_t>(c);
    st.fwd_first_ns[i] = Ns(duration, OpOf(StepOpType::kForward, s, c, 0));
    st.fwd_ns[i] = Ns(duration, OpOf(StepOpType::kForward, s, c, 1));
    st.bwd_last_ns[i] = Ns(duration, OpOf(StepOpType::kBackward, s, c, last_seq));
    st.bwd_ns[i] = Ns(duration, OpOf(StepOpType::kBackward, s, c, 0));
  }
  for (int noop = 0; noop < 2; ++noop) {
    const bool nop = noop != 0;
    st.recv_ns[1][noop] = Ns(duration, OpOf(StepOpType::kForwardRecv, s, -1, 0, nop));
    st.recv_ns[0][noop] = Ns(duration, OpOf(StepOpType::kBackwardRecv, s, -1, 0, nop));
    st.send_ns[1][noop] = Ns(duration, OpOf(StepOpType::kForwardSend, s, -1, 0, nop));
    st.send_ns[0][noop] = Ns(duration, OpOf(StepOpType::kBackwardSend, s, -1, 0, nop));
  }
  st.gather_end.resize(static_cast<size_t>(shape_.dp_overlap ? v : 1));
  int64_t t = 0;
  for (size_t c = 0; c < st.gather_end.size(); ++c) {
    t += Ns(duration, OpOf(StepOpType::kParamGather, s, static_cast<int>(c)));
    st.gather_end[c] = t;
    Seen(t);
  }
}

// The k-th real send of a stage pairs with the k-th real recv of its peer: the next stage for
// forwards, the previous one for backwards, wrapping round for interleaved chunks. A transfer
// is a no-op at the ends of the virtual pipeline (positions 0 and p v - 1). Both streams are
// walked in step, skipping no-ops.
void MegatronStepReplay::PairTransfers() {
  const int p = shape_.pp, last_pos = shape_.pp * shape_.vpp - 1;
  const auto noop = [&](int s, const Slot& slot, bool send) {
    const int pos = slot.chunk * p + s;
    return pos == (slot.forward == send ? last_pos : 0);
  };
  for (int s = 0; s < p; ++s) {
    Stage& st = StageAt(s);
    for (int fwd = 0; fwd < 2; ++fwd) {
      const int peer_s = st.peer[fwd][1];
      Stage& peer = StageAt(peer_s);
      const std::vector<int32_t>& sends = st.dir_slots[fwd];
      const std::vector<int32_t>& recvs = peer.dir_slots[fwd];
      size_t r = 0;
      for (const int32_t k : sends) {
        Slot& send = st.slots[static_cast<size_t>(k)];
        if (noop(s, send, true)) continue;
        while (r < recvs.size() && noop(peer_s, peer.slots[static_cast<size_t>(recvs[r])], false)) {
          ++r;
        }
        if (r == recvs.size()) break;  // unpaired: SendReady reports it
        send.peer_of_send = recvs[r];
        peer.slots[static_cast<size_t>(recvs[r])].peer_of_recv = k;
        ++r;
      }
    }
  }
}

// Computes stage s's slots up to k: each needs its recv, and a real recv the ready time of its
// peer's send, so the peer's computes up to that send's slot (recursively; the graph is
// acyclic, and `computing` guards against a stage waiting on itself).
bool MegatronStepReplay::ComputeThrough(int s, int32_t k) {
  Stage& st = StageAt(s);
  if (st.comp_at > k) return true;
  if (st.computing || depth_ >= kMaxDepth) return false;
  st.computing = true;
  ++depth_;
  bool ok = true;
  const int32_t n = static_cast<int32_t>(st.slots.size());
  for (; st.comp_at <= k; ++st.comp_at) {
    const int32_t j = st.comp_at;
    if (!Receive(s, j)) {
      ok = false;
      break;
    }
    Slot& slot = st.slots[static_cast<size_t>(j)];
    const size_t c = static_cast<size_t>(slot.chunk);
    // The previous compute, this slot's recv and, before a chunk's first forward, its params
    // all-gather (the only one when DP comm is not overlapped).
    Ready ready;
    ready.After(slot.recv_end);
    if (j > 0) ready.After(st.slots[static_cast<size_t>(j - 1)].comp_end);
    if (slot.forward && st.first_fwd_of_chunk[c] == j) {
      ready.After(st.gather_end[shape_.dp_overlap ? c : 0]);
    }
    const int64_t dur = slot.forward ? (j == 0 ? st.fwd_first_ns[c] : st.fwd_ns[c])
                                     : (j == n - 1 ? st.bwd_last_ns[c] : st.bwd_ns[c]);
    slot.comp_end = ready.Time() + dur;
    st.busy_ns += dur;
    Seen(slot.comp_end);
  }
  --depth_;
  st.computing = false;
  return ok;
}

// The recv of slot k: after the previous recv of its direction and the previous compute of its
// direction (and, for the first backward, the compute two slots before it: the what-if model's
// first backward p2p). A real one is a collective with its peer's send: both end at the later
// of their ready times plus their own durations.
bool MegatronStepReplay::Receive(int s, int32_t k) {
  Stage& st = StageAt(s);
  Slot& slot = st.slots[static_cast<size_t>(k)];
  Ready ready;
  if (slot.prev_same_dir >= 0) {
    const Slot& before = st.slots[static_cast<size_t>(slot.prev_same_dir)];
    ready.After(before.recv_end);
    ready.After(before.comp_end);
  }
  if (k == st.first_backward && k >= 2) ready.After(st.slots[static_cast<size_t>(k - 2)].comp_end);
  const bool fwd = slot.forward;
  if (slot.peer_of_recv < 0) {  // no-op: a plain op
    slot.recv_end = ready.Time() + st.recv_ns[fwd][1];
    Seen(slot.recv_end);
    return true;
  }
  const int peer_s = st.peer[fwd][0];
  int64_t send_ready = 0;
  if (!SendReady(peer_s, fwd, slot.peer_of_recv, &send_ready)) return false;
  const int64_t start = std::max(ready.Time(), send_ready);
  Stage& peer = StageAt(peer_s);
  slot.recv_end = start + st.recv_ns[fwd][0];
  peer.slots[static_cast<size_t>(slot.peer_of_recv)].send_end = start + peer.send_ns[fwd][0];
  Seen(slot.recv_end);
  Seen(start + peer.send_ns[fwd][0]);
  return true;
}

// Walks stage s's send stream of one direction up to slot `target` (-1: to its end) and gives
// the target's ready time: each send after the previous send of its direction and its own
// compute (the first backward's also after the compute two slots before it). The sends before
// the target are no-ops (plain ops, ended here) or real ones their recvs already ended; the
// target's end is set by its recv.
bool MegatronStepReplay::SendReady(int s, bool fwd, int32_t target, int64_t* ready_out) {
  Stage& st = StageAt(s);
  const std::vector<int32_t>& order = st.dir_slots[fwd];
  if (target >= 0 && !ComputeThrough(s, target)) return false;
  for (int32_t& at = st.send_at[fwd]; at < static_cast<int32_t>(order.size()); ++at) {
    const int32_t j = order[static_cast<size_t>(at)];
    Slot& slot = st.slots[static_cast<size_t>(j)];
    Ready ready;
    if (slot.prev_same_dir >= 0) {
      ready.After(st.slots[static_cast<size_t>(slot.prev_same_dir)].send_end);
    }
    ready.After(slot.comp_end);
    if (j == st.first_backward && j >= 2) {
      ready.After(st.slots[static_cast<size_t>(j - 2)].comp_end);
    }
    if (j == target) {
      *ready_out = ready.Time();
      ++at;
      return true;
    }
    if (slot.peer_of_send >= 0) return false;  // a real send nobody received
    slot.send_end = ready.Time() + st.send_ns[fwd][1];
    Seen(slot.send_end);
  }
  return target < 0;
}

// After the pipeline: gc after the last compute; overlapped grads reduce-scatters after each
// chunk's last backward on the DP stream; the tail chain layernorm all-reduce -> embedding
// all-reduce (first and last stage, one collective) -> separate grads all-reduce or the
// reduce-scatters -> clip-grad (one collective of all stages) -> optimizer.
int64_t MegatronStepReplay::Tail(const OpDuration& duration, std::vector<int64_t>* busy) {
  const int p = shape_.pp, v = shape_.vpp;
  std::vector<int64_t>& tail_end = tail_end_;  // per stage: end of the tail so far
  std::vector<int64_t>& dp_end = dp_end_;      // per stage: end of the DP stream so far
  tail_end.assign(static_cast<size_t>(p), 0);
  dp_end.assign(static_cast<size_t>(p), 0);
  int64_t embedding_ready = std::numeric_limits<int64_t>::min();
  for (int s = 0; s < p; ++s) {
    const Stage& st = StageAt(s);
    (*busy)[static_cast<size_t>(s)] = st.busy_ns;
    const int64_t gc = st.slots.back().comp_end + Ns(duration, OpOf(StepOpType::kGc, s));
    Seen(gc);
    int64_t dp = st.gather_end.back();
    Ready layernorm;
    layernorm.After(gc);
    if (shape_.dp_overlap) {
      // Reduce-scatters in the order the chunks finish.
      std::vector<int>& chunks = chunk_order_;
      chunks.resize(static_cast<size_t>(v));
      for (int c = 0; c < v; ++c) chunks[static_cast<size_t>(c)] = c;
      std::sort(chunks.begin(), chunks.end(), [&](int a, int b) {
        return st.last_bwd_of_chunk[static_cast<size_t>(a)] <
               st.last_bwd_of_chunk[static_cast<size_t>(b)];
      });
      for (int c : chunks) {
        const size_t last_bwd = static_cast<size_t>(st.last_bwd_of_chunk[static_cast<size_t>(c)]);
        const int64_t ready = std::max(dp, st.slots[last_bwd].comp_end);
        dp = ready + Ns(duration, OpOf(StepOpType::kGradSync, s, c));
        Seen(dp);
      }
      layernorm.After(dp);
    }
    tail_end[static_cast<size_t>(s)] =
        layernorm.Time() + Ns(duration, OpOf(StepOpType::kLayernormAllReduce, s));
    Seen(tail_end[static_cast<size_t>(s)]);
    dp_end[static_cast<size_t>(s)] = dp;
    if (s == 0 || s == p - 1) {
      embedding_ready = std::max(embedding_ready, tail_end[static_cast<size_t>(s)]);
    }
  }
  int64_t clip_ready = std::numeric_limits<int64_t>::min();
  for (int s = 0; s < p; ++s) {
    int64_t t = tail_end[static_cast<size_t>(s)];
    if (s == 0 || s == p - 1) {
      t = embedding_ready + Ns(duration, OpOf(StepOpType::kEmbeddingAllReduce, s));
      Seen(t);
    }
    if (shape_.dp_overlap) {
      t += Ns(duration, OpOf(StepOpType::kSeparateGradSync, s));
      Seen(t);
    } else {
      int64_t dp = dp_end[static_cast<size_t>(s)];
      for (int c = v - 1; c >= 0; --c) {
        t = std::max(t, dp) + Ns(duration, OpOf(StepOpType::kGradSync, s, c));
        dp = t;
        Seen(t);
      }
    }
    tail_end[static_cast<size_t>(s)] = t;
    clip_ready = std::max(clip_ready, t);
  }
  for (int s = 0; s < p; ++s) {
    const int64_t clip = clip_ready + Ns(duration, OpOf(StepOpType::kClipGrad, s));
    Seen(clip);
    Seen(clip + Ns(duration, OpOf(StepOpType::kOptimizer, s)));
  }
  return step_max_;
}

}  // namespace trainscope::workload
