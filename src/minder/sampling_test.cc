// SPDX-License-Identifier: Apache-2.0
// MedianSampleInterval against the plain per-row hash map and gap list it replaces (dense series
// array, gaps counted by value): 1-s jobs, random gaps, shuffled rows, duplicates, many distinct
// gaps, a row limit, and more series than the dense array takes.
#include "minder/sampling.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <unordered_map>
#include <vector>

#include "minder/synth.h"

namespace trainscope::minder {
namespace {

constexpr int64_t kS = model::kNanosPerSecond;

double Reference(const model::MetricTable& table, size_t max_rows) {
  const size_t rows = std::min(table.size(), max_rows);
  std::unordered_map<uint64_t, int64_t> last;
  std::vector<int64_t> gaps;
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
  return static_cast<double>(gaps[gaps.size() / 2]) / static_cast<double>(kS);
}

// Rows of `series` series (machine, metric, device) with gaps drawn from `gap_choices` (ns),
// shuffled in blocks, some samples repeated.
model::MetricTable RandomTable(uint64_t seed, int machines, int metrics, int devices,
                               std::vector<int64_t> gap_choices, int samples) {
  std::mt19937_64 rng(seed);
  model::MetricTable t;
  // Names built by append: g++ 12 at -O3 warns (-Wrestrict, a false positive) on "m" + to_string.
  for (int m = 0; m < machines; ++m) {
    std::string name = "m";
    name += std::to_string(m);
    t.InternMachine(name);
  }
  for (int k = 0; k < metrics; ++k) {
    std::string name = "x";
    name += std::to_string(k);
    t.InternMetric(name);
  }
  struct Row {
    int64_t ts;
    int32_t machine, metric;
    int16_t gpu;
  };
  std::vector<Row> rows;
  for (int m = 0; m < machines; ++m) {
    for (int k = 0; k < metrics; ++k) {
      for (int d = -1; d < devices; ++d) {
        if (rng() % 3 == 0) continue;  // not every series exists
        int64_t ts = static_cast<int64_t>(rng() % 100) * kS;
        for (int i = 0; i < samples; ++i) {
          rows.push_back({ts, m, k, static_cast<int16_t>(d)});
          if (rng() % 29 == 0) rows.push_back({ts, m, k, static_cast<int16_t>(d)});  // duplicate
          ts += gap_choices[rng() % gap_choices.size()];
        }
      }
    }
  }
  for (size_t i = 0; i + 8 <= rows.size(); i += 8) {
    if (rng() % 5 == 0)
      std::shuffle(rows.begin() + static_cast<long>(i), rows.begin() + static_cast<long>(i + 8),
                   rng);
  }
  for (const Row& r : rows) t.Append(r.ts, r.machine, r.metric, r.gpu, 1.0);
  return t;
}

TEST(SamplingTest, MedianIntervalOfAOneSecondJob) {
  model::MetricTable t;
  SynthesizeJob(SynthJobOptions{.machines = 20, .seconds = 300}, &t);
  EXPECT_EQ(MedianSampleInterval(t), 1.0);
  EXPECT_EQ(CoarseSamplingReason(t), "");
}

TEST(SamplingTest, MedianIsTheMiddleGapOfTheSortedList) {
  // Gaps 1, 1, 2, 2 s: the sorted list's element at index 2 is 2 s (not the 1 s before it).
  model::MetricTable t;
  const int32_t m = t.InternMachine("a"), x = t.InternMetric("x");
  for (int64_t s : {0, 1, 2, 4, 6}) t.Append(s * kS, m, x, model::kNoGpu, 1.0);
  EXPECT_EQ(MedianSampleInterval(t), Reference(t, 2'000'000));
  EXPECT_EQ(MedianSampleInterval(t), 2.0);
}

TEST(SamplingTest, SameMedianAsThePerRowMap) {
  const std::vector<int64_t> few = {kS, kS, kS, 2 * kS, 15 * kS, kS / 2};
  std::vector<int64_t> many;  // more distinct gaps than are counted by value
  for (int i = 0; i < 6000; ++i) many.push_back(kS + i * 1000);
  struct Case {
    int machines, metrics, devices;
    const std::vector<int64_t>* gaps;
    int samples;
    size_t max_rows;
  };
  const Case cases[] = {
      {12, 5, 3, &few, 60, 2'000'000},    {12, 5, 0, &few, 60, 1000},
      {7, 3, 2, &many, 400, 2'000'000},   {3, 2, 1, &few, 3, 2'000'000},
      {40, 1, 0, &few, 1, 2'000'000},     {2, 1, 0, &few, 0, 2'000'000},
      {130, 90, 100, &few, 2, 2'000'000},  // 1.2 million series: past the dense array
  };
  uint64_t seed = 1;
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << c.machines << "x" << c.metrics << "x" << c.devices << " rows " << c.max_rows);
    const model::MetricTable t =
        RandomTable(seed++, c.machines, c.metrics, c.devices, *c.gaps, c.samples);
    EXPECT_EQ(MedianSampleInterval(t, c.max_rows), Reference(t, c.max_rows));
  }
}

}  // namespace
}  // namespace trainscope::minder
