// SPDX-License-Identifier: Apache-2.0
// One median, one quantile and one robust outlier score for every analysis (issue 16 item 5).
//
// Definitions (each function documents its own; the tests in stats_test.cc compute them by hand):
//  - Median: the middle value of an odd count, the mean of the two middle values of an even
//    count; NaN for no values.
//  - Quantile(q): linear interpolation between the closest order statistics (Hyndman & Fan type 7,
//    numpy's and R's default), so Quantile(v, 0.5) == Median(v). LowerQuantile(q): the order
//    statistic at rank floor(q (n - 1)), always one of the values (for bounds that must be data).
//  - Robust z, Minder's (NSDI'25 section 4.3; the statistic src/minder/detector.h thresholds):
//        z = (x - median(s)) / (1.4826 MAD(s) + floor),   MAD(s) = median(|s_i - median(s)|).
//    1.4826 makes the MAD a standard deviation for normal data; `floor` keeps z finite when most
//    values are equal. float inputs are computed in float (the detector's arithmetic, bit for
//    bit), double inputs in double.
// NaN values are not allowed in any input (their order is undefined): filter them first.
// All functions are pure and thread-safe; the *InPlace ones reorder their argument.
#pragma once

#include <span>
#include <vector>

namespace trainscope {

// Median of `values`, reordering them (selection, O(n)); NaN when empty.
float MedianInPlace(std::span<float> values);
double MedianInPlace(std::span<double> values);
// The same on a copy.
float Median(std::vector<float> values);
double Median(std::vector<double> values);

// q-quantile (q in [0, 1], clamped), type 7: with x_0 <= ... <= x_{n-1} and h = q (n - 1),
// (1 - f) x_floor(h) + f x_floor(h)+1 with f = h - floor(h). NaN when empty. Quantile(v, 0.5)
// == Median(v) exactly.
double Quantile(std::vector<double> values, double q);
// The order statistic x_floor(q (n - 1)) (q in [0, 1], clamped); NaN when empty.
float LowerQuantile(std::vector<float> values, double q);
double LowerQuantile(std::vector<double> values, double q);

// Scale factor from the MAD to the standard deviation of normal data.
inline constexpr double kMadToSigma = 1.4826;

// Location and scale of the robust z: median(s) and 1.4826 MAD(s) + floor.
template <typename T>
struct RobustScale {
  T median = 0;
  T scale = 0;
};

// Fits the robust z to `values` (at least one; NaN median and scale when empty).
RobustScale<float> FitRobustScale(std::span<const float> values, double floor);
RobustScale<double> FitRobustScale(std::span<const double> values, double floor);

// (x - median) / scale.
inline float RobustZ(float x, const RobustScale<float>& fit) {
  return (x - fit.median) / fit.scale;
}
inline double RobustZ(double x, const RobustScale<double>& fit) {
  return (x - fit.median) / fit.scale;
}

}  // namespace trainscope
