// SPDX-License-Identifier: Apache-2.0
// Median, quantiles and robust z against values computed by hand.
#include "base/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace trainscope {
namespace {

TEST(StatsTest, MedianOfOddCountIsTheMiddleValue) {
  // Sorted: 1 2 [3] 7 9.
  EXPECT_EQ(Median(std::vector<double>{9, 1, 3, 7, 2}), 3.0);
  EXPECT_EQ(Median(std::vector<float>{5.f}), 5.f);
}

TEST(StatsTest, MedianOfEvenCountIsTheMeanOfTheTwoMiddleValues) {
  // Sorted: 1 [2 4] 10 -> (2 + 4) / 2 = 3; an upper median would say 4, a lower one 2.
  EXPECT_EQ(Median(std::vector<double>{10, 4, 1, 2}), 3.0);
  EXPECT_EQ(Median(std::vector<float>{0.5f, 0.25f}), 0.375f);
  // Repeated middle values: 1 [2 2] 3 -> 2.
  EXPECT_EQ(Median(std::vector<double>{2, 3, 2, 1}), 2.0);
}

TEST(StatsTest, MedianOfNothingIsNaN) {
  EXPECT_TRUE(std::isnan(Median(std::vector<double>{})));
  EXPECT_TRUE(std::isnan(Median(std::vector<float>{})));
}

TEST(StatsTest, MedianInPlaceReordersButKeepsTheValues) {
  std::vector<double> v{4, 3, 2, 1};
  EXPECT_EQ(MedianInPlace(std::span<double>(v)), 2.5);  // (2 + 3) / 2
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, (std::vector<double>{1, 2, 3, 4}));
}

TEST(StatsTest, QuantileInterpolatesBetweenOrderStatistics) {
  // Sorted 10 20 30 40 (n = 4). q = 0.9: h = 0.9 x 3 = 2.7 -> 30 + 0.7 x (40 - 30) = 37.
  const std::vector<double> v{40, 10, 30, 20};
  EXPECT_DOUBLE_EQ(Quantile(v, 0.9), 37.0);
  // q = 0.25: h = 0.75 -> 10 + 0.75 x 10 = 17.5.
  EXPECT_DOUBLE_EQ(Quantile(v, 0.25), 17.5);
  // The ends are the extremes; q outside [0, 1] is clamped.
  EXPECT_EQ(Quantile(v, 0), 10.0);
  EXPECT_EQ(Quantile(v, 1), 40.0);
  EXPECT_EQ(Quantile(v, 2), 40.0);
  // q = 0.5 is the median exactly: h = 1.5 -> (20 + 30) / 2 = 25.
  EXPECT_EQ(Quantile(v, 0.5), Median(v));
  EXPECT_EQ(Quantile(std::vector<double>{0.1, 0.7, 0.3}, 0.5), 0.3);
  EXPECT_TRUE(std::isnan(Quantile({}, 0.5)));
}

TEST(StatsTest, LowerQuantileIsAlwaysOneOfTheValues) {
  // Sorted 10 20 30 40: q = 0.9 -> rank floor(2.7) = 2 -> 30; q = 0.5 -> rank 1 -> 20.
  EXPECT_EQ(LowerQuantile(std::vector<double>{40, 10, 30, 20}, 0.9), 30.0);
  EXPECT_EQ(LowerQuantile(std::vector<float>{40, 10, 30, 20}, 0.5), 20.f);
  EXPECT_EQ(LowerQuantile(std::vector<double>{40, 10, 30, 20}, 1.0), 40.0);
  EXPECT_TRUE(std::isnan(LowerQuantile(std::vector<float>{}, 0.1)));
}

TEST(StatsTest, RobustZByHand) {
  // s = 1 2 3 4 100: median 3; |s - 3| = 2 1 0 1 97 -> sorted 0 1 [1] 2 97, MAD 1;
  // scale = 1.4826 x 1 + 0.05 = 1.5326; z(100) = 97 / 1.5326.
  const std::vector<double> s{1, 2, 3, 4, 100};
  const RobustScale<double> fit = FitRobustScale(s, 0.05);
  EXPECT_EQ(fit.median, 3.0);
  EXPECT_DOUBLE_EQ(fit.scale, 1.5326);
  EXPECT_DOUBLE_EQ(RobustZ(100.0, fit), 97 / 1.5326);
  EXPECT_DOUBLE_EQ(RobustZ(3.0, fit), 0.0);
}

TEST(StatsTest, RobustZOnEvenCountUsesTheMeanOfTheMiddleValues) {
  // s = 1 2 4 9: median (2 + 4) / 2 = 3; |s - 3| = 2 1 1 6 -> sorted 1 [1 2] 6, MAD 1.5;
  // scale = 1.4826 x 1.5 + 0 = 2.2239; z(9) = 6 / 2.2239.
  const std::vector<float> s{9, 1, 4, 2};
  const RobustScale<float> fit = FitRobustScale(s, 0.0);
  EXPECT_EQ(fit.median, 3.f);
  EXPECT_FLOAT_EQ(fit.scale, 2.2239f);
  EXPECT_FLOAT_EQ(RobustZ(9.f, fit), 6 / 2.2239f);
}

TEST(StatsTest, RobustZOfEqualValuesIsBoundedByTheFloor) {
  // MAD 0: scale is the floor alone; z(1.5) = (1.5 - 1) / 0.25 = 2.
  const RobustScale<float> fit = FitRobustScale(std::vector<float>{1, 1, 1}, 0.25);
  EXPECT_EQ(fit.scale, 0.25f);
  EXPECT_EQ(RobustZ(1.5f, fit), 2.f);
}

TEST(StatsTest, FloatScaleFactorIsTheDetectorsLiteral) {
  // The detector multiplies by the float literal 1.4826f; the float path must round to it.
  EXPECT_EQ(static_cast<float>(kMadToSigma), 1.4826f);
}

}  // namespace
}  // namespace trainscope
