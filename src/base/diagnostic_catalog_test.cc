// SPDX-License-Identifier: Apache-2.0
// The diagnostics catalogue: unique snake_case names, each with a description; every name
// recorded in src/ is catalogued; docs/diagnostics.md is the generated table.
#include "base/diagnostic_catalog.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace trainscope {
namespace {

const std::filesystem::path kSourceRoot = std::filesystem::path(TS_TEST_DATA_DIR) / ".." / "..";

// Hand-written matchers: std::regex trips g++ 12's -Wmaybe-uninitialized under ASan at -O2.
bool IsSnakeCase(std::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// The literal names in `.Add("name"` or `->Add("name"` calls (whitespace allowed after the
// parenthesis).
std::vector<std::string> LiteralAddNames(const std::string& text) {
  std::vector<std::string> names;
  for (size_t at = text.find("Add("); at != std::string::npos; at = text.find("Add(", at + 4)) {
    const bool member = (at >= 1 && text[at - 1] == '.') ||
                        (at >= 2 && text[at - 2] == '-' && text[at - 1] == '>');
    if (!member) continue;
    size_t i = at + 4;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != '"') continue;
    const size_t begin = ++i;
    while (i < text.size() && IsNameChar(text[i])) ++i;
    if (i == begin || i >= text.size() || text[i] != '"') continue;
    names.emplace_back(text.substr(begin, i - begin));
  }
  return names;
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DiagnosticCatalogTest, NamesAreUniqueSnakeCaseAndDescribed) {
  std::set<std::string_view> seen;
  for (const DiagnosticSpec& spec : DiagnosticCatalog()) {
    EXPECT_TRUE(seen.insert(spec.name).second) << "duplicate name " << spec.name;
    EXPECT_TRUE(IsSnakeCase(spec.name)) << spec.name;
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
  int files = 0, names = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kSourceRoot / "src")) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".cc" && ext != ".h") continue;
    if (entry.path().filename().string().find("_test.") != std::string::npos) continue;
    const std::string text = ReadText(entry.path());
    if (text.find("Add(") == std::string::npos) continue;
    ++files;
    for (const std::string& name : LiteralAddNames(text)) {
      ++names;
      EXPECT_NE(FindDiagnostic(name), nullptr)
          << entry.path() << ": diagnostic '" << name
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
