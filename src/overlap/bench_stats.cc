// SPDX-License-Identifier: Apache-2.0
// Order-statistic median intervals and Wilson intervals.
#include "overlap/bench_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/stats.h"

namespace trainscope::overlap {
namespace {

// P(Binomial(n, 1/2) <= k), summed in log space so that n in the thousands stays finite.
double BinomialHalfCdf(int n, int k) {
  double sum = 0;
  for (int i = 0; i <= k; ++i) {
    sum += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) -
                    n * std::log(2.0));
  }
  return sum;
}

}  // namespace

Interval MedianInterval(std::vector<double> values, double confidence) {
  Interval out;
  out.samples = static_cast<int>(values.size());
  if (values.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    out.median = out.low = out.high = out.coverage = nan;
    return out;
  }
  std::sort(values.begin(), values.end());
  out.median = Median(values);
  const int n = out.samples;
  const double tail = (1 - confidence) / 2;
  int l = 1;  // 1-based rank of the lower bound
  while (l + 1 <= (n + 1) / 2 && BinomialHalfCdf(n, l) <= tail) ++l;
  out.low = values[static_cast<size_t>(l - 1)];
  out.high = values[static_cast<size_t>(n - l)];
  out.coverage = 1 - 2 * BinomialHalfCdf(n, l - 1);
  return out;
}

Proportion WilsonInterval(int hits, int trials) {
  Proportion p;
  p.hits = hits;
  p.trials = trials;
  if (trials <= 0) {
    p.share = p.low = p.high = std::numeric_limits<double>::quiet_NaN();
    return p;
  }
  const double z = 1.96, n = trials, phat = hits / n;
  const double center = (phat + z * z / (2 * n)) / (1 + z * z / n);
  const double half = z / (1 + z * z / n) * std::sqrt(phat * (1 - phat) / n + z * z / (4 * n * n));
  p.share = phat;
  p.low = std::max(0.0, center - half);
  p.high = std::min(1.0, center + half);
  return p;
}

}  // namespace trainscope::overlap
