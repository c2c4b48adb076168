// SPDX-License-Identifier: Apache-2.0
// Decodes the small top-level values of a Kineto file (distributedInfo, baseTimeNanoseconds,
// schemaVersion, deviceProperties) kept as text by StreamReader, and checks that they agree
// with themselves (rank < world_size, group members < world_size). Private to the reader.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "ingest/kineto/kineto_reader.h"

namespace trainscope::ingest::kineto {

// Fills `info` from `values` (key -> raw JSON). Errors name `path` and the key, and the byte
// where the value starts when `offsets` (key -> byte) has it.
Status DecodeTopLevel(const std::string& path, const std::map<std::string, std::string>& values,
                      RankFileInfo* info, const std::map<std::string, uint64_t>* offsets = nullptr);

}  // namespace trainscope::ingest::kineto
