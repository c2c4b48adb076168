// SPDX-License-Identifier: Apache-2.0
// Trace synthesis: turns a JobConfig into what a real run of it would leave behind, for the
// analyses downstream (what-if, Minder, trace tools):
//  - one Kineto (PyTorch profiler) JSON trace per rank: distributedInfo, ProfilerStep#N
//    annotations, per-layer kernels on the compute stream, NCCL kernels with the profiler's
//    collective args, PP/DP traffic on their own streams;
//  - the what-if op table (trace-<name>.csv.gz + meta-<name>.yaml, the OSDI'25 artifact format);
//  - per-machine, per-second monitoring metrics (long CSV, DCGM/node_exporter names) and a
//    labels file (machine, fault type, start, end) for the injected faults.
// Every step is replayed on the job-wide step graph (schedule.h) with per-op durations from the
// predictor's costs, varied by: per-microbatch work drawn from the config's distributions
// (sample mix of a DiT, vision load of a VLM, sequence packing otherwise), launch jitter, and the
// injected faults. Deterministic for a seed. Memory: the per-step op timelines of the graph
// (ops x steps x 16 bytes); ranks are written one at a time.
// Thread safety: functions without shared state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "workload/config.h"

namespace trainscope::workload {

enum class FaultType { kStraggler, kSlowStage, kGcPause, kSlowLink, kHang, kDead, kNic, kSeqLen };
std::string_view FaultName(FaultType type);

struct Fault {
  FaultType type = FaultType::kStraggler;
  int rank = 0;          // global rank (straggler, gc, slow_link, hang, dead)
  int stage = 0;         // slow_stage
  double factor = 1.5;   // compute (straggler, slow_stage) or transfer (slow_link) multiplier
  double seconds = 0.5;  // gc pause length
  int step = 0;          // first affected step (0-based)
  int every = 1;         // gc: pause every `every` steps
  int machine = 0;       // nic: the machine whose NIC degrades
  double cv = 0.4;       // seqlen: spread of microbatch work (sequence-length cost)
};

// Parses "straggler:rank=5,factor=1.5,step=2", "slow_stage:stage=3,factor=1.3",
// "gc:rank=2,seconds=0.4,every=2", "slow_link:rank=9,factor=4", "hang:rank=3,step=5",
// "dead:rank=3,step=5", "nic:machine=2,factor=4" (every transfer of the machine's ranks),
// "seqlen:cv=0.4" (microbatch work spreads lognormally with that coefficient of variation, as
// unbalanced sequence lengths make it).
Result<Fault> ParseFault(std::string_view text);

enum class KernelDetail { kPerLayer, kPerOp, kNone };

struct SynthOptions {
  int steps = 4;
  uint64_t seed = 1;
  std::string out_dir;
  std::vector<Fault> faults;
  KernelDetail kernels = KernelDetail::kPerLayer;
  double launch_jitter_s = 10e-6;   // mean launch delay per op [A]
  double microbatch_cv = 0.03;      // spread of per-microbatch work for text LLMs [A]
  double step_gap_s = 0.005;        // host time between steps (data loading) [A]
  int64_t start_unix_s = 1767225600;  // 2026-01-01, wall clock of the first step
  bool write_kineto = true;
  bool write_metrics = true;
  bool write_op_table = true;  // off for long metric-only jobs (the op table grows with ranks x steps)
  // Kineto detail window: the rank files hold steps [detail_first_step, + detail_steps) (all
  // steps: detail_steps < 0) of the ranks in detail_ranks (empty: all); the op table and the
  // metrics always cover every step and rank.
  int detail_first_step = 0;
  int detail_steps = -1;
  std::vector<int> detail_ranks;
  // Called as the Kineto rank files are written (done of total), e.g. to draw a progress line;
  // from the calling thread. Empty: nothing is called.
  std::function<void(int64_t done, int64_t total)> on_rank_file;
};

struct SynthSummary {
  std::string name;
  int ranks = 0, workers = 0, machines = 0, steps = 0;
  double mean_step_s = 0;
  std::vector<double> step_s;
  double predicted_step_s = 0;
  int64_t kineto_events = 0;
  int64_t op_rows = 0;
  std::vector<std::string> files;
};

Result<SynthSummary> Synthesize(const JobConfig& job, const SynthOptions& options);

}  // namespace trainscope::workload
