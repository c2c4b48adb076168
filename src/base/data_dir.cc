// SPDX-License-Identifier: Apache-2.0
// Data roots: $TRAINSCOPE_DATA_DIR, ../share/trainscope beside the executable, the source tree
// when running from the build tree.
#include "base/data_dir.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

// Set by src/base/CMakeLists.txt for this file only.
#ifndef TS_BUILD_TREE_DIR
#define TS_BUILD_TREE_DIR ""
#endif
#ifndef TS_SOURCE_TREE_DIR
#define TS_SOURCE_TREE_DIR ""
#endif

namespace trainscope {
namespace {

namespace fs = std::filesystem;

// True when `path` lies inside `dir` (both made absolute and normalised; symlinks resolved
// where they exist).
bool IsInside(const fs::path& path, const fs::path& dir) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(path, ec);
  if (ec) return false;
  const fs::path d = fs::weakly_canonical(dir, ec);
  if (ec || d.empty()) return false;
  auto [d_end, p_at] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
  (void)p_at;
  return d_end == d.end();
}

// What is at `path`, for the not-found message.
std::string Describe(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) return "does not exist";
  if (ec) return ec.message();
  return "exists";
}

}  // namespace

std::string ExecutablePath() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.string();
}

std::vector<DataRoot> DataRoots() {
  const char* env = std::getenv(kDataDirEnv);
  if (env != nullptr && *env != 0) return {DataRoot{env, fmt::format("${}", kDataDirEnv)}};
  std::vector<DataRoot> roots;
  const std::string exe = ExecutablePath();
  if (!exe.empty()) {
    const fs::path share = fs::path(exe).parent_path().parent_path() / "share" / "trainscope";
    roots.push_back({share.lexically_normal().string(), "installed beside the executable"});
    const std::string build_tree = TS_BUILD_TREE_DIR;
    const std::string source_tree = TS_SOURCE_TREE_DIR;
    if (!build_tree.empty() && !source_tree.empty() && IsInside(exe, build_tree)) {
      roots.push_back({source_tree, "source tree of this build"});
    }
  }
  return roots;
}

Result<std::string> FindDataPath(std::string_view relative, std::string_view what) {
  const std::vector<DataRoot> roots = DataRoots();
  std::string looked;
  for (const DataRoot& root : roots) {
    const fs::path candidate = fs::path(root.path) / relative;
    std::error_code ec;
    if (fs::exists(candidate, ec)) return candidate.string();
    looked += fmt::format("{}{} ({}: {})", looked.empty() ? "" : "; ", candidate.string(),
                          root.origin, Describe(candidate));
  }
  if (roots.empty()) looked = "no place: the executable's path cannot be read (/proc/self/exe)";
  const bool from_env = roots.size() == 1 && roots[0].origin.front() == '$';
  return NotFoundError(
      "{} not found: looked in {}. {}", what, looked,
      from_env ? fmt::format("Point ${} at a folder holding {} (an installed "
                             "<prefix>/share/trainscope), or unset it",
                             kDataDirEnv, relative)
               : fmt::format("Install trainscope (cmake --install, or the .deb) so that "
                             "share/trainscope/{} sits beside bin/, or set ${} to a folder "
                             "holding {}",
                             relative, kDataDirEnv, relative));
}

}  // namespace trainscope
