// SPDX-License-Identifier: Apache-2.0
// StringPool: block storage plus a linear-probing hash table of ids.
#include "model/string_pool.h"

#include <cstring>

namespace trainscope::model {
namespace {

constexpr size_t kBlockBytes = size_t{1} << 16;

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

}  // namespace

uint64_t StringPool::Hash(std::string_view s) {
  // A small wyhash-style hash: 8 bytes per multiply, good enough spread for names.
  constexpr uint64_t kP0 = 0xa0761d6478bd642fULL, kP1 = 0xe7037ed1a0b428dbULL;
  uint64_t h = kP0 ^ s.size();
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 16) {
    h = Mix(Load64(p) ^ kP1, Load64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = Load64(p);
    b = Load64(p + n - 8);
  } else if (n > 0) {
    std::memcpy(&a, p, n);
  }
  return Mix(a ^ kP1, b ^ h);
}

StringPool::StringPool() {
  slots_.assign(1024, 0);
  slot_hash_.assign(1024, 0);
  Intern("");
}

std::string_view StringPool::Store(std::string_view s) {
  if (s.empty()) return {};
  if (blocks_.empty() || block_used_ + s.size() > block_size_) {
    block_size_ = s.size() > kBlockBytes ? s.size() : kBlockBytes;
    blocks_.push_back(std::make_unique<char[]>(block_size_));
    block_used_ = 0;
  }
  char* dst = blocks_.back().get() + block_used_;
  std::memcpy(dst, s.data(), s.size());
  block_used_ += s.size();
  return {dst, s.size()};
}

void StringPool::Grow() {
  size_t capacity = slots_.size() * 2;
  std::vector<uint32_t> slots(capacity, 0), hashes(capacity, 0);
  size_t mask = capacity - 1;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i] == 0) continue;
    size_t pos = slot_hash_[i] & mask;
    while (slots[pos] != 0) pos = (pos + 1) & mask;
    slots[pos] = slots_[i];
    hashes[pos] = slot_hash_[i];
  }
  slots_.swap(slots);
  slot_hash_.swap(hashes);
}

StringId StringPool::Intern(std::string_view s) {
  uint32_t hash = static_cast<uint32_t>(Hash(s));
  size_t mask = slots_.size() - 1;
  for (size_t pos = hash & mask;; pos = (pos + 1) & mask) {
    uint32_t slot = slots_[pos];
    if (slot == 0) {
      auto id = static_cast<uint32_t>(views_.size());
      views_.push_back(Store(s));
      slots_[pos] = id + 1;
      slot_hash_[pos] = hash;
      if (views_.size() * 2 > slots_.size()) Grow();
      return StringId(id);
    }
    if (slot_hash_[pos] == hash && views_[slot - 1] == s) return StringId(slot - 1);
  }
}

std::optional<StringId> StringPool::Find(std::string_view s) const {
  uint32_t hash = static_cast<uint32_t>(Hash(s));
  size_t mask = slots_.size() - 1;
  for (size_t pos = hash & mask; slots_[pos] != 0; pos = (pos + 1) & mask) {
    uint32_t slot = slots_[pos];
    if (slot_hash_[pos] == hash && views_[slot - 1] == s) return StringId(slot - 1);
  }
  return std::nullopt;
}

size_t StringPool::MemoryBytes() const {
  return blocks_.size() * kBlockBytes + views_.capacity() * sizeof(std::string_view) +
         slots_.capacity() * 8;
}

}  // namespace trainscope::model
