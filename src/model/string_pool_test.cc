// SPDX-License-Identifier: Apache-2.0
// StringPool: interning is idempotent, ids are dense, views survive growth.
#include "model/string_pool.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trainscope::model {
namespace {

TEST(StringPoolTest, InternsOncePerDistinctString) {
  StringPool pool;
  EXPECT_EQ(pool.Intern("").value(), 0u);
  StringId a = pool.Intern("aten::mm");
  StringId b = pool.Intern("ncclKernel_AllReduce_RING_LL_Sum_float");
  EXPECT_EQ(pool.Intern("aten::mm"), a);
  EXPECT_NE(a, b);
  EXPECT_EQ(pool.Get(b), "ncclKernel_AllReduce_RING_LL_Sum_float");
  EXPECT_EQ(pool.Find("aten::mm"), a);
  EXPECT_FALSE(pool.Find("aten::add").has_value());
  EXPECT_EQ(pool.size(), 3u);
}

TEST(StringPoolTest, ManyStringsSurviveTableGrowth) {
  // 100k distinct strings force several rehashes and many storage blocks; every id must still
  // map back to its own text (checked against a plain vector as the reference).
  StringPool pool;
  std::vector<std::string> reference;
  std::vector<StringId> ids;
  for (int i = 0; i < 100000; ++i) {
    reference.push_back("kernel_" + std::to_string(i * 7919) +
                        std::string(static_cast<size_t>(i % 40), 'x'));
    ids.push_back(pool.Intern(reference.back()));
  }
  for (size_t i = 0; i < reference.size(); ++i) {
    ASSERT_EQ(pool.Get(ids[i]), reference[i]);
    ASSERT_EQ(pool.Intern(reference[i]), ids[i]);
  }
  EXPECT_EQ(pool.size(), reference.size() + 1);
}

}  // namespace
}  // namespace trainscope::model
