// SPDX-License-Identifier: Apache-2.0
// JsonWriter: a streaming JSON writer with correct string escaping and commas handled for you.
// Used for --json output and for large exports (Perfetto traces of millions of events), where
// building a DOM first would cost memory and time. Output goes to a std::string that the caller
// flushes when it grows (see Flush()) or keeps.
// Non-finite doubles are written as null (JSON has no NaN). Thread safety: none.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace trainscope {

class JsonWriter {
 public:
  // Writes into an internal string; if `sink` is given, Flush() appends the text to it.
  explicit JsonWriter(std::FILE* sink = nullptr, bool pretty = false)
      : sink_(sink), pretty_(pretty) {}
  ~JsonWriter();

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Double(double value);  // shortest round-trip form; NaN/Inf -> null
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Inserts pre-formatted JSON text as one value (caller guarantees validity).
  JsonWriter& Raw(std::string_view json);

  // Key + value shorthands.
  template <typename T>
  JsonWriter& Field(std::string_view key, const T& value) {
    Key(key);
    return Value(value);
  }
  JsonWriter& Value(std::string_view v) { return String(v); }
  JsonWriter& Value(const std::string& v) { return String(v); }
  JsonWriter& Value(const char* v) { return String(v); }
  JsonWriter& Value(bool v) { return Bool(v); }
  JsonWriter& Value(double v) { return Double(v); }
  JsonWriter& Value(float v) { return Double(v); }
  JsonWriter& Value(int v) { return Int(v); }
  JsonWriter& Value(long v) { return Int(v); }
  JsonWriter& Value(long long v) { return Int(v); }
  JsonWriter& Value(unsigned v) { return Uint(v); }
  JsonWriter& Value(unsigned long v) { return Uint(v); }
  JsonWriter& Value(unsigned long long v) { return Uint(v); }

  // Writes buffered text to the sink (if any) and clears the buffer.
  void Flush();
  // Bytes handed to the sink so far (by Flush, explicit or automatic).
  uint64_t flushed_bytes() const { return flushed_bytes_; }
  const std::string& str() const { return out_; }
  std::string TakeString() { return std::move(out_); }

  // Appends `s` as a JSON string; bytes that are not valid UTF-8 become the text "\xNN".
  static void AppendEscaped(std::string& out, std::string_view s);

 private:
  static void AppendEscapedUtf8(std::string& out, std::string_view s);
  void BeforeValue();
  void Newline();

  std::FILE* sink_;
  bool pretty_;
  std::string out_;
  // Per open container: true once it holds an element (so the next one needs a comma).
  std::vector<bool> has_element_;
  bool after_key_ = false;
  uint64_t flushed_bytes_ = 0;
};

}  // namespace trainscope
