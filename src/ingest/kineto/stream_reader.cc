// SPDX-License-Identifier: Apache-2.0
// StreamReader: the top-level state machine and the batch loop over traceEvents.
#include "ingest/kineto/stream_reader.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "base/utf8.h"
#include "ingest/kineto/event_scanner.h"

namespace trainscope::ingest::kineto {
namespace {

// Buffer and batch are small enough that the bytes one read() brings are still in the core's
// L2 cache when the scanner, simdjson's stage 1 and the walk go over them: on a 1.09 GB trace,
// 512 KiB / 128 KiB took ~20% less CPU than 4 MiB / 256 KiB (mmap of the file instead of read()
// was 2x slower: page faults are costly in a VM).
constexpr size_t kMaxInitialBuffer = size_t{512} << 10;  // bytes
constexpr size_t kBatchBytes = size_t{128} << 10;        // events handed to simdjson at once
constexpr size_t kMaxEventBytes = size_t{1} << 30;       // a single event larger than this is bad
// Bytes past a guessed batch that must be in the buffer too (the guess looks only inside the
// batch, but the parser needs padding and a few bytes of the next separator).
constexpr size_t kGuessSlack = 256;
constexpr size_t kMinGuessBytes = size_t{16} << 10;  // less is left to the exact scan
constexpr std::string_view kKeptKeys[] = {"distributedInfo", "baseTimeNanoseconds", "schemaVersion",
                                          "deviceProperties"};

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string Printable(char c) { return PrintableAscii(std::string_view(&c, 1)); }

}  // namespace

Status StreamReader::Error(StatusCode code, uint64_t offset, std::string_view what) const {
  return Status(code, fmt::format("{}: byte {}: {}", source_->path(), offset, what));
}

Result<bool> StreamReader::Fill() {
  if (eof_) return false;
  size_t keep = end_ - pos_;
  if (keep > kMaxEventBytes) {
    return Error(StatusCode::kOutOfRange, Offset(), "one JSON value is larger than 1 GiB");
  }
  // Data always starts at buf_[1], so a batch can be wrapped in '[' ... ']' in place.
  if (buf_.capacity() == 0) {
    // Small files get a small buffer (gzip inflates ~10x): 512 KiB of fresh memory would cost
    // more than parsing them.
    uint64_t size = source_->file_size() * (source_->compressed() ? 10 : 1) + 256;
    buf_.Reserve(static_cast<size_t>(std::clamp<uint64_t>(size, 4096, kMaxInitialBuffer)));
  }
  if (keep > 0 && pos_ > 1) std::memmove(buf_.data() + 1, buf_.data() + pos_, keep);
  buf_offset_ += static_cast<int64_t>(pos_) - 1;
  pos_ = 1;
  end_ = 1 + keep;
  // Grow when a partial value fills more than 3/4 of the buffer, so each read brings enough.
  if (end_ + buf_.capacity() / 4 > buf_.capacity() - 1) buf_.Reserve(buf_.capacity() * 2, end_);
  TS_ASSIGN_OR_RETURN(size_t got, source_->Read(buf_.data() + end_, buf_.capacity() - 1 - end_));
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += got;
  return true;
}

Result<char> StreamReader::NextNonSpace(std::string_view context) {
  while (true) {
    while (pos_ < end_ && IsSpace(buf_.data()[pos_])) ++pos_;
    if (pos_ < end_) return buf_.data()[pos_++];
    TS_ASSIGN_OR_RETURN(bool more, Fill());
    if (!more) {
      if (Offset() == 0) {
        return Error(StatusCode::kDataLoss, 0, "empty file (no JSON value)");
      }
      return Error(StatusCode::kDataLoss, Offset(),
                   fmt::format("unexpected end of input {} (file truncated?)", context));
    }
  }
}

Status StreamReader::ReadStringBody(std::string* out) {
  bool escaped = false;
  while (true) {
    if (pos_ == end_) {
      TS_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) return Error(StatusCode::kDataLoss, Offset(), "unexpected end inside a string");
    }
    char c = buf_.data()[pos_++];
    if (!escaped && c == '"') return OkStatus();
    escaped = !escaped && c == '\\';
    out->push_back(c);
  }
}

