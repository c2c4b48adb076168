// SPDX-License-Identifier: Apache-2.0
// Index lists as users type them on a command line: "0-7,12,20-23" (inclusive ranges and single
// indices, comma-separated). Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace trainscope {

// The indices of `text` in the order written, each in [0, limit); `what` names the flag or field
// in errors ("--detail-ranks: '8-2' is a reversed range"). At most `limit` indices.
Result<std::vector<int>> ParseIndexRanges(std::string_view text, std::string_view what, int limit);

}  // namespace trainscope
