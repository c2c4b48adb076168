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
// Units: nanoseconds. Thread safety: immutable after BuildMegatronModel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "graph/dep_graph.h"
#include "whatif/op_job.h"

namespace trainscope::whatif {

struct JobModel {
  graph::DepGraph graph;  // node id = row of the OpJob
  int32_t dp = 1, pp = 1;
  std::vector<int32_t> steps;        // step number of each step index (ascending)
  std::vector<int32_t> step_index;   // per row
  std::vector<int32_t> worker;       // per row: dp_rank * pp + stage
  std::vector<int32_t> worker_rank;  // per worker: global rank
  std::vector<uint8_t> is_comm;      // per row: member of a comm group (simulated with transfer)
  std::vector<int64_t> start_ns;     // per row, relative to the step's earliest start
  std::vector<int64_t> transfer_ns;  // per row (comm: transfer time; others: duration)
  std::vector<int64_t> launch_delay_ns;  // per row
  std::vector<int64_t> step_time_ns;     // per step: measured (latest end - earliest start)
  int64_t clipped_transfers = 0;         // transfer times <= -10 ms set to 0
  int64_t negative_transfers = 0;        // small negative transfer times kept (> -10 ms)
  int64_t clipped_delays = 0;            // launch delays <= -10 ms set to 0
  int32_t template_ops = 0;              // ops per (step, dp_rank) instance

  int32_t num_steps() const { return static_cast<int32_t>(steps.size()); }
  int32_t num_workers() const { return dp * pp; }
  // The simulated duration under the actual trace: transfer for comm ops, duration otherwise.
  std::vector<int64_t> ActualDurations(const OpJob& job) const;
};

// Builds and checks the model. Errors name the op (kind, seq_id, stage, dp_rank, step).
Result<JobModel> BuildMegatronModel(const OpJob& job);

// "forward-compute seq 3 stage 1 dp 0 step 23" for messages.
std::string DescribeOp(const OpJob& job, int64_t row);

}  // namespace trainscope::whatif