Status StreamReader::CaptureValue(char first, std::string* out) {
  out->push_back(first);
  if (first == '"') {
    TS_RETURN_IF_ERROR(ReadStringBody(out));
    out->push_back('"');
    return OkStatus();
  }
  int depth = (first == '{' || first == '[') ? 1 : 0;
  bool in_string = false, escaped = false;
  while (true) {
    if (pos_ == end_) {
      TS_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) {
        if (depth == 0) return OkStatus();
        return Error(StatusCode::kDataLoss, Offset(), "unexpected end inside a top-level value");
      }
    }
    char c = buf_.data()[pos_];
    if (depth == 0 && (c == ',' || c == '}' || c == ']' || IsSpace(c))) return OkStatus();
    ++pos_;
    out->push_back(c);
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return OkStatus();
    }
  }
}

// Where a batch of whole events probably ends: just past the last '}' before `limit` that a
// ',' follows (spaces between allowed), or 0. Usually right, as events end with "}," and a
// nested object inside an event rarely does; the parser proves it (ParseGuessedBatch).
size_t GuessBatchEnd(const char* buf, size_t first, size_t limit) {
  for (size_t at = limit; at > first;) {
    const void* found = memrchr(buf + first, '}', at - first);
    if (found == nullptr) return 0;
    size_t close = static_cast<size_t>(static_cast<const char*>(found) - buf);
    size_t next = close + 1;
    while (next < limit && IsSpace(buf[next])) ++next;
    if (next < limit && buf[next] == ',') return close + 1;
    at = close;
  }
  return 0;
}

Status StreamReader::StreamEvents() {
  bool need_comma = false;
  uint64_t guesses_right = 0, guesses_wrong = 0;
  while (true) {
    // Fast path: with enough bytes at hand, guess where the last whole event before the batch
    // limit ends and let simdjson parse up to there, without a scan of our own over the bytes.
    // Input where guesses keep failing (nested objects that end in "},") stops guessing.
    const char* buf = buf_.data();
    if (end_ > pos_ + kGuessSlack && guesses_wrong * 16 <= guesses_right + 16) {
      const size_t avail = end_ - kGuessSlack;
      size_t first = pos_;
      while (first < avail && IsSpace(buf[first])) ++first;
      bool at_event = true;
      if (need_comma) {
        at_event = first < avail && buf[first] == ',';
        for (++first; first < avail && IsSpace(buf[first]);) ++first;
      }
      at_event = at_event && first < avail && buf[first] == '{';
      const size_t limit = std::min(first + kBatchBytes, avail);
      size_t batch_end = 0;
      if (at_event && limit >= first + kMinGuessBytes) batch_end = GuessBatchEnd(buf, first, limit);
      if (batch_end > first) {
        GuessedBatch got = parser_->ParseGuessedBatch(buf_.data(), first, batch_end,
                                                      static_cast<uint64_t>(buf_offset_), event_count);
        (got.resume == batch_end ? guesses_right : guesses_wrong) += 1;
        if (got.events > 0) {
          event_count += got.events;
          pos_ = got.resume;
          need_comma = true;
          continue;
        }
      }
    }
    ScanResult r = ScanEventArray(buf_.data(), pos_, end_, kBatchBytes, need_comma);
    if (!r.error.empty()) {
      return Error(StatusCode::kInvalidArgument,
                   static_cast<uint64_t>(buf_offset_) + r.error_offset,
                   fmt::format("traceEvents element {}: {}", event_count + r.count, r.error));
    }
    if (r.count > 0) {
      TS_RETURN_IF_ERROR(parser_->ParseBatch(buf_.data(), r.first_start, r.batch_end,
                                             static_cast<uint64_t>(buf_offset_), event_count));
      event_count += r.count;
    }
    pos_ = r.resume;
    need_comma = r.need_comma;
    if (r.array_closed) return OkStatus();
    if (r.count == 0) {
      TS_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) {
        // The place is where the input ends; the last whole event's end is said too.
        return Error(StatusCode::kDataLoss, static_cast<uint64_t>(buf_offset_) + end_,
                     fmt::format("unexpected end of input inside traceEvents after {} complete "
                                 "events ({}file truncated?)",
                                 event_count,
                                 event_count > 0
                                     ? fmt::format("the last ends at byte {}; ", Offset())
                                     : std::string()));
      }
    }
  }
}

