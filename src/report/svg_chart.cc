// SPDX-License-Identifier: Apache-2.0
// Inline SVG chart rendering.
#include "report/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "report/html.h"

namespace trainscope::report {
namespace {

constexpr std::array<const char*, 8> kCategorical = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                                     "#56B4E9", "#D55E00", "#F0E442", "#000000"};

std::string Fmt(const std::string& format, double v) {
  return fmt::format(fmt::runtime(format), v);
}

// Opens the <figure><svg> wrapper; `points` = number of data values drawn.
std::string Open(const std::string& kind, const std::string& id, int width, int height,
                 size_t points, const std::string& caption) {
  return fmt::format(
      "<figure class=\"chart\" id=\"{0}\"><svg xmlns=\"http://www.w3.org/2000/svg\" "
      "viewBox=\"0 0 {1} {2}\" width=\"{1}\" height=\"{2}\" role=\"img\" aria-label=\"{3}\" "
      "data-chart=\"{4}\" data-points=\"{5}\" font-family=\"system-ui,sans-serif\" "
      "font-size=\"12\">",
      HtmlEscape(id), width, height, HtmlEscape(caption), kind, points);
}

std::string Close(const std::string& caption) {
  return fmt::format("</svg><figcaption>{}</figcaption></figure>\n", HtmlEscape(caption));
}

// "Nice" tick step for a range (1, 2 or 5 times a power of ten).
double NiceStep(double range, int target_ticks) {
  if (!(range > 0)) return 1;
  double raw = range / target_ticks;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / mag;
  double nice = norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10;
  return nice * mag;
}

std::string TickLabel(double v, double step) {
  if (step >= 1 && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(std::llround(v)));
  int decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(step))), 0, 6);
  return fmt::format("{:.{}f}", v, decimals);
}

}  // namespace

std::string ViridisColor(double t) {
  // Eleven samples of matplotlib's viridis, linearly interpolated.
  static constexpr std::array<std::array<int, 3>, 11> kStops = {{{68, 1, 84},
                                                                 {72, 36, 117},
                                                                 {65, 68, 135},
                                                                 {53, 95, 141},
                                                                 {42, 120, 142},
                                                                 {33, 145, 140},
                                                                 {34, 168, 132},
                                                                 {68, 191, 112},
                                                                 {122, 209, 81},
                                                                 {189, 223, 38},
                                                                 {253, 231, 37}}};
  if (!(t >= 0)) t = 0;
  if (t > 1) t = 1;
  double pos = t * (kStops.size() - 1);
  size_t i = std::min(static_cast<size_t>(pos), kStops.size() - 2);
  double f = pos - static_cast<double>(i);
  auto mix = [&](int c) {
    return static_cast<int>(std::lround(kStops[i][c] * (1 - f) + kStops[i + 1][c] * f));
  };
  return fmt::format("#{:02x}{:02x}{:02x}", mix(0), mix(1), mix(2));
}

