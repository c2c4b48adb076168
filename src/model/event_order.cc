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

// A row and its key, 16 bytes: the general case.
struct Item {
  uint64_t key;  // ts - min ts
  uint64_t row;
};

// Scratch on huge pages, uninitialised (every element is written before it is read).
template <typename T>
struct Scratch {
  explicit Scratch(size_t n) : size(n), data(HugePageAllocator<T>().allocate(n)) {}
  ~Scratch() { HugePageAllocator<T>().deallocate(data, size); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  size_t size;
  T* data;
};

bool InOrder(const int64_t* ts, const int64_t* dur, size_t n) {
  for (size_t i = 1; i < n; ++i) {
    if (ts[i - 1] > ts[i] || (ts[i - 1] == ts[i] && dur[i - 1] < dur[i])) return false;
  }
  return true;
}

// Stable LSD radix sort of the n items in `from` by key_of(item) (`bits` significant bits), with
// `to` as the other buffer; returns the buffer that holds the result. All digit histograms are
// counted in one pass; a digit every item shares is skipped.
template <typename T, typename KeyOf>
T* RadixSort(T* from, T* to, size_t n, int bits, KeyOf key_of) {
  const int passes = (bits + kDigitBits - 1) / kDigitBits;
  std::vector<std::array<size_t, kBuckets>> counts(static_cast<size_t>(passes));
  for (auto& c : counts) c.fill(0);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t key = key_of(from[i]);
    for (int p = 0; p < passes; ++p) {
      ++counts[static_cast<size_t>(p)][(key >> (p * kDigitBits)) & (kBuckets - 1)];
    }
  }
  for (int p = 0; p < passes; ++p) {
    std::array<size_t, kBuckets>& c = counts[static_cast<size_t>(p)];
    if (*std::max_element(c.begin(), c.end()) == n) continue;  // every item has this digit
    size_t sum = 0;
    for (size_t& count : c) {
      size_t here = count;
      count = sum;
      sum += here;
    }
    const int shift = p * kDigitBits;
    for (size_t i = 0; i < n; ++i) {
      to[c[(key_of(from[i]) >> shift) & (kBuckets - 1)]++] = from[i];
    }
    std::swap(from, to);
  }
  return from;
}

// Runs of equal ts in `order` (keys of the sorted positions from key_at): longest first, then
// by row (the radix passes kept row order).
template <typename KeyAt>
void OrderTies(Column<uint32_t>& order, const int64_t* dur, KeyAt key_at) {
  const size_t n = order.size();
  for (size_t begin = 0; begin < n;) {
    size_t end = begin + 1;
    while (end < n && key_at(end) == key_at(begin)) ++end;
    if (end - begin > 1) {
      std::stable_sort(order.begin() + static_cast<ptrdiff_t>(begin),
                       order.begin() + static_cast<ptrdiff_t>(end),
                       [dur](uint32_t x, uint32_t y) { return dur[x] > dur[y]; });
    }
    begin = end;
  }
}

}  // namespace

Column<uint32_t> EventOrder(const int64_t* ts, const int64_t* dur, size_t n) {
  if (InOrder(ts, dur, n)) return {};
  int64_t min_ts = *std::min_element(ts, ts + n);
  int64_t max_ts = *std::max_element(ts, ts + n);
  // Unsigned differences: exact for any int64 values, no overflow.
  const auto base = static_cast<uint64_t>(min_ts);
  uint64_t range = static_cast<uint64_t>(max_ts) - base;
  const int bits = range == 0 ? 0 : 64 - __builtin_clzll(range);
  const int row_bits = 64 - __builtin_clzll(static_cast<uint64_t>(n));  // n >= 2 here
  Column<uint32_t> order;
  ReserveOnHugePages(order, n);
  if (bits + row_bits <= 64) {
    // Key and row packed in one word, (key << row_bits) | row: half the memory traffic of a
    // 16-byte item. Sorting on the key bits alone keeps equal keys in row order.
    Scratch<uint64_t> a(n), b(n);
    for (size_t i = 0; i < n; ++i) a.data[i] = ((static_cast<uint64_t>(ts[i]) - base) << row_bits) | i;
    const uint64_t* sorted =
        RadixSort(a.data, b.data, n, bits, [row_bits](uint64_t v) { return v >> row_bits; });
    const uint64_t row_mask = (uint64_t{1} << row_bits) - 1;
    for (size_t i = 0; i < n; ++i) order.push_back(static_cast<uint32_t>(sorted[i] & row_mask));
    OrderTies(order, dur, [sorted, row_bits](size_t i) { return sorted[i] >> row_bits; });
    return order;
  }
  Scratch<Item> a(n), b(n);
  for (size_t i = 0; i < n; ++i) a.data[i] = Item{static_cast<uint64_t>(ts[i]) - base, i};
  const Item* sorted = RadixSort(a.data, b.data, n, bits, [](const Item& item) { return item.key; });
  for (size_t i = 0; i < n; ++i) order.push_back(static_cast<uint32_t>(sorted[i].row));
  OrderTies(order, dur, [sorted](size_t i) { return sorted[i].key; });
  return order;
}

}  // namespace trainscope::model
