// SPDX-License-Identifier: Apache-2.0
// The trace model: what a multi-rank PyTorch-profiler (Kineto) trace says, as columnar tables.
//
// Layout. A JobTrace holds one RankTrace per rank (sorted by rank). A RankTrace is a set of
// struct-of-arrays tables: `events` (every complete event of the rank), `tracks` (one row per
// CPU thread or GPU stream), `steps` (ProfilerStep#N spans) and `collectives` (one row per
// NCCL GPU kernel, pointing at its event). Rows are addressed by strong ids (model/ids.h).
// Strings are interned in the rank's StringPool.
//
// Units. `ts` and `dur` are int64 nanoseconds. `ts` is on one job-wide clock: the file's
// timestamp (microseconds, converted exactly) + the rank's base time (`baseTimeNanoseconds`,
// 0 when absent) + the rank's alignment offset (see JobTrace::ranks[r].clock). Sizes are in
// elements (`*_nelems`) or bytes (`bytes`).
//
// Ordering. `events` are sorted by (ts, -dur) so that a parent span precedes its children;
// EventIds index that sorted order.
//
// Ownership and thread safety. Readers (src/ingest/) build a JobTrace once; afterwards it is
// read-only and may be shared by any number of threads through `const JobTrace&`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostics.h"
#include "base/huge_buffer.h"
#include "model/ids.h"
#include "model/string_pool.h"

namespace trainscope::model {

// What an event is, from its Kineto `cat` (and for NCCL kernels, its name).
enum class EventKind : uint8_t {
  kKernel,             // GPU compute kernel (cat "kernel")
  kMemcpy,             // cat "gpu_memcpy"
  kMemset,             // cat "gpu_memset"
  kCpuOp,              // cat "cpu_op" (aten ops, record_param_comms, ...)
  kCudaRuntime,        // cat "cuda_runtime" / "cuda_driver" (cudaLaunchKernel, ...)
  kPythonFunction,     // cat "python_function"
  kUserAnnotation,     // cat "user_annotation" (ProfilerStep#N, nccl:all_reduce, ...)
  kGpuUserAnnotation,  // cat "gpu_user_annotation"
  kCollective,         // a GPU kernel running a NCCL collective (ncclKernel_* / ncclDevKernel_*)
  kOther,              // anything else, kept as is ("Trace" spans, unknown categories)
};
inline constexpr int kEventKindCount = 10;
std::string_view EventKindName(EventKind kind);
// True for kinds that run on a GPU stream.
bool IsGpuKind(EventKind kind);

enum class CollectiveType : uint8_t {
  kAllReduce,
  kAllGather,
  kReduceScatter,
  kAllToAll,
  kBroadcast,
  kSend,
  kRecv,
  kBarrier,
  kSendRecv,  // an old-style ncclKernel_SendRecv with no CPU annotation saying what it was
  kOther,
};
inline constexpr int kCollectiveTypeCount = 10;
std::string_view CollectiveTypeName(CollectiveType type);
// Maps Kineto's "Collective name" ("allreduce", "_allgather_base", "all_to_all", ...), a
// `nccl:<coll>` annotation suffix, or a kernel-name part ("AllReduce") to a type.
CollectiveType ParseCollectiveType(std::string_view name);
// For a kernel name starting with ncclKernel_/ncclDevKernel_: true and its type.
bool ParseNcclKernelName(std::string_view kernel_name, CollectiveType* type);

// A process group as the trace describes it (distributedInfo.pg_config or event args).
struct ProcessGroup {
  std::string name;         // "0", "1", ... (PyTorch's pg id)
  std::string description;  // "default_pg", ...
  std::vector<int> ranks;   // global ranks, in group order
  bool operator==(const ProcessGroup&) const = default;
};

// Per-event columns. Row i of every column describes EventId(i).
struct EventTable {
  Column<int64_t> ts;   // ns, job-wide clock
  Column<int64_t> dur;  // ns, >= 0
  Column<StringId> name;
  Column<EventKind> kind;
  Column<TrackId> track;        // thread or stream it ran on
  Column<int64_t> correlation;  // Kineto args.correlation (launch <-> kernel), 0 if none
  Column<int64_t> external_id;  // Kineto args["External id"] (kernel -> cpu_op), 0 if none
  Column<EventId> link;         // launch -> GPU op and GPU op -> launch; Invalid if none
  Column<StepIndex> step;       // step it belongs to (GPU ops: via their launch); or Invalid

