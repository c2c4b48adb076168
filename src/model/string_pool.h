// SPDX-License-Identifier: Apache-2.0
// StringPool: interns strings (event names, dtypes, process-group names) so that each distinct
// string is stored once and rows hold a 4-byte StringId. Kineto traces repeat a few thousand
// distinct names millions of times, so interning is on the ingestion hot path: lookups use an
// open-addressing table keyed by a word-at-a-time hash (after Perfetto's
// src/trace_processor/containers/string_pool.h).
// Ownership: the pool owns the bytes; string_views it returns stay valid for its lifetime
// (blocks never move). Thread safety: none; each rank's reader owns its own pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "model/ids.h"

namespace trainscope::model {

class StringPool {
 public:
  StringPool();
  StringPool(StringPool&&) noexcept = default;
  StringPool& operator=(StringPool&&) noexcept = default;

  // Returns the id of `s`, adding it if new. The empty string is always id 0.
  StringId Intern(std::string_view s);
  // The id of `s` if present.
  std::optional<StringId> Find(std::string_view s) const;
  // The string of `id` (which must come from this pool).
  std::string_view Get(StringId id) const { return views_[id.value()]; }

  size_t size() const { return views_.size(); }
  // Bytes held by the pool (strings, index, hash table).
  size_t MemoryBytes() const;

  static uint64_t Hash(std::string_view s);

 private:
  std::string_view Store(std::string_view s);
  void Grow();

  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_used_ = 0;
  size_t block_size_ = 0;
  std::vector<std::string_view> views_;
  std::vector<uint32_t> slots_;  // id + 1, 0 = empty; size is a power of two
  std::vector<uint32_t> slot_hash_;
};

}  // namespace trainscope::model
