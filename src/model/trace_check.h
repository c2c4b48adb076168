// SPDX-License-Identifier: Apache-2.0
// Trace validation: does a multi-rank Kineto trace describe something GPUs and NCCL could have
// done? `trainscope trace check` runs it on real traces (a profiler's output should pass, or its
// findings be explained) and on synthesised ones (`workload synth` must pass with zero).
//
// Checks, each a ViolationKind (docs/trace-model.md, "Trace check"):
//  (a) kStreamOverlap: a CUDA stream runs its ops in order (a FIFO), so two GPU ops (kernels,
//      NCCL kernels, memcpy, memset; not gpu_user_annotation spans) of one stream of one rank
//      must not overlap beyond `stream_tolerance_ns` (Kineto rounds times to 1 us).
//  (b) Collectives. Members of one instance are matched as NCCL issues them: within one process
//      group (or, without group info, one NCCL stream) and one ProfilerStep, the k-th op on each
//      member is the same instance (model/collective_match.h; the what-if model matches the same
//      way). Send/recv ops pair only in 2-rank groups (the trace names no peer otherwise; they
//      are counted as unpaired, not checked). Then:
//      kCollectiveUnmatched: the members' op sequences of a group and step differ (count, type
//        or element count): no instance of that group and step can be checked; one per group
//        and step.
//      kCollectiveDisjoint: a member ends before another member starts (no instant where all
//        are inside the collective): the members cannot have exchanged data.
//      kCollectiveEndSkew: members overlap but do not end together: their ends spread more
//        than max(`end_tolerance_ns`, `end_tolerance_share` x the shortest member's duration).
//        The last arrival releases everyone, so an instance's kernels finish close together;
//        ring algorithms finish rank after rank, up to about one ring step (transfer time /
//        (n - 1)) apart: a real 128-rank all-gather of 42 ms ends 0.3 ms apart (0.8%).
//  (c) Process groups:
//      kGroupMissing: a rank listed in a group's members, present in the job and with group
//        information in its trace, whose trace lacks the group.
//      kGroupRanksDiffer: one group name with different member lists (between ranks, or between
//        a rank's pg_config and its events' "Process Group Ranks").
//      kGroupSizeMismatch: a collective whose "Group size" differs from its group's member
//        count, or an all-gather / reduce-scatter whose in/out element counts are not in the
//        ratio of the member count.
//
// Times are the model's (ns, job clock after alignment); examples also give the time as the
// file wrote it (microseconds, before base time and alignment) so it can be found there.
// Thread safety: pure functions over a const model.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/json_writer.h"
#include "model/trace.h"

namespace trainscope::model {

enum class ViolationKind : uint8_t {
  kStreamOverlap,
  kCollectiveUnmatched,
  kCollectiveDisjoint,
  kCollectiveEndSkew,
  kGroupMissing,
  kGroupRanksDiffer,
  kGroupSizeMismatch,
};
inline constexpr int kViolationKindCount = 7;
// "stream_overlap", "collective_unmatched", ... (the keys of `by_kind`).
std::string_view ViolationKindName(ViolationKind kind);

// One event a violation names. `rank` -1: none.
struct EventRef {
  int rank = -1;
  int64_t stream = -1;  // GPU stream (track tid); -1 for a CPU or no event
  std::string name;
  int64_t ts = 0;         // ns, job clock
  int64_t dur = 0;        // ns
  double file_ts_us = 0;  // ts as the file wrote it (microseconds)
};

struct Violation {
  ViolationKind kind = ViolationKind::kStreamOverlap;
  EventRef event;         // the offending op (or the rank, for group checks)
  EventRef other;         // the op it conflicts with; rank -1 if none
  std::string group;      // "pg 3", "stream 84"; empty for stream overlaps
  int64_t step = -1;      // ProfilerStep number, -1 if unknown
  int64_t amount_ns = 0;  // overlap, gap or end skew; 0 for group checks
  std::string detail;     // one sentence
};

struct TraceCheckOptions {
  int64_t stream_tolerance_ns = 1'000;
  int64_t end_tolerance_ns = 100'000;
  double end_tolerance_share = 0.02;   // of the shortest member's duration
  int64_t max_examples_per_kind = 10;  // examples kept per kind; < 0: all
};

// What was looked at, so that "0 violations" can be read against it.
struct TraceCheckCoverage {
  int64_t gpu_ops = 0;                   // ops checked for stream overlaps
  int64_t streams = 0;                   // (rank, stream) pairs
  int64_t collective_instances = 0;      // instances with >= 2 members checked
  int64_t collective_ops_unmatched = 0;  // ops of groups/steps reported as unmatched
  int64_t p2p_unpaired = 0;              // send/recv ops in groups of != 2 ranks (not checked)
  int64_t single_member_ops = 0;         // collective ops with no other member present
  int64_t process_groups = 0;            // distinct group names checked
};

struct TraceCheckResult {
  int64_t violations = 0;
  std::array<int64_t, kViolationKindCount> by_kind{};
  std::array<int64_t, kViolationKindCount> worst_ns{};  // largest amount_ns per kind
  std::vector<Violation> examples;  // per kind in kind order, up to max_examples_per_kind each
  TraceCheckCoverage coverage;
  TraceCheckOptions options;
};

TraceCheckResult CheckTrace(const JobTrace& job, const TraceCheckOptions& options = {});

// {"violations", "by_kind", "worst_ns", "examples", "coverage", "tolerances_ns", "diagnostics"}
// (keys listed in docs/trace-model.md; a public interface).
void WriteTraceCheckJson(const TraceCheckResult& result, const Diagnostics& diagnostics,
                         JsonWriter& out);

// A human-readable report: counts by kind, then the examples of each kind.
std::string FormatTraceCheckText(const TraceCheckResult& result, const Diagnostics& diagnostics);

}  // namespace trainscope::model
