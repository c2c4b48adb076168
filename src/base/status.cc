// SPDX-License-Identifier: Apache-2.0
// Status formatting and context frames.
#include "base/status.h"

#include <fmt/format.h>

namespace trainscope {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kDataLoss: return "DATA_LOSS";
    case StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kIo: return "IO";
    case StatusCode::kInternal: return "INTERNAL";
  }
  return "UNKNOWN";
}

Status& Status::AddContext(std::string frame) & {
  context_.push_back(std::move(frame));
  return *this;
}
Status&& Status::AddContext(std::string frame) && {
  context_.push_back(std::move(frame));
  return std::move(*this);
}
Status& Status::AddFrame(const std::source_location& loc) & {
  return AddContext(internal::FormatFrame(loc));
}
Status&& Status::AddFrame(const std::source_location& loc) && {
  return std::move(*this).AddContext(internal::FormatFrame(loc));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return fmt::format("{}: {}", StatusCodeName(code_), message_);
}

std::string Status::ToStringWithContext() const {
  std::string out = ToString();
  for (const std::string& frame : context_) {
    out += "\n    at ";
    out += frame;
  }
  return out;
}

Status Status::WithPrefix(std::string_view prefix) const {
  Status copy(code_, fmt::format("{}: {}", prefix, message_));
  copy.context_ = context_;
  return copy;
}

namespace internal {
std::string FormatFrame(const std::source_location& loc) {
  std::string_view file = loc.file_name();
  // Keep the path from "src/" on: stable across build machines.
  if (size_t pos = file.rfind("src/"); pos != std::string_view::npos) file = file.substr(pos);
  return fmt::format("{}:{} in {}", file, loc.line(), loc.function_name());
}
}  // namespace internal

}  // namespace trainscope
