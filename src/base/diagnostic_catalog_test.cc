// SPDX-License-Identifier: Apache-2.0
// The diagnostics catalogue: unique snake_case names, each with a description; every name
// recorded in src/ is catalogued; docs/diagnostics.md is the generated table.
#include "base/diagnostic_catalog.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace trainscope {
namespace {

const std::filesystem::path kSourceRoot = std::filesystem::path(TS_TEST_DATA_DIR) / ".." / "..";

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DiagnosticCatalogTest, NamesAreUniqueSnakeCaseAndDescribed) {
  std::set<std::string_view> seen;
  const std::regex snake("[a-z][a-z0-9_]*");
  for (const DiagnosticSpec& spec : DiagnosticCatalog()) {
    EXPECT_TRUE(seen.insert(spec.name).second) << "duplicate name " << spec.name;
    EXPECT_TRUE(std::regex_match(std::string(spec.name), snake)) << spec.name;
    EXPECT_GE(spec.description.size(), 20u) << spec.name << " needs a description";
    EXPECT_EQ(spec.description.back(), '.') << spec.name;
    EXPECT_FALSE(spec.recorded_by.empty()) << spec.name;
    EXPECT_EQ(spec.description.find('|'), std::string_view::npos)
        << spec.name << ": breaks the table";
  }
  EXPECT_GE(seen.size(), 30u);
}

TEST(DiagnosticCatalogTest, FindsByName) {
  const DiagnosticSpec* spec = FindDiagnostic("malformed_event");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->severity, Severity::kDataLoss);
  EXPECT_EQ(FindDiagnostic("no_such_diagnostic"), nullptr);
  EXPECT_EQ(SeverityName(Severity::kDataLoss), "data_loss");
}

// Every literal name given to Diagnostics::Add anywhere under src/ is in the catalogue (an
// unknown one is a bug: TS_DCHECK at Add time catches computed names).
TEST(DiagnosticCatalogTest, EveryNameRecordedInSrcIsCatalogued) {
  const std::regex add(R"re((\.|->)Add\(\s*"([a-z0-9_]+)")re");
  int files = 0, names = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kSourceRoot / "src")) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".cc" && ext != ".h") continue;
    if (entry.path().filename().string().find("_test.") != std::string::npos) continue;
    const std::string text = ReadText(entry.path());
    if (text.find("Add(") == std::string::npos) continue;
    ++files;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), add);
         it != std::sregex_iterator(); ++it) {
      ++names;
      EXPECT_NE(FindDiagnostic((*it)[2].str()), nullptr)
          << entry.path() << ": diagnostic '" << (*it)[2].str()
          << "' is not in src/base/diagnostic_catalog.h";
    }
  }
  EXPECT_GT(files, 10);
  EXPECT_GE(names, 30);
}

TEST(DiagnosticCatalogTest, DocsAreCurrent) {
  const std::filesystem::path doc = kSourceRoot / "docs" / "diagnostics.md";
  EXPECT_EQ(ReadText(doc), DiagnosticCatalogMarkdown())
      << doc << " is stale: regenerate it with `trainscope diagnostics --markdown > "
      << "docs/diagnostics.md`";
}

}  // namespace
}  // namespace trainscope
