// SPDX-License-Identifier: Apache-2.0
// TS_CHECK / TS_DCHECK: assertions for bugs (never for bad input, which gets a Status).
#pragma once

#include <fmt/core.h>

namespace trainscope::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const std::string& message);
}  // namespace trainscope::internal

// TS_CHECK(cond) or TS_CHECK(cond, "fmt {}", args...): aborts with what broke and where.
#define TS_CHECK(cond, ...)                                                               \
  do {                                                                                    \
    if (!(cond)) [[unlikely]] {                                                           \
      ::trainscope::internal::CheckFailed(__FILE__, __LINE__, #cond,                      \
                                          ::fmt::format("" __VA_OPT__(__VA_ARGS__)));     \
    }                                                                                     \
  } while (0)

#if !defined(NDEBUG) || defined(TS_ENABLE_DCHECK)
#define TS_DCHECK(cond, ...) TS_CHECK(cond __VA_OPT__(, __VA_ARGS__))
#else
#define TS_DCHECK(cond, ...) \
  do {                       \
  } while (false && (cond))
#endif
