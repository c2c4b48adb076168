// SPDX-License-Identifier: Apache-2.0
// The replayed timeline of a synthesised job, shared by the writers of synth.cc (internal).
// Times are int64 ns from the job start. Thread safety: immutable once built.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workload/predictor.h"
#include "workload/synth.h"

namespace trainscope::workload::internal {

struct Timeline {
  const JobConfig* job = nullptr;
  SynthOptions options;
  Prediction prediction;
  PlanDetail detail;
  StepGraph graph;
  int dp = 1, pp = 1, tp = 1, cp = 1, world = 1, gpus_per_node = 8;
  int steps = 0;                          // steps with a timeline (a hang/death truncates)
  std::vector<int64_t> step_begin_ns;     // absolute start of each step
  std::vector<int64_t> step_len_ns;
  std::vector<std::vector<int64_t>> start_ns, end_ns;  // per step, per op, relative to step begin
  std::vector<std::vector<double>> compute_factor;     // per step, per op (1 = predicted)
  std::vector<std::vector<double>> work_factor;        // the same without the faults' factors
  int64_t cut_ns = INT64_MAX;             // events ending later are dropped (hang/dead)
  int64_t job_end_ns = 0;                 // end of the metrics window
  const Fault* stall = nullptr;           // hang or dead fault that stopped the job
  int64_t stall_begin_ns = 0;

  int RanksPerWorker() const { return tp * cp; }
  int WorkerOf(const StepOp& op) const { return op.replica * pp + op.stage; }
  // Megatron rank order: tp fastest, then cp, dp, pp.
  int Rank(int replica, int stage, int cp_rank, int tp_rank) const {
    return ((stage * dp + replica) * cp + cp_rank) * tp + tp_rank;
  }
  int WorkerOfRank(int rank) const {
    const int w = rank / (tp * cp);
    return (w % dp) * pp + w / dp;  // worker id = replica * pp + stage
  }
};

// Compute faults (straggler, slow_stage) are per rank: the product of the factors of the faults
// that strike `op` of `step` on `rank` (1: none). The worker's ops run at the slowest of its
// ranks' factors (its TP/CP collectives wait for it), WorkerComputeFaultFactor.
double RankComputeFaultFactor(const Timeline& t, int rank, int step, const StepOp& op);
double WorkerComputeFaultFactor(const Timeline& t, int step, const StepOp& op);

Status WriteOpTable(const Timeline& t, const std::string& dir, SynthSummary* summary);
Status WriteKineto(const Timeline& t, const std::string& dir, SynthSummary* summary);
Status WriteMetrics(const Timeline& t, const std::string& dir, SynthSummary* summary);

}  // namespace trainscope::workload::internal
