// SPDX-License-Identifier: Apache-2.0
// Test data path helpers.
#include "support/test_data.h"

#include <cstdlib>
#include <filesystem>

namespace trainscope::testing {

std::string TestDataPath(const std::string& relative) {
  return std::string(TS_TEST_DATA_DIR) + "/" + relative;
}

std::string SharedDataPath(const std::string& relative) {
  const char* env = std::getenv("TRAINSCOPE_SHARED_DATA");
  std::string root = env != nullptr ? env : TS_DATA_DIR;
  return root + "/" + relative;
}

bool SharedDataAvailable(const std::string& relative) {
  std::error_code ec;
  return std::filesystem::exists(SharedDataPath(relative), ec);
}

}  // namespace trainscope::testing
