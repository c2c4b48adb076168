// SPDX-License-Identifier: Apache-2.0
// Where trainscope finds the files it ships beside its binary (the Minder models in
// `models/minder/`), so that an installed copy runs from anywhere. A data root is a folder laid
// out like `<prefix>/share/trainscope`; the places, first match wins:
//   1. `$TRAINSCOPE_DATA_DIR`, when set: the only place looked at (the user said where);
//   2. `<dir of the executable>/../share/trainscope` (`cmake --install`, the .deb: bin/ and
//      share/ side by side under one prefix);
//   3. the source tree, only when the executable lies inside the build tree it was built in
//      (`build/release/trainscope`, the tests): the checkout's `models/` are the data.
// No other compiled-in path is used: a binary copied out of its build tree without its
// share/ folder fails with a message naming every place looked at.
// Thread safety: the functions read the environment and /proc; call them from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace trainscope {

// The environment variable that names a data root.
inline constexpr const char* kDataDirEnv = "TRAINSCOPE_DATA_DIR";

// One place a data file may be: the root and why it is looked at ("$TRAINSCOPE_DATA_DIR",
// "installed beside the executable", "source tree of this build").
struct DataRoot {
  std::string path;
  std::string origin;
};

// The data roots in the order above (only those that apply to this process).
std::vector<DataRoot> DataRoots();

// `<root>/<relative>` of the first root where it exists. kNotFound otherwise, naming `what`
// (e.g. "Minder models"), each place looked at and how to fix it.
Result<std::string> FindDataPath(std::string_view relative, std::string_view what);

// The absolute path of the running executable ("" when /proc/self/exe cannot be read).
std::string ExecutablePath();

}  // namespace trainscope
