// SPDX-License-Identifier: Apache-2.0
// Tests for diagnostic counting and merging.
#include "base/diagnostics.h"

#include <gtest/gtest.h>

namespace trainscope {
namespace {

TEST(DiagnosticsTest, SameNameAndSourceAreCounted) {
  Diagnostics d;
  d.Add("negative_duration", Severity::kWarning, "a.json", "event 3", "clamped to 0");
  d.Add("negative_duration", Severity::kWarning, "a.json", "event 9", "clamped to 0");
  d.Add("negative_duration", Severity::kWarning, "b.json", "event 1", "clamped to 0");
  ASSERT_EQ(d.items().size(), 2u);
  EXPECT_EQ(d.items()[0].count, 2);
  EXPECT_EQ(d.items()[0].first_location, "event 3");
  EXPECT_EQ(d.Count("negative_duration"), 3);
  EXPECT_FALSE(d.HasAtLeast(Severity::kDataLoss));
}

TEST(DiagnosticsTest, MergeAddsCountsAndKeepsWorstSeverity) {
  Diagnostics a, b;
  a.Add("skipped_event", Severity::kWarning, "r0", "event 1", "m");
  b.Add("skipped_event", Severity::kDataLoss, "r0", "event 5", "m");
  b.Add("other", Severity::kInfo, "r1", "", "m");
  a.Merge(b);
  ASSERT_EQ(a.items().size(), 2u);
  EXPECT_EQ(a.items()[0].count, 2);
  EXPECT_EQ(a.items()[0].severity, Severity::kDataLoss);
  EXPECT_TRUE(a.HasAtLeast(Severity::kDataLoss));
}

}  // namespace
}  // namespace trainscope
