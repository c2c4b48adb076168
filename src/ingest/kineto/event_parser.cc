// SPDX-License-Identifier: Apache-2.0
// EventBatchParser: simdjson on-demand walk over a batch of events (see event_parser.h).
#include "ingest/kineto/event_parser.h"

#include <emmintrin.h>
#include <fmt/core.h>
#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "base/utf8.h"
#include "ingest/kineto/event_scanner.h"
#include "ingest/kineto/kineto_args.h"
#include "ingest/kineto/raw_event.h"

namespace trainscope::ingest::kineto {
namespace od = simdjson::ondemand;

namespace {

// Offset of the first byte below 0x20 other than JSON whitespace (\t \n \r), or npos: a raw
// control byte is an error inside a string and outside one alike.
size_t FirstControlByte(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return i;
  }
  return std::string_view::npos;
}

std::string_view TypeName(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "unknown";
}

// Whether the key at `key` (just past its opening quote) is `literal`, which includes the
// closing quote: compared in place, without finding where the key ends. A key with an escape
// never equals a known key, as it should not (keys we do not know are skipped anyway). The
// batch buffer has 64 readable bytes past its end, so reading a few bytes past a short key is
// safe.
template <size_t N>
inline bool KeyIs(const char* key, const char (&literal)[N]) {
  return __builtin_memcmp(key, literal, N - 1) == 0;
}

// Offset of the first '"' or '\\' at or after p, 16 bytes at a time (SSE2). The caller knows
// one lies ahead in the batch, whose buffer has 64 readable bytes past its end.
inline size_t QuoteOrBackslash(const char* p) {
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  for (size_t n = 0;; n += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n));
    auto found = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash))));
    if (found != 0) return n + static_cast<size_t>(__builtin_ctz(found));
  }
}

// Where string values are decoded. A string without escapes (nearly all of them) is used in
// place, as a view into the batch; one with escapes is unescaped by simdjson into `next`, a
// scratch buffer as large as the batch (unescaping never lengthens a string). Views stay valid
// until the next batch, like those of simdjson's get_string.
struct StringDecoder {
  const od::parser* parser;
  uint8_t* next;
};

// GetString's uncommon cases: a string with escapes (unescaped by simdjson into the scratch),
// or not a string at all. Out of line so that the common path stays small.
[[gnu::noinline]] simdjson::error_code GetStringSlow(od::value value, simdjson::error_code error,
                                                     od::raw_json_string raw, std::string_view field,
                                                     std::string_view* out, RawEvent* event,
                                                     StringDecoder* decoder) {
  if (error == simdjson::SUCCESS) return decoder->parser->unescape(raw, decoder->next).get(*out);
  if (error == simdjson::INCORRECT_TYPE && event->problem.empty()) {
    od::json_type type{};
    if (value.type().get(type) == simdjson::SUCCESS) {
      event->problem = fmt::format("\"{}\" is {}, expected a string", field, TypeName(type));
      return simdjson::SUCCESS;
    }
  }
  return error;
}

// Reads a string field; on a type mismatch notes the problem and returns an error code.
inline simdjson::error_code GetString(od::value value, std::string_view field, std::string_view* out,
                                      RawEvent* event, StringDecoder* decoder) {
  od::raw_json_string raw;
  auto error = value.get_raw_json_string().get(raw);
  if (error == simdjson::SUCCESS) {
    const char* start = raw.raw();
    size_t length = QuoteOrBackslash(start);
    if (start[length] == '"') {
      *out = std::string_view(start, length);
      return simdjson::SUCCESS;
    }
  }
  return GetStringSlow(value, error, raw, field, out, event, decoder);
}

