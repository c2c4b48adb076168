// SPDX-License-Identifier: Apache-2.0
// The trainscope version string (from CMake's project version).
#pragma once

namespace trainscope::cli {
extern const char* const kTrainscopeVersion;
}  // namespace trainscope::cli
