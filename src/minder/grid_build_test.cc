// SPDX-License-Identifier: Apache-2.0
// BuildGrid's fast paths against its general ones: a metric without devices (its row is its own
// mean channel) against the same samples given as device 0 of every machine (mean over one
// device), and any number of threads against one, bit for bit, on a job with gaps, duplicates,
// samples out of order, sub-second timestamps, machines with clock skew and a time slice; and
// FitBounds' histogram selection against the chained std::nth_element it replaces (NaN, both
// zeros, denormals, infinities, few distinct values, 0 to 300,000 values).
#include "minder/preprocess.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "minder/synth.h"
#include "support/status_matchers.h"

namespace trainscope::minder {
namespace {

constexpr int64_t kS = model::kNanosPerSecond;

// A 40-machine job, 600 s: machines 3 and 11 run 2 s and -1 s off, every machine drops samples
// here and there, some samples come twice (one 0.4 s later, with `duplicates`) or out of order;
// `device` puts every sample on device 0 of its machine instead of machine level.
model::MetricTable Job(bool device, bool duplicates = true) {
  model::MetricTable t;
  SynthesizeJob(SynthJobOptions{.machines = 40, .seconds = 600, .start_s = 0, .seed = 3}, &t);
  model::MetricTable out;
  for (const auto& m : t.machines().names()) out.InternMachine(m);
  for (const auto& m : t.metrics().names()) out.InternMetric(m);
  const int16_t dev = device ? 0 : model::kNoGpu;
  std::vector<size_t> held;  // rows appended late (out of order)
  for (size_t i = 0; i < t.size(); ++i) {
    const int32_t m = t.machine()[i];
    const int64_t s = t.ts()[i] / kS;
    const int64_t skew = m == 3 ? 2 * kS : m == 11 ? -kS : 0;
    const uint64_t h = static_cast<uint64_t>(s * 7919 + m * 104729 + t.metric()[i] * 31);
    if (h % 41 == 0) continue;  // dropped
    if (h % 53 == 0) {
      held.push_back(i);
      continue;
    }
    out.Append(t.ts()[i] + skew, m, t.metric()[i], dev, t.value()[i]);
    if (duplicates && h % 67 == 0)
      out.Append(t.ts()[i] + skew + 4 * kS / 10, m, t.metric()[i], dev, -t.value()[i]);
  }
  for (size_t i : held) {
    const int32_t m = t.machine()[i];
    const int64_t skew = m == 3 ? 2 * kS : m == 11 ? -kS : 0;
    out.Append(t.ts()[i] + skew, m, t.metric()[i], dev, t.value()[i]);
  }
  return out;
}

void ExpectSameChannel(const Channel& a, const Channel& b) {
  EXPECT_EQ(a.name, b.name);
  ASSERT_EQ(a.values.size(), b.values.size());
  for (size_t i = 0; i < a.values.size(); ++i) {
    ASSERT_EQ(std::memcmp(&a.values[i], &b.values[i], sizeof(float)), 0)
        << a.name << " at " << i << ": " << a.values[i] << " vs " << b.values[i];
  }
}

TEST(GridBuildTest, MachineLevelMetricIsTheMeanOfOneDevice) {
  GridOptions options;
  options.start_ns = 20 * kS;  // a slice: samples before it are left out
  // Without duplicates a machine-level metric goes straight onto the grid; with them through
  // per-series sums and counts.
  for (bool duplicates : {false, true}) {
    SCOPED_TRACE(duplicates);
    ASSERT_OK_AND_ASSIGN(Grid plain, BuildGrid(Job(false, duplicates), options, nullptr));
    ASSERT_OK_AND_ASSIGN(Grid device, BuildGrid(Job(true, duplicates), options, nullptr));
    ASSERT_EQ(plain.channels.size(), 7u);    // no [min] channels without devices
    ASSERT_EQ(device.channels.size(), 14u);  // mean and [min] per metric
    EXPECT_EQ(plain.skew_seconds, device.skew_seconds);
    EXPECT_EQ(plain.skew_seconds[3], 2);
    EXPECT_EQ(plain.skew_seconds[11], -1);
    for (size_t c = 0; c < plain.channels.size(); ++c) {
      ExpectSameChannel(plain.channels[c], device.channels[2 * c]);
    }
  }
}

TEST(GridBuildTest, ThreadsGiveTheSameGrid) {
  const model::MetricTable jobs[] = {Job(false), Job(true), Job(false, false)};
  std::vector<Grid> grids;
  std::vector<Diagnostics> diags(6);
  for (const char* threads : {"1", "3"}) {
    setenv("TRAINSCOPE_THREADS", threads, 1);
    for (const model::MetricTable& job : jobs) {
      ASSERT_OK_AND_ASSIGN(Grid g, BuildGrid(job, GridOptions{}, &diags[grids.size()]));
      grids.push_back(std::move(g));
    }
  }
  unsetenv("TRAINSCOPE_THREADS");
  for (size_t k = 0; k < 3; ++k) {
    const Grid& one = grids[k];
    const Grid& three = grids[k + 3];
    EXPECT_EQ(one.skew_seconds, three.skew_seconds);
    ASSERT_EQ(one.channels.size(), three.channels.size());
    for (size_t c = 0; c < one.channels.size(); ++c) {
      ExpectSameChannel(one.channels[c], three.channels[c]);
      EXPECT_EQ(one.channels[c].gpu, three.channels[c].gpu);
    }
    ASSERT_EQ(diags[k].items().size(), diags[k + 3].items().size());
    for (size_t i = 0; i < diags[k].items().size(); ++i) {
      EXPECT_EQ(diags[k].items()[i].name, diags[k + 3].items()[i].name);
      EXPECT_EQ(diags[k].items()[i].count, diags[k + 3].items()[i].count);
      EXPECT_EQ(diags[k].items()[i].first_location, diags[k + 3].items()[i].first_location);
    }
  }
  EXPECT_GT(diags[0].Count("duplicate_timestamp"), 0);
  EXPECT_GT(diags[0].Count("non_monotonic_time"), 0);
  EXPECT_GT(diags[0].Count("clock_skew"), 0);
  EXPECT_EQ(diags[2].Count("duplicate_timestamp"), 0);
  EXPECT_GT(diags[2].Count("non_monotonic_time"), 0);
}

// FitBounds as it selected before (chained std::nth_element over the present values).
void ReferenceFitBounds(Channel* channel) {
  std::vector<float> present;
  for (float v : channel->values) {
    if (!std::isnan(v)) present.push_back(v);
  }
  if (present.empty()) {
    channel->lo = 0;
    channel->hi = 1;
    return;
  }
  const double n1 = static_cast<double>(present.size() - 1);
  const size_t k[4] = {static_cast<size_t>(0.01 * n1), static_cast<size_t>(0.25 * n1),
                       static_cast<size_t>(0.75 * n1), static_cast<size_t>(0.99 * n1)};
  double q[4];
  size_t from = 0;
  for (int i = 0; i < 4; ++i) {
    if (k[i] >= from) {
      std::nth_element(present.begin() + static_cast<long>(from),
                       present.begin() + static_cast<long>(k[i]), present.end());
      from = k[i] + 1;
    }
    q[i] = static_cast<double>(present[k[i]]);
  }
  channel->lo = q[0];
  channel->hi = q[3];
  const double iqr = q[2] - q[1];
  if (iqr > 0) {
    channel->lo = std::max(channel->lo, q[1] - 3 * iqr);
    channel->hi = std::min(channel->hi, q[2] + 3 * iqr);
  }
  double floor = 1e-6 * std::max(1.0, std::fabs(channel->hi));
  if (channel->hi - channel->lo < floor) channel->hi = channel->lo + floor;
}

// Samples 1e9 s apart (a wrong timestamp) exceed the grid: the error names the span and the
// jump, not only 'time span of N steps'.
TEST(GridBuildTest, SpanPastThirtyDaysNamesTheGap) {
  model::MetricTable t;
  const int32_t m = t.InternMachine("a");
  const int32_t metric = t.InternMetric("gpu_util");
  for (int64_t s : {100, 101, 102, 1'000'000'102}) t.Append(s * kS, m, metric, model::kNoGpu, 1.0);
  EXPECT_THAT(BuildGrid(t, GridOptions{}, nullptr),
              testing::StatusIs(StatusCode::kInvalidArgument,
                                "the largest gap is 1000000000 s, from 102 to 1000000102"));
}

// A machine the reader saw only as NaN/Inf or blank samples has no row but keeps its name: it is
// listed as absent with a machine_absent diagnostic, not dropped from the job without a word.
TEST(GridBuildTest, MachineWithoutFiniteSamplesIsAbsentNotLost) {
  model::MetricTable t;
  const int32_t a = t.InternMachine("a");
  t.InternMachine("all_nan");  // named in the input, every sample dropped by the reader
  const int32_t b = t.InternMachine("b");
  const int32_t metric = t.InternMetric("gpu_util");
  for (int64_t s = 100; s < 110; ++s) {
    t.Append(s * kS, a, metric, model::kNoGpu, 1.0);
    t.Append(s * kS, b, metric, model::kNoGpu, 2.0);
  }
  Diagnostics diags;
  ASSERT_OK_AND_ASSIGN(Grid grid, BuildGrid(t, GridOptions{}, &diags));
  EXPECT_EQ(grid.machines, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(grid.absent, (std::vector<std::string>{"all_nan"}));
  EXPECT_EQ(diags.Count("machine_absent"), 1);
}

TEST(GridBuildTest, FitBoundsSelectsAsNthElement) {
  std::mt19937_64 rng(11);
  auto random_values = [&](size_t n, int kind) {
    std::vector<float> v(n);
    for (float& x : v) {
      const double u = static_cast<double>(rng() % 1000000) / 1e6;
      switch (kind) {
        case 0:
          x = static_cast<float>(u);
          break;  // [0, 1)
        case 1:
          x = static_cast<float>(150 + 450 * u);
          break;  // watts
        case 2:
          x = static_cast<float>((u - 0.5) * 1e-38);
          break;  // denormals, both signs
        case 3:
          x = static_cast<float>(rng() % 4) - 1.5f;
          break;  // few distinct values
        case 4:
          x = rng() % 3 == 0 ? 0.f : -0.f;
          break;  // both zeros only
        case 5:
          x = rng() % 5 == 0 ? -0.f : static_cast<float>(u - 0.9);
          break;  // -0 among values
        default:
          x = static_cast<float>(std::exp(40 * u - 20) * (rng() % 2 ? 1 : -1));
          break;
      }
      if (rng() % 17 == 0) x = std::numeric_limits<float>::quiet_NaN();
      if (kind == 6 && rng() % 1000 == 0) x = std::numeric_limits<float>::infinity();
    }
    return v;
  };
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{100},
                   size_t{10000}, size_t{300000}}) {
    for (int kind = 0; kind < 7; ++kind) {
      SCOPED_TRACE(::testing::Message() << "n " << n << " kind " << kind);
      Channel fast, reference;
      fast.values = reference.values = random_values(n, kind);
      FitBounds(&fast);
      ReferenceFitBounds(&reference);
      EXPECT_EQ(std::memcmp(&fast.lo, &reference.lo, sizeof(double)), 0)
          << fast.lo << " " << reference.lo;
      EXPECT_EQ(std::memcmp(&fast.hi, &reference.hi, sizeof(double)), 0)
          << fast.hi << " " << reference.hi;
    }
  }
}

}  // namespace
}  // namespace trainscope::minder
