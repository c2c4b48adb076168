// SPDX-License-Identifier: Apache-2.0
// Paths to test inputs: tests/data (small, hand-made, committed) and ../shared/data (real data
// sets, not committed). Tests that need shared data call SharedDataOrSkip() and are skipped with
// a clear message when it is absent.
#pragma once

#include <string>

#include <gtest/gtest.h>

namespace trainscope::testing {

std::string TestDataPath(const std::string& relative);   // tests/data/<relative>
std::string SharedDataPath(const std::string& relative); // ../shared/data/<relative>
bool SharedDataAvailable(const std::string& relative);

}  // namespace trainscope::testing

// Skips the current test when ../shared/data/<relative> does not exist.
#define TS_SKIP_IF_NO_SHARED_DATA(relative)                                         \
  do {                                                                               \
    if (!::trainscope::testing::SharedDataAvailable(relative)) {                     \
      GTEST_SKIP() << "shared data set absent: "                                     \
                   << ::trainscope::testing::SharedDataPath(relative)                \
                   << " (tests that read ../shared/data are skipped without it)";    \
    }                                                                                \
  } while (0)