std::string Heatmap(const HeatmapSpec& spec) {
  const size_t rows = spec.values.size();
  const size_t cols = rows == 0 ? 0 : spec.values[0].size();
  // Large grids (1,024 ranks) shrink cells and drop cell text; the page stays light.
  const int cell = rows * cols > 2048 ? 6 : (rows > 32 || cols > 32 ? 14 : 44);
  const bool cell_text = cell >= 44;
  const int left = 86, top = 44, legend = 60;
  const int width = left + static_cast<int>(cols) * cell + legend + 20;
  const int height = top + static_cast<int>(rows) * cell + 12;  // the caption follows closely
  size_t points = 0;
  std::string body;
  double span = spec.max_value - spec.min_value;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols && c < spec.values[r].size(); ++c) {
      double v = spec.values[r][c];
      int x = left + static_cast<int>(c) * cell, y = top + static_cast<int>(r) * cell;
      std::string label = r < spec.row_labels.size() ? spec.row_labels[r] : fmt::format("{}", r);
      std::string col_label =
          c < spec.column_labels.size() ? spec.column_labels[c] : fmt::format("{}", c);
      if (!std::isfinite(v)) {
        fmt::format_to(std::back_inserter(body),
                       "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#e5e7eb\">"
                       "<title>{}, {}: no data</title></rect>",
                       x, y, cell - 1, cell - 1, HtmlEscape(label), HtmlEscape(col_label));
        continue;
      }
      ++points;
      double t = span > 0 ? (v - spec.min_value) / span : 0.0;
      std::string text = Fmt(spec.value_format, v);
      fmt::format_to(std::back_inserter(body),
                     "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\">"
                     "<title>{}, {}: {}</title></rect>",
                     x, y, cell - 1, cell - 1, ViridisColor(t), HtmlEscape(label),
                     HtmlEscape(col_label), text);
      if (cell_text) {
        fmt::format_to(std::back_inserter(body),
                       "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
                       x + cell / 2, y + cell / 2 + 4, t > 0.6 ? "#111" : "#fff", text);
      }
    }
  }
  // Axis labels (sampled when the grid is dense).
  size_t row_every = std::max<size_t>(1, rows / 32), col_every = std::max<size_t>(1, cols / 16);
  for (size_t r = 0; r < rows; r += row_every) {
    std::string label = r < spec.row_labels.size() ? spec.row_labels[r] : fmt::format("{}", r);
    fmt::format_to(std::back_inserter(body),
                   "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", left - 6,
                   top + static_cast<int>(r) * cell + cell / 2 + 4, HtmlEscape(label));
  }
  for (size_t c = 0; c < cols; c += col_every) {
    std::string label =
        c < spec.column_labels.size() ? spec.column_labels[c] : fmt::format("{}", c);
    fmt::format_to(std::back_inserter(body),
                   "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                   left + static_cast<int>(c) * cell + cell / 2, top - 8, HtmlEscape(label));
  }
  fmt::format_to(std::back_inserter(body),
                 "<text x=\"{}\" y=\"14\" font-weight=\"600\">{}</text>"
                 "<text x=\"14\" y=\"{}\" font-weight=\"600\" transform=\"rotate(-90 14 {})\" "
                 "text-anchor=\"middle\">{}</text>",
                 left, HtmlEscape(spec.column_axis), top + static_cast<int>(rows) * cell / 2,
                 top + static_cast<int>(rows) * cell / 2, HtmlEscape(spec.row_axis));
  // Colour legend.
  int lx = left + static_cast<int>(cols) * cell + 16;
  int lh = std::max(60, static_cast<int>(rows) * cell);
  for (int i = 0; i < 20; ++i) {
    fmt::format_to(std::back_inserter(body),
                   "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"{}\" fill=\"{}\"/>", lx,
                   top + lh - (i + 1) * lh / 20, lh / 20 + 1, ViridisColor(i / 19.0));
  }
  fmt::format_to(std::back_inserter(body),
                 "<text x=\"{}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\">{}</text>", lx + 16,
                 top + 10, Fmt(spec.value_format, spec.max_value), lx + 16, top + lh,
                 Fmt(spec.value_format, spec.min_value));
  return Open("heatmap", spec.id, width, std::max(height, top + lh + 12), points, spec.caption) +
         body + Close(spec.caption);
}

