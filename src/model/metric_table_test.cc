// SPDX-License-Identifier: Apache-2.0
// Tests of the metric table: counters to rates (with a reset), DCGM blanks, name mapping.
#include "model/metric_table.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "model/metric_names.h"
#include "support/status_matchers.h"

namespace trainscope::model {
namespace {

constexpr int64_t kS = kNanosPerSecond;

TEST(MetricTableTest, CounterRatesHandleReset) {
  MetricTable t;
  int32_t m = t.InternMachine("a");
  int32_t c = t.InternMetric("bytes_total");
  t.SetCounter(c, true);
  // 100, 110 (+10/s), 130 (+20/2s = 10/s), reset to 5 (5/s), 8 (+3/s).
  t.Append(0, m, c, kNoGpu, 100);
  t.Append(1 * kS, m, c, kNoGpu, 110);
  t.Append(3 * kS, m, c, kNoGpu, 130);
  t.Append(4 * kS, m, c, kNoGpu, 5);
  t.Append(5 * kS, m, c, kNoGpu, 8);
  Diagnostics diags;
  MetricTable r = CountersToRates(t, &diags);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_DOUBLE_EQ(r.value()[0], 10);
  EXPECT_DOUBLE_EQ(r.value()[1], 10);
  EXPECT_DOUBLE_EQ(r.value()[2], 5);
  EXPECT_DOUBLE_EQ(r.value()[3], 3);
  EXPECT_EQ(diags.Count("counter_reset"), 1);
}

TEST(MetricTableTest, DcgmBlanks) {
  EXPECT_TRUE(IsDcgmBlank(9223372036854775794.0));
  EXPECT_TRUE(IsDcgmBlank(9223372036854775792.0));
  EXPECT_TRUE(IsDcgmBlank(2147483632.0));
  EXPECT_FALSE(IsDcgmBlank(300.0));
  EXPECT_FALSE(IsDcgmBlank(128996013.0));
}

TEST(MetricTableTest, MapsCpuIdleAndGpuNames) {
  MetricTable t;
  int32_t m = t.InternMachine("n1");
  int32_t idle0 = t.InternMetric("node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}");
  int32_t idle1 = t.InternMetric("node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"}");
  int32_t user0 = t.InternMetric("node_cpu_seconds_total{cpu=\"0\",mode=\"user\"}");
  int32_t util = t.InternMetric("DCGM_FI_DEV_GPU_UTIL");
  int32_t other = t.InternMetric("MEM_memfree");
  t.Append(0, m, idle0, kNoGpu, 0.2);  // idle shares already as rates
  t.Append(0, m, idle1, kNoGpu, 0.6);
  t.Append(0, m, user0, kNoGpu, 0.7);
  t.Append(0, m, util, 3, 88);
  t.Append(0, m, other, kNoGpu, 5);
  MetricTable out = MapMetricNames(t, DefaultMetricMappings(), true, nullptr);
  auto cpu = out.metrics().Find("cpu");
  auto gpu = out.metrics().Find("gpu_util");
  ASSERT_TRUE(cpu && gpu);
  ASSERT_TRUE(out.metrics().Find("MEM_memfree").has_value());
  for (size_t i = 0; i < out.size(); ++i) {
    if (out.metric()[i] == *cpu) {
      EXPECT_NEAR(out.value()[i], 1.0 - 0.4, 1e-12);
    }
    if (out.metric()[i] == *gpu) {
      EXPECT_EQ(out.gpu()[i], 3);
      EXPECT_EQ(out.value()[i], 88);
    }
  }
  MetricTable dropped = MapMetricNames(t, DefaultMetricMappings(), false, nullptr);
  EXPECT_FALSE(dropped.metrics().Find("MEM_memfree").has_value());
}

TEST(MetricTableTest, ParsesUserRulesWithErrors) {
  ASSERT_OK_AND_ASSIGN(auto rules,
                       ParseMetricMappings("# mine\ncpu,my_busy,mode=\"x\",a=\"b\",scale:0.01,mean\n",
                                           "rules.csv"));
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].label_filter, "mode=\"x\",a=\"b\"");
  EXPECT_DOUBLE_EQ(rules[0].scale, 0.01);
  EXPECT_THAT(ParseMetricMappings("cpu,x,,bogus,mean\n", "r.csv"),
              testing::StatusIs(StatusCode::kInvalidArgument, "r.csv:1:"));
  EXPECT_THAT(ParseMetricMappings("\ncpu,x\n", "r.csv"),
              testing::StatusIs(StatusCode::kInvalidArgument, "r.csv:2"));
}

}  // namespace
}  // namespace trainscope::model

