// SPDX-License-Identifier: Apache-2.0
// Tests for diagnostic counting and merging, the severity from the catalogue, and the one text
// and JSON writer.
#include "base/diagnostics.h"

#include <gtest/gtest.h>

#include "base/json_writer.h"

namespace trainscope {
namespace {

TEST(DiagnosticsTest, SameNameAndSourceAreCounted) {
  Diagnostics d;
  d.Add("non_finite_value", "a.csv", "line 3", "NaN dropped");
  d.Add("non_finite_value", "a.csv", "line 9", "NaN dropped");
  d.Add("non_finite_value", "b.csv", "line 1", "NaN dropped");
  ASSERT_EQ(d.items().size(), 2u);
  EXPECT_EQ(d.items()[0].count, 2);
  EXPECT_EQ(d.items()[0].first_location, "line 3");
  EXPECT_EQ(d.Count("non_finite_value"), 3);
  EXPECT_FALSE(d.HasAtLeast(Severity::kDataLoss));
}

TEST(DiagnosticsTest, SeverityComesFromTheCatalogue) {
  Diagnostics d;
  d.Add("malformed_event", "r0.json", "event 5", "skipped");
  d.Add("dcgm_blank", "m.csv", "", "read as missing");
  EXPECT_EQ(d.items()[0].severity, Severity::kDataLoss);
  EXPECT_EQ(d.items()[1].severity, Severity::kInfo);
  // The migration overload records the catalogue's severity too.
  d.Add("unclosed_span", Severity::kDataLoss, "r0.json", "ProfilerStep#3", "dropped");
  EXPECT_EQ(d.items()[2].severity, Severity::kDataLoss);
}

TEST(DiagnosticsTest, MergeAddsCountsAndKeepsWorstSeverity) {
  Diagnostics a, b;
  a.Add("malformed_event", "r0", "event 1", "m");
  b.Add("malformed_event", "r0", "event 5", "m");
  b.Add("clock_skew", "r1", "", "m");
  a.Merge(b);
  ASSERT_EQ(a.items().size(), 2u);
  EXPECT_EQ(a.items()[0].count, 2);
  EXPECT_EQ(a.items()[0].first_location, "event 1");
  EXPECT_EQ(a.items()[0].severity, Severity::kDataLoss);
  EXPECT_TRUE(a.HasAtLeast(Severity::kDataLoss));
}

#if !defined(NDEBUG) || defined(TS_ENABLE_DCHECK)
TEST(DiagnosticsDeathTest, UnknownNameIsABug) {
  Diagnostics d;
  EXPECT_DEATH(d.Add("no_such_diagnostic", "x", "", "m"), "not in the catalogue");
}
#else
TEST(DiagnosticsTest, UnknownNameIsRecordedAsAnErrorWithoutDchecks) {
  Diagnostics d;
  d.Add("no_such_diagnostic", "x", "", "m");
  EXPECT_EQ(d.items()[0].severity, Severity::kError);
}
#endif

TEST(DiagnosticsTest, OneTextLineLeavesOutWhatIsEmpty) {
  Diagnostics d;
  d.Add("non_finite_value", "bad.csv", "line 11 column 9", "NaN dropped");
  d.Add("non_finite_value", "bad.csv", "line 12 column 9", "NaN dropped");
  d.Add("clock_skew", "m3", "", "");
  EXPECT_EQ(FormatDiagnostic(d.items()[0]),
            "warning: non_finite_value (bad.csv, 2 x, first at line 11 column 9): NaN dropped");
  EXPECT_EQ(FormatDiagnostic(d.items()[1]), "info: clock_skew (m3, 1 x)");
}

// Input text in a diagnostic is printed whole and harmless: a NUL cut the line short.
TEST(DiagnosticsTest, TextFromInputsIsMadePrintable) {
  Diagnostics d;
  d.Add("non_finite_value", std::string("bad\0.csv", 8), "", std::string("value '\x1b[2J\xFF'"));
  EXPECT_EQ(FormatDiagnostic(d.items()[0]),
            "warning: non_finite_value (bad\\x00.csv, 1 x): value '\\x1b[2J\\xff'");
}

TEST(DiagnosticsTest, JsonIsOneArrayOfObjects) {
  Diagnostics d;
  d.Add("machine_absent", "m3", "", "no sample");
  JsonWriter json;
  WriteDiagnosticsJson(d, json);
  EXPECT_EQ(json.str(),
            R"([{"name":"machine_absent","severity":"data_loss","source":"m3","count":1,)"
            R"("first_location":"","message":"no sample"}])");
}

}  // namespace
}  // namespace trainscope
