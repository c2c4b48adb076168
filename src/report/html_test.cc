// SPDX-License-Identifier: Apache-2.0
// Tests for the HTML page builder: escaping, structure, self-containment.
#include "report/html.h"

#include <gtest/gtest.h>

namespace trainscope::report {
namespace {

TEST(HtmlTest, EscapesText) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  // Not UTF-8 (a Latin-1 machine name): the bad bytes become text, the page stays UTF-8.
  EXPECT_EQ(HtmlEscape("n\xE9<1>"), "n\\xe9&lt;1&gt;");
}

TEST(HtmlTest, DocumentHasSectionsTablesAndNoExternalResources) {
  HtmlDocument doc("job <1>");
  doc.BeginSection("verdict", "Verdict");
  doc.Callout(Tone::kBad, "Straggling: S = 1.42", {"rank 3 is slow"});
  doc.BeginSection("tables", "Tables");  // closes the previous section
  doc.Table("by-rank", {"rank", "S"}, {{"0", "1.01"}, {"3", "1.40"}}, {1});
  std::string html = doc.Finish();
  EXPECT_NE(html.find("<title>job &lt;1&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("<section id=\"verdict\">"), std::string::npos);
  EXPECT_NE(html.find("<table id=\"by-rank\" data-rows=\"2\">"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">1.40</td>"), std::string::npos);
  // Two sections opened, two closed.
  size_t opened = 0, closed = 0;
  for (size_t p = html.find("<section"); p != std::string::npos; p = html.find("<section", p + 1)) {
    ++opened;
  }
  for (size_t p = html.find("</section>"); p != std::string::npos;
       p = html.find("</section>", p + 1)) {
    ++closed;
  }
  EXPECT_EQ(opened, 2u);
  EXPECT_EQ(closed, 2u);
  // Self-contained: no scripts or stylesheets fetched from anywhere.
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

}  // namespace
}  // namespace trainscope::report