namespace trainscope::model {
namespace {

TEST(MetricTableBadInputTest, DuplicatesMergeIntoTheirMeanForGaugesAndCounters) {
  MetricTable t;
  int32_t a = t.InternMachine("a");
  int32_t gauge = t.InternMetric("util");
  int32_t counter = t.InternMetric("bytes_total");
  t.SetCounter(counter, true);
  const int64_t s = kNanosPerSecond;
  // Out of order and with a duplicate second in each series.
  t.Append(2 * s, a, gauge, kNoGpu, 50);
  t.Append(1 * s, a, gauge, kNoGpu, 10);
  t.Append(2 * s, a, gauge, kNoGpu, 70);
  t.Append(1 * s, a, counter, kNoGpu, 100);
  t.Append(3 * s, a, counter, kNoGpu, 400);
  t.Append(3 * s, a, counter, kNoGpu, 500);
  MetricTable r = CountersToRates(t, nullptr);
  ASSERT_EQ(r.size(), 3u);  // gauge at 1 s and 2 s; counter rate at 3 s
  std::vector<std::tuple<int32_t, int64_t, double>> rows;
  for (size_t i = 0; i < r.size(); ++i) rows.emplace_back(r.metric()[i], r.ts()[i], r.value()[i]);
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(rows[0], std::make_tuple(gauge, 1 * s, 10.0));
  EXPECT_EQ(rows[1], std::make_tuple(gauge, 2 * s, 60.0));             // mean of 50 and 70
  EXPECT_EQ(rows[2], std::make_tuple(counter, 3 * s, (450.0 - 100) / 2));  // mean 450 over 2 s
}

TEST(MetricTableBadInputTest, UnknownMetricNamesAreKeptAndReported) {
  MetricTable t;
  int32_t a = t.InternMachine("a");
  int32_t known = t.InternMetric("DCGM_FI_DEV_GPU_UTIL");
  int32_t unknown = t.InternMetric("my_custom_throughput");
  for (int k = 0; k < 5; ++k) {
    t.Append(k * kNanosPerSecond, a, known, 0, 90);
    t.Append(k * kNanosPerSecond, a, unknown, kNoGpu, 7);
  }
  Diagnostics kept_diags;
  MetricTable kept = MapMetricNames(t, DefaultMetricMappings(), /*keep_unmapped=*/true, &kept_diags);
  EXPECT_TRUE(kept.metrics().Find("gpu_util").has_value());
  ASSERT_TRUE(kept.metrics().Find("my_custom_throughput").has_value());
  EXPECT_EQ(kept.size(), 10u);
  EXPECT_EQ(kept_diags.Count("unmapped_metric"), 1);  // once per metric, not per sample
  ASSERT_EQ(kept_diags.items().size(), 1u);
  EXPECT_EQ(kept_diags.items()[0].source, "my_custom_throughput");
  EXPECT_NE(kept_diags.items()[0].message.find("its own name"), std::string::npos);
  Diagnostics dropped_diags;
  MetricTable dropped = MapMetricNames(t, DefaultMetricMappings(), false, &dropped_diags);
  EXPECT_FALSE(dropped.metrics().Find("my_custom_throughput").has_value());
  EXPECT_EQ(dropped.size(), 5u);
  EXPECT_EQ(dropped_diags.Count("unmapped_metric"), 1);
  EXPECT_NE(dropped_diags.items()[0].message.find("not used"), std::string::npos);
}

}  // namespace
}  // namespace trainscope::model

