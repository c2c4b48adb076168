// SPDX-License-Identifier: Apache-2.0
// Median, quantiles and the robust z (definitions in stats.h).
#include "base/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace trainscope {
namespace {

template <typename T>
T MedianOf(std::span<T> v) {
  if (v.empty()) return std::numeric_limits<T>::quiet_NaN();
  const size_t k = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  const T hi = v[k];
  if (v.size() % 2 == 1) return hi;
  // nth_element leaves the lower half below v[k]: its largest is the other middle value.
  const T lo = *std::max_element(v.begin(), v.begin() + static_cast<long>(k));
  return T(0.5) * (lo + hi);
}

template <typename T>
T LowerQuantileOf(std::vector<T> v, double q) {
  if (v.empty()) return std::numeric_limits<T>::quiet_NaN();
  q = std::clamp(q, 0.0, 1.0);
  const size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

template <typename T>
RobustScale<T> FitRobustScaleOf(std::span<const T> values, double floor) {
  std::vector<T> tmp(values.begin(), values.end());
  RobustScale<T> fit;
  fit.median = MedianOf(std::span<T>(tmp));
  for (T& v : tmp) v = std::fabs(v - fit.median);
  const T mad = MedianOf(std::span<T>(tmp));
  fit.scale = static_cast<T>(kMadToSigma) * mad + static_cast<T>(floor);
  return fit;
}

}  // namespace

float MedianInPlace(std::span<float> values) { return MedianOf(values); }
double MedianInPlace(std::span<double> values) { return MedianOf(values); }
float Median(std::vector<float> values) { return MedianOf(std::span<float>(values)); }
double Median(std::vector<double> values) { return MedianOf(std::span<double>(values)); }

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  q = std::clamp(q, 0.0, 1.0);
  const double h = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(h);
  std::nth_element(values.begin(), values.begin() + static_cast<long>(lo), values.end());
  const double x_lo = values[lo];
  const double f = h - static_cast<double>(lo);
  if (f == 0 || lo + 1 >= values.size()) return x_lo;
  // The next order statistic is the least of the values above rank lo.
  const double x_hi = *std::min_element(values.begin() + static_cast<long>(lo) + 1, values.end());
  // (1 - f) x_lo + f x_hi: at f = 1/2 both products are exact, so the median is 0.5 (lo + hi)
  // rounded once, as Median computes it.
  return (1 - f) * x_lo + f * x_hi;
}

float LowerQuantile(std::vector<float> values, double q) {
  return LowerQuantileOf(std::move(values), q);
}
double LowerQuantile(std::vector<double> values, double q) {
  return LowerQuantileOf(std::move(values), q);
}

RobustScale<float> FitRobustScale(std::span<const float> values, double floor) {
  return FitRobustScaleOf(values, floor);
}
RobustScale<double> FitRobustScale(std::span<const double> values, double floor) {
  return FitRobustScaleOf(values, floor);
}

}  // namespace trainscope