  size_t size() const { return ts.size(); }
  int64_t end(EventId id) const { return ts[id.value()] + dur[id.value()]; }
};

// One CPU thread or GPU stream. Kineto writes GPU ops with pid = device and tid = stream.
struct Track {
  int64_t pid = 0;  // process id (CPU) or device index (GPU); -1 if the trace gave a string
  int64_t tid = 0;  // thread id (CPU) or stream (GPU); -1 if the trace gave a string
  bool gpu = false;
  StringId name;  // from thread_name metadata, if any
};

// A cudaStreamWaitEvent as the GPU saw it: `stream` waits for what was launched on
// `wait_on_stream` before the cudaEventRecord call of correlation `record_correlation`.
struct StreamWait {
  int64_t correlation = 0;  // of the cudaStreamWaitEvent runtime call
  int64_t stream = -1;
  int64_t wait_on_stream = -1;
  int64_t record_correlation = 0;
};

// A ProfilerStep#N annotation span on the CPU.
struct Step {
  int64_t number = 0;  // N
  int64_t ts = 0;      // ns, job-wide clock
  int64_t dur = 0;     // ns
  EventId event;
};

// One NCCL collective as it ran on this rank's GPU.
struct CollectiveTable {
  Column<EventId> event;  // the kernel's row in EventTable
  Column<CollectiveType> type;
  Column<int64_t> in_nelems;     // -1 if unknown
  Column<int64_t> out_nelems;    // -1 if unknown
  Column<StringId> dtype;        // "Float", "int8_t", ...; "" if unknown
  Column<int64_t> bytes;         // in_nelems * dtype size; -1 if unknown
  Column<ProcessGroupId> group;  // into RankTrace::process_groups; Invalid if unknown
  Column<int64_t> seq;           // Kineto "Seq" arg; -1 if absent
  Column<int64_t> stream;        // GPU stream the kernel ran on
  Column<int32_t> group_size;    // Kineto "Group size" arg (communicator size); -1 if absent

  size_t size() const { return event.size(); }
};

struct RankTrace {
  int rank = 0;
  std::string source;  // file the rank came from
  StringPool strings;
  EventTable events;
  std::vector<Track> tracks;
  std::vector<Step> steps;  // sorted by ts
  CollectiveTable collectives;
  // Cross-stream waits the trace spells out (cuda_sync "Stream Wait Event" events, PyTorch >= 2.3
  // with enable_cuda_sync_events), in trace order.
  std::vector<StreamWait> stream_waits;
  std::vector<ProcessGroup> process_groups;  // groups this rank's trace mentions
  // Other member lists this rank's trace gives for a group of `process_groups` (an event's
  // "Process Group Ranks" disagreeing with pg_config or with earlier events); one entry per
  // distinct list, named as the group. Empty in a consistent trace.
  std::vector<ProcessGroup> conflicting_groups;
  int64_t base_time_ns = 0;  // baseTimeNanoseconds of the file (0 if absent)

  std::string_view Name(EventId id) const { return strings.Get(events.name[id.value()]); }
  // Bytes held by this rank's tables and strings.
  size_t MemoryBytes() const;
};

// How a rank's alignment offset was obtained.
enum class ClockSource : uint8_t {
  kBaseTime,        // the file's baseTimeNanoseconds put it on the common clock; offset 0
  kReference,       // the rank others were aligned to; offset 0
  kCollectiveEnds,  // offset estimated so that matching collectives end together
  kNone,            // nothing to align with; offset 0
};
std::string_view ClockSourceName(ClockSource source);

struct ClockAlignment {
  int64_t offset_ns = 0;  // added to every ts of the rank (after its base time)
  ClockSource source = ClockSource::kNone;
  int matched_collectives = 0;  // collectives used for the estimate
};

struct JobTrace {
  int world_size = 0;                        // from distributedInfo (or ranks seen)
  std::vector<RankTrace> ranks;              // sorted by rank, unique ranks
  std::vector<ClockAlignment> clocks;        // parallel to `ranks`
  std::vector<ProcessGroup> process_groups;  // union over ranks, by name
  Diagnostics diagnostics;

  const RankTrace* FindRank(int rank) const;
};

}  // namespace trainscope::model
