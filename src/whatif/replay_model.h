// SPDX-License-Identifier: Apache-2.0
// ReplayModel: what the what-if analysis (Lin et al., OSDI'25, section 4) needs of a job, whatever
// the input. Two builders fill it: BuildMegatronModel (megatron_model.h) from an op table, which
// carries Megatron structure (DP rank, PP stage, microbatch), and BuildKinetoModel
// (kineto_model.h) from PyTorch-profiler traces, which needs stream edges and NCCL matching.
// Everything after the graph (analysis.h, cause.h, scenario.h, result_json.h, result_text.h,
// perfetto_export.h) reads this one model, so the two inputs cannot drift apart.
//
// Nodes are GPU ops (op-table rows in row order; Kineto GPU ops inside traced steps). Per node:
// the simulated duration under the trace (`transfer_ns`: a collective member's transfer time,
// otherwise its measured duration), its launch delay (start - latest end of its dependencies),
// its ideal class (ops sharing an ideal duration: the mean of the class for compute, the median
// for communication) and its attribution group (the "op class" of the tables). Workers are the
// traced GPUs (op tables: dp_rank * pp + stage; Kineto: present ranks in ascending order).
// Units: nanoseconds. Thread safety: immutable after building.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/diagnostics.h"
#include "graph/dep_graph.h"

namespace trainscope::whatif {

enum class InputKind : uint8_t { kOpTable, kKineto };

// What an attribution group is, for the cause rules and the `compute` / `comm` scenarios.
enum class GroupRole : uint8_t { kCompute, kComm, kOther };

// Compute phase of an op-table op (sequence-length and stage evidence); Kineto ops are kNone.
enum class Phase : uint8_t { kNone, kForward, kBackward };

// Counters the builders keep (recoveries are also reported as diagnostics).
struct ModelStats {
  int64_t stream_edges = 0;
  int64_t event_wait_edges = 0;
  int64_t event_waits_unresolved = 0;  // waits the trace contradicts or with no source/target
  int64_t exact_event_waits = 0;       // of the waits, those whose event the trace names
  int64_t nccl_sync_edges = 0;         // implied waits of NCCL launches without a recorded one
  int64_t nccl_syncs_unresolved = 0;
  int64_t collectives_complete = 0;      // instances over complete groups (shared nodes)
  int64_t collectives_partial = 0;       // instances with absent members (kept measured)
  int64_t collective_ops_unmatched = 0;  // NCCL ops not synchronised (mismatch, lone member)
  int64_t clipped_transfers = 0;         // transfer <= -10 ms (clock skew) set to 0
  int64_t negative_transfers = 0;        // small negative transfers kept
  int64_t clipped_delays = 0;            // launch delays <= -10 ms set to 0
  int64_t ops_outside_steps = 0;         // GPU ops not in a simulated step
  int64_t disconnected_parts = 0;        // extra weakly connected parts over all steps
  int64_t implausible_ops = 0;           // corrupt durations left out (Kineto)
};

// Where a rank's GPU sat idle in the traced steps and what its CPU was doing meanwhile (Kineto
// input; from the CPU events of the thread that launched the op ending each idle interval).
struct HostTime {
  int64_t entry_ns = 0;  // job step start -> this rank's ProfilerStep start (before its window)
  int64_t window_ns = 0;  // this rank's traced window: its ProfilerStep start -> step end
  int64_t idle_ns = 0;    // GPU idle inside the window, split below
  int64_t data_loading_ns = 0;  // CPU in data loading / H2D copy annotations (DataLoader, ...)
  int64_t sync_ns = 0;          // CPU blocked in a synchronising CUDA call
  int64_t blocked_ns = 0;  // all time in synchronising calls (GPU busy or not): no queueing ahead
  int64_t launch_ns = 0;        // CPU in launch calls, or the op's launch -> GPU start latency
  int64_t framework_ns = 0;     // the rest: Python / framework CPU time, traced or not
  // CPU events behind the data-loading idle time and the blocked time (name, ns), largest first.
  std::vector<std::pair<std::string, int64_t>> data_loading_ops, sync_ops;
};

struct ReplayModel {
  graph::DepGraph graph;
  InputKind input = InputKind::kOpTable;
  std::string name;
  int32_t world_size = 0;  // GPUs of the job
  int32_t gpus = 0;        // GPUs the traced steps stand for (waste is counted over these)
  // Megatron layout (op tables): worker = dp_rank * pp + stage. 0 when the input has none.
  int32_t dp = 0, pp = 0, tp = 0;
  int32_t template_ops = 0;  // op tables: ops per (step, dp_rank) instance

