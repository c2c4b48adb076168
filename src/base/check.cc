// SPDX-License-Identifier: Apache-2.0
// Failure path of TS_CHECK.
#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace trainscope::internal {
void CheckFailed(const char* file, int line, const char* condition, const std::string& message) {
  std::fprintf(stderr, "trainscope: internal check failed at %s:%d: %s%s%s\n", file, line,
               condition, message.empty() ? "" : ": ", message.c_str());
  std::fflush(stderr);
  std::abort();
}
}  // namespace trainscope::internal