Status StreamReader::ExpectEnd() {
  while (true) {
    while (pos_ < end_ && IsSpace(buf_.data()[pos_])) ++pos_;
    if (pos_ < end_) {
      return Error(StatusCode::kInvalidArgument, Offset(),
                   fmt::format("unexpected '{}' after the end of the JSON document",
                               Printable(buf_.data()[pos_])));
    }
    TS_ASSIGN_OR_RETURN(bool more, Fill());
    if (!more) return OkStatus();
  }
}

Status StreamReader::Run() {
  buf_offset_ = -1;
  pos_ = end_ = 1;
  TS_ASSIGN_OR_RETURN(char first, NextNonSpace("at the start"));
  if (first == '\xEF' && Offset() == 1) {  // a UTF-8 byte order mark (EF BB BF): skipped
    for (const char expected : {'\xBB', '\xBF'}) {
      TS_ASSIGN_OR_RETURN(char c, NextNonSpace("in a byte order mark"));
      if (c != expected) {
        return Error(StatusCode::kInvalidArgument, Offset() - 1,
                     "expected a JSON object or array, found an incomplete UTF-8 byte order mark");
      }
    }
    TS_ASSIGN_OR_RETURN(first, NextNonSpace("at the start"));
  }
  if (first == '[') {  // Chrome trace, array form: the document is the event list
    TS_RETURN_IF_ERROR(StreamEvents());
    return ExpectEnd();
  }
  if (first != '{') {
    return Error(StatusCode::kInvalidArgument, Offset() - 1,
                 fmt::format("expected a JSON object or array, found '{}'", Printable(first)));
  }
  bool seen_events = false;
  std::string key, scratch;
  for (bool first_key = true;; first_key = false) {
    TS_ASSIGN_OR_RETURN(char c, NextNonSpace("in the top-level object"));
    if (c == '}') break;
    if (!first_key) {
      if (c != ',') {
        return Error(
            StatusCode::kInvalidArgument, Offset() - 1,
            fmt::format("expected ',' or '}}' in the top-level object, found '{}'", Printable(c)));
      }
      TS_ASSIGN_OR_RETURN(c, NextNonSpace("in the top-level object"));
    }
    if (c != '"') {
      return Error(StatusCode::kInvalidArgument, Offset() - 1,
                   fmt::format("expected a key in the top-level object, found '{}'", Printable(c)));
    }
    key.clear();
    TS_RETURN_IF_ERROR(ReadStringBody(&key));
    TS_ASSIGN_OR_RETURN(c, NextNonSpace("after a key"));
    if (c != ':') {
      return Error(StatusCode::kInvalidArgument, Offset() - 1,
                   fmt::format("expected ':' after key \"{}\"", key));
    }
    TS_ASSIGN_OR_RETURN(c, NextNonSpace(fmt::format("in the value of \"{}\"", key)));
    if (key == "traceEvents") {
      if (c != '[') {
        return Error(StatusCode::kInvalidArgument, Offset() - 1,
                     fmt::format("\"traceEvents\" must be an array, found '{}'", Printable(c)));
      }
      TS_RETURN_IF_ERROR(StreamEvents());
      seen_events = true;
      continue;
    }
    bool kept = false;
    for (std::string_view k : kKeptKeys) kept = kept || key == k;
    std::string* out = kept ? &top_values[key] : &scratch;
    if (kept) top_value_offsets[key] = Offset() - 1;
    out->clear();
    TS_RETURN_IF_ERROR(CaptureValue(c, out));
  }
  if (!seen_events) {
    return Error(StatusCode::kInvalidArgument, Offset(),
                 "the top-level object has no \"traceEvents\" array");
  }
  return ExpectEnd();
}

}  // namespace trainscope::ingest::kineto
