// SPDX-License-Identifier: Apache-2.0
// EventSink: RawEvent -> model rows (complete events, B/E pairs, metadata, NCCL kernels).
#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <system_error>

#include "ingest/kineto/kineto_args.h"
#include "ingest/kineto/raw_event.h"

namespace trainscope::ingest::kineto {

using model::EventKind;

void EventSink::Skip(uint64_t index, uint64_t offset, std::string_view why) {
  diagnostics_->Add(
      "malformed_event", source_,
      fmt::format("event {} (byte {})", index, offset),
      fmt::format("{}: event {} (byte {}): {}; event skipped", source_, index, offset, why));
}

void EventSink::AddComplete(const RawEvent& event, int64_t ts, int64_t dur) {
  EventKind kind = KindFromCategory(event.cat);
  model::CollectiveType coll_type = model::CollectiveType::kOther;
  if (kind == EventKind::kKernel && model::ParseNcclKernelName(event.name, &coll_type)) {
    kind = EventKind::kCollective;
  }
  bool gpu = model::IsGpuKind(kind);
  model::EventRow row;
  row.ts = ts;
  row.dur = dur;
  row.name = builder_->strings().Intern(event.name);
  row.kind = kind;
  row.track = builder_->Track(event.pid, event.tid, gpu);
  row.correlation = event.correlation;
  row.external_id = event.external_id;
  uint32_t index = builder_->AddEvent(row);
  if (kind == EventKind::kCollective) {
    builder_->AddCollective(index, coll_type, event.collective,
                            event.stream >= 0 ? event.stream : event.tid);
  } else if (kind == EventKind::kOther && event.cat == "cuda_sync" && event.correlation != 0 &&
             event.wait_on_stream >= 0 && event.wait_on_record > 0) {
    builder_->AddStreamWait({event.correlation, event.stream >= 0 ? event.stream : event.tid,
                             event.wait_on_stream, event.wait_on_record});
  }
}

namespace {

// True for a JSON number token that is finite but may be too large for int64 nanoseconds
// ("1e300"): such a time is out of range, not 'not a finite number'.
bool IsFiniteNumber(std::string_view token) {
  double value = 0;
  const char* end = token.data() + token.size();
  const auto [ptr, ec] = std::from_chars(token.data(), end, value);
  return ptr == end && (ec == std::errc::result_out_of_range ||
                        (ec == std::errc() && std::isfinite(value)));
}

}  // namespace

std::optional<std::string> EventSink::Add(const RawEvent& event) {
  if (!event.problem.empty()) return event.problem;
  if (event.ph == 0) return ("no \"ph\" (event type)");
  if (event.ph == 'M') {
    if (event.name == "thread_name" && !event.metadata_name.empty()) {
      thread_names_.push_back({{event.pid, event.tid}, std::string(event.metadata_name)});
    }
    return std::nullopt;
  }
  if (event.ph != 'X' && event.ph != 'B' && event.ph != 'E') return std::nullopt;  // flows...
  if (event.ts_token.empty()) return ("no \"ts\"");
  int64_t ts = 0;
  const bool ts_fits = MicrosToNanos(event.ts_token, &ts);
  if (!ts_fits && !IsFiniteNumber(event.ts_token)) {
    return fmt::format("\"ts\" is not a finite number ({})", event.ts_token);
  }
  if (!ts_fits || ts < 0 || ts > kMaxTsNs) {
    return fmt::format("\"ts\" {} us is negative or after the year 2065", event.ts_token);
  }
  if (event.ph == 'X') {
    if (event.dur_token.empty()) return ("complete event has no \"dur\"");
    int64_t dur = 0;
    const bool fits = MicrosToNanos(event.dur_token, &dur);
    if (!fits && !IsFiniteNumber(event.dur_token)) {
      return fmt::format("\"dur\" is not a finite number ({})", event.dur_token);
    }
    if (fits && dur < 0) {
      return fmt::format("negative \"dur\" ({} us)", event.dur_token);
    }
    if (!fits && event.dur_token.starts_with('-')) {
      return fmt::format("negative \"dur\" ({} us)", event.dur_token);
    }
    if (!fits || dur > kMaxDurNs) {
      return fmt::format("\"dur\" {} us is out of range (more than 31 years)", event.dur_token);
    }
    AddComplete(event, ts, dur);
    return std::nullopt;
  }
  bool gpu = model::IsGpuKind(KindFromCategory(event.cat));
  uint32_t track = builder_->Track(event.pid, event.tid, gpu).value();
  std::vector<Open>& stack = open_spans_[track];
  if (event.ph == 'B') {
    Open open{ts, event, std::string(event.name), std::string(event.cat)};
    open.event.problem.clear();
    stack.push_back(std::move(open));
    Open& back = stack.back();
    back.event.name = back.name;
    back.event.cat = back.cat;
    back.event.ts_token = back.event.dur_token = {};
    back.event.collective = {};  // views would dangle; B/E pairs carry no NCCL metadata
    return std::nullopt;
  }
  if (stack.empty()) return ("\"E\" (end) event with no open \"B\" event");
  Open open = std::move(stack.back());
  stack.pop_back();
  open.event.name = open.name;
  open.event.cat = open.cat;
  if (ts < open.ts) return ("\"E\" event ends before its \"B\" began");
  AddComplete(open.event, open.ts, ts - open.ts);
  return std::nullopt;
}

void EventSink::Finish() {
  for (auto& [track, stack] : open_spans_) {
    for (const Open& open : stack) {
      diagnostics_->Add(
          "unclosed_span", source_, open.name,
          fmt::format("{}: \"B\" event '{}' never ends; span dropped", source_, open.name));
    }
  }
  for (const auto& [key, name] : thread_names_) {
    builder_->SetTrackName(key.first, key.second, name);
  }
}

}  // namespace trainscope::ingest::kineto
