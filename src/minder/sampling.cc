// SPDX-License-Identifier: Apache-2.0
// Sampling interval of a metric table.
#include "minder/sampling.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace trainscope::minder {

namespace {

// The median of `gaps` counted by value (exact: the value at position size/2 of the sorted list).
int64_t MedianOfCounts(std::vector<std::pair<int64_t, int64_t>> counts, int64_t total) {
  std::sort(counts.begin(), counts.end());
  int64_t seen = 0;
  for (const auto& [gap, count] : counts) {
    seen += count;
    if (seen > total / 2) return gap;
  }
  return counts.back().first;
}

}  // namespace

double MedianSampleInterval(const model::MetricTable& table, size_t max_rows) {
  const size_t rows = std::min(table.size(), max_rows);
  // The last time of each series in a dense array when (metric, machine, device) number few
  // enough (metric ids below 2^16 keep the hash key below one-to-one), else a hash map. Gaps are
  // counted by value while few distinct values occur (1 s, 2 s, ...: a few dozen), else listed.
  int lowest = model::kNoGpu, highest = model::kNoGpu;
  for (size_t r = 0; r < rows; ++r) {
    lowest = std::min<int>(lowest, table.gpu()[r]);
    highest = std::max<int>(highest, table.gpu()[r]);
  }
  const size_t machines = static_cast<size_t>(table.machines().size());
  const size_t metrics = static_cast<size_t>(table.metrics().size());
  const size_t devices = static_cast<size_t>(highest) + 2;
  const bool dense = lowest >= model::kNoGpu && metrics < (size_t{1} << 16) &&
                     metrics * machines * devices <= (size_t{1} << 20);
  std::vector<int64_t> dense_last(dense ? metrics * machines * devices : 0);
  std::vector<uint8_t> dense_seen(dense_last.size(), 0);
  std::unordered_map<uint64_t, int64_t> last;     // series key -> last timestamp
  std::unordered_map<int64_t, int64_t> count_of;  // gap -> count, while few distinct
  std::vector<int64_t> gaps;                      // every gap, once too many distinct
  int64_t total = 0;
  auto add_gap = [&](int64_t gap) {
    ++total;
    if (gaps.empty() && count_of.size() < 4096) {
      ++count_of[gap];
      return;
    }
    if (gaps.empty()) {
      for (const auto& [g, n] : count_of) gaps.insert(gaps.end(), static_cast<size_t>(n), g);
      count_of.clear();
    }
    gaps.push_back(gap);
  };
  for (size_t r = 0; r < rows; ++r) {
    const int64_t ts = table.ts()[r];
    int64_t* series_last = nullptr;
    if (dense) {
      const size_t k = (static_cast<size_t>(table.metric()[r]) * machines +
                        static_cast<size_t>(table.machine()[r])) *
                           devices +
                       static_cast<size_t>(table.gpu()[r] + 1);
      if (!dense_seen[k]) {
        dense_seen[k] = 1;
        dense_last[k] = ts;
        continue;
      }
      series_last = &dense_last[k];
    } else {
      const uint64_t key =
          (static_cast<uint64_t>(static_cast<uint32_t>(table.machine()[r])) << 32) ^
          (static_cast<uint64_t>(static_cast<uint32_t>(table.metric()[r])) << 16) ^
          static_cast<uint64_t>(static_cast<uint16_t>(table.gpu()[r]));
      auto [it, fresh] = last.emplace(key, ts);
      if (fresh) continue;
      series_last = &it->second;
    }
    const int64_t gap = ts - *series_last;
    if (gap > 0) add_gap(gap);
    *series_last = std::max(*series_last, ts);
  }
  if (total == 0) return 0;
  int64_t median = 0;
  if (gaps.empty()) {
    median = MedianOfCounts({count_of.begin(), count_of.end()}, total);
  } else {
    std::nth_element(gaps.begin(), gaps.begin() + static_cast<long>(gaps.size() / 2), gaps.end());
    median = gaps[gaps.size() / 2];
  }
  return static_cast<double>(median) / static_cast<double>(model::kNanosPerSecond);
}

std::string CoarseSamplingReason(const model::MetricTable& table, double max_interval_s) {
  const double interval = MedianSampleInterval(table);
  if (interval <= max_interval_s) return "";
  return fmt::format(
      "samples arrive every {:.3g} s (median per series); Minder compares 8-s windows of 1-s "
      "samples, so this "
      "data cannot show a 4-minute deviation reliably: collect at 1 s (Prometheus "
      "`scrape_interval: 1s`; "
      "dcgm-exporter `-c 1000` or DCGM_EXPORTER_INTERVAL=1000; node_exporter scraped at 1s)",
      interval);
}

}  // namespace trainscope::minder
