// SPDX-License-Identifier: Apache-2.0
// Streaming JSON writer.
#include "base/json_writer.h"

#include <fmt/format.h>

#include <cmath>

#include "base/utf8.h"

namespace trainscope {

JsonWriter::~JsonWriter() {
  if (sink_ != nullptr) Flush();
}

void JsonWriter::Flush() {
  if (sink_ != nullptr && !out_.empty()) {
    std::fwrite(out_.data(), 1, out_.size(), sink_);
    flushed_bytes_ += out_.size();
    out_.clear();
  }
}

void JsonWriter::Newline() {
  if (!pretty_) return;
  out_.push_back('\n');
  out_.append(2 * has_element_.size(), ' ');
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_element_.empty()) {
    if (has_element_.back()) out_.push_back(',');
    has_element_.back() = true;
    Newline();
  }
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  has_element_.push_back(false);
  return *this;
}
JsonWriter& JsonWriter::EndObject() {
  bool had = has_element_.back();
  has_element_.pop_back();
  if (had) Newline();
  out_.push_back('}');
  if (sink_ != nullptr && out_.size() > (1 << 20)) Flush();
  return *this;
}
JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  has_element_.push_back(false);
  return *this;
}
JsonWriter& JsonWriter::EndArray() {
  bool had = has_element_.back();
  has_element_.pop_back();
  if (had) Newline();
  out_.push_back(']');
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  BeforeValue();
  AppendEscaped(out_, key);
  out_.push_back(':');
  if (pretty_) out_.push_back(' ');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  BeforeValue();
  AppendEscaped(out_, value);
  return *this;
}
JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  fmt::format_to(std::back_inserter(out_), "{}", value);
  return *this;
}
JsonWriter& JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  fmt::format_to(std::back_inserter(out_), "{}", value);
  return *this;
}
JsonWriter& JsonWriter::Double(double value) {
  BeforeValue();
  if (!std::isfinite(value)) {
    out_.append("null");
  } else {
    fmt::format_to(std::back_inserter(out_), "{}", value);
  }
  return *this;
}
JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_.append(value ? "true" : "false");
  return *this;
}
JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_.append("null");
  return *this;
}
JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_.append(json);
  return *this;
}

void JsonWriter::AppendEscapedUtf8(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

// JSON text must be UTF-8: a byte that starts no valid sequence (a Latin-1 machine name, a
// truncated op name) is written as the text "\xNN" (in JSON "\\xNN"), readable and valid.
void JsonWriter::AppendEscaped(std::string& out, std::string_view s) {
  size_t clean = 0;
  while (clean < s.size() && static_cast<unsigned char>(s[clean]) < 0x80) ++clean;
  if (clean == s.size() || FirstInvalidUtf8(s) == std::string_view::npos) {
    AppendEscapedUtf8(out, s);
    return;
  }
  std::string valid;
  AppendUtf8Escaped(valid, s);
  AppendEscapedUtf8(out, valid);
}

}  // namespace trainscope
