// SPDX-License-Identifier: Apache-2.0
// CPU-side runtime calls of a synthesised rank trace (internal/synth_host.h).
#include "workload/internal/synth_host.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace trainscope::workload::internal {
namespace {

// CPU time of the calls, ns (cudaLaunchKernel takes a few microseconds on current drivers).
constexpr int64_t kLaunchNs = 4000, kMemcpyNs = 5000, kEventNs = 1000;
// Where the thread starts a step before its first GPU op at the latest (the step's Python).
constexpr int64_t kStepLeadNs = 20000;
// CUPTI callback ids (cupti_runtime_cbid.h).
constexpr int kCbidLaunch = 211, kCbidMemcpyAsync = 41, kCbidEventRecord = 135,
              kCbidStreamWaitEvent = 147;

}  // namespace

void HostThread::Launch(HostItem kind, int64_t issue, int64_t start, int64_t end, int stream,
                        int64_t correlation) {
  Item item{kind, stream, std::min(issue, start), start, end, correlation, pending_source_};
  item.pre_record = kind != HostItem::kKernel;
  items_.push_back(item);
  pending_source_ = 0;
}

// Pairs each wait with its source: recorded right after the source's launch, kept where the
// source was launched before the target and ends before it starts.
void HostThread::ResolveWaits(int compute_stream, int64_t* next_correlation) {
  std::unordered_map<int64_t, size_t> index_of;  // correlation -> position in program order
  for (size_t i = 0; i < items_.size(); ++i) {
    Item& item = items_[i];
    index_of.emplace(item.correlation, i);
    if (item.pre_record) {
      item.wait_record = (*next_correlation)++;
      item.wait_stream = compute_stream;
      item.wait_correlation = (*next_correlation)++;
      continue;
    }
    if (item.wait_source == 0) continue;
    const auto it = index_of.find(item.wait_source);
    Item* source = it == index_of.end() ? nullptr : &items_[it->second];
    if (source == nullptr || source->stream == item.stream || source->end > item.start) {
      ++stats_.waits_dropped;
      continue;
    }
    if (source->record_after == 0) source->record_after = (*next_correlation)++;
    item.wait_record = source->record_after;
    item.wait_stream = source->stream;
    item.wait_correlation = (*next_correlation)++;
    ++stats_.waits_written;
  }
}

// CPU time of an item's calls: [record +] [wait +] launch [+ record for a later wait].
static int64_t CallsNs(const HostItem kind, bool pre_record, bool waits, bool record_after) {
  return (kind == HostItem::kMemcpy ? kMemcpyNs : kLaunchNs) + (pre_record ? kEventNs : 0) +
         (waits ? kEventNs : 0) + (record_after ? kEventNs : 0);
}

// As early as program order, the launch queue and the GC pauses allow.
void HostThread::PlaceForward(int64_t thread_begin) {
  int64_t clock = thread_begin;
  size_t pause = 0;
  for (size_t i = 0; i < items_.size(); ++i) {
    Item& item = items_[i];
    for (; pause < pauses_.size() && pauses_[pause].first <= item.issue; ++pause) {
      auto& [begin, end] = pauses_[pause];
      const int64_t dur = end - begin;
      begin = std::max(begin, clock);
      end = begin + dur;
      clock = end;
    }
    const int64_t queue_free = i >= kQueueDepth ? items_[i - kQueueDepth].start : clock;
    item.cpu_dur =
        CallsNs(item.kind, item.pre_record, item.wait_record != 0, item.record_after != 0);
    item.cpu_begin = std::max(clock, queue_free);
    clock = item.cpu_begin + item.cpu_dur;
  }
}

// Every launch call ends before its GPU op starts, and each item's calls before the next
// item's or pause's begin.
void HostThread::PlaceBackward() {
  int64_t limit = std::numeric_limits<int64_t>::max();
  size_t pause = pauses_.size();
  for (size_t i = items_.size(); i-- > 0;) {
    Item& item = items_[i];
    for (; pause > 0 && pauses_[pause - 1].first > item.cpu_begin; --pause) {
      limit = std::min(limit, pauses_[pause - 1].first);
    }
    const int64_t after_launch = item.record_after != 0 ? kEventNs : 0;
    limit = std::min(limit, item.start + after_launch);
    if (item.cpu_begin + item.cpu_dur > limit) item.cpu_begin = limit - item.cpu_dur;
    limit = item.cpu_begin;
  }
}

int64_t HostThread::Place(int64_t step_begin, int compute_stream, int64_t* next_correlation) {
  std::stable_sort(items_.begin(), items_.end(),
                   [](const Item& a, const Item& b) { return a.issue < b.issue; });
  std::sort(pauses_.begin(), pauses_.end());
  ResolveWaits(compute_stream, next_correlation);
  const int64_t first = items_.empty() ? step_begin : items_.front().issue;
  const int64_t thread_begin = std::min(step_begin, first - kStepLeadNs);
  PlaceForward(thread_begin);
  PlaceBackward();
  int64_t begin = thread_begin;
  for (const Item& item : items_) begin = std::min(begin, item.cpu_begin);
  for (const auto& p : pauses_) begin = std::min(begin, p.first);
  return begin;
}

void HostThread::Write(const std::function<void(const HostCall&)>& write) {
  const auto runtime = [&](const char* name, int64_t ts, int64_t dur, int64_t id, int cbid) {
    write({HostCall::kRuntime, name, ts, dur, id, cbid});
  };
  size_t pause = 0;
  for (const Item& item : items_) {
    for (; pause < pauses_.size() && pauses_[pause].first < item.cpu_begin; ++pause) {
      write({HostCall::kGcPause, nullptr, pauses_[pause].first,
             pauses_[pause].second - pauses_[pause].first});
    }
    int64_t ts = item.cpu_begin;
    if (item.pre_record) {
      runtime("cudaEventRecord", ts, kEventNs, item.wait_record, kCbidEventRecord);
      ts += kEventNs;
    }
    if (item.wait_record != 0) {
      runtime("cudaStreamWaitEvent", ts, kEventNs, item.wait_correlation, kCbidStreamWaitEvent);
      write({HostCall::kStreamWait, "Stream Wait Event", ts, 0, item.wait_correlation, 0,
             item.stream, item.wait_stream, item.wait_record});
      ts += kEventNs;
    }
    const int64_t launch = item.kind == HostItem::kMemcpy ? kMemcpyNs : kLaunchNs;
    runtime(item.kind == HostItem::kMemcpy ? "cudaMemcpyAsync" : "cudaLaunchKernel", ts, launch,
            item.correlation, item.kind == HostItem::kMemcpy ? kCbidMemcpyAsync : kCbidLaunch);
    ts += launch;
    if (item.record_after != 0) {
      runtime("cudaEventRecord", ts, kEventNs, item.record_after, kCbidEventRecord);
    }
  }
  for (; pause < pauses_.size(); ++pause) {
    write({HostCall::kGcPause, nullptr, pauses_[pause].first,
           pauses_[pause].second - pauses_[pause].first});
  }
  items_.clear();
  pauses_.clear();
}

}  // namespace trainscope::workload::internal
