// SPDX-License-Identifier: Apache-2.0
// nlohmann-json SAX -> EventSink baseline (see ingest_nlohmann.h).
#include "ingest_nlohmann.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ingest/kineto/kineto_args.h"
#include "ingest/kineto/raw_event.h"

namespace trainscope::bench {
namespace {

using ingest::kineto::ArgField;
using ingest::kineto::ArgSpec;
using Json = nlohmann::json;

// One trace event's fields as both baselines collect them.
struct Event {
  std::string ph, cat, name, ts, dur, meta, coll_name, dtype, pg_name, pg_desc, pg_ranks;
  int64_t pid = -1, tid = -1, correlation = 0, external_id = 0, stream = -1;
  int64_t in_nelems = -1, out_nelems = -1, seq = -1;
};

void SetStringArg(ArgField field, const std::string& text, Event* e) {
  switch (field) {
    case ArgField::kCollectiveName: e->coll_name = text; break;
    case ArgField::kDtype: e->dtype = text; break;
    case ArgField::kGroupName: e->pg_name = text; break;
    case ArgField::kGroupDescription: e->pg_desc = text; break;
    case ArgField::kGroupRanks: e->pg_ranks = text; break;
    case ArgField::kMetadataName: e->meta = text; break;
    default: break;
  }
}

void SetNumberArg(ArgField field, int64_t value, Event* e) {
  switch (field) {
    case ArgField::kCorrelation: e->correlation = value; break;
    case ArgField::kExternalId: e->external_id = value; break;
    case ArgField::kStream: e->stream = value; break;
    case ArgField::kInNelems: e->in_nelems = value; break;
    case ArgField::kOutNelems: e->out_nelems = value; break;
    case ArgField::kSeq: e->seq = value; break;
    default: break;
  }
}

void AddEvent(const Event& e, uint64_t index, ingest::kineto::EventSink* sink) {
  ingest::kineto::RawEvent raw;
  raw.ph = e.ph.empty() ? 0 : e.ph[0];
  raw.cat = e.cat, raw.name = e.name, raw.pid = e.pid, raw.tid = e.tid;
  raw.ts_token = e.ts, raw.dur_token = e.dur;
  raw.correlation = e.correlation, raw.external_id = e.external_id;
  raw.stream = e.stream, raw.metadata_name = e.meta;
  raw.collective.collective_name = e.coll_name;
  raw.collective.in_nelems = e.in_nelems, raw.collective.out_nelems = e.out_nelems;
  raw.collective.dtype = e.dtype, raw.collective.group_name = e.pg_name;
  raw.collective.group_description = e.pg_desc;
  raw.collective.group_ranks = e.pg_ranks, raw.collective.seq = e.seq;
  if (auto why = sink->Add(raw)) sink->Skip(index, 0, *why);
}

class SaxLoader final : public nlohmann::json_sax<Json> {
 public:
  explicit SaxLoader(model::RankTraceBuilder* builder, Diagnostics* diags)
      : sink_(builder, diags, "nlohmann") {}

