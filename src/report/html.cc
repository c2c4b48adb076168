// SPDX-License-Identifier: Apache-2.0
// Self-contained HTML page builder.
#include "report/html.h"

#include <fmt/format.h>

#include "base/utf8.h"

namespace trainscope::report {
namespace {

// Okabe-Ito based palette: distinguishable with the common colour-vision deficiencies, and
// every text colour meets WCAG AA contrast on its background.
constexpr std::string_view kStyle = R"css(
:root{--fg:#1b1f24;--muted:#57606a;--bg:#ffffff;--panel:#f6f8fa;--line:#d0d7de;
--good:#0a6e4f;--good-bg:#e6f4ef;--warn:#8a5300;--warn-bg:#fff4e0;--bad:#a3290f;--bad-bg:#fdeceb;
--accent:#0b5cad}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--fg);background:var(--bg);margin:0}
header{background:#0d2538;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;color:#c9d6e2;font-size:13px}
main{max-width:1180px;margin:0 auto;padding:8px 32px 48px}
section{margin:28px 0;padding-top:4px;border-top:1px solid var(--line)}
h2{font-size:19px;margin:14px 0 10px} h3{font-size:16px;margin:18px 0 8px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px;min-width:40%}
th,td{border-bottom:1px solid var(--line);padding:5px 12px;text-align:left;vertical-align:top}
th{background:var(--panel);font-weight:600} td.num,th.num{text-align:right;
font-variant-numeric:tabular-nums}
.callout{border-left:6px solid var(--muted);background:var(--panel);padding:12px 18px;
margin:16px 0;border-radius:4px}
.callout strong{font-size:18px;display:block;margin-bottom:4px}
.callout.good{border-color:var(--good);background:var(--good-bg)}
.callout.warn{border-color:var(--warn);background:var(--warn-bg)}
.callout.bad{border-color:var(--bad);background:var(--bad-bg)}
.callout ul{margin:4px 0 0;padding-left:20px}
.figures{display:flex;flex-wrap:wrap;gap:14px;margin:12px 0}
.figure{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px 16px;
min-width:150px}
.figure .v{font-size:24px;font-weight:700;font-variant-numeric:tabular-nums}
.figure .c{font-size:12.5px;color:var(--muted)}
.figure.good .v{color:var(--good)} .figure.warn .v{color:var(--warn)}
.figure.bad .v{color:var(--bad)}
.chart{margin:8px 0 36px;max-width:100%;overflow-x:auto}
.chart svg{display:block;max-width:100%;height:auto}
.chart figcaption{font-size:13px;color:var(--muted);margin-top:4px}
a{color:var(--accent)}
p.note{color:var(--muted);font-size:13.5px}
)css";

std::string_view ToneClass(Tone tone) {
  switch (tone) {
    case Tone::kGood:
      return "good";
    case Tone::kWarn:
      return "warn";
    case Tone::kBad:
      return "bad";
    case Tone::kNeutral:
      return "neutral";
  }
  return "neutral";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  // The page is UTF-8: bytes that are not (a Latin-1 machine name) become the text "\xNN".
  std::string valid;
  if (FirstInvalidUtf8(text) != std::string_view::npos) {
    AppendUtf8Escaped(valid, text);
    text = valid;
  }
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

HtmlDocument::HtmlDocument(std::string title) : title_(std::move(title)) {}

void HtmlDocument::BeginSection(std::string_view id, std::string_view heading) {
  if (in_section_) EndSection();
  fmt::format_to(std::back_inserter(body_), "<section id=\"{}\">\n<h2>{}</h2>\n", HtmlEscape(id),
                 HtmlEscape(heading));
  in_section_ = true;
}

void HtmlDocument::EndSection() {
  if (!in_section_) return;
  body_ += "</section>\n";
  in_section_ = false;
}

void HtmlDocument::Heading3(std::string_view text) {
  fmt::format_to(std::back_inserter(body_), "<h3>{}</h3>\n", HtmlEscape(text));
}

void HtmlDocument::Paragraph(std::string_view text) {
  fmt::format_to(std::back_inserter(body_), "<p>{}</p>\n", HtmlEscape(text));
}

void HtmlDocument::Callout(Tone tone, std::string_view headline,
                           const std::vector<std::string>& lines) {
  fmt::format_to(std::back_inserter(body_), "<div class=\"callout {}\"><strong>{}</strong>",
                 ToneClass(tone), HtmlEscape(headline));
  if (!lines.empty()) {
    body_ += "<ul>";
    for (const std::string& line : lines) {
      fmt::format_to(std::back_inserter(body_), "<li>{}</li>", HtmlEscape(line));
    }
    body_ += "</ul>";
  }
  body_ += "</div>\n";
}

void HtmlDocument::Figures(const std::vector<Figure>& figures) {
  body_ += "<div class=\"figures\">";
  for (const Figure& f : figures) {
    fmt::format_to(
        std::back_inserter(body_),
        "<div class=\"figure {}\"><div class=\"v\">{}</div><div class=\"c\">{}</div></div>",
        ToneClass(f.tone), HtmlEscape(f.value), HtmlEscape(f.caption));
  }
  body_ += "</div>\n";
}

void HtmlDocument::Table(std::string_view id, const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<size_t>& numeric_columns) {
  auto is_numeric = [&](size_t col) {
    for (size_t c : numeric_columns) {
      if (c == col) return true;
    }
    return false;
  };
  fmt::format_to(std::back_inserter(body_), "<table id=\"{}\" data-rows=\"{}\"><thead><tr>",
                 HtmlEscape(id), rows.size());
  for (size_t col = 0; col < header.size(); ++col) {
    fmt::format_to(std::back_inserter(body_), "<th{}>{}</th>",
                   is_numeric(col) ? " class=\"num\"" : "", HtmlEscape(header[col]));
  }
  body_ += "</tr></thead><tbody>";
  for (const auto& row : rows) {
    body_ += "<tr>";
    for (size_t col = 0; col < row.size(); ++col) {
      fmt::format_to(std::back_inserter(body_), "<td{}>{}</td>",
                     is_numeric(col) ? " class=\"num\"" : "", HtmlEscape(row[col]));
    }
    body_ += "</tr>";
  }
  body_ += "</tbody></table>\n";
}

void HtmlDocument::List(const std::vector<std::string>& items, bool ordered) {
  body_ += ordered ? "<ol>" : "<ul>";
  for (const std::string& item : items) {
    fmt::format_to(std::back_inserter(body_), "<li>{}</li>", HtmlEscape(item));
  }
  body_ += ordered ? "</ol>\n" : "</ul>\n";
}

void HtmlDocument::Link(std::string_view href, std::string_view text) {
  fmt::format_to(std::back_inserter(body_), "<p><a href=\"{}\">{}</a></p>\n", HtmlEscape(href),
                 HtmlEscape(text));
}

void HtmlDocument::Raw(std::string_view html) { body_.append(html); }

std::string HtmlDocument::Finish() const {
  std::string out;
  out.reserve(body_.size() + 4096);
  fmt::format_to(std::back_inserter(out),
                 "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<title>{0}</title>\n<style>{1}</style></head>\n<body>\n<header><h1>{0}</h1>"
                 "<p>trainscope report: self-contained, works offline</p></header>\n<main>\n",
                 HtmlEscape(title_), kStyle);
  out += body_;
  if (in_section_) out += "</section>\n";
  out += "</main>\n</body></html>\n";
  return out;
}

}  // namespace trainscope::report
