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

constexpr int64_t kUnknown = std::numeric_limits<int64_t>::max();

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
  if (shape.schedule != StepSchedule::kMegatron || shape.dp != 1 || shape.pp < 1 ||
      shape.vpp < 1 || shape.microbatches < 1 ||
      (shape.vpp > 1 && shape.microbatches % shape.pp != 0)) {
    return InvalidArgumentError("graph-free replay: a Megatron schedule of one DP replica only");
  }
  Prepare(shape, duration);
  const int p = shape.pp;
  work_.clear();
  queued_.assign(static_cast<size_t>(p), 1);
  for (int s = p - 1; s >= 0; --s) work_.push_back(s);  // every stream of every stage dirty
  while (!work_.empty()) {
    const int s = work_.back();
    work_.pop_back();
    queued_[static_cast<size_t>(s)] = 0;
    Advance(s);
  }
  for (const Stage& st : stages_) {
    const int32_t n = static_cast<int32_t>(st.order.size());
    bool done = st.comp_at == n;
    for (int fwd = 0; fwd < 2; ++fwd) {
      const int32_t len = static_cast<int32_t>(st.dir_slots[fwd].size());
      done = done && st.xfer_at[fwd][0] == len && st.xfer_at[fwd][1] == len;
    }
    if (!done) {
      return InternalError("graph-free replay stuck (pp {}, vpp {}, {} microbatches)", p,
                           shape.vpp, shape.microbatches);
    }
  }
  Replayed out;
  out.busy_ns.assign(static_cast<size_t>(p), 0);
  out.step_ns = Tail(duration, &out.busy_ns);
  return out;
}

void MegatronStepReplay::Prepare(const StepShape& shape, const OpDuration& duration) {
  shape_ = shape;
  const int p = shape.pp, v = shape.vpp;
  stages_.resize(static_cast<size_t>(p));
  step_max_ = std::numeric_limits<int64_t>::min();
  for (int s = 0; s < p; ++s) {
    Stage& st = stages_[static_cast<size_t>(s)];
    st.order = PipelineOrder(p, v, shape.microbatches, s);
    const size_t n = st.order.size();
    for (auto* a : {&st.recv_end, &st.comp_end, &st.send_end, &st.recv_ready, &st.send_ready}) {
      a->assign(n, kUnknown);
    }
    st.prev_same_dir.resize(n);
    st.first_fwd_of_chunk.assign(static_cast<size_t>(v), -1);
    st.last_bwd_of_chunk.assign(static_cast<size_t>(v), -1);
    st.first_backward = -1;
    int32_t last[2] = {-1, -1};  // [forward?]
    st.dir_slots[0].clear();
    st.dir_slots[1].clear();
    for (size_t k = 0; k < n; ++k) {
      const ComputeSlot& slot = st.order[k];
      const bool fwd = slot.forward();
      st.dir_slots[fwd].push_back(static_cast<int32_t>(k));
      st.prev_same_dir[k] = last[fwd];
      last[fwd] = static_cast<int32_t>(k);
      const size_t c = static_cast<size_t>(slot.chunk);
      if (fwd && st.first_fwd_of_chunk[c] < 0) st.first_fwd_of_chunk[c] = static_cast<int32_t>(k);
      if (!fwd) st.last_bwd_of_chunk[c] = static_cast<int32_t>(k);
      if (!fwd && st.first_backward < 0) st.first_backward = static_cast<int32_t>(k);
    }
    st.comp_at = 0;
    st.xfer_at[0][0] = st.xfer_at[0][1] = st.xfer_at[1][0] = st.xfer_at[1][1] = 0;
    st.dirty = kAllStreams;
    st.busy_ns = 0;
    // Durations, once per class (StepReplayer's classes).
    const int last_seq = PassesPerWorker(shape) - 1;
    st.fwd_first_ns.resize(static_cast<size_t>(v));
    st.fwd_ns.resize(static_cast<size_t>(v));
    st.bwd_last_ns.resize(static_cast<size_t>(v));
    st.bwd_ns.resize(static_cast<size_t>(v));
    for (int c = 0; c < v; ++c) {
      st.fwd_first_ns[static_cast<size_t>(c)] = Ns(duration, OpOf(StepOpType::kForward, s, c, 0));
      st.fwd_ns[static_cast<size_t>(c)] = Ns(duration, OpOf(StepOpType::kForward, s, c, 1));
      st.bwd_last_ns[static_cast<size_t>(c)] =
          Ns(duration, OpOf(StepOpType::kBackward, s, c, last_seq));
      st.bwd_ns[static_cast<size_t>(c)] = Ns(duration, OpOf(StepOpType::kBackward, s, c, 0));
    }
    for (int noop = 0; noop < 2; ++noop) {
      const bool nop = noop != 0;
      st.recv_ns[1][noop] = Ns(duration, OpOf(StepOpType::kForwardRecv, s, -1, 0, nop));
      st.recv_ns[0][noop] = Ns(duration, OpOf(StepOpType::kBackwardRecv, s, -1, 0, nop));
      st.send_ns[1][noop] = Ns(duration, OpOf(StepOpType::kForwardSend, s, -1, 0, nop));
      st.send_ns[0][noop] = Ns(duration, OpOf(StepOpType::kBackwardSend, s, -1, 0, nop));
    }
    // The DP stream starts with the params all-gathers (one per chunk when overlapped), each a
    // collective of this replica alone.
    st.gather_end.resize(static_cast<size_t>(shape.dp_overlap ? v : 1));
    int64_t t = 0;
    for (size_t c = 0; c < st.gather_end.size(); ++c) {
      const int64_t ready = c == 0 ? 0 : t;
      t = ready + Ns(duration, OpOf(StepOpType::kParamGather, s, static_cast<int>(c)));
      st.gather_end[c] = t;
      Seen(t);
    }
  }
  PairTransfers();
}

