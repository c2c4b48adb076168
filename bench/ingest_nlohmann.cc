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
  struct Event {
    std::string ph, cat, name, ts, dur, meta, coll_name, dtype, pg_name, pg_desc, pg_ranks;
    int64_t pid = -1, tid = -1, correlation = 0, external_id = 0, stream = -1;
    int64_t in_nelems = -1, out_nelems = -1, seq = -1;
  };

  bool Scalar(const std::string& text) {
    if (in_args_ && depth_ == 4 && arg_ != nullptr) {
      switch (arg_->field) {
        case ArgField::kCollectiveName:
          event_.coll_name = text;
          break;
        case ArgField::kDtype:
          event_.dtype = text;
          break;
        case ArgField::kGroupName:
          event_.pg_name = text;
          break;
        case ArgField::kGroupDescription:
          event_.pg_desc = text;
          break;
        case ArgField::kGroupRanks:
          event_.pg_ranks = text;
          break;
        case ArgField::kMetadataName:
          event_.meta = text;
          break;
        default:
          break;
      }
    } else if (depth_ == 3 && in_events_) {
      if (key_ == "ph") event_.ph = text;
      if (key_ == "cat") event_.cat = text;
      if (key_ == "name") event_.name = text;
    }
    return true;
  }

  bool Number(const std::string& token, int64_t value) {
    if (in_args_ && depth_ == 4 && arg_ != nullptr) {
      switch (arg_->field) {
        case ArgField::kCorrelation:
          event_.correlation = value;
          break;
        case ArgField::kExternalId:
          event_.external_id = value;
          break;
        case ArgField::kStream:
          event_.stream = value;
          break;
        case ArgField::kInNelems:
          event_.in_nelems = value;
          break;
        case ArgField::kOutNelems:
          event_.out_nelems = value;
          break;
        case ArgField::kSeq:
          event_.seq = value;
          break;
        default:
          break;
      }
    } else if (depth_ == 3 && in_events_) {
      if (key_ == "ts") event_.ts = token;
      if (key_ == "dur") event_.dur = token;
      if (key_ == "pid") event_.pid = value;
      if (key_ == "tid") event_.tid = value;
    }
    return true;
  }

  void Finish() {
    ingest::kineto::RawEvent raw;
    raw.ph = event_.ph.empty() ? 0 : event_.ph[0];
    raw.cat = event_.cat, raw.name = event_.name, raw.pid = event_.pid, raw.tid = event_.tid;
    raw.ts_token = event_.ts, raw.dur_token = event_.dur;
    raw.correlation = event_.correlation, raw.external_id = event_.external_id;
    raw.stream = event_.stream, raw.metadata_name = event_.meta;
    raw.collective.collective_name = event_.coll_name;
    raw.collective.in_nelems = event_.in_nelems, raw.collective.out_nelems = event_.out_nelems;
    raw.collective.dtype = event_.dtype, raw.collective.group_name = event_.pg_name;
    raw.collective.group_description = event_.pg_desc;
    raw.collective.group_ranks = event_.pg_ranks, raw.collective.seq = event_.seq;
    if (auto why = sink_.Add(raw)) sink_.Skip(index_, 0, *why);
    ++index_;
  }

  ingest::kineto::EventSink sink_;
  int depth_ = 0;
  bool in_events_ = false, in_args_ = false, failed_ = false;
  std::string key_;
  const ArgSpec* arg_ = nullptr;
  Event event_;
  uint64_t index_ = 0;
};

}  // namespace

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
