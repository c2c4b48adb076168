// SPDX-License-Identifier: Apache-2.0
// The Kineto writer of a synthesised job (internal to src/workload): its process groups, its CUDA
// streams, the kernels of each op, and the placement of every NCCL kernel, such that the trace
// passes `trainscope trace check` (model/trace_check.h) with zero violations.
//
// Streams. Like PyTorch, every process group runs its NCCL kernels on a stream of its own, and a
// stream is a FIFO: an op starts no earlier than the previous op on its stream ends. Compute
// kernels (and the optimizer) run on the compute stream, activation offload copies on a copy
// stream, each pipeline p2p direction (forward send/recv, backward send/recv) on its own stream.
//
// Placement. All ranks of one worker (a DP replica x pipeline stage: its TP x CP ranks) share
// the worker's op timeline (synth_timeline.h), so collectives inside a worker (TP, CP) have the
// same times on every member by construction; they are placed where the worker's compute reaches
// them, later if their stream is still busy. Collectives across workers are resolved across
// their members (ResolveCollectives): the graph's collectives (pipeline p2p, DP gathers and
// reduces, embedding and clip-grad all-reduces) and the per-layer ones of FSDP shard groups and
// EP groups. A member starts when its own rank reaches the op (its issue time) or when its stream
// frees up, and all members end together: at the latest member start plus the transfer time of
// the cost model (bytes, group size, link). Compute does not wait for per-layer collectives
// across workers beyond their modelled exposed time: their waits show on their own stream.
// Thread safety: functions without shared state.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "workload/internal/synth_timeline.h"

namespace trainscope::workload::internal {

// Process group kinds, in PyTorch creation order (names are "1", "2", ... in that order; "0" is
// the world).
enum class GroupKind : uint8_t {
  kTp,
  kCp,
  kDp,  // all DP replicas of a stage (ZeRO/DP reduces and gathers; FSDP without hybrid)
  kPp,
  kEp,
  kShard,      // hybrid FSDP: the replicas that shard the parameters among them
  kReplica,    // hybrid FSDP: the same shard across the shard groups
  kEmbedding,  // first + last stage (tied embedding gradients)
  kWorld,
};
inline constexpr int kGroupKinds = 9;

struct SynthGroup {
  std::string name;
  const char* desc = "";
  std::vector<int> ranks;
};

struct JobGroups {
  std::vector<SynthGroup> all;                            // all[0]: the world ("0", default_pg)
  std::vector<std::array<int32_t, kGroupKinds>> of_rank;  // index into `all`; -1: none
  // The group of `rank` of `kind`, or null.
  const SynthGroup* Of(int rank, GroupKind kind) const {
    const int32_t i = of_rank[static_cast<size_t>(rank)][static_cast<size_t>(kind)];
    return i < 0 ? nullptr : &all[static_cast<size_t>(i)];
  }
};

JobGroups BuildGroups(const Timeline& t);
// distributedInfo.pg_config of `rank`: the world and the rank's own groups.
std::string PgConfigJson(const JobGroups& groups, int rank);

enum class StreamKind : uint8_t {
  kCompute,
  kCopy,
  kTp,
  kCp,
  kEp,
  kFsdp,
  kDp,
  kReplica,
  kWorld,
  kEmbedding,
  kForwardSend,
  kForwardRecv,
  kBackwardSend,
  kBackwardRecv,
};
inline constexpr int kStreamKinds = 14;
int CudaStream(StreamKind kind);

// The NCCL kernel a step-graph op writes (`writes` false: none).
struct GraphComm {
  bool writes = false;
  Collective collective = Collective::kAllReduce;
  GroupKind group = GroupKind::kWorld;
  StreamKind stream = StreamKind::kWorld;
  double bytes = 0;  // as in CollectiveSeconds
  bool fp32 = false;
  const char* collective_name = nullptr;  // Kineto "Collective name"; null: from `collective`
};
GraphComm GraphCommOf(const Timeline& t, const StepOp& op);

// How a layer's collective is placed (cost_model.h Kernel::group -> group and stream).
struct LayerComm {
  GroupKind group = GroupKind::kTp;
  StreamKind stream = StreamKind::kTp;
  bool host_copy = false;        // activation offload: a memcpy on the copy stream
  bool across_workers = false;   // members in other workers: resolved by ResolveCollectives
  bool scales_with_work = true;  // activations scale with the microbatch; weights do not
};
LayerComm LayerCommOf(const Timeline& t, const Kernel& k);

// One kernel of a forward/backward op as LayOut places it. Compute kernels: [ts, ts + dur) on
// the compute stream. Collectives and copies: `ts` is where the compute reaches them (the issue
// time), `dur` the transfer time; their stream decides when they really start.
struct LaidKernel {
  const Kernel* kernel = nullptr;  // null: a compute kernel not from the layer lists
  const char* name = "";
  bool comm = false;
  int64_t ts = 0, dur = 0;
  double work = 1;  // bytes multiplier of the op's microbatch
};

// Lays out the kernels of the forward or backward op `op_index` of `step` (absolute times), in
// issue order; reuses `out`.
void LayOut(const Timeline& t, size_t op_index, int step, std::vector<LaidKernel>* out);

// Re-times the laid kernels of one rank of a worker for the rank's own compute speed: `ratio` is
// its compute fault factor over the worker's (RankComputeFaultFactor / WorkerComputeFaultFactor,
// at most 1: the worker runs at its slowest rank). Compute kernels shrink and the rank runs ahead;
// a TP/CP collective starts where this rank reaches it and ends with the worker's, after the
// slowest member arrived; the rank is back in step with the worker at the first compute kernel
// that waited for such a collective. Collectives across workers and copies keep their transfer
// time and are issued earlier by the lead. `start_lead`: how much earlier than the worker the
// rank can start the op (its own compute and the op's inputs were ready earlier);
// `stream_free`: when the rank's streams are free (a collective queues behind the previous one
// on its stream, on every member alike).
void RetimeForRank(const Timeline& t, double ratio, int64_t start_lead,
                   std::array<int64_t, kStreamKinds> stream_free, std::vector<LaidKernel>* laid);

// Where the collectives across workers run: start and end per member, absolute ns.
struct Placement {
  int64_t start = 0, end = 0;
};
struct ResolvedCollectives {
  // Per step, per graph node (ops with a GraphComm); others unset.
  std::vector<std::vector<Placement>> node;
  // Per step, per worker, per StreamKind (kEp, kFsdp): the worker's layer collectives of that
  // stream in issue order.
  std::vector<std::vector<std::array<std::vector<Placement>, 2>>> layer;
};
ResolvedCollectives ResolveCollectives(const Timeline& t);

}  // namespace trainscope::workload::internal
