// SPDX-License-Identifier: Apache-2.0
// The dependency model of a Kineto (PyTorch-profiler) job for the what-if analysis (Lin et al.,
// OSDI'25, section 4, applied to per-kernel GPU traces instead of Megatron op tables).
//
// Nodes: every GPU op (kernel, memcpy, memset, NCCL kernel) of every present rank whose launch
// falls in a ProfilerStep#N that every present rank traced. Edges (graph::GraphBuilder):
//  - program order: each op waits for the previous op of its (rank, stream) in the same step;
//  - cross-stream event waits where the trace records them: a `cudaStreamWaitEvent` call makes the
//    next op launched by that CPU thread (on stream T) wait for the op launched last before the
//    call on another stream (PyTorch's record-event/wait-event pairs around NCCL calls). The
//    trace does not name the event, so the edge is only kept when the trace agrees with it (the
//    source ended before the target started); other waits are counted as unresolved. An NCCL
//    launch without a recorded wait (traces that drop most runtime calls) gets the same edge:
//    ProcessGroupNCCL always syncs its stream with the current stream before a collective;
//  - collectives: within one channel (process group, or the NCCL stream when the trace has no
//    group info) and one step, the k-th NCCL op of every member is one instance, checked by
//    collective type and element count (all-to-all and p2p sizes may differ per rank); a send
//    pairs with the recv of the other member of a two-rank group. An instance whose group is
//    complete (every member rank present) is one shared collective node; an instance with absent
//    members is synchronised over the present members only and kept at its measured transfer in
//    every what-if (its wait for absent ranks cannot be attributed); nothing is invented for
//    absent ranks. Channels whose order cannot be trusted (count, type or size mismatch) are not
//    synchronised (diagnostic `collective_mismatch`).
// Launch -> kernel is not a node of its own: the gap between an op's dependencies' end and its
// start (CPU launch latency, stalls) is its launch delay, replayed separately (launch slowdown).
// Times: each step starts at the earliest ProfilerStep#N start over the ranks (job clock) and
// ends at the latest end of its GPU ops; transfer = member end - latest member start; values at
// or below -10 ms (clock skew) are set to 0 and counted, as in the op-table path.
// Units: nanoseconds. Ownership: the model copies what it needs (it does not point into the
// JobTrace, except through `event` ids). Thread safety: immutable after BuildKinetoModel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "graph/dep_graph.h"
#include "model/trace.h"

namespace trainscope::whatif {

struct KinetoModelStats {
  int64_t stream_edges = 0;
  int64_t event_wait_edges = 0;
  int64_t event_waits_unresolved = 0;  // waits the trace contradicts or with no source/target
  int64_t nccl_sync_edges = 0;         // implied waits of NCCL launches without a recorded one
  int64_t nccl_syncs_unresolved = 0;
  int64_t collectives_complete = 0;      // instances over complete groups (shared nodes)
  int64_t collectives_partial = 0;       // instances with absent members (kept measured)
  int64_t collective_ops_unmatched = 0;  // NCCL ops not synchronised (mismatch, lone member)
  int64_t clipped_transfers = 0;         // transfer <= -10 ms set to 0
  int64_t negative_transfers = 0;        // small negative transfers kept
  int64_t clipped_delays = 0;            // launch delays <= -10 ms set to 0
  int64_t ops_outside_steps = 0;         // GPU ops not in a simulated step
  int64_t disconnected_parts = 0;        // extra weakly connected parts over all steps
};

struct KinetoJobModel {
  graph::DepGraph graph;
  std::string name;
  int32_t world_size = 0;
  std::vector<int32_t> ranks;          // per worker: global rank (present ranks, ascending)
  std::vector<int32_t> absent_ranks;   // ranks of the world with no trace
  std::vector<int64_t> steps;          // per step index: ProfilerStep number N
  std::vector<int64_t> dropped_steps;  // step numbers not traced by every present rank
  std::vector<int64_t> step_start_ns;  // per step: earliest ProfilerStep start (job clock)
  std::vector<int64_t> step_time_ns;   // per step: measured (latest GPU op end - start)

  // Per node (NodeId):
  std::vector<int32_t> worker, step_index;
  std::vector<uint32_t> event;       // EventId value in its rank's trace
  std::vector<int32_t> ideal_class;  // into class_names: ops sharing an ideal duration
  std::vector<int32_t> group;        // into group_names: attribution by op class
  std::vector<uint8_t> is_comm;      // synchronised collective over a complete group
  std::vector<uint8_t> fixed;        // kept at its measured duration in every what-if
  std::vector<int64_t> start_ns;     // relative to its step's start
  std::vector<int64_t> dur_ns;       // measured duration
  std::vector<int64_t> transfer_ns;  // simulated duration under the trace (comm: transfer)
  std::vector<int64_t> launch_delay_ns;
  std::vector<int64_t> launch_wait_ns;  // part of the delay before the op's CPU launch call began

  // Ideal classes: "kernel <name>", "memcpy <name>", "<Coll> <nelems> <dtype>".
  std::vector<std::string> class_names;
  std::vector<uint8_t> class_is_comm;  // per class: ideal = median (comm) or mean (compute)
  // Attribution groups: "compute", "memcpy", "memset", "comm <Coll>".
  std::vector<std::string> group_names;
  KinetoModelStats stats;

  int32_t num_nodes() const { return static_cast<int32_t>(worker.size()); }
  int32_t num_steps() const { return static_cast<int32_t>(steps.size()); }
  int32_t num_workers() const { return static_cast<int32_t>(ranks.size()); }
};

// Builds and checks the model (acyclic; per-step connectivity is reported as a diagnostic since
// streams without recorded waits are legitimately independent). Errors name the op.
// `diagnostics` receives the documented recoveries.
Result<KinetoJobModel> BuildKinetoModel(const model::JobTrace& job, const std::string& name,
                                        Diagnostics* diagnostics);

// "rank 3 stream 84 'ncclKernel_AllReduce...' step 10 at +1.234 ms" for messages.
std::string DescribeKinetoOp(const model::JobTrace& job, const KinetoJobModel& model,
                             graph::NodeId node);

}  // namespace trainscope::whatif
