// SPDX-License-Identifier: Apache-2.0
#include "base/index_ranges.h"

#include <gtest/gtest.h>

namespace trainscope {
namespace {

TEST(IndexRanges, RangesAndSinglesInOrder) {
  Result<std::vector<int>> r = ParseIndexRanges("4-6,1,9", "--x", 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<int>{4, 5, 6, 1, 9}));
}

TEST(IndexRanges, ErrorsNameTheFlagAndThePiece) {
  EXPECT_EQ(ParseIndexRanges("8-2", "--x", 10).status().message(),
            "--x: '8-2' is a reversed range");
  EXPECT_EQ(ParseIndexRanges("3,a", "--x", 10).status().message(),
            "--x: 'a' is not a non-negative integer");
  EXPECT_EQ(ParseIndexRanges("10", "--x", 10).status().message(), "--x: 10 is outside 0-9");
  EXPECT_EQ(ParseIndexRanges("-1", "--x", 10).status().message(),
            "--x: '' is not a non-negative integer");
  EXPECT_EQ(ParseIndexRanges("", "--x", 10).status().message(), "--x: empty list");
  EXPECT_EQ(ParseIndexRanges("0-9,0", "--x", 10).status().message(), "--x: more than 10 indices");
}

}  // namespace
}  // namespace trainscope
