// SPDX-License-Identifier: Apache-2.0
// GoogleTest helpers for Status / Result<T> (after absl/status/status_matchers.h).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/status.h"

namespace trainscope::testing {

inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
Status GetStatus(const Result<T>& r) {
  return r.status();
}

MATCHER_P2(StatusIs, code, substring,
           std::string("has code ") + std::string(StatusCodeName(code)) + " and message containing \"" +
               std::string(substring) + "\"") {
  Status s = ::trainscope::testing::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code && s.message().find(substring) != std::string::npos;
}

}  // namespace trainscope::testing

#define EXPECT_OK(expr)                                                          \
  do {                                                                           \
    auto ts_s_ = ::trainscope::testing::GetStatus(expr);                         \
    EXPECT_TRUE(ts_s_.ok()) << ts_s_.ToStringWithContext();                      \
  } while (0)
#define ASSERT_OK(expr)                                                          \
  do {                                                                           \
    auto ts_s_ = ::trainscope::testing::GetStatus(expr);                         \
    ASSERT_TRUE(ts_s_.ok()) << ts_s_.ToStringWithContext();                      \
  } while (0)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  TS_TEST_ASSIGN_(TS_INTERNAL_CONCAT(ts_test_result_, __LINE__), lhs, expr)
#define TS_TEST_ASSIGN_(tmp, lhs, expr)                                          \
  auto tmp = (expr);                                                             \
  ASSERT_TRUE(tmp.has_value()) << tmp.error().ToStringWithContext();             \
  lhs = std::move(tmp).value()
