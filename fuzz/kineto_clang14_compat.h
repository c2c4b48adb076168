// SPDX-License-Identifier: Apache-2.0
// Build shim for the clang-14 fuzz build only: Debian 12's clang-14 lacks
// __builtin_source_location, so libstdc++ 12's <source_location> declares nothing. This header
// is force-included (-include) by the fuzz configure command in fuzz/kineto.cmake's comment and
// supplies the four accessors base/status.h uses. g++ builds never see it.
#pragma once

#include <source_location>

#if !defined(__cpp_lib_source_location)
namespace std {
struct source_location {
  static constexpr source_location current(const char* file = __builtin_FILE(),
                                           const char* function = __builtin_FUNCTION(),
                                           unsigned line = __builtin_LINE()) noexcept {
    source_location loc;
    loc.file_ = file;
    loc.function_ = function;
    loc.line_ = line;
    return loc;
  }
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr const char* function_name() const noexcept { return function_; }
  constexpr unsigned line() const noexcept { return line_; }
  constexpr unsigned column() const noexcept { return 0; }

 private:
  const char* file_ = "";
  const char* function_ = "";
  unsigned line_ = 0;
};
}  // namespace std
#endif
