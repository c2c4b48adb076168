// SPDX-License-Identifier: Apache-2.0
// Tests for Status, Result<T> and the propagation macros.
#include "base/status.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace trainscope {
namespace {

using ::trainscope::testing::StatusIs;

Result<int> ParsePositive(int v) {
  if (v <= 0) return InvalidArgumentError("value {} is not positive", v);
  return v;
}

Result<int> Doubled(int v) {
  TS_ASSIGN_OR_RETURN(int x, ParsePositive(v));
  return 2 * x;
}

Status Check(int v) {
  TS_RETURN_IF_ERROR(Doubled(v).status());
  return OkStatus();
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ResultCarriesValueOrError) {
  ASSERT_OK_AND_ASSIGN(int v, Doubled(4));
  EXPECT_EQ(v, 8);
  Result<int> bad = Doubled(-1);
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad, StatusIs(StatusCode::kInvalidArgument, "value -1 is not positive"));
  EXPECT_EQ(bad.error().ToString(), "INVALID_ARGUMENT: value -1 is not positive");
}

TEST(StatusTest, MacrosAddCodePlaces) {
  Status s = Check(0);
  ASSERT_FALSE(s.ok());
  ASSERT_EQ(s.context().size(), 2u);  // Doubled, then Check
  EXPECT_NE(s.context()[0].find("status_test.cc"), std::string::npos);
  EXPECT_NE(s.ToStringWithContext().find("\n    at "), std::string::npos);
}

TEST(StatusTest, ResultFromOkStatusIsAnInternalError) {
  Result<int> r{Status()};
  EXPECT_THAT(r, StatusIs(StatusCode::kInternal, "OK Status"));
}

TEST(StatusTest, WithPrefixKeepsCode) {
  Status s = DataLossError("byte 7: truncated").WithPrefix("trace.json");
  EXPECT_EQ(s.ToString(), "DATA_LOSS: trace.json: byte 7: truncated");
}

}  // namespace
}  // namespace trainscope
