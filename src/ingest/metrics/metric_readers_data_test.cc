// SPDX-License-Identifier: Apache-2.0
// Readers on the real files of ../shared/data/metrics (skipped when absent).
#include <gtest/gtest.h>

#include "ingest/metrics/metric_readers.h"
#include "support/status_matchers.h"
#include "support/test_data.h"

namespace trainscope::ingest {
namespace {

using ::trainscope::testing::SharedDataPath;

TEST(MetricReadersDataTest, ExathlonTrace) {
  TS_SKIP_IF_NO_SHARED_DATA("metrics/exathlon-spark4/traces/1_0_10000_17.csv.gz");
  Diagnostics d;
  ASSERT_OK_AND_ASSIGN(auto t, LoadMetrics({SharedDataPath("metrics/exathlon-spark4/traces/1_0_10000_17.csv.gz")},
                                           {}, &d));
  EXPECT_EQ(t.machines().size(), 4);
  EXPECT_EQ(t.metrics().size(), 38);
  // 3,592 s x 4 nodes x 38 metrics minus the empty (missing) rows.
  EXPECT_GT(t.size(), 500'000u);
  EXPECT_EQ(t.machines().Name(0), "node5");
}

TEST(MetricReadersDataTest, FormatFixtures) {
  TS_SKIP_IF_NO_SHARED_DATA("metrics/formats");
  Diagnostics d;
  LoadOptions raw;
  raw.counters_to_rates = false;
  ASSERT_OK_AND_ASSIGN(auto q, LoadMetrics({SharedDataPath("metrics/formats/prom-query-range-promr/query_range-go_goroutines.json")}, raw, &d));
  EXPECT_EQ(q.size(), 4u * 61u);
  EXPECT_EQ(q.machines().size(), 4);
  ASSERT_OK_AND_ASSIGN(auto a, LoadMetrics({SharedDataPath("metrics/formats/prom-query-range-result-array/up-201907281200.json")}, raw, &d));
  EXPECT_EQ(a.machines().size(), 9);
  ASSERT_OK_AND_ASSIGN(auto s, LoadMetrics({SharedDataPath("metrics/formats/dcgm-exporter-scrape/metrics.txt")}, raw, &d));
  EXPECT_GE(s.machines().size(), 2);  // two captures with different Hostnames (+ unlabeled block)
  auto power = s.metrics().Find("DCGM_FI_DEV_POWER_USAGE");
  ASSERT_TRUE(power.has_value());
  ASSERT_OK_AND_ASSIGN(auto n, LoadMetrics({SharedDataPath("metrics/formats/node-exporter-e2e/e2e-output.txt")}, raw, &d));
  EXPECT_GT(n.size(), 2000u);
  EXPECT_TRUE(n.metrics().Find("node_infiniband_port_data_received_bytes_total{device=\"mlx4_0\",port=\"1\"}").has_value());
}

}  // namespace
}  // namespace trainscope::ingest