// Whether c may follow a number in JSON text (the end of the number token).
inline bool EndsNumber(char c) {
  return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// GetLooseInt's uncommon cases, out of line: a sign, "01", a fraction, a string...
[[gnu::noinline]] simdjson::error_code GetLooseIntSlow(od::value value, int64_t* out) {
  if (value.get_int64().get(*out) == simdjson::SUCCESS) return simdjson::SUCCESS;
  od::json_type type{};
  if (auto error = value.type().get(type)) return error;
  if (type == od::json_type::number) {
    double d = 0;
    if (auto error = value.get_double().get(d)) return error;
    // Out of int64 range (or a huge uint64): not a usable id, same as a string.
    *out = (d > -9.2e18 && d < 9.2e18) ? static_cast<int64_t>(d) : -1;
    return simdjson::SUCCESS;
  }
  *out = -1;
  return simdjson::SUCCESS;
}

// Integer field that may also be a string ("Spans") or a double: strings give -1.
// Plain non-negative integers of up to 18 digits without a leading zero (pids, tids, ids: nearly
// all) are read straight from the token when a byte that may end a JSON number follows the
// digits; anything else (a sign, "01", a fraction, more digits...) goes through simdjson. The
// digits are all the token's bytes up to that end, so each of them is checked here.
inline simdjson::error_code GetLooseInt(od::value value, int64_t* out) {
  const char* p = value.raw_json_token().data();
  if (p[0] >= '1' && p[0] <= '9') {
    int64_t number = p[0] - '0';
    size_t n = 1;
    for (; n < 18 && p[n] >= '0' && p[n] <= '9'; ++n) number = number * 10 + (p[n] - '0');
    if (EndsNumber(p[n])) {
      *out = number;
      return simdjson::SUCCESS;
    }
  } else if (p[0] == '0' && EndsNumber(p[1])) {  // GPU pids (device 0), correlation 0
    *out = 0;
    return simdjson::SUCCESS;
  }
  return GetLooseIntSlow(value, out);
}

// ts / dur: keep the raw number token (converted exactly later). Non-numbers are a problem of
// the event (skipped), except tokens that are not JSON at all, which are fatal.
void GetTimeToken(od::value value, std::string_view field, std::string_view* out, RawEvent* event) {
  std::string_view token = value.raw_json_token();
  char c = token.empty() ? ' ' : token[0];
  auto space = [](char x) { return x == ' ' || x == '\n' || x == '\r' || x == '\t'; };
  if ((c >= '0' && c <= '9') || (c == '-' && token.size() > 1 && !space(token[1]))) {
    *out = token;  // the common case; MicrosToNanos trims and checks the rest
    return;
  }
  while (!token.empty() && space(token.back())) token.remove_suffix(1);
  bool non_finite = token == "NaN" || token == "nan" || token == "Infinity" ||
                    token == "-Infinity" || token == "inf" || token == "-inf";
  if (non_finite) {
    *out = token;
  } else if (c == '"' || c == '{' || c == '[' || token == "true" || token == "false" ||
             token == "null") {
    if (event->problem.empty()) {
      std::string_view what = c == '"'   ? "a string"
                              : c == '{' ? "an object"
                              : c == '[' ? "an array"
                                         : token;
      event->problem = fmt::format("\"{}\" is {}, expected a number", field, what);
    }
  } else if (event->fatal.empty()) {
    event->fatal =
        fmt::format("\"{}\" has a value that is not JSON ({})", field, token.substr(0, 20));
  }
}

simdjson::error_code ParseArgs(od::object args, RawEvent* event) {
  for (auto field : args) {
    od::raw_json_string key;
    if (auto error = field.key().get(key)) return error;
    const ArgSpec* spec = FindArgAt(key.raw());
    if (spec == nullptr) continue;
    od::value value;
    if (auto error = field.value().get(value)) return error;
    int64_t number = spec->default_value;
    std::string_view text;
    if (spec->type == ArgType::kInt) {
      if (auto error = GetLooseInt(value, &number)) return error;
    } else {
      od::json_type type{};
      if (auto error = value.type().get(type)) return error;
      if (type == od::json_type::string) {
        if (auto error = value.get_string().get(text)) return error;
      } else if (type == od::json_type::array) {  // "Process Group Ranks" as a real array
        od::array items;
        if (auto error = value.get_array().get(items)) return error;
        for (auto item : items) {
          int64_t member = 0;
          if (auto error = item.get_int64().get(member)) return error;
          event->text_storage += std::to_string(member) + ",";
        }
        text = event->text_storage;
      }
    }
    model::CollectiveArgs& c = event->collective;
    switch (spec->field) {
      case ArgField::kCorrelation:
        event->correlation = number;
        break;
      case ArgField::kExternalId:
        event->external_id = number;
        break;
      case ArgField::kStream:
        event->stream = number;
        break;
      case ArgField::kDevice:
        break;
      case ArgField::kCollectiveName:
        c.collective_name = text;
        break;
      case ArgField::kInNelems:
        c.in_nelems = number;
        break;
      case ArgField::kOutNelems:
        c.out_nelems = number;
        break;
      case ArgField::kDtype:
        c.dtype = text;
        break;
      case ArgField::kGroupName:
        c.group_name = text;
        break;
      case ArgField::kGroupDescription:
        c.group_description = text;
        break;
      case ArgField::kGroupRanks:
        c.group_ranks = text;
        break;
      case ArgField::kGroupSize:
        c.group_size = number;
        break;
      case ArgField::kSeq:
        c.seq = number;
        break;
      case ArgField::kMetadataName:
        event->metadata_name = text;
        break;
      case ArgField::kWaitOnStream:
        event->wait_on_stream = number;
        break;
      case ArgField::kWaitOnRecord:
        event->wait_on_record = number;
        break;
    }
  }
  return simdjson::SUCCESS;
}

[[gnu::always_inline]] inline simdjson::error_code ParseEvent(od::object object, RawEvent* event,
                                                          StringDecoder* decoder) {
  for (auto field : object) {
    od::raw_json_string raw_key;
    if (auto error = field.key().get(raw_key)) return error;
    const char* key = raw_key.raw();
    od::value value;
    if (auto error = field.value().get(value)) return error;
    simdjson::error_code error = simdjson::SUCCESS;
    std::string_view text;
    switch (key[0]) {
      case 'p':
        if (KeyIs(key, "ph\"")) {
          error = GetString(value, "ph", &text, event, decoder);
          if (!text.empty()) event->ph = text[0];
        } else if (KeyIs(key, "pid\"")) {
          error = GetLooseInt(value, &event->pid);
        }
        break;
      case 't':
        if (KeyIs(key, "ts\"")) {
          GetTimeToken(value, "ts", &event->ts_token, event);
        } else if (KeyIs(key, "tid\"")) {
          error = GetLooseInt(value, &event->tid);
        }
        break;
      case 'c':
        if (KeyIs(key, "cat\"")) error = GetString(value, "cat", &event->cat, event, decoder);
        break;
      case 'd':
        if (KeyIs(key, "dur\"")) GetTimeToken(value, "dur", &event->dur_token, event);
        break;
      case 'n':
        if (KeyIs(key, "name\"")) error = GetString(value, "name", &event->name, event, decoder);
        break;
      case 'a':
        if (KeyIs(key, "args\"")) {
          od::object args;
          error = value.get_object().get(args);
          if (error == simdjson::INCORRECT_TYPE) {
            if (event->problem.empty()) event->problem = "\"args\" is not an object";
            error = simdjson::SUCCESS;
          } else if (!error) {
            error = ParseArgs(args, event);
          }
        }
        break;
      default:
        break;
    }
    if (error) return error;
  }
  return simdjson::SUCCESS;
}

}  // namespace

