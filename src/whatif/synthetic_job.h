// SPDX-License-Identifier: Apache-2.0
// Synthetic Megatron-style op tables (1F1B schedule, VPP 1) for tests, benchmarks and scale-out
// runs. The generator writes its own explicit graph of the schedule (independent of the
// template logic in megatron_model.cc), replays it with graph::Simulator and records each op as
// a tracer would: start, and duration = end - start (comm ops include waiting for peers).
// Faults can be injected: slow workers, slow stages' forward, per-microbatch noise shared by
// forward and backward (sequence length), and launch gaps. Units: ns. Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "graph/dep_graph.h"
#include "whatif/op_job.h"

namespace trainscope::whatif {

struct SyntheticJobSpec {
  int32_t dp = 2, pp = 4, microbatches = 4, steps = 2;
  int64_t fwd_ns = 10'000'000;
  double bwd_factor = 2.0;
  int64_t p2p_ns = 200'000, all_gather_ns = 2'000'000, reduce_scatter_ns = 4'000'000;
  int64_t layernorm_ns = 50'000, embedding_ns = 1'000'000, clip_ns = 500'000,
          optimizer_ns = 5'000'000;
  int64_t gc_ns = 0;
  std::vector<double> worker_factor;     // per worker (dp_rank * pp + stage); empty = 1
  std::vector<double> stage_fwd_factor;  // per stage, forward compute only; empty = 1
  double op_noise = 0;                   // each compute op times (1 + op_noise * U(-1, 1))
  double microbatch_noise =
      0;  // each (step, dp_rank, microbatch) times (1 + microbatch_noise * U(0, 1))
  int32_t gaps_per_step = 0;  // launch gaps of gap_ns before random compute ops of gap_workers
  int64_t gap_ns = 200'000'000;
  std::vector<int32_t> gap_workers;
  uint64_t seed = 1;
};

// Generates the job; if `schedule` is given it receives the generator's own graph (node = row).
Result<OpJob> GenerateSyntheticJob(const SyntheticJobSpec& spec,
                                   graph::RawGraph* schedule = nullptr);

}  // namespace trainscope::whatif
