// SPDX-License-Identifier: Apache-2.0
// Progress lines (rate, ETA, time spent) and the data-root lookup, against hand-computed text.
#include "base/progress.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/data_dir.h"
#include "support/status_matchers.h"

namespace trainscope {
namespace {

using ::trainscope::testing::StatusIs;

TEST(ProgressTest, DurationsReadAsSecondsMinutesOrHours) {
  EXPECT_EQ(FormatDuration(0), "0 s");
  EXPECT_EQ(FormatDuration(9.4), "9 s");
  EXPECT_EQ(FormatDuration(185), "3 min 05 s");
  EXPECT_EQ(FormatDuration(7620), "2 h 07 min");
  EXPECT_EQ(FormatDuration(-1), "0 s");
}

TEST(ProgressTest, KnownTotalShowsShareRateAndEta) {
  // 21 of 50 in 6.8 s: 3.09/s, 29 left -> 9.4 s.
  EXPECT_EQ(FormatProgressLine("minder eval: scoring", 21, 50, "recordings", 6.8),
            "minder eval: scoring: 42% (21/50 recordings, 3.1/s, ETA 9 s)");
  // Slow items: 0.25/s, 3 left -> 12 s.
  EXPECT_EQ(FormatProgressLine("bench", 1, 4, "", 4.0), "bench: 25% (1/4, 0.25/s, ETA 12 s)");
  // Nothing done yet: no rate to extrapolate, the time spent instead.
  EXPECT_EQ(FormatProgressLine("bench", 0, 4, "runs", 3.2), "bench: 0% (0/4 runs, 3 s spent)");
  // More done than announced is clamped, never above 100%.
  EXPECT_EQ(FormatProgressLine("x", 7, 5, "", 1.0), "x: 100% (5/5, 7.0/s, ETA 0 s)");
}

TEST(ProgressTest, UnknownTotalSaysItRunsNotABareZero) {
  // Issue 21: `report` showed "what-if analysis: 0".
  EXPECT_EQ(FormatProgressLine("what-if analysis", 0, 0, "", 3.2),
            "what-if analysis: running, 3 s");
  EXPECT_EQ(FormatProgressLine("reading", 12, 0, "files", 4.0), "reading: 12 files (3.0/s, 4 s)");
}

// Scoped environment variable.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old != nullptr) {
      old_ = old;
      had_ = true;
    }
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~EnvVar() {
    if (had_) {
      setenv(name_, old_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(DataDirTest, EnvironmentVariableIsTheOnlyPlaceWhenSet) {
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("ts_data_dir_test_" + std::to_string(getpid()));
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root / "models" / "minder");
  EnvVar env(kDataDirEnv, root.c_str());
  ASSERT_EQ(DataRoots().size(), 1u);
  ASSERT_OK_AND_ASSIGN(std::string found, FindDataPath("models/minder", "Minder models"));
  EXPECT_EQ(found, (root / "models" / "minder").string());
  // Set but lacking the file: not found, naming the variable and the place, no other root tried.
  EXPECT_THAT(FindDataPath("models/other", "Other data").status(),
              StatusIs(StatusCode::kNotFound, "$TRAINSCOPE_DATA_DIR: does not exist"));
  std::filesystem::remove_all(root);
}

TEST(DataDirTest, BuildTreeExecutableFindsTheSourceTree) {
  EnvVar env(kDataDirEnv, nullptr);
  // This test runs from the build tree: installed place first, then the source tree.
  const std::vector<DataRoot> roots = DataRoots();
  ASSERT_EQ(roots.size(), 2u);
  EXPECT_EQ(roots[0].origin, "installed beside the executable");
  EXPECT_EQ(roots[1].origin, "source tree of this build");
  ASSERT_OK_AND_ASSIGN(std::string found, FindDataPath("models/minder", "Minder models"));
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(found) / "detector.txt")) << found;
  EXPECT_THAT(FindDataPath("no/such/file", "Nothing").status(),
              StatusIs(StatusCode::kNotFound, "Install trainscope (cmake --install"));
}

}  // namespace
}  // namespace trainscope
