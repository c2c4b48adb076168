// SPDX-License-Identifier: Apache-2.0
// The CPU side of one rank of a synthesised Kineto trace (internal to src/workload): the Python
// thread's CUDA runtime calls for the GPU ops the writer placed, the cross-stream waits as
// PyTorch >= 2.3 records them with enable_cuda_sync_events, and the thread's GC pauses.
//
// Program order: the thread reaches ops in issue order (where the model's compute reaches them).
// It runs ahead of the GPU, as a GPU-bound training loop does, bounded by CUDA's launch queue
// (an op is launched no earlier than the op kQueueDepth launches before it starts on the GPU)
// and by its GC pauses, and every call ends before its GPU op starts.
// Cross-stream waits: before every collective and side-stream copy, ProcessGroupNCCL (or the
// offload code) records an event on the current (compute) stream and makes its stream wait for
// it (cudaEventRecord + cudaStreamWaitEvent); where the model makes an op wait for another
// stream's op (compute for a collective or a pipeline recv, the optimizer for a gradient
// reduce), an event is recorded right after the source's launch and waited for before the
// target's launch. Each wait also gets its GPU-side cuda_sync "Stream Wait Event" (stream,
// wait_on_stream, wait_on_cuda_event_record_corr_id), so a reader knows its source exactly.
// Thread safety: one object per rank writer.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace trainscope::workload::internal {

enum class HostItem : uint8_t { kKernel, kMemcpy, kNccl };

// One event of the CPU thread (runtime call or GC pause) or a cuda_sync wait on the GPU.
struct HostCall {
  enum Kind : uint8_t { kRuntime, kGcPause, kStreamWait } kind = kRuntime;
  const char* name = nullptr;  // runtime call
  int64_t ts = 0, dur = 0;
  int64_t correlation = 0;
  int cbid = 0;  // CUPTI callback id of the runtime call
  int64_t stream = -1, wait_on_stream = -1, record_correlation = 0;  // kStreamWait
};

struct HostStats {
  int64_t waits_written = 0;  // cross-stream waits for a model dependency (not the NCCL ones)
  int64_t waits_dropped = 0;  // source launched later or not finished before the target starts
};

class HostThread {
 public:
  static constexpr int kQueueDepth = 1024;

  // A GPU op issued at `issue`, running [start, end) on `stream` with correlation id
  // `correlation`.
  void Launch(HostItem kind, int64_t issue, int64_t start, int64_t end, int stream,
              int64_t correlation);
  // The next launched op waits for the GPU op of correlation id `source`; ClearWait: no wait.
  void WaitFor(int64_t source) { pending_source_ = source; }
  void ClearWait() { pending_source_ = 0; }
  void Pause(int64_t begin, int64_t end) { pauses_.push_back({begin, end}); }

  // Places the step's calls in time; ids for the event calls come from `next_correlation`.
  // Returns where the thread's step begins (at most `step_begin`, earlier when the launches of
  // its first ops need it).
  int64_t Place(int64_t step_begin, int compute_stream, int64_t* next_correlation);
  // The placed calls (CPU calls in time order, each wait's cuda_sync event after its call); then
  // forgets the step.
  void Write(const std::function<void(const HostCall&)>& write);
  const HostStats& stats() const { return stats_; }

 private:
  struct Item {
    HostItem kind;
    int stream;
    int64_t issue, start, end;
    int64_t correlation;
    int64_t wait_source;  // 0: none
    int64_t cpu_begin = 0, cpu_dur = 0;
    // The event this op waits for (record id, stream; 0: none), and the one recorded right after
    // its launch for a later wait (0: none).
    int64_t wait_record = 0, wait_stream = -1, wait_correlation = 0, record_after = 0;
    bool pre_record = false;  // NCCL and copies: record on the compute stream, then wait
  };
  void ResolveWaits(int compute_stream, int64_t* next_correlation);
  void PlaceForward(int64_t thread_begin);
  void PlaceBackward();

  std::vector<Item> items_;
  std::vector<std::pair<int64_t, int64_t>> pauses_;
  int64_t pending_source_ = 0;
  HostStats stats_;
};

}  // namespace trainscope::workload::internal
