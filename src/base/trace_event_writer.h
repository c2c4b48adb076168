// SPDX-License-Identifier: Apache-2.0
// TraceEventWriter: the one writer of Chrome trace-event JSON files, the format that
// ui.perfetto.dev and chrome://tracing open and that the PyTorch profiler (Kineto) writes.
// Every trace output of trainscope goes through it: the job timeline (model/perfetto_export),
// the what-if timelines (whatif/), the synthesised Kineto traces (workload/).
//
// A file is one JSON object: optional top-level fields, the "traceEvents" array, optional
// trailing fields. The writer streams: events go through JsonWriter into a buffer flushed to
// the file every MiB, so memory stays flat in the number of events.
//
//   TraceEventWriter trace;
//   TS_RETURN_IF_ERROR(trace.Open(path));
//   trace.json().Field("displayTimeUnit", "ns");          // top-level fields, if any
//   trace.BeginEvents();
//   trace.ProcessName(pid, "rank 0");
//   trace.ThreadName(pid, tid, "stream 7");
//   trace.Complete({.name = "gemm", .category = "kernel", .pid = pid, .tid = tid,
//                   .ts_ns = ts, .dur_ns = dur},
//                  [&](JsonWriter& args) { args.Field("step", 3); });
//   trace.FlowStart({.id = 1, .name = "collective", ...});
//   trace.FlowEnd({.id = 1, .name = "collective", ...});
//   trace.EndEvents();
//   trace.json().Field("traceName", "rank-0.json");        // trailing fields, if any
//   TS_RETURN_IF_ERROR(trace.Close());                      // kIo naming the path on failure
//
// Units: every time is int64 nanoseconds in the API; the file holds microseconds, as the format
// wants ("ts", "dur"), printed per TraceTimeFormat. Field order inside an event is fixed
// ("ph", "name", "cat", "pid", "tid", "ts", "dur", then the rest), so two runs give the same
// bytes. Ownership: the writer owns its FILE. Thread safety: none; one writer per thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "base/output_file.h"
#include "base/json_writer.h"
#include "base/status.h"

namespace trainscope {

// How a nanosecond time is printed as microseconds.
enum class TraceTimeFormat {
  kExactMicros,     // "1234.567": integer ns as us with exactly 3 decimals; exact at any size
  kShortestDouble,  // ns * 1e-3 as a double in shortest round-trip form ("1234.567", "0.001")
};

struct TraceEventWriterOptions {
  TraceTimeFormat time_format = TraceTimeFormat::kExactMicros;
  // Kineto's own files put "cat" before "name"; synthesised Kineto traces keep that order.
  bool category_before_name = false;
};

// A complete event ("ph":"X"): a slice of `dur_ns` on track (pid, tid) from `ts_ns`.
struct TraceSlice {
  std::string_view name;
  std::string_view category;
  int64_t pid = 0;
  int64_t tid = 0;
  int64_t ts_ns = 0;
  int64_t dur_ns = 0;
};

// An instant event ("ph":"i") at `ts_ns`; scope 't' thread, 'p' process, 'g' global.
struct TraceInstant {
  std::string_view name;
  std::string_view category;
  int64_t pid = 0;
  int64_t tid = 0;
  int64_t ts_ns = 0;
  char scope = 't';
};

// One end of a flow arrow ("ph":"s" / "f"). Both ends carry the same `id`, `name` and
// `category`; each end binds to the slice that encloses `ts_ns` on its track (pid, tid).
struct TraceFlow {
  uint64_t id = 0;
  std::string_view name;
  std::string_view category;
  int64_t pid = 0;
  int64_t tid = 0;
  int64_t ts_ns = 0;
};

class TraceEventWriter {
 public:
  explicit TraceEventWriter(TraceEventWriterOptions options = {});
  TraceEventWriter(const TraceEventWriter&) = delete;
  TraceEventWriter& operator=(const TraceEventWriter&) = delete;
  // Without Close() nothing is written (the temporary file is removed: base/output_file.h).
  ~TraceEventWriter();

  // Starts `path` (written under a temporary name, put in place by Close(); a symlink there is
  // replaced, never written through) and opens the top-level object. Errors: kIo naming the path.
  Status Open(const std::string& path);

  // The JSON writer, positioned in the top-level object before BeginEvents() and after
  // EndEvents() (write fields there), or inside an event's "args" in an args callback.
  JsonWriter& json() { return json_; }

  // Opens / closes the "traceEvents" array. Call each once, in this order.
  void BeginEvents();
  void EndEvents();

  // Metadata events ("ph":"M") naming and ordering processes and threads in the UI.
  void ProcessName(int64_t pid, std::string_view name);
  void ProcessSortIndex(int64_t pid, int64_t sort_index);
  void ThreadName(int64_t pid, int64_t tid, std::string_view name);
  void ThreadSortIndex(int64_t pid, int64_t tid, int64_t sort_index);

  // A complete event without args, or with the args that `write_args(JsonWriter&)` writes as
  // fields of the "args" object (it may write none: "args":{}).
  void Complete(const TraceSlice& slice);
  template <typename ArgsFn>
  void Complete(const TraceSlice& slice, ArgsFn&& write_args) {
    BeginSlice(slice);
    json_.Key("args").BeginObject();
    write_args(json_);
    json_.EndObject();
    EndEvent();
  }

  void Instant(const TraceInstant& instant);

  // The start of a flow arrow ("s") and its end ("f" with "bp":"e", binding to the enclosing
  // slice rather than the next one).
  void FlowStart(const TraceFlow& flow);
  void FlowEnd(const TraceFlow& flow);

  // A counter sample ("ph":"C"): track `name` of process `pid` takes `value` at `ts_ns`.
  void Counter(std::string_view name, int64_t pid, int64_t ts_ns, double value);

  // Closes the array (if open) and the object, flushes and closes the file. Errors: kIo with
  // the path and the system's reason (disk full, ...). Call once.
  Status Close();

  // Events written so far (metadata included), and bytes written so far (flushed + buffered).
  int64_t events() const { return events_; }
  uint64_t bytes() const {
    return file_ != nullptr ? json_.flushed_bytes() + json_.str().size() : closed_bytes_;
  }

 private:
  void BeginEvent(std::string_view phase);
  void BeginSlice(const TraceSlice& slice);
  void NameAndCategory(std::string_view name, std::string_view category);
  void Time(std::string_view key, int64_t ns);
  void Flow(std::string_view phase, const TraceFlow& flow);
  template <typename T>
  void Metadata(std::string_view name, int64_t pid, const int64_t* tid, std::string_view key,
                const T& value);
  void EndEvent();

  TraceEventWriterOptions options_;
  std::string path_;
  OutputFile output_;
  std::FILE* file_ = nullptr;  // output_.file() while open
  JsonWriter json_;
  bool events_open_ = false;
  int64_t events_ = 0;
  uint64_t closed_bytes_ = 0;
};

}  // namespace trainscope