std::string LineChart(const LineChartSpec& spec) {
  const int width = 860, height = 300, left = 64, right = 20, top = 16, bottom = 44;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  size_t points = 0;
  for (const LineSeries& s : spec.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
      ++points;
    }
  }
  for (double ref : spec.y_reference) y0 = std::min(y0, ref), y1 = std::max(y1, ref);
  if (points == 0) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  double pad = (y1 - y0) * 0.05;
  y0 -= pad, y1 += pad;
  const double pw = width - left - right, ph = height - top - bottom;
  auto sx = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  auto sy = [&](double y) { return top + (1 - (y - y0) / (y1 - y0)) * ph; };
  std::string body;
  for (const XRange& r : spec.marked) {
    double a = std::clamp(sx(r.begin), double(left), left + pw);
    double b = std::clamp(sx(r.end), double(left), left + pw);
    fmt::format_to(std::back_inserter(body),
                   "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                   "fill=\"#D55E00\" fill-opacity=\"0.15\" data-marked=\"1\"><title>{}</title>"
                   "</rect><text x=\"{:.1f}\" y=\"{}\" fill=\"#a3290f\">{}</text>",
                   a, top, std::max(1.0, b - a), ph, HtmlEscape(r.label), a + 3, top + 12,
                   HtmlEscape(r.label));
  }
  double ystep = NiceStep(y1 - y0, 5), xstep = NiceStep(x1 - x0, 8);
  for (double y = std::ceil(y0 / ystep) * ystep; y <= y1; y += ystep) {
    fmt::format_to(std::back_inserter(body),
                   "<line x1=\"{}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e5e7eb\"/>"
                   "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>",
                   left, left + pw, sy(y), sy(y), left - 6, sy(y) + 4, TickLabel(y, ystep));
  }
  for (double x = std::ceil(x0 / xstep) * xstep; x <= x1; x += xstep) {
    fmt::format_to(std::back_inserter(body),
                   "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", sx(x),
                   top + ph + 16, TickLabel(x, xstep));
  }
  for (double ref : spec.y_reference) {
    fmt::format_to(std::back_inserter(body),
                   "<line x1=\"{}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#57606a\" "
                   "stroke-dasharray=\"5 4\"/>",
                   left, left + pw, sy(ref), sy(ref));
  }
  // Background series first, highlighted ones on top.
  size_t color_index = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (const LineSeries& s : spec.series) {
      if (s.highlight != (pass == 1)) continue;
      std::string path;
      for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
        if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
        fmt::format_to(std::back_inserter(path), "{}{:.1f},{:.1f}", path.empty() ? "M" : " L",
                       sx(s.x[i]), sy(s.y[i]));
      }
      const char* color =
          s.highlight ? kCategorical[(color_index++) % kCategorical.size()] : "#9aa4ae";
      fmt::format_to(std::back_inserter(body),
                     "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\">"
                     "<title>{}</title></path>",
                     path, color, s.highlight ? 2.5 : 1.0, HtmlEscape(s.name));
    }
  }
  fmt::format_to(
      std::back_inserter(body),
      "<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2:.1f}\" stroke=\"#57606a\"/>"
      "<line x1=\"{0}\" x2=\"{3:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#57606a\"/>"
      "<text x=\"{4:.1f}\" y=\"{5}\" text-anchor=\"middle\">{6}</text>"
      "<text x=\"14\" y=\"{7:.1f}\" transform=\"rotate(-90 14 {7:.1f})\" "
      "text-anchor=\"middle\">{8}</text>",
      left, top, top + ph, left + pw, left + pw / 2, height - 6, HtmlEscape(spec.x_label),
      top + ph / 2, HtmlEscape(spec.y_label));
  // Legend for highlighted series.
  // Legend for highlighted series, in the x-label row at the left (clear of the data).
  int lx = left;
  color_index = 0;
  for (const LineSeries& s : spec.series) {
    if (!s.highlight) continue;
    fmt::format_to(std::back_inserter(body),
                   "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"4\" fill=\"{}\"/>"
                   "<text x=\"{}\" y=\"{}\">{}</text>",
                   lx, height - 11, kCategorical[(color_index++) % kCategorical.size()], lx + 18,
                   height - 6, HtmlEscape(s.name));
    lx += 30 + 7 * static_cast<int>(s.name.size());
  }
  return Open("line", spec.id, width, height, points, spec.caption) + body + Close(spec.caption);
}

