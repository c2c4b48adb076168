// SPDX-License-Identifier: Apache-2.0
// A reader of the Thrift compact protocol, the encoding of Parquet's footer and page headers.
//
// Only what a schema-less walk needs: field headers (delta or explicit ids), zigzag varints,
// binaries, list/set/map headers and skipping any value, so a struct reader picks the fields it
// knows and skips the rest. Every error names `name` and the absolute byte offset (`base` is the
// file offset of the first byte of `data`). Nesting deeper than kMaxDepth is an error, so a
// hostile file cannot exhaust the stack. Thread safety: one reader per thread; the bytes must
// outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace trainscope::ingest::parquet_internal {

// Wire types of the compact protocol (the low nibble of a field header).
enum class ThriftType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

struct ThriftField {
  int16_t id = 0;
  ThriftType type = ThriftType::kStop;
  uint64_t offset = 0;  // file offset of the field header
};

struct ThriftList {
  ThriftType element = ThriftType::kStop;
  uint32_t size = 0;
};

class CompactReader {
 public:
  static constexpr int kMaxDepth = 32;

  CompactReader(std::string_view data, uint64_t base, const std::string& name)
      : data_(data), base_(base), name_(name) {}

  // Struct framing: field ids are deltas from the previous field of the same struct.
  Status BeginStruct();
  void EndStruct();
  // Reads the next field header of the current struct; `field.type` is kStop at its end.
  Status NextField(ThriftField& field);

  Status ReadI32(int32_t& out);
  Status ReadI64(int64_t& out);
  Status ReadBinary(std::string_view& out);
  // A bool field carries its value in the header type; a list element is one byte.
  static bool BoolOfField(const ThriftField& field) { return field.type == ThriftType::kBoolTrue; }
  Status ReadListHeader(ThriftList& out);  // list or set
  // Skips one value of `type` (structs, lists and maps recursively).
  Status Skip(ThriftType type);

  // An error naming the file and the current offset: "<name>: byte N: <what>".
  template <typename... Args>
  Status Error(fmt::format_string<Args...> format, Args&&... args) const {
    return DataLossError("{}: byte {}: {}", name_, offset(),
                         fmt::format(format, std::forward<Args>(args)...));
  }
  // An error for a field of the wrong wire type (a corrupt or foreign structure).
  Status WrongType(const ThriftField& field, std::string_view what) const;

  uint64_t offset() const { return base_ + pos_; }
  size_t pos() const { return pos_; }
  const std::string& name() const { return name_; }

 private:
  Status ReadVarint(uint64_t& out);
  Status ReadByte(uint8_t& out);
  Status SkipDepth(ThriftType type, int depth);

  std::string_view data_;
  uint64_t base_;
  const std::string& name_;
  size_t pos_ = 0;
  int depth_ = 0;
  int16_t last_id_[kMaxDepth + 1] = {};
};

}  // namespace trainscope::ingest::parquet_internal
