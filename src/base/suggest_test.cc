// SPDX-License-Identifier: Apache-2.0
// Edit distances and suggestions against hand-counted cases.
#include "base/suggest.h"

#include <gtest/gtest.h>

namespace trainscope {
namespace {

const std::vector<std::string> kCommands = {"demo",    "plan",   "workload", "whatif",     "minder",
                                            "overlap", "report", "trace",    "diagnostics"};

TEST(SuggestTest, EditDistanceCountsSwapsAsOne) {
  EXPECT_EQ(EditDistance("whatfi", "whatif"), 1u);   // adjacent swap
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);  // 2 substitutions + 1 insertion
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("top", "top"), 0u);
}

TEST(SuggestTest, CloseCommandsAreSuggested) {
  EXPECT_EQ(DidYouMean("whatfi", kCommands), " (did you mean whatif?)");
  EXPECT_EQ(DidYouMean("mindr", kCommands), " (did you mean minder?)");
  EXPECT_EQ(DidYouMean("diag", kCommands), " (did you mean diagnostics?)");  // a prefix
  EXPECT_EQ(DidYouMean("zzzzzz", kCommands), "");
}

TEST(SuggestTest, FlagsGetTheirDashesAndTiesAreAllNamed) {
  const std::vector<std::string> flags = {"top", "tp", "perfetto", "scale"};
  EXPECT_EQ(DidYouMean("topp", flags, "--"), " (did you mean --top?)");
  // "to" is one edit from both "top" and "tp".
  EXPECT_EQ(DidYouMean("to", flags, "--"), " (did you mean --top or --tp?)");
  EXPECT_EQ(DidYouMean("perfeto", flags, "--"), " (did you mean --perfetto?)");
  EXPECT_EQ(DidYouMean("top-rows", flags, "--"), " (did you mean --top?)");  // a longer spelling
  EXPECT_EQ(DidYouMean("topology", flags, "--"), "");  // not past a separator: no guess
}

}  // namespace
}  // namespace trainscope
