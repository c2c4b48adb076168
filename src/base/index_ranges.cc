// SPDX-License-Identifier: Apache-2.0
#include "base/index_ranges.h"

#include <charconv>

namespace trainscope {
namespace {

Result<int> ParseIndex(std::string_view s, std::string_view what, int limit) {
  int value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return InvalidArgumentError("{}: '{}' is not a non-negative integer", what, s);
  }
  if (value < 0 || value >= limit) {
    return InvalidArgumentError("{}: {} is outside 0-{}", what, value, limit - 1);
  }
  return value;
}

}  // namespace

Result<std::vector<int>> ParseIndexRanges(std::string_view text, std::string_view what, int limit) {
  std::vector<int> out;
  if (text.empty()) return InvalidArgumentError("{}: empty list", what);
  while (true) {
    const size_t comma = text.find(',');
    const std::string_view piece = text.substr(0, comma);
    const size_t dash = piece.find('-');
    TS_ASSIGN_OR_RETURN(int first, ParseIndex(piece.substr(0, dash), what, limit));
    int last = first;
    if (dash != std::string_view::npos) {
      TS_ASSIGN_OR_RETURN(last, ParseIndex(piece.substr(dash + 1), what, limit));
    }
    if (last < first) return InvalidArgumentError("{}: '{}' is a reversed range", what, piece);
    if (out.size() + static_cast<size_t>(last - first) + 1 > static_cast<size_t>(limit)) {
      return InvalidArgumentError("{}: more than {} indices", what, limit);
    }
    for (int i = first; i <= last; ++i) out.push_back(i);
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return out;
}

}  // namespace trainscope