  std::vector<int32_t> worker_rank;   // per worker: global rank (ascending for Kineto)
  std::vector<int32_t> absent_ranks;  // ranks of the world with no trace (Kineto)
  std::vector<int64_t> steps;         // per step index: step number (ascending)
  std::vector<int64_t> dropped_steps;  // step numbers not traced by every present rank
  std::vector<int64_t> step_time_ns;   // per step: measured (latest end - earliest start)
  std::vector<int64_t> step_start_ns;  // per step: earliest start (Kineto: job clock)

  // Per node (NodeId).
  std::vector<int32_t> worker, step_index;
  std::vector<int32_t> ideal_class;  // into class_names; -1: kept measured
  std::vector<int32_t> group;        // into group_names; -1: in no op class
  std::vector<uint8_t> is_comm;      // member of a synchronised collective
  std::vector<uint8_t> fixed;        // kept at its measured duration in every what-if
  std::vector<Phase> phase;
  std::vector<int64_t> start_ns;     // relative to its step's start
  std::vector<int64_t> dur_ns;       // measured duration
  std::vector<int64_t> transfer_ns;  // simulated duration under the trace
  std::vector<int64_t> launch_delay_ns;
  std::vector<int64_t> launch_wait_ns;  // part of the delay before its CPU launch call (Kineto)
  // Part of the delay before its rank entered the step (start skew: the rank's ProfilerStep began
  // after the step's earliest start, so that wait happened before the rank's traced window).
  std::vector<int64_t> entry_delay_ns;
  std::vector<int32_t> op_name;         // into op_names: what the timeline shows
  std::vector<int64_t> track;           // display track: graph stream (op table) or CUDA stream
  std::vector<uint32_t> event;          // Kineto: EventId in its rank's trace
  // Op tables only (empty for Kineto): Megatron order and microbatch of each op.
  std::vector<int32_t> seq_id, microbatch, chunk;

  std::vector<std::string> class_names;  // op tables: op kinds; Kineto: "kernel <name>", ...
  std::vector<uint8_t> class_is_comm;    // ideal = median (comm) or mean (compute)
  std::vector<std::string> group_names;  // op tables: op kind labels; Kineto: compute, comm <C>
  std::vector<GroupRole> group_roles;
  std::vector<std::string> op_names;
  std::vector<std::string> track_names;  // by track id when the input names its tracks
  std::vector<HostTime> host;            // per worker (Kineto input; empty for op tables)
  // Per worker: GPU ops per step on average (work imbalance evidence).
  std::vector<double> worker_ops_per_step;
  ModelStats stats;

  int32_t num_nodes() const { return static_cast<int32_t>(worker.size()); }
  int32_t num_steps() const { return static_cast<int32_t>(steps.size()); }
  int32_t num_workers() const { return static_cast<int32_t>(worker_rank.size()); }
  // Pipeline stages and DP ranks are known (op tables).
  bool has_stages() const { return pp > 0; }
  int32_t stage_of(int32_t w) const { return w % pp; }
  int32_t dp_rank_of(int32_t w) const { return w / pp; }
  // Microbatch ids and compute phases are known (sequence-length evidence).
  bool has_microbatches() const { return !microbatch.empty(); }
  GroupRole role_of(int32_t node) const {
    return group[node] < 0 ? GroupRole::kOther : group_roles[group[node]];
  }
};

// "rank 3 (dp 0, stage 3)" or "rank 3".
std::string DescribeWorker(const ReplayModel& model, int32_t worker);

// The builders' recoveries as diagnostics, named the same for every input:
// `negative_transfer_clipped`, `small_negative_transfer`, `negative_launch_delay_clipped`
// (clock skew) and `steps_not_simulated` (steps not traced by every present rank).
// `source`: the input file or folder the diagnostics name.
void AddModelDiagnostics(const ReplayModel& model, const std::string& source,
                         Diagnostics& diagnostics);

}  // namespace trainscope::whatif
