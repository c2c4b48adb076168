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
// JobTrace, except through `event` ids). Op names are interned in `op_names`; the display track of
// an op is its CUDA stream id. Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "graph/dep_graph.h"
#include "model/trace.h"
#include "whatif/replay_model.h"

namespace trainscope::whatif {

// Builds and checks the model (acyclic; per-step connectivity is reported as a diagnostic since
// streams without recorded waits are legitimately independent). Errors name the op.
// `diagnostics` receives the documented recoveries.
Result<ReplayModel> BuildKinetoModel(const model::JobTrace& job, const std::string& name,
                                        Diagnostics* diagnostics);

// "rank 3 stream 84 'ncclKernel_AllReduce...' step 10 at +1.234 ms" for messages.
std::string DescribeKinetoOp(const model::JobTrace& job, const ReplayModel& model,
                             graph::NodeId node);

}  // namespace trainscope::whatif
