// SPDX-License-Identifier: Apache-2.0
// The benchmark's baselines: nlohmann-json's SAX parser (its fastest route) and its DOM, both
// feeding the very same EventSink and RankTraceBuilder the simdjson reader uses, so all build
// the same model from the same bytes and only the JSON parsing differs. Top-level values other than traceEvents are skipped.
#pragma once

#include <cstddef>

#include "model/trace.h"

namespace trainscope::bench {

// Parses `size` bytes of Kineto JSON into a RankTrace; events == 0 on a parse error.
model::RankTrace LoadWithNlohmann(const char* data, size_t size);
// The same through nlohmann's DOM (json::parse, then a walk): how nlohmann is usually used.
// Holds the whole document in memory (many times the file size), so only for small inputs.
model::RankTrace LoadWithNlohmannDom(const char* data, size_t size);

}  // namespace trainscope::bench
