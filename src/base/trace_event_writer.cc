// SPDX-License-Identifier: Apache-2.0
// Chrome trace-event JSON writer (see trace_event_writer.h).
#include "base/trace_event_writer.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <iterator>

#include "base/check.h"

namespace trainscope {

TraceEventWriter::TraceEventWriter(TraceEventWriterOptions options) : options_(options) {}

TraceEventWriter::~TraceEventWriter() {
  json_ = JsonWriter();  // no sink: output_ removes the unfinished temporary file
}

Status TraceEventWriter::Open(const std::string& path) {
  TS_CHECK(file_ == nullptr, "TraceEventWriter::Open called twice");
  path_ = path;
  TS_RETURN_IF_ERROR(output_.Open(path));
  file_ = output_.file();
  json_ = JsonWriter(file_);
  json_.BeginObject();
  return OkStatus();
}

void TraceEventWriter::BeginEvents() {
  TS_CHECK(file_ != nullptr && !events_open_, "BeginEvents: writer not open or array open");
  json_.Key("traceEvents").BeginArray();
  events_open_ = true;
}

void TraceEventWriter::EndEvents() {
  TS_CHECK(events_open_, "EndEvents without BeginEvents");
  json_.EndArray();
  events_open_ = false;
}

void TraceEventWriter::BeginEvent(std::string_view phase) {
  TS_DCHECK(events_open_, "trace event outside traceEvents");
  json_.BeginObject().Field("ph", phase);
}

void TraceEventWriter::EndEvent() {
  json_.EndObject();  // JsonWriter flushes to the file past 1 MiB here
  ++events_;
}

void TraceEventWriter::NameAndCategory(std::string_view name, std::string_view category) {
  if (options_.category_before_name) {
    json_.Field("cat", category).Field("name", name);
  } else {
    json_.Field("name", name).Field("cat", category);
  }
}

void TraceEventWriter::Time(std::string_view key, int64_t ns) {
  json_.Key(key);
  if (options_.time_format == TraceTimeFormat::kShortestDouble) {
    json_.Double(static_cast<double>(ns) * 1e-3);
    return;
  }
  // Exact: integer microseconds, '.', three digits of nanoseconds. 0 - u avoids the overflow
  // of -INT64_MIN.
  const uint64_t abs = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  char text[32];
  char* end = fmt::format_to(text, "{}{}.{:03}", ns < 0 ? "-" : "", abs / 1000, abs % 1000);
  json_.Raw(std::string_view(text, static_cast<size_t>(end - text)));
}

template <typename T>
void TraceEventWriter::Metadata(std::string_view name, int64_t pid, const int64_t* tid,
                                std::string_view key, const T& value) {
  BeginEvent("M");
  json_.Field("name", name).Field("pid", pid);
  if (tid != nullptr) json_.Field("tid", *tid);
  json_.Key("args").BeginObject().Field(key, value).EndObject();
  EndEvent();
}

void TraceEventWriter::ProcessName(int64_t pid, std::string_view name) {
  Metadata("process_name", pid, nullptr, "name", name);
}
void TraceEventWriter::ProcessSortIndex(int64_t pid, int64_t sort_index) {
  Metadata("process_sort_index", pid, nullptr, "sort_index", sort_index);
}
void TraceEventWriter::ThreadName(int64_t pid, int64_t tid, std::string_view name) {
  Metadata("thread_name", pid, &tid, "name", name);
}
void TraceEventWriter::ThreadSortIndex(int64_t pid, int64_t tid, int64_t sort_index) {
  Metadata("thread_sort_index", pid, &tid, "sort_index", sort_index);
}

void TraceEventWriter::BeginSlice(const TraceSlice& slice) {
  BeginEvent("X");
  NameAndCategory(slice.name, slice.category);
  json_.Field("pid", slice.pid).Field("tid", slice.tid);
  Time("ts", slice.ts_ns);
  Time("dur", slice.dur_ns);
}

void TraceEventWriter::Complete(const TraceSlice& slice) {
  BeginSlice(slice);
  EndEvent();
}

void TraceEventWriter::Instant(const TraceInstant& instant) {
  BeginEvent("i");
  NameAndCategory(instant.name, instant.category);
  json_.Field("pid", instant.pid).Field("tid", instant.tid);
  Time("ts", instant.ts_ns);
  json_.Field("s", std::string_view(&instant.scope, 1));
  EndEvent();
}

void TraceEventWriter::Flow(std::string_view phase, const TraceFlow& flow) {
  BeginEvent(phase);
  json_.Field("id", flow.id);
  NameAndCategory(flow.name, flow.category);
  json_.Field("pid", flow.pid).Field("tid", flow.tid);
  Time("ts", flow.ts_ns);
}

void TraceEventWriter::FlowStart(const TraceFlow& flow) {
  Flow("s", flow);
  EndEvent();
}

void TraceEventWriter::FlowEnd(const TraceFlow& flow) {
  Flow("f", flow);
  json_.Field("bp", "e");  // bind to the enclosing slice, not the next one to start
  EndEvent();
}

void TraceEventWriter::Counter(std::string_view name, int64_t pid, int64_t ts_ns, double value) {
  BeginEvent("C");
  json_.Field("name", name).Field("pid", pid);
  Time("ts", ts_ns);
  json_.Key("args").BeginObject().Field("value", value).EndObject();
  EndEvent();
}

Status TraceEventWriter::Close() {
  TS_CHECK(file_ != nullptr, "TraceEventWriter::Close without a successful Open");
  if (events_open_) EndEvents();
  json_.EndObject();
  json_.Flush();
  closed_bytes_ = json_.flushed_bytes();
  json_ = JsonWriter();
  file_ = nullptr;
  return output_.Commit();
}

}  // namespace trainscope