  bool null() override { return Scalar(""); }
  bool boolean(bool) override { return Scalar(""); }
  bool number_integer(number_integer_t v) override { return Number(std::to_string(v), v); }
  bool number_unsigned(number_unsigned_t v) override {
    return Number(std::to_string(v), static_cast<int64_t>(v));
  }
  bool number_float(number_float_t v, const string_t& s) override {
    return Number(s, static_cast<int64_t>(v));
  }
  bool string(string_t& v) override { return Scalar(v); }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    ++depth_;
    if (depth_ == 3 && in_events_) event_ = Event{};
    if (depth_ == 4 && in_events_ && key_ == "args") in_args_ = true;
    return true;
  }
  bool end_object() override {
    if (depth_ == 3 && in_events_) Finish();
    if (depth_ == 4) in_args_ = false;
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (depth_ == 2 && key_ == "traceEvents") in_events_ = true;
    return true;
  }
  bool end_array() override {
    if (depth_ == 2) in_events_ = false;
    --depth_;
    return true;
  }
  bool key(string_t& k) override {
    if (in_args_ && depth_ == 4) {
      arg_ = ingest::kineto::FindArg(k);
    } else if (depth_ <= 3) {
      key_ = k;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    failed_ = true;
    return false;
  }
  bool failed() const { return failed_; }
  void Close() { sink_.Finish(); }

 private:
  bool Scalar(const std::string& text) {
    if (in_args_ && depth_ == 4 && arg_ != nullptr) {
      SetStringArg(arg_->field, text, &event_);
    } else if (depth_ == 3 && in_events_) {
      if (key_ == "ph") event_.ph = text;
      if (key_ == "cat") event_.cat = text;
      if (key_ == "name") event_.name = text;
    }
    return true;
  }

  bool Number(const std::string& token, int64_t value) {
    if (in_args_ && depth_ == 4 && arg_ != nullptr) {
      SetNumberArg(arg_->field, value, &event_);
    } else if (depth_ == 3 && in_events_) {
      if (key_ == "ts") event_.ts = token;
      if (key_ == "dur") event_.dur = token;
      if (key_ == "pid") event_.pid = value;
      if (key_ == "tid") event_.tid = value;
    }
    return true;
  }

  void Finish() {
    AddEvent(event_, index_++, &sink_);
  }

  ingest::kineto::EventSink sink_;
  int depth_ = 0;
  bool in_events_ = false, in_args_ = false, failed_ = false;
  std::string key_;
  const ArgSpec* arg_ = nullptr;
  Event event_;
  uint64_t index_ = 0;
};

// The usual way to use nlohmann: parse the whole document, then walk it. Numbers keep no
// source text in the DOM, so ts/dur tokens are nlohmann's shortest round-trip form (the same
// double the source text gives).
int64_t AsInt(const Json& v) { return v.is_number_float() ? static_cast<int64_t>(v.get<double>()) : v.get<int64_t>(); }

}  // namespace

model::RankTrace LoadWithNlohmannDom(const char* data, size_t size) {
  model::RankTraceBuilder builder(0, "nlohmann");
  Diagnostics diags;
  ingest::kineto::EventSink sink(&builder, &diags, "nlohmann");
  Json doc = Json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return model::RankTrace{};
  auto events = doc.find("traceEvents");
  if (events == doc.end() || !events->is_array()) return model::RankTrace{};
  uint64_t index = 0;
  for (const Json& ev : *events) {
    Event e;
    if (!ev.is_object()) continue;
    for (auto it = ev.begin(); it != ev.end(); ++it) {
      const std::string& k = it.key();
      const Json& v = it.value();
      if (k == "args" && v.is_object()) {
        for (auto a = v.begin(); a != v.end(); ++a) {
          const ArgSpec* spec = ingest::kineto::FindArg(a.key());
          if (spec == nullptr) continue;
          if (a.value().is_string()) SetStringArg(spec->field, a.value().get_ref<const std::string&>(), &e);
          if (a.value().is_number()) SetNumberArg(spec->field, AsInt(a.value()), &e);
        }
      } else if (v.is_string()) {
        if (k == "ph") e.ph = v.get_ref<const std::string&>();
        if (k == "cat") e.cat = v.get_ref<const std::string&>();
        if (k == "name") e.name = v.get_ref<const std::string&>();
      } else if (v.is_number()) {
        if (k == "ts") e.ts = v.dump();
        if (k == "dur") e.dur = v.dump();
        if (k == "pid") e.pid = AsInt(v);
        if (k == "tid") e.tid = AsInt(v);
      }
    }
    AddEvent(e, index++, &sink);
  }
  sink.Finish();
  return std::move(builder).Finish(0, &diags);
}

model::RankTrace LoadWithNlohmann(const char* data, size_t size) {
  model::RankTraceBuilder builder(0, "nlohmann");
  Diagnostics diags;
  SaxLoader loader(&builder, &diags);
  Json::sax_parse(data, data + size, &loader);
  if (loader.failed()) return model::RankTrace{};
  loader.Close();
  return std::move(builder).Finish(0, &diags);
}

}  // namespace trainscope::bench
