// SPDX-License-Identifier: Apache-2.0
// How `minder detect`, `replay` and `watch` write one Minder alert: a JSON object (--json) or a
// line of text. Thread safety: pure.
#pragma once

#include <cstdint>
#include <string>

#include "base/json_writer.h"
#include "minder/detector.h"

namespace trainscope::cli {

// The alert's fields (machine, metric, start, end, score, margin, windows, missing, gpu, device,
// device_kind) into the open object of `json`; `call` too when call_ns >= 0 (seconds).
void WriteAlertFields(const minder::Alert& alert, JsonWriter* json, int64_t call_ns = -1);
// The same fields as one JSON object.
void WriteAlert(const minder::Alert& alert, JsonWriter* json, int64_t call_ns = -1);
// "ALERT machine M metric X (GPU 3) from T0 to T1 (N windows): score S, margin G".
std::string AlertText(const minder::Alert& alert);

}  // namespace trainscope::cli