namespace trainscope::model {
namespace {

TEST(MetricTableDeviceTest, InternsNamesPerMachineAndKeepsGpuNumbers) {
  MetricTable t;
  int32_t a = t.InternMachine("a"), b = t.InternMachine("b");
  ASSERT_OK_AND_ASSIGN(int16_t g3, t.InternDevice(a, "3", DeviceKind::kGpu));
  EXPECT_EQ(g3, 3);  // a GPU number is its index
  ASSERT_OK_AND_ASSIGN(int16_t nic0, t.InternDevice(a, "ens11np0", DeviceKind::kNic));
  ASSERT_OK_AND_ASSIGN(int16_t nic1, t.InternDevice(a, "unknown", DeviceKind::kNic));
  EXPECT_EQ(nic0, 0);  // names: the machine's lowest free index
  EXPECT_EQ(nic1, 1);
  ASSERT_OK_AND_ASSIGN(int16_t again, t.InternDevice(a, "ens11np0", DeviceKind::kNic));
  EXPECT_EQ(again, 0);
  // GPU 0 arrives after a NIC took index 0: it takes the next free one and keeps its name.
  ASSERT_OK_AND_ASSIGN(int16_t g0, t.InternDevice(a, "0", DeviceKind::kGpu));
  EXPECT_EQ(g0, 2);
  // "07" and "-1" are names, not numbers; machine b has its own table.
  ASSERT_OK_AND_ASSIGN(int16_t odd, t.InternDevice(a, "07", DeviceKind::kGpu));
  EXPECT_EQ(odd, 4);
  ASSERT_OK_AND_ASSIGN(int16_t b0, t.InternDevice(b, "mlx5_0", DeviceKind::kDevice));
  EXPECT_EQ(b0, 0);
  EXPECT_EQ(t.DeviceOf(a, 2).name, "0");
  EXPECT_EQ(t.DeviceOf(a, 0).kind, DeviceKind::kNic);
  EXPECT_EQ(t.DeviceOf(b, 0).name, "mlx5_0");
  EXPECT_EQ(t.DeviceOf(b, 5).name, "5");  // a bare index: a GPU named by its number
  EXPECT_EQ(t.DeviceOf(b, 5).kind, DeviceKind::kGpu);
  EXPECT_EQ(t.DeviceOf(b, kNoGpu).name, "");
  EXPECT_EQ(t.Devices(a).size(), 5u);
  EXPECT_TRUE(t.Devices(t.InternMachine("c")).empty());
  EXPECT_EQ(DeviceKindFromName("interface"), DeviceKind::kInterface);
  EXPECT_FALSE(DeviceKindFromName("port").has_value());
}

TEST(MetricTableDeviceTest, TooManyDevicesOnOneMachine) {
  MetricTable t;
  int32_t a = t.InternMachine("a");
  for (int k = 0; k < kMaxDevicesPerMachine; ++k) {
    ASSERT_TRUE(t.InternDevice(a, fmt::format("q{}", k), DeviceKind::kInterface).has_value());
  }
  EXPECT_THAT(t.InternDevice(a, "one-more", DeviceKind::kInterface),
              testing::StatusIs(StatusCode::kOutOfRange, "machine 'a' has more than 32767 devices"));
  EXPECT_TRUE(t.InternDevice(a, "q5", DeviceKind::kInterface).has_value());  // known ones still resolve
}

TEST(MetricTableDeviceTest, DeviceNamesSurviveRatesAndMapping) {
  MetricTable t;
  int32_t a = t.InternMachine("a");
  int32_t rx = t.InternMetric("node_network_receive_bytes_total");
  int32_t util = t.InternMetric("dcgm_fi_dev_gpu_util");
  t.SetCounter(rx, true);
  ASSERT_OK_AND_ASSIGN(int16_t nic, t.InternDevice(a, "ens11np0", DeviceKind::kDevice));
  ASSERT_OK_AND_ASSIGN(int16_t gpu, t.InternDevice(a, "1", DeviceKind::kGpu));
  t.Append(0, a, rx, nic, 1000);
  t.Append(kS, a, rx, nic, 3000);
  t.Append(0, a, util, gpu, 90);
  MetricTable rates = CountersToRates(t, nullptr);
  EXPECT_EQ(rates.DeviceOf(a, nic).name, "ens11np0");
  MetricTable mapped = MapMetricNames(rates, DefaultMetricMappings(), true, nullptr);
  EXPECT_EQ(mapped.DeviceOf(a, nic).name, "ens11np0");
  EXPECT_EQ(mapped.DeviceOf(a, nic).kind, DeviceKind::kDevice);
  auto gpu_util = mapped.metrics().Find("gpu_util");  // the lower-case DCGM name is mapped
  ASSERT_TRUE(gpu_util.has_value());
  for (size_t i = 0; i < mapped.size(); ++i) {
    if (mapped.metric()[i] == *gpu_util) {
      EXPECT_EQ(mapped.gpu()[i], 1);
      EXPECT_EQ(mapped.value()[i], 90);
    } else {
      EXPECT_EQ(mapped.value()[i], 2000);  // 2000 B over 1 s on ens11np0
      EXPECT_EQ(mapped.gpu()[i], nic);
    }
  }
}

// Rows of `t` as (metric name, machine name, device, ts, value), grouped by series in row order.
std::vector<std::tuple<std::string, std::string, int16_t, int64_t, double>> SeriesRows(const MetricTable& t) {
  std::vector<std::tuple<std::string, std::string, int16_t, int64_t, double>> rows;
  for (size_t i = 0; i < t.size(); ++i) {
    rows.emplace_back(t.metrics().Name(t.metric()[i]), t.machines().Name(t.machine()[i]), t.gpu()[i],
                      t.ts()[i], t.value()[i]);
  }
  // Stable: within a series the row order is kept (it must be time order).
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a)) <
           std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b));
  });
  return rows;
}

