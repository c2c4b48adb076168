// SPDX-License-Identifier: Apache-2.0
// Tests for the SVG charts: data-points counts, colour scale, marked windows.
#include "report/svg_chart.h"

#include <cmath>

#include <gtest/gtest.h>

namespace trainscope::report {
namespace {

TEST(SvgChartTest, ViridisEndpoints) {
  EXPECT_EQ(ViridisColor(0.0), "#440154");
  EXPECT_EQ(ViridisColor(1.0), "#fde725");
  EXPECT_EQ(ViridisColor(-3.0), "#440154");  // clamped
  EXPECT_EQ(ViridisColor(std::nan("")), "#440154");
}

TEST(SvgChartTest, HeatmapCountsFiniteCellsOnly) {
  HeatmapSpec spec;
  spec.id = "heat";
  spec.caption = "worker scores";
  spec.values = {{1.0, 1.2}, {std::nan(""), 2.5}};
  std::string svg = Heatmap(spec);
  EXPECT_NE(svg.find("data-chart=\"heatmap\""), std::string::npos);
  EXPECT_NE(svg.find("data-points=\"3\""), std::string::npos);
  EXPECT_NE(svg.find("no data"), std::string::npos);
  EXPECT_NE(svg.find(">2.50<"), std::string::npos);  // clamped colour, true value in text
}

TEST(SvgChartTest, LineChartMarksWindows) {
  LineChartSpec spec;
  spec.id = "score";
  spec.series = {{"m0", {0, 1, 2}, {0.1, 0.2, 0.1}, false}, {"m3", {0, 1, 2}, {0.1, 3, 4}, true}};
  spec.marked = {{1, 2, "alert"}};
  std::string svg = LineChart(spec);
  EXPECT_NE(svg.find("data-points=\"6\""), std::string::npos);
  EXPECT_NE(svg.find("data-marked=\"1\""), std::string::npos);
}

TEST(SvgChartTest, EmptyChartsSayZeroPoints) {
  EXPECT_NE(BarChart(BarChartSpec{}).find("data-points=\"0\""), std::string::npos);
  EXPECT_NE(LineChart(LineChartSpec{}).find("data-points=\"0\""), std::string::npos);
  EXPECT_NE(StackedBar(StackedBarSpec{}).find("data-points=\"0\""), std::string::npos);
}

TEST(SvgChartTest, StackedBarShowsShares) {
  StackedBarSpec spec;
  spec.unit = "s";
  spec.segments = {{"compute", 3.0}, {"bubble", 1.0}};
  std::string svg = StackedBar(spec);
  EXPECT_NE(svg.find("compute 3 s (75.0%)"), std::string::npos);
  EXPECT_NE(svg.find("bubble 1 s (25.0%)"), std::string::npos);
}

}  // namespace
}  // namespace trainscope::report
