// SPDX-License-Identifier: Apache-2.0
// The benchmark's baseline: nlohmann-json's SAX parser feeding the very same EventSink and
// RankTraceBuilder the simdjson reader uses, so both build the same model from the same bytes
// and only the JSON parsing differs. Top-level values other than traceEvents are skipped.
#pragma once

#include <cstddef>

#include "model/trace.h"

namespace trainscope::bench {

// Parses `size` bytes of Kineto JSON into a RankTrace; events == 0 on a parse error.
model::RankTrace LoadWithNlohmann(const char* data, size_t size);

}  // namespace trainscope::bench
