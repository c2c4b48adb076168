// SPDX-License-Identifier: Apache-2.0
// Readers on the real files of ../shared/data/metrics (skipped when absent).
#include <string>
#include <vector>

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
  // node_exporter's `device` on InfiniBand and network series is the device dimension (issue 15);
  // the port stays in the key.
  EXPECT_TRUE(n.metrics().Find("node_infiniband_port_data_received_bytes_total{port=\"1\"}").has_value());
  auto machine = n.machines().Find("e2e-output");
  ASSERT_TRUE(machine.has_value());
  bool mlx4 = false;
  for (const auto& [index, device] : n.Devices(*machine)) {
    mlx4 = mlx4 || (device.name == "mlx4_0" && device.kind == model::DeviceKind::kDevice);
  }
  EXPECT_TRUE(mlx4);
}

// issue 15: one hour of per-second RoCE traffic of 253 servers, `nic` column with NIC names.
TEST(MetricReadersDataTest, ZhejiangRoceNicsAreDevices) {
  const char* kFile = "metrics/zhejiang-a100-roce/roce-2024052400.csv.gz";
  TS_SKIP_IF_NO_SHARED_DATA(kFile);
  Diagnostics d;
  ASSERT_OK_AND_ASSIGN(auto t, LoadMetrics({SharedDataPath(kFile)}, {}, &d));
  EXPECT_EQ(t.machines().size(), 253);
  EXPECT_EQ(t.metrics().names(), (std::vector<std::string>{"rdma_rx_MBps", "rdma_tx_MBps"}));
  int devices = 0, with_unknown = 0;
  for (int32_t m = 0; m < t.machines().size(); ++m) {
    const auto& of_machine = t.Devices(m);
    EXPECT_GE(of_machine.size(), 3u) << t.machines().Name(m);
    EXPECT_LE(of_machine.size(), 4u) << t.machines().Name(m);
    for (const auto& [index, device] : of_machine) {
      EXPECT_EQ(device.kind, model::DeviceKind::kNic);
      EXPECT_LT(index, static_cast<int16_t>(of_machine.size()));  // names take the lowest indices
      with_unknown += device.name == "unknown";
    }
    devices += static_cast<int>(of_machine.size());
  }
  EXPECT_EQ(devices, 2 * 3 + 251 * 4);
  EXPECT_GE(with_unknown, 1);
}

}  // namespace
}  // namespace trainscope::ingest
