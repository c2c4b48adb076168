// SPDX-License-Identifier: Apache-2.0
// Is the input fine-grained enough for Minder? Minder compares 8-s windows of 1-s samples (NSDI'25
// section 4); the exporters' defaults are coarser (dcgm-exporter 30 s, a Prometheus scrape
// interval of 15-30 s). A grid filled from samples 15 s apart holds 1 real value in 15, so a
// "no faulty machine" from it would be a confident wrong answer: the call is inconclusive, and
// the message names the collection settings that fix it.
// Thread safety: pure.
#pragma once

#include <string>

#include "model/metric_table.h"

namespace trainscope::minder {

// Median spacing in seconds of consecutive samples of one series (machine, metric, device), over
// at most `max_rows` rows of the table; 0 when no series has two samples.
double MedianSampleInterval(const model::MetricTable& table, size_t max_rows = 2'000'000);

// "" when samples arrive at least every `max_interval_s`; else why the input cannot be judged and
// how to collect it at 1 s.
std::string CoarseSamplingReason(const model::MetricTable& table, double max_interval_s = 2.0);

}  // namespace trainscope::minder
