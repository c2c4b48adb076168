// SPDX-License-Identifier: Apache-2.0
// Inline SVG charts for the HTML report: heatmap, line chart with marked windows, ranked bars
// and a stacked breakdown bar. Each returns a <figure class="chart"> element whose root <svg>
// carries data-chart (kind) and data-points (how many data values it draws), so a browser test
// can check that every chart is present and non-empty. Colours: viridis for magnitudes and the
// Okabe-Ito palette for categories (both colour-vision-deficiency safe).
// All functions are pure; no thread-safety concerns.
#pragma once

#include <string>
#include <vector>

namespace trainscope::report {

struct HeatmapSpec {
  std::string id;
  std::string caption;
  std::string row_axis;                    // e.g. "DP rank"
  std::string column_axis;                 // e.g. "pipeline stage"
  std::vector<std::string> row_labels;     // e.g. "0".."N-1"
  std::vector<std::string> column_labels;  // e.g. "0".."P-1"
  std::vector<std::vector<double>> values; // [row][column]; NaN = no data (drawn hatched grey)
  double min_value = 1.0;                  // colour scale bounds; values are clamped
  double max_value = 2.0;
  std::string value_format = "{:.2f}";     // fmt format for cell text and tooltips
};
std::string Heatmap(const HeatmapSpec& spec);

struct LineSeries {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  bool highlight = false;  // drawn thick and in the accent colour, others thin grey
};
struct XRange {
  double begin = 0;
  double end = 0;
  std::string label;
};
struct LineChartSpec {
  std::string id;
  std::string caption;
  std::string x_label;
  std::string y_label;
  std::vector<LineSeries> series;
  std::vector<XRange> marked;       // shaded windows (e.g. the alert window)
  std::vector<double> y_reference;  // horizontal dashed lines (e.g. threshold, S = 1.0)
};
std::string LineChart(const LineChartSpec& spec);

struct Bar {
  std::string label;
  double value = 0;
  std::string annotation;  // text after the bar; default: the value
};
struct BarChartSpec {
  std::string id;
  std::string caption;
  std::vector<Bar> bars;        // drawn top to bottom in the given order
  double reference = 0;         // bars grow from here (1.0 for slowdowns, 0 for savings)
  std::string value_format = "{:.3f}";
};
std::string BarChart(const BarChartSpec& spec);

struct Segment {
  std::string label;
  double value = 0;
};
struct StackedBarSpec {
  std::string id;
  std::string caption;
  std::string unit;  // e.g. "s"
  std::vector<Segment> segments;
};
std::string StackedBar(const StackedBarSpec& spec);

// Viridis colour for t in [0, 1] as "#rrggbb".
std::string ViridisColor(double t);

}  // namespace trainscope::report