struct EventBatchParser::Impl {
  Impl(model::RankTraceBuilder* builder, Diagnostics* diagnostics, std::string name)
      : sink(builder, diagnostics, name), source(std::move(name)) {}
  od::parser parser;
  EventSink sink;
  std::string source;
  uint64_t events_seen = 0;
  // StringDecoder scratch: the batch's length plus simdjson's padding (its string copy writes
  // whole blocks). Uninitialised; only strings with escapes are written to it.
  std::unique_ptr<uint8_t[]> strings;
  size_t strings_capacity = 0;
  std::vector<size_t> starts;  // element offsets in the buffer of a guessed batch
  char saved_before = 0, saved_after = 0;  // the bytes Wrap overwrote

  // Wraps buf[first_start, batch_end) in '[' ... ']' and sizes the string scratch. The two bytes
  // overwritten are kept (Unwrap puts them back: a speculative batch that fails is
  // scanned again from the same bytes).
  void Wrap(char* buf, size_t first_start, size_t batch_end, simdjson::padded_string_view* view) {
    saved_before = buf[first_start - 1];
    saved_after = buf[batch_end];
    buf[first_start - 1] = '[';
    buf[batch_end] = ']';
    size_t length = batch_end + 1 - (first_start - 1);
    *view = simdjson::padded_string_view(buf + first_start - 1, length,
                                         length + simdjson::SIMDJSON_PADDING);
    if (strings_capacity < length + simdjson::SIMDJSON_PADDING) {
      strings_capacity = std::max(length + simdjson::SIMDJSON_PADDING, size_t{1} << 18);
      strings.reset(new uint8_t[strings_capacity]);
    }
  }
  void Unwrap(char* buf, size_t first_start, size_t batch_end) const {
    buf[first_start - 1] = saved_before;
    buf[batch_end] = saved_after;
  }
  template <typename OffsetOf>  // () -> input byte offset of the event (error paths only)
  void Add(const RawEvent& event, uint64_t index, OffsetOf offset) {
    if (std::optional<std::string> why = sink.Add(event)) sink.Skip(index, offset(), *why);
  }
};

