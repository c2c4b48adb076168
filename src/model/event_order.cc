// SPDX-License-Identifier: Apache-2.0
// EventOrder: LSD radix sort by ts, then (dur desc, row) within equal ts (see event_order.h).
#include "model/event_order.h"

#include <algorithm>
#include <array>
#include <memory>

namespace trainscope::model {
namespace {

constexpr int kDigitBits = 11;
constexpr size_t kBuckets = size_t{1} << kDigitBits;

struct Item {
  uint64_t key;  // ts - min ts
  uint64_t row;  // 64-bit so that an Item is 16 bytes, two per scratch slot of 32 bytes
};

// Scratch on huge pages, uninitialised (every element is written before it is read).
struct Scratch {
  explicit Scratch(size_t n) : size(n), data(HugePageAllocator<Item>().allocate(n)) {}
  ~Scratch() { HugePageAllocator<Item>().deallocate(data, size); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  size_t size;
  Item* data;
};

bool InOrder(const int64_t* ts, const int64_t* dur, size_t n) {
  for (size_t i = 1; i < n; ++i) {
    if (ts[i - 1] > ts[i] || (ts[i - 1] == ts[i] && dur[i - 1] < dur[i])) return false;
  }
  return true;
}

}  // namespace

Column<uint32_t> EventOrder(const int64_t* ts, const int64_t* dur, size_t n) {
  if (InOrder(ts, dur, n)) return {};
  int64_t min_ts = *std::min_element(ts, ts + n);
  int64_t max_ts = *std::max_element(ts, ts + n);
  // Unsigned differences: exact for any int64 values, no overflow.
  const auto base = static_cast<uint64_t>(min_ts);
  uint64_t range = static_cast<uint64_t>(max_ts) - base;
  int bits = range == 0 ? 0 : 64 - __builtin_clzll(range);
  Scratch a(n), b(n);
  // All digit histograms in one pass over the keys.
  const int passes = (bits + kDigitBits - 1) / kDigitBits;
  std::vector<std::array<size_t, kBuckets>> counts(static_cast<size_t>(passes));
  for (auto& c : counts) c.fill(0);
  for (size_t i = 0; i < n; ++i) {
    uint64_t key = static_cast<uint64_t>(ts[i]) - base;
    a.data[i] = Item{key, i};
    for (int p = 0; p < passes; ++p) {
      ++counts[static_cast<size_t>(p)][(key >> (p * kDigitBits)) & (kBuckets - 1)];
    }
  }
  Item* from = a.data;
  Item* to = b.data;
  for (int p = 0; p < passes; ++p) {
    std::array<size_t, kBuckets>& c = counts[static_cast<size_t>(p)];
    if (*std::max_element(c.begin(), c.end()) == n) continue;  // every row has this digit
    size_t sum = 0;
    for (size_t& count : c) {
      size_t here = count;
      count = sum;
      sum += here;
    }
    const int shift = p * kDigitBits;
    for (size_t i = 0; i < n; ++i) {
      to[c[(from[i].key >> shift) & (kBuckets - 1)]++] = from[i];
    }
    std::swap(from, to);
  }
  Column<uint32_t> order;
  ReserveOnHugePages(order, n);
  for (size_t i = 0; i < n; ++i) order.push_back(static_cast<uint32_t>(from[i].row));
  // Runs of equal ts: longest first, then by row (the radix passes kept row order).
  for (size_t begin = 0; begin < n;) {
    size_t end = begin + 1;
    while (end < n && from[end].key == from[begin].key) ++end;
    if (end - begin > 1) {
      std::stable_sort(order.begin() + static_cast<ptrdiff_t>(begin),
                       order.begin() + static_cast<ptrdiff_t>(end),
                       [dur](uint32_t x, uint32_t y) { return dur[x] > dur[y]; });
    }
    begin = end;
  }
  return order;
}

}  // namespace trainscope::model
