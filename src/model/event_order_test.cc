// SPDX-License-Identifier: Apache-2.0
// EventOrder against a brute-force std::stable_sort by (ts, -dur) on random rows with many ties.
#include "model/event_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace trainscope::model {
namespace {

std::vector<uint32_t> Reference(const std::vector<int64_t>& ts, const std::vector<int64_t>& dur) {
  std::vector<uint32_t> order(ts.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return ts[a] != ts[b] ? ts[a] < ts[b] : dur[a] > dur[b];
  });
  return order;
}

TEST(EventOrderTest, MatchesStableSortOnRandomRows) {
  std::mt19937_64 rng(11);
  // Time ranges from a few ns (all ties) to 2^62 (six radix passes), and negative times.
  for (int64_t range : {int64_t{3}, int64_t{5000}, int64_t{1} << 33, int64_t{1} << 62}) {
    for (size_t n : {size_t{1}, size_t{2}, size_t{37}, size_t{5000}}) {
      std::vector<int64_t> ts(n), dur(n);
      for (size_t i = 0; i < n; ++i) {
        ts[i] = static_cast<int64_t>(rng() % static_cast<uint64_t>(range)) - range / 2;
        dur[i] = static_cast<int64_t>(rng() % 4);
      }
      std::vector<uint32_t> want = Reference(ts, dur);
      Column<uint32_t> column = EventOrder(ts.data(), dur.data(), n);
      std::vector<uint32_t> got(column.begin(), column.end());
      if (got.empty()) {  // "already in order": then the identity must be the answer
        std::vector<uint32_t> identity(n);
        std::iota(identity.begin(), identity.end(), 0u);
        EXPECT_EQ(want, identity) << "range " << range << " n " << n;
      } else {
        EXPECT_EQ(got, want) << "range " << range << " n " << n;
      }
    }
  }
}

TEST(EventOrderTest, SortedInputNeedsNoPermutation) {
  std::vector<int64_t> ts = {1, 2, 2, 5}, dur = {9, 4, 3, 0};
  EXPECT_TRUE(EventOrder(ts.data(), dur.data(), ts.size()).empty());
  dur[2] = 5;  // equal ts, longer second: out of order
  Column<uint32_t> order = EventOrder(ts.data(), dur.data(), ts.size());
  EXPECT_EQ(std::vector<uint32_t>(order.begin(), order.end()), (std::vector<uint32_t>{0, 2, 1, 3}));
}

}  // namespace
}  // namespace trainscope::model