void ExpectSameTable(const MetricTable& a, const MetricTable& b) {
  EXPECT_EQ(a.metrics().names(), b.metrics().names());
  EXPECT_EQ(a.machines().names(), b.machines().names());
  for (int32_t id = 0; id < a.metrics().size(); ++id) EXPECT_EQ(a.IsCounter(id), b.IsCounter(id));
  EXPECT_EQ(SeriesRows(a), SeriesRows(b));
}

// Time-major rows (every machine's sample of one second, then the next), as a CSV export has
// them; `mess` adds a duplicate and an out-of-order sample.
MetricTable TimeMajor(bool counter, bool mess) {
  MetricTable t;
  for (const char* m : {"b", "a", "c"}) t.InternMachine(m);
  const int32_t gauge = t.InternMetric("gauge"), bytes = t.InternMetric("bytes_total");
  t.InternMetric("never_sampled");
  t.SetCounter(bytes, counter);
  for (int s = 0; s < 20; ++s) {
    for (int32_t m = 0; m < 3; ++m) {
      t.Append(s * kS, m, gauge, kNoGpu, 10.0 * s + m);
      t.Append(s * kS, m, bytes, static_cast<int16_t>(m % 2), 1000.0 * s + m);
    }
  }
  if (mess) {
    t.Append(5 * kS, 1, gauge, kNoGpu, 7);
    t.Append(25 * kS, 2, gauge, kNoGpu, 8);
    t.Append(21 * kS, 2, gauge, kNoGpu, 9);
  }
  return t;
}

