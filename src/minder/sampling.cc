// SPDX-License-Identifier: Apache-2.0
// Sampling interval of a metric table.
#include "minder/sampling.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include <fmt/core.h>

namespace trainscope::minder {

double MedianSampleInterval(const model::MetricTable& table, size_t max_rows) {
  const size_t rows = std::min(table.size(), max_rows);
  std::unordered_map<uint64_t, int64_t> last;  // series key -> last timestamp
  std::vector<int64_t> gaps;
  gaps.reserve(rows);
  for (size_t r = 0; r < rows; ++r) {
    const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(table.machine()[r])) << 32) ^
                         (static_cast<uint64_t>(static_cast<uint32_t>(table.metric()[r])) << 16) ^
                         static_cast<uint64_t>(static_cast<uint16_t>(table.gpu()[r]));
    auto [it, fresh] = last.emplace(key, table.ts()[r]);
    if (fresh) continue;
    const int64_t gap = table.ts()[r] - it->second;
    if (gap > 0) gaps.push_back(gap);
    it->second = std::max(it->second, table.ts()[r]);
  }
  if (gaps.empty()) return 0;
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<long>(gaps.size() / 2), gaps.end());
  return static_cast<double>(gaps[gaps.size() / 2]) / static_cast<double>(model::kNanosPerSecond);
}

std::string CoarseSamplingReason(const model::MetricTable& table, double max_interval_s) {
  const double interval = MedianSampleInterval(table);
  if (interval <= max_interval_s) return "";
  return fmt::format(
      "samples arrive every {:.3g} s (median per series); Minder compares 8-s windows of 1-s samples, so this "
      "data cannot show a 4-minute deviation reliably: collect at 1 s (Prometheus `scrape_interval: 1s`; "
      "dcgm-exporter `-c 1000` or DCGM_EXPORTER_INTERVAL=1000; node_exporter scraped at 1s)",
      interval);
}

}  // namespace trainscope::minder