EventBatchParser::EventBatchParser(model::RankTraceBuilder* builder, Diagnostics* diagnostics,
                                   std::string source)
    : impl_(std::make_unique<Impl>(builder, diagnostics, std::move(source))) {}
EventBatchParser::~EventBatchParser() = default;

void EventBatchParser::Finish() { impl_->sink.Finish(); }
uint64_t EventBatchParser::events_seen() const { return impl_->events_seen; }

Status EventBatchParser::ParseBatch(char* buf, size_t first_start, size_t batch_end,
                                    uint64_t stream_offset, uint64_t first_index) {
  simdjson::padded_string_view view;
  impl_->Wrap(buf, first_start, batch_end, &view);
  std::vector<size_t> starts;  // element offsets, computed only when a message needs them
  auto offset_of = [&](uint64_t in_batch) -> uint64_t {
    if (starts.empty()) starts = ElementStarts(buf, first_start, batch_end);
    size_t at = in_batch < starts.size() ? starts[in_batch] : first_start;
    return stream_offset + at;
  };
  uint64_t in_batch = 0;
  simdjson::error_code error = simdjson::SUCCESS;
  od::document doc;
  od::array events;
  StringDecoder decoder{&impl_->parser, impl_->strings.get()};
  error = impl_->parser.iterate(view).get(doc);
  if (!error) error = doc.get_array().get(events);
  if (!error) {
    for (auto element : events) {
      od::object object;
      if ((error = element.get_object().get(object))) break;
      RawEvent event;
      if ((error = ParseEvent(object, &event, &decoder))) break;
      if (!event.fatal.empty()) {
        impl_->Unwrap(buf, first_start, batch_end);
        return InvalidArgumentError("{}: event {} (byte {}): invalid JSON: {}", impl_->source,
                                    first_index + in_batch, offset_of(in_batch), event.fatal);
      }
      impl_->Add(event, first_index + in_batch, [&, k = in_batch] { return offset_of(k); });
      ++in_batch;
    }
  }
  impl_->Unwrap(buf, first_start, batch_end);
  impl_->events_seen += in_batch;
  // simdjson checks a batch's UTF-8 and its unescaped control bytes as a whole before any event
  // is read: find the byte, and the event it lies in, ourselves.
  const std::string_view batch(buf + first_start, batch_end - first_start);
  size_t bad = std::string_view::npos;
  const char* what = "";
  if (error == simdjson::UTF8_ERROR) {
    bad = FirstInvalidUtf8(batch);
    what = "invalid UTF-8";
  } else if (error == simdjson::UNESCAPED_CHARS) {
    bad = FirstControlByte(batch);
    what = "a control byte that JSON requires escaped";
  }
  if (bad != std::string_view::npos) {
    if (starts.empty()) starts = ElementStarts(buf, first_start, batch_end);
    const auto after = static_cast<uint64_t>(
        std::upper_bound(starts.begin(), starts.end(), first_start + bad) - starts.begin());
    const uint64_t event = after > 0 ? after - 1 : 0;
    return InvalidArgumentError("{}: event {} (byte {}): {} at byte {}{}", impl_->source,
                                first_index + event, offset_of(event), what,
                                stream_offset + first_start + bad,
                                error == simdjson::UNESCAPED_CHARS
                                    ? fmt::format(" ({})", PrintableAscii(batch.substr(bad, 1)))
                                    : std::string());
  }
  if (error) {
    return InvalidArgumentError("{}: event {} (byte {}): invalid JSON: {}", impl_->source,
                                first_index + in_batch, offset_of(in_batch),
                                simdjson::error_message(error));
  }
  return OkStatus();
}

