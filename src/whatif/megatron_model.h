// SPDX-License-Identifier: Apache-2.0
// The Megatron-style dependency model of an op table (Lin et al., OSDI'25, section 4.2 and the
// artifact's analyzer/dependency_model.py), compiled into a graph::DepGraph over every op of the
// job, plus the per-op quantities the what-ifs need.
//
// The model is derived once from dp_rank 0 of the first step (one "template" per PP stage) and
// instantiated for every (step, dp_rank); every instance must hold exactly the template's ops.
// Per stage:
//  - streams: compute (fwd/bwd in start order), DP comm (params-all-gather, grads-reduce-scatter in
//    start order) and four PP streams (fwd-send, fwd-recv, bwd-send, bwd-recv), each a chain;
//  - PP: the k-th send of a kind matches the k-th compute of its direction (sends that end before
//    the first compute and recvs that start after the last one are no-ops of the tracer); compute
//    -> send; recv -> its compute, and the previous compute of that direction -> recv. The k-th
//    real fwd-send of stage s pairs with the k-th real fwd-recv of stage s+1 (backward: s -> s-1)
//    as one collective; sends/recvs without a peer (pipeline ends, by global model chunk) stay
//    alone. The first bwd send/recv waits for the forward compute two before the first backward
//    compute;
//  - DP: the last params-all-gather of each model chunk precedes its first forward compute; tail:
//    last compute -> gc -> layernorm all-reduce -> embedding all-reduce (first/last stage, one
//    collective of the two) -> grads-reduce-scatters -> clip-grad (one collective over all stages
//    and DP ranks) -> optimizer. With separate-grads-all-reduce (overlapped DP), each chunk's
//    reduce-scatter follows its last backward compute instead.
//  - DP collectives (all-gather, reduce-scatter, clip) synchronise all DP ranks of the step.
// Transfer time of a comm op = its end - latest start of its collective's members (values at or
// below -10 ms, clock skew, are set to 0 as in the artifact). Launch delay = start - latest end of
// its dependencies (or - step start); values at or below -10 ms are set to 0.
// Units: nanoseconds. Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "graph/dep_graph.h"
#include "whatif/op_job.h"
#include "whatif/replay_model.h"

namespace trainscope::whatif {

// Builds and checks the model. Errors name the op (kind, seq_id, stage, dp_rank, step).
// The ReplayModel (replay_model.h) of an op table: node = row, ideal class = op kind, attribution
// group = op kind label (PP p2p kinds merged per direction, in order of first appearance), track =
// the stream above, world size and TP from the table's meta.
Result<ReplayModel> BuildMegatronModel(const OpJob& job);

// The job's size from the evidence. The rows give DP and PP (largest dp_rank / stage + 1) and TP
// (the step between the workers' global ranks); the meta is used where it agrees with them.
// Without a world_size in the meta (or without a meta) the world is DP x PP x TP from the rows
// (`world_size_from_rows`); a meta whose DP/PP differ from the rows, or whose world is smaller
// than the ranks the rows name, is overruled by the rows (`meta_contradicts_rows`). Both are
// data_loss diagnostics naming `source`, so --strict fails. Sets world_size, gpus and tp.
void ReconcileJobSize(const OpJob& job, const std::string& source, ReplayModel& model,
                      Diagnostics& diagnostics);

// "forward-compute seq 3 stage 1 dp 0 step 23" for messages.
std::string DescribeOp(const OpJob& job, int64_t row);

}  // namespace trainscope::whatif