TEST(MetricTableTest, CountersToRatesTakingTheTableIsTheCopyingPass) {
  for (bool counter : {false, true}) {
    for (bool mess : {false, true}) {
      SCOPED_TRACE(fmt::format("counter {} mess {}", counter, mess));
      const MetricTable t = TimeMajor(counter, mess);
      Diagnostics copied_diags, moved_diags;
      const MetricTable copied = CountersToRates(t, &copied_diags);
      MetricTable moved = CountersToRates(MetricTable(t), &moved_diags);
      ExpectSameTable(copied, moved);
      EXPECT_EQ(copied_diags.items().size(), moved_diags.items().size());
      // Nothing to do: the rows come back in their own (time-major) order.
      if (!counter && !mess) {
        EXPECT_EQ(moved.ts()[1], 0);
      }
    }
  }
}

TEST(MetricTableTest, MapMetricNamesTakingTheTableIsTheCopyingPass) {
  MetricTable t;
  const int32_t a = t.InternMachine("a"), b = t.InternMachine("b");
  // Ids in one order, first rows in another, one metric without rows: the output numbers the
  // metrics by their first row and leaves the empty one out.
  const int32_t x = t.InternMetric("x"), y = t.InternMetric("y"), z = t.InternMetric("z");
  t.InternMetric("empty");
  t.SetCounter(x, true);
  for (int s = 0; s < 5; ++s) {
    t.Append(s * kS, b, z, kNoGpu, s);
    t.Append(s * kS, a, y, 2, 2.0 * s);
    t.Append(s * kS, b, x, kNoGpu, 3.0 * s);
  }
  std::vector<MetricMapping> none;  // no rule matches: renamed in place
  std::vector<MetricMapping> one = {{"renamed", "y", "", MetricTransform::kScale, 2, MetricAggregate::kMean}};
  const std::vector<const std::vector<MetricMapping>*> rule_sets = {&none, &one, &DefaultMetricMappings()};
  for (const std::vector<MetricMapping>* rules : rule_sets) {
    for (bool keep : {true, false}) {
      SCOPED_TRACE(fmt::format("rules {} keep {}", rules->size(), keep));
      Diagnostics copied_diags, moved_diags;
      const MetricTable copied = MapMetricNames(t, *rules, keep, &copied_diags);
      const MetricTable moved = MapMetricNames(MetricTable(t), *rules, keep, &moved_diags);
      ExpectSameTable(copied, moved);
      ASSERT_EQ(copied.size(), moved.size());
      for (size_t i = 0; i < copied.size(); ++i) {
        EXPECT_EQ(copied.metric()[i], moved.metric()[i]);
        EXPECT_EQ(copied.ts()[i], moved.ts()[i]);
      }
      ASSERT_EQ(copied_diags.items().size(), moved_diags.items().size());
      for (size_t i = 0; i < copied_diags.items().size(); ++i) {
        EXPECT_EQ(copied_diags.items()[i].source, moved_diags.items()[i].source);
        EXPECT_EQ(copied_diags.items()[i].message, moved_diags.items()[i].message);
      }
    }
  }
  const MetricTable renamed = MapMetricNames(MetricTable(t), none, true, nullptr);
  EXPECT_EQ(renamed.metrics().names(), (std::vector<std::string>{"z", "y", "x"}));
  EXPECT_FALSE(renamed.IsCounter(2));
}

TEST(MetricTableDeviceTest, EveryDcgmRuleHasALowerCaseTwin) {
  for (const MetricMapping& rule : DefaultMetricMappings()) {
    if (!rule.source.starts_with("DCGM_")) continue;
    std::string lower = rule.source;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool found = false;
    for (const MetricMapping& twin : DefaultMetricMappings()) {
      found = found || (twin.source == lower && twin.minder == rule.minder && twin.aggregate == rule.aggregate);
    }
    EXPECT_TRUE(found) << rule.source;
  }
}

}  // namespace
}  // namespace trainscope::model