GuessedBatch EventBatchParser::ParseGuessedBatch(char* buf, size_t first_start, size_t batch_end,
                                                 uint64_t stream_offset, uint64_t first_index) {
  simdjson::padded_string_view view;
  impl_->Wrap(buf, first_start, batch_end, &view);
  std::vector<size_t>& starts = impl_->starts;
  starts.clear();
  GuessedBatch out;
  bool whole = false;
  od::document doc;
  od::array events;
  StringDecoder decoder{&impl_->parser, impl_->strings.get()};
  auto offset_of = [&](uint64_t k) { return stream_offset + starts[k]; };
  if (impl_->parser.iterate(view).get(doc) == simdjson::SUCCESS &&
      doc.get_array().get(events) == simdjson::SUCCESS) {
    whole = true;
    for (auto element : events) {
      const char* at = nullptr;
      od::object object;
      if (element.current_location().get(at) != simdjson::SUCCESS ||
          element.get_object().get(object) != simdjson::SUCCESS) {
        whole = false;
        break;
      }
      starts.push_back(static_cast<size_t>(at - buf));
      RawEvent event;
      // Every event walked before a failure is whole: the walk began at a real event and keeps
      // the document's own depth. A failing event (truncated by the guess, or bad JSON that
      // the exact path will report) is not added.
      if (ParseEvent(object, &event, &decoder) != simdjson::SUCCESS || !event.fatal.empty()) {
        starts.pop_back();
        whole = false;
        break;
      }
      impl_->Add(event, first_index + out.events, [&, k = out.events] { return offset_of(k); });
      ++out.events;
    }
    // The guessed end cuts no event when the walk consumed every token: an event cut by it stays
    // open (on-demand counts depth over any bracket kind, so the ']' written at the guess cannot
    // close it) and fails above. Tokens left over mean the real array closed earlier.
    // (current_location() is OUT_OF_BOUNDS exactly when every token was consumed.)
    whole = whole && doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
  }
  impl_->Unwrap(buf, first_start, batch_end);
  impl_->events_seen += out.events;
  if (whole) {
    out.resume = batch_end;
  } else if (out.events > 0) {
    // Just past the last event added: the exact scan takes over from its separator.
    out.resume = ElementEnd(buf, starts[out.events - 1], batch_end);
  }
  return out;
}

}  // namespace trainscope::ingest::kineto
