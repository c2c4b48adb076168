// SPDX-License-Identifier: Apache-2.0
// The name mapping from exporter metrics (DCGM exporter, node_exporter, nmon) to Minder's seven
// metrics (Minder brief section 4), and its application to a MetricTable.
//
// Each rule says: samples of base name `source` whose labels contain every `key="value"` of
// `label_filter` become Minder metric `minder`, after a transform (identity, 1-x, 1-x/100, x*k),
// aggregated per (machine, device, timestamp) by mean or sum over the remaining labels (CPUs,
// links). DCGM rules also match the lower-cased name (`dcgm_fi_dev_gpu_util`). Counters are
// turned into rates before mapping (CountersToRates). Users extend the table with a CSV file of
// the same columns (`minder,source,label_filter,transform,aggregate`).
// Thread safety: pure functions on values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "model/metric_table.h"

namespace trainscope::model {

// Minder's seven metrics in the paper's priority order (NSDI'25, section 4.3).
inline constexpr std::string_view kMinderMetrics[] = {"pfc_tx",   "cpu",    "gpu_util",
                                                      "gpu_power", "gr_engine", "tensor",
                                                      "nvlink"};

enum class MetricTransform { kIdentity, kOneMinus, kOneMinusPercent, kScale };
enum class MetricAggregate { kMean, kSum };

struct MetricMapping {
  std::string minder;        // target name, e.g. "cpu"
  std::string source;        // exporter base name, e.g. "node_cpu_seconds_total"
  std::string label_filter;  // `mode="idle"` (comma-separated pairs), empty = all series
  MetricTransform transform = MetricTransform::kIdentity;
  double scale = 1.0;        // for kScale
  MetricAggregate aggregate = MetricAggregate::kMean;
};

// The documented default table (docs/minder.md lists it); every `DCGM_*` rule is followed by its
// lower-case twin.
const std::vector<MetricMapping>& DefaultMetricMappings();

// Parses user rules, one per line: `minder,source,label_filter,transform,aggregate` where
// transform is identity|one_minus|one_minus_percent|scale:<k> and aggregate mean|sum.
// `#` starts a comment. Errors name `origin` and the line.
Result<std::vector<MetricMapping>> ParseMetricMappings(std::string_view text,
                                                       std::string_view origin);

// Applies `rules` (first matching rule wins per series). Metrics no rule matches are copied
// under their own name when `keep_unmapped` (so any metric set works), else dropped; either way
// one `unmapped_metric` info diagnostic per such metric says so.
MetricTable MapMetricNames(const MetricTable& in, const std::vector<MetricMapping>& rules,
                           bool keep_unmapped, Diagnostics* diags);
// The same, taking `in`: when no rule matches any of its metrics and they are kept, the table is
// renamed in place (no copy of its rows).
MetricTable MapMetricNames(MetricTable&& in, const std::vector<MetricMapping>& rules,
                           bool keep_unmapped, Diagnostics* diags);

}  // namespace trainscope::model
