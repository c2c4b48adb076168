// SPDX-License-Identifier: Apache-2.0
// Distribution-free intervals for the overlap benchmark's paired repetitions: the median with
// its order-statistic confidence interval (binomial ranks, no normality assumed: CPU timings on
// a shared machine are skewed and heavy-tailed) and the Wilson score interval of a proportion
// (how often fused beats decomposition).
// Thread safety: pure functions.
#pragma once

#include <vector>

namespace trainscope::overlap {

struct Interval {
  double median = 0, low = 0, high = 0;
  double coverage = 0;  // achieved confidence of [low, high] (below the target for few samples)
  int samples = 0;
};

// Median of `values` and [x_(l), x_(n+1-l)] (1-based order statistics) with the largest l such
// that P(Binomial(n, 1/2) <= l - 1) <= (1 - confidence) / 2; l = 1 (min, max) when even that
// misses the target, with its coverage 1 - 2^(1-n). NaN fields for no values.
Interval MedianInterval(std::vector<double> values, double confidence = 0.95);

struct Proportion {
  int hits = 0, trials = 0;
  double share = 0, low = 0, high = 0;  // Wilson score interval at z = 1.96
};
Proportion WilsonInterval(int hits, int trials);

}  // namespace trainscope::overlap
