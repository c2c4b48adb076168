// SPDX-License-Identifier: Apache-2.0
// Status and Result<T>: how trainscope reports errors without exceptions.
//
// A Status carries a code, a message that says *where in the input* it went wrong (file, byte
// offset or line:column, rank, event index), and a context chain of code places added by
// TS_RETURN_IF_ERROR / TS_ASSIGN_OR_RETURN as the error travels up. Result<T> is the subset of
// std::expected<T, Status> that we use, so a later switch to C++23 is mechanical.
// Thread safety: values; no shared state.
#pragma once

#include <source_location>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/core.h>

namespace trainscope {

// A subset of Abseil's codes. The CLI maps them to exit codes (see cli/exit_codes.h).
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input: malformed file, wrong type, contradictory fields
  kNotFound,            // missing file or entity
  kDataLoss,            // truncated or corrupt input
  kOutOfRange,          // value outside what the format allows
  kFailedPrecondition,  // input is valid but cannot be used in this state
  kUnimplemented,
  kIo,                  // the operating system refused a read or write
  kInternal,            // a bug in trainscope
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<std::string>& context() const { return context_; }

  // Adds a frame ("file.cc:123 in Function") to the context chain; returns *this for chaining.
  Status& AddContext(std::string frame) &;
  Status&& AddContext(std::string frame) &&;
  Status& AddFrame(const std::source_location& loc) &;
  Status&& AddFrame(const std::source_location& loc) &&;

  // "DATA_LOSS: trace.json: byte 1234: unexpected end of input".
  std::string ToString() const;
  // As ToString() plus the context chain, one frame per line.
  std::string ToStringWithContext() const;

  // Returns a copy whose message is prefixed by `prefix` + ": " (e.g. the file name).
  Status WithPrefix(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::vector<std::string> context_;
};

inline Status OkStatus() { return Status(); }

template <typename... Args>
Status MakeError(StatusCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Status(code, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
Status InvalidArgumentError(fmt::format_string<Args...> f, Args&&... args) {
  return MakeError(StatusCode::kInvalidArgument, f, std::forward<Args>(args)...);
}
template <typename... Args>
Status NotFoundError(fmt::format_string<Args...> f, Args&&... args) {
  return MakeError(StatusCode::kNotFound, f, std::forward<Args>(args)...);
}
template <typename... Args>
Status DataLossError(fmt::format_string<Args...> f, Args&&... args) {
  return MakeError(StatusCode::kDataLoss, f, std::forward<Args>(args)...);
}
template <typename... Args>
Status OutOfRangeError(fmt::format_string<Args...> f, Args&&... args) {
  return MakeError(StatusCode::kOutOfRange, f, std::forward<Args>(args)...);
}
template <typename... Args>
Status FailedPreconditionError(fmt::format_string<Args...> f, Args&&... args) {
  return MakeError(StatusCode::kFailedPrecondition, f, std::forward<Args>(args)...);
}
template <typename... Args>
Status UnimplementedError(fmt::format_string<Args...> f, Args&&... args) {
  return MakeError(StatusCode::kUnimplemented, f, std::forward<Args>(args)...);
}
template <typename... Args>
Status IoError(fmt::format_string<Args...> f, Args&&... args) {
  return MakeError(StatusCode::kIo, f, std::forward<Args>(args)...);
}
template <typename... Args>
Status InternalError(fmt::format_string<Args...> f, Args&&... args) {
  return MakeError(StatusCode::kInternal, f, std::forward<Args>(args)...);
}

// Result<T>: a T or an error Status. Mirrors the std::expected subset we use.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(data_).ok()) {
      data_ = Status(StatusCode::kInternal, "Result constructed from an OK Status");
    }
  }

  bool has_value() const { return std::holds_alternative<T>(data_); }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }

  const Status& error() const& { return std::get<Status>(data_); }
  Status&& error() && { return std::get<Status>(std::move(data_)); }
  // The status: OK when a value is held.
  Status status() const { return has_value() ? Status() : std::get<Status>(data_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

namespace internal {
std::string FormatFrame(const std::source_location& loc);
inline Status&& AsStatus(Status&& s) { return std::move(s); }
inline Status AsStatus(const Status& s) { return s; }
}  // namespace internal

}  // namespace trainscope

#define TS_INTERNAL_CONCAT_(a, b) a##b
#define TS_INTERNAL_CONCAT(a, b) TS_INTERNAL_CONCAT_(a, b)

// Returns the error of `expr` (a Status), adding the caller's code place to its context.
#define TS_RETURN_IF_ERROR(expr)                                                 \
  do {                                                                           \
    ::trainscope::Status ts_status_ = (expr);                                    \
    if (!ts_status_.ok()) {                                                      \
      return std::move(ts_status_).AddFrame(std::source_location::current());    \
    }                                                                            \
  } while (0)

// `lhs = value of expr` (a Result<T>), or returns its error with the code place added.
#define TS_ASSIGN_OR_RETURN(lhs, expr) \
  TS_INTERNAL_ASSIGN_OR_RETURN(TS_INTERNAL_CONCAT(ts_result_, __LINE__), lhs, expr)
#define TS_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, expr)                          \
  auto tmp = (expr);                                                          \
  if (!tmp.has_value()) {                                                     \
    return std::move(tmp).error().AddFrame(std::source_location::current()); \
  }                                                                           \
  lhs = std::move(tmp).value()