// The k-th real send of a stage pairs with the k-th real recv of its peer: the next stage for
// forwards, the previous one for backwards, wrapping round for interleaved chunks. A transfer
// is a no-op at the ends of the virtual pipeline (positions 0 and p v - 1).
void MegatronStepReplay::PairTransfers() {
  const int p = shape_.pp, last_pos = shape_.pp * shape_.vpp - 1;
  for (int s = 0; s < p; ++s) {
    Stage& st = stages_[static_cast<size_t>(s)];
    const size_t n = st.order.size();
    st.peer_slot_of_recv.assign(n, -1);
    st.peer_slot_of_send.assign(n, -1);
    for (auto* list : {&st.real_recv[0], &st.real_recv[1], &st.real_send[0], &st.real_send[1]}) {
      list->clear();
    }
    for (size_t k = 0; k < n; ++k) {
      const ComputeSlot& slot = st.order[k];
      const bool fwd = slot.forward();
      const int pos = slot.chunk * p + s;
      if (pos != (fwd ? 0 : last_pos)) st.real_recv[fwd].push_back(static_cast<int32_t>(k));
      if (pos != (fwd ? last_pos : 0)) st.real_send[fwd].push_back(static_cast<int32_t>(k));
    }
  }
  for (int s = 0; s < p; ++s) {
    Stage& st = stages_[static_cast<size_t>(s)];
    for (int fwd = 0; fwd < 2; ++fwd) {
      Stage& peer = stages_[static_cast<size_t>((s + (fwd ? 1 : p - 1)) % p)];
      const std::vector<int32_t>& sends = st.real_send[fwd];
      const std::vector<int32_t>& recvs = peer.real_recv[fwd];
      for (size_t i = 0; i < sends.size() && i < recvs.size(); ++i) {
        st.peer_slot_of_send[static_cast<size_t>(sends[i])] = recvs[i];
        peer.peer_slot_of_recv[static_cast<size_t>(recvs[i])] = sends[i];
      }
    }
  }
}

// Runs the dirty streams of stage `s` until none is: compute progress may unblock every
// transfer stream; a recv's, the compute stream.
void MegatronStepReplay::Advance(int s) {
  Stage& st = stages_[static_cast<size_t>(s)];
  while (st.dirty != 0) {
    if ((st.dirty & kComputeStream) != 0) {
      st.dirty &= static_cast<uint8_t>(~kComputeStream);
      if (AdvanceCompute(s)) st.dirty |= kAllStreams & static_cast<uint8_t>(~kComputeStream);
    }
    for (int fwd = 0; fwd < 2; ++fwd) {
      for (int send = 0; send < 2; ++send) {
        const uint8_t bit = StreamBit(fwd != 0, send != 0);
        if ((st.dirty & bit) == 0) continue;
        st.dirty &= static_cast<uint8_t>(~bit);
        if (AdvanceTransfer(s, fwd != 0, send != 0) && send == 0) st.dirty |= kComputeStream;
      }
    }
  }
}

// The compute stream: the previous compute, this slot's recv and, before a chunk's first
// forward, its params all-gather (the only one when DP comm is not overlapped).
bool MegatronStepReplay::AdvanceCompute(int s) {
  Stage& st = stages_[static_cast<size_t>(s)];
  bool moved = false;
  const int32_t n = static_cast<int32_t>(st.order.size());
  for (int32_t& k = st.comp_at; k < n; ++k) {
    const size_t i = static_cast<size_t>(k);
    if (st.recv_end[i] == kUnknown) break;
    const ComputeSlot& slot = st.order[i];
    const size_t c = static_cast<size_t>(slot.chunk);
    Ready ready;
    ready.After(st.recv_end[i]);
    if (k > 0) ready.After(st.comp_end[i - 1]);
    if (slot.forward() && st.first_fwd_of_chunk[c] == k) {
      ready.After(st.gather_end[shape_.dp_overlap ? c : 0]);
    }
    const int64_t dur = slot.forward() ? (k == 0 ? st.fwd_first_ns[c] : st.fwd_ns[c])
                                       : (k == n - 1 ? st.bwd_last_ns[c] : st.bwd_ns[c]);
    st.comp_end[i] = ready.Time() + dur;
    st.busy_ns += dur;
    Seen(st.comp_end[i]);
    moved = true;
  }
  return moved;
}

