// SPDX-License-Identifier: Apache-2.0
// HtmlDocument: builds one self-contained HTML page (inline CSS, inline SVG, no network) for the
// trainscope report. Tables are plain HTML so they read without JavaScript; charts are inline
// SVG made by svg_chart.h. Text passed in is escaped; only Raw() inserts markup verbatim.
// Thread safety: none.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trainscope::report {

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

// Severity of a verdict/callout box; drives its colour (colour-blind safe palette).
enum class Tone { kNeutral, kGood, kWarn, kBad };

class HtmlDocument {
 public:
  explicit HtmlDocument(std::string title);

  // Opens <section id=...> with an <h2>; sections cannot nest.
  void BeginSection(std::string_view id, std::string_view heading);
  void EndSection();

  void Heading3(std::string_view text);
  void Paragraph(std::string_view text);
  // A coloured box with a bold headline and detail lines (the verdict at the top).
  void Callout(Tone tone, std::string_view headline, const std::vector<std::string>& lines);
  // Key figures shown as large numbers with a caption.
  struct Figure {
    std::string value;
    std::string caption;
    Tone tone = Tone::kNeutral;
  };
  void Figures(const std::vector<Figure>& figures);
  // A table; cells are text. `numeric_columns` right-aligns those column indices.
  void Table(std::string_view id, const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows,
             const std::vector<size_t>& numeric_columns = {});
  void List(const std::vector<std::string>& items, bool ordered = false);
  void Link(std::string_view href, std::string_view text);
  // Inserts markup as is (an SVG chart from svg_chart.h, say).
  void Raw(std::string_view html);

  // Returns the complete page.
  std::string Finish() const;

 private:
  std::string title_;
  std::string body_;
  bool in_section_ = false;
};

}  // namespace trainscope::report