std::string BarChart(const BarChartSpec& spec) {
  // Room for the longest label on the left and the longest annotation on the right (about 7 px
  // a character at 12 px): nothing is clipped at the SVG's edges.
  size_t label_chars = 0, note_chars = 0;
  for (const Bar& b : spec.bars) {
    label_chars = std::max(label_chars, b.label.size());
    note_chars = std::max(
        note_chars, (b.annotation.empty() ? Fmt(spec.value_format, b.value) : b.annotation).size());
  }
  const int label_w = std::clamp(static_cast<int>(label_chars) * 7 + 16, 60, 480);
  const int note_w = std::clamp(static_cast<int>(note_chars) * 7 + 16, 60, 320);
  const int bar_w = 520, row_h = 24, top = 8;
  const int width = label_w + bar_w + note_w;
  const int height = top + row_h * static_cast<int>(spec.bars.size()) + 12;
  double lo = spec.reference, hi = spec.reference;
  for (const Bar& b : spec.bars) {
    if (std::isfinite(b.value)) lo = std::min(lo, b.value), hi = std::max(hi, b.value);
  }
  if (hi <= lo) hi = lo + 1;
  auto sx = [&](double v) { return label_w + (v - lo) / (hi - lo) * bar_w; };
  std::string body;
  size_t points = 0;
  for (size_t i = 0; i < spec.bars.size(); ++i) {
    const Bar& b = spec.bars[i];
    int y = top + static_cast<int>(i) * row_h;
    fmt::format_to(std::back_inserter(body),
                   "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", label_w - 8,
                   y + row_h / 2 + 4, HtmlEscape(b.label));
    if (!std::isfinite(b.value)) continue;
    ++points;
    double a = sx(std::min(b.value, spec.reference)), z = sx(std::max(b.value, spec.reference));
    std::string text = b.annotation.empty() ? Fmt(spec.value_format, b.value) : b.annotation;
    fmt::format_to(std::back_inserter(body),
                   "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\">"
                   "<title>{}: {}</title></rect><text x=\"{:.1f}\" y=\"{}\">{}</text>",
                   a, y + 3, std::max(1.0, z - a), row_h - 6,
                   b.value >= spec.reference ? "#0072B2" : "#009E73", HtmlEscape(b.label),
                   HtmlEscape(text), z + 6, y + row_h / 2 + 4, HtmlEscape(text));
  }
  fmt::format_to(std::back_inserter(body),
                 "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#57606a\"/>",
                 sx(spec.reference), top, height - 6);
  return Open("bar", spec.id, width, height, points, spec.caption) + body + Close(spec.caption);
}

std::string StackedBar(const StackedBarSpec& spec) {
  const int width = 860, left = 10, bar_w = 840, top = 10, bar_h = 34;
  double total = 0;
  for (const Segment& s : spec.segments) total += std::max(0.0, s.value);
  std::string body;
  double x = left;
  size_t points = 0;
  for (size_t i = 0; i < spec.segments.size(); ++i) {
    const Segment& s = spec.segments[i];
    if (!(s.value > 0) || !(total > 0)) continue;
    ++points;
    double w = s.value / total * bar_w;
    fmt::format_to(std::back_inserter(body),
                   "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\">"
                   "<title>{}: {:.4g} {} ({:.1f}%)</title></rect>",
                   x, top, w, bar_h, kCategorical[i % kCategorical.size()], HtmlEscape(s.label),
                   s.value, HtmlEscape(spec.unit), 100 * s.value / total);
    x += w;
  }
  int lx = left;
  for (size_t i = 0; i < spec.segments.size(); ++i) {
    const Segment& s = spec.segments[i];
    std::string text = fmt::format("{} {:.4g} {} ({:.1f}%)", s.label, s.value, spec.unit,
                                   total > 0 ? 100 * s.value / total : 0.0);
    fmt::format_to(std::back_inserter(body),
                   "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>"
                   "<text x=\"{}\" y=\"{}\">{}</text>",
                   lx, top + bar_h + 10, kCategorical[i % kCategorical.size()], lx + 16,
                   top + bar_h + 20, HtmlEscape(text));
    lx += 24 + 7 * static_cast<int>(text.size());
  }
  return Open("stacked", spec.id, width, top + bar_h + 36, points, spec.caption) + body +
         Close(spec.caption);
}

}  // namespace trainscope::report