// One recv or send stream of one direction: the previous op of the stream; a recv also waits
// for the previous compute of its direction, a send for its own compute; the first backward's
// recv and send wait for the compute two slots before it (the what-if model's first backward
// p2p). A real transfer is posted when ready and ends with its peer.
bool MegatronStepReplay::AdvanceTransfer(int s, bool forward, bool send) {
  Stage& st = stages_[static_cast<size_t>(s)];
  const std::vector<int32_t>& slots = st.dir_slots[forward];
  const int32_t len = static_cast<int32_t>(slots.size());
  int32_t& at = st.xfer_at[forward][send];
  std::vector<int64_t>& end = send ? st.send_end : st.recv_end;
  std::vector<int64_t>& posted = send ? st.send_ready : st.recv_ready;
  bool moved = false;
  for (; at < len; ++at) {
    const int32_t k = slots[static_cast<size_t>(at)];
    const size_t i = static_cast<size_t>(k);
    if (end[i] != kUnknown) {  // completed by its peer
      moved = true;
      continue;
    }
    if (posted[i] != kUnknown) break;  // waits for its peer
    Ready ready;
    const int32_t prev = st.prev_same_dir[i];
    if (prev >= 0) ready.After(end[static_cast<size_t>(prev)]);
    const int32_t after_comp = send ? k : prev;
    if (after_comp >= 0) {
      if (st.comp_end[static_cast<size_t>(after_comp)] == kUnknown) break;
      ready.After(st.comp_end[static_cast<size_t>(after_comp)]);
    }
    if (k == st.first_backward && k >= 2) {
      if (st.comp_end[i - 2] == kUnknown) break;
      ready.After(st.comp_end[i - 2]);
    }
    const int32_t peer_slot = send ? st.peer_slot_of_send[i] : st.peer_slot_of_recv[i];
    const int64_t own_ns = (send ? st.send_ns : st.recv_ns)[forward][peer_slot < 0];
    moved = true;
    if (peer_slot < 0) {  // no-op: a plain op
      end[i] = ready.Time() + own_ns;
      Seen(end[i]);
      continue;
    }
    posted[i] = ready.Time();
    const int peer_s = (s + (forward == send ? 1 : shape_.pp - 1)) % shape_.pp;
    Stage& peer = stages_[static_cast<size_t>(peer_s)];
    const size_t j = static_cast<size_t>(peer_slot);
    const int64_t peer_ready = send ? peer.recv_ready[j] : peer.send_ready[j];
    if (peer_ready == kUnknown) break;  // the peer completes both when it posts
    const int64_t start = std::max(posted[i], peer_ready);
    int64_t& peer_end = send ? peer.recv_end[j] : peer.send_end[j];
    end[i] = start + own_ns;
    peer_end = start + (send ? peer.recv_ns : peer.send_ns)[forward][0];
    Seen(end[i]);
    Seen(peer_end);
    peer.dirty |= StreamBit(forward, !send);
    if (!queued_[static_cast<size_t>(peer_s)]) {
      queued_[static_cast<size_t>(peer_s)] = 1;
      work_.push_back(peer_s);
    }
  }
  return moved;
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
    const Stage& st = stages_[static_cast<size_t>(s)];
    (*busy)[static_cast<size_t>(s)] = st.busy_ns;
    const int64_t gc = st.comp_end.back() + Ns(duration, OpOf(StepOpType::kGc, s));
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
        const int64_t ready =
            std::max(dp, st.comp_end[static_cast<size_t>(st.last_bwd_of_chunk[static_cast<size_t>(c)])]);
        dp = ready + Ns(duration, OpOf(StepOpType::kGradSync, s, c));
        Seen(dp);
      }
      layernorm.After(dp);
    }
    tail_end[static_cast<size_t>(s)] =
        layernorm.Time() + Ns(duration, OpOf(StepOpType::kLayernormAllReduce, s));
    Seen(tail_end[static_cast<size_t>(s)]);
    dp_end[static_cast<size_t>(s)] = dp;
    if (s == 0 || s == p - 1) embedding_ready = std::max(embedding_ready, tail_end[static_cast<size_t>(s)]);
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
