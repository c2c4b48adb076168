// SPDX-License-Identifier: Apache-2.0
// Reader tests on small hand-written inputs: values, missing cells, errors with places.
#include "ingest/metrics/metric_readers.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "model/metric_names.h"
#include "support/status_matchers.h"

namespace trainscope::ingest {
namespace {

using ::trainscope::testing::StatusIs;
constexpr int64_t kS = model::kNanosPerSecond;

double ValueOf(const model::MetricTable& t, std::string_view machine, std::string_view metric,
               int64_t ts, int16_t gpu = model::kNoGpu) {
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.machines().Name(t.machine()[i]) == machine && t.metrics().Name(t.metric()[i]) == metric &&
        t.ts()[i] == ts && t.gpu()[i] == gpu) {
      return t.value()[i];
    }
  }
  return std::nan("");
}

TEST(LongCsvTest, ReadsValuesAndMissingCells) {
  model::MetricTable t;
  Diagnostics d;
  ASSERT_OK(ReadLongCsv("timestamp,machine,cpu,net\n10,a,0.5,\n10,b,0.25,3\n11,a,NaN,1e3\n",
                        "x.csv", &t, &d));
  EXPECT_EQ(t.size(), 4u);  // empty cell and NaN are missing
  EXPECT_EQ(ValueOf(t, "a", "cpu", 10 * kS), 0.5);
  EXPECT_EQ(ValueOf(t, "b", "net", 10 * kS), 3);
  EXPECT_EQ(ValueOf(t, "a", "net", 11 * kS), 1000);
  EXPECT_EQ(d.Count("non_finite_value"), 1);
}

TEST(LongCsvTest, GpuColumnAndDcgmBlank) {
  model::MetricTable t;
  Diagnostics d;
  ASSERT_OK(ReadLongCsv("timestamp,machine,gpu,util\n1,a,0,90\n1,a,1,9223372036854775794\n",
                        "g.csv", &t, &d));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(ValueOf(t, "a", "util", kS, 0), 90);
  EXPECT_EQ(d.Count("dcgm_blank"), 1);
}

TEST(LongCsvTest, ErrorsNamePlace) {
  model::MetricTable t;
  EXPECT_THAT(ReadLongCsv("timestamp,machine,cpu\n1,a,0.5\n2,a,abc\n", "f.csv", &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "f.csv:3:5: bad number 'abc'"));
  EXPECT_THAT(ReadLongCsv("timestamp,machine,cpu,mem\n1,a,0.5,1\n2,a,0.", "f.csv", &t, nullptr),
              StatusIs(StatusCode::kDataLoss, "f.csv:3: truncated"));
  EXPECT_THAT(ReadLongCsv("timestamp,machine,cpu\n1,a,0.5,7\n", "f.csv", &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "f.csv:2:9: more fields"));
  EXPECT_THAT(ReadLongCsv("time,host,cpu\n", "f.csv", &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "f.csv:1:1"));
  EXPECT_THAT(ReadLongCsv("", "f.csv", &t, nullptr), StatusIs(StatusCode::kDataLoss, "empty"));
  // Only a byte-order mark (libFuzzer: the header was read from an absent line).
  EXPECT_THAT(ReadLongCsv("\xEF\xBB\xBF", "f.csv", &t, nullptr),
              StatusIs(StatusCode::kDataLoss, "f.csv: empty file (a UTF-8 byte-order mark"));
  EXPECT_THAT(ReadLongCsv("timestamp,machine,cpu\nx,a,1\n", "f.csv", &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "f.csv:2:1: bad timestamp"));
  // A metric named twice is the header's fault, not 'duplicate timestamps' of every row.
  EXPECT_THAT(ReadLongCsv("timestamp,machine,cpu,mem,cpu\n1,a,1,2,3\n", "f.csv", &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument,
                       "f.csv:1:27: metric 'cpu' named twice in the header (columns 3 and 5)"));
}

// Device names of `machine`, by index, as "name:kind".
std::vector<std::string> DevicesOf(const model::MetricTable& t, std::string_view machine) {
  std::vector<std::string> out;
  auto id = t.machines().Find(machine);
  if (!id) return out;
  for (const auto& [index, device] : t.Devices(*id)) {
    out.push_back(device.name + ":" + std::string(model::DeviceKindName(device.kind)));
  }
  return out;
}

double DeviceValue(const model::MetricTable& t, std::string_view machine, std::string_view device,
                   std::string_view metric, int64_t ts) {
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.machines().Name(t.machine()[i]) == machine && t.metrics().Name(t.metric()[i]) == metric &&
        t.ts()[i] == ts && t.DeviceOf(t.machine()[i], t.gpu()[i]).name == device) {
      return t.value()[i];
    }
  }
  return std::nan("");
}

TEST(LongCsvTest, DeviceColumnOfAnyKindWithNames) {
  model::MetricTable t;
  ASSERT_OK(ReadLongCsv("timestamp,machine,nic,rx\n1,a,ens11np0,5\n1,a,unknown,6\n1,b,mlx5_0,7\n"
                        "2,a,ens11np0,8\n",
                        "n.csv", &t, nullptr));
  EXPECT_EQ(DevicesOf(t, "a"), (std::vector<std::string>{"ens11np0:nic", "unknown:nic"}));
  EXPECT_EQ(DevicesOf(t, "b"), std::vector<std::string>{"mlx5_0:nic"});
  EXPECT_EQ(DeviceValue(t, "a", "unknown", "rx", kS), 6);
  EXPECT_EQ(DeviceValue(t, "a", "ens11np0", "rx", 2 * kS), 8);
  // Per machine: both machines' first NIC has index 0.
  EXPECT_EQ(ValueOf(t, "b", "rx", kS, 0), 7);
  for (const char* kind : {"device", "interface"}) {
    model::MetricTable k;
    ASSERT_OK(ReadLongCsv(std::string("timestamp,machine,") + kind + ",rx\n1,a,eth0,1\n", "k.csv", &k,
                          nullptr));
    EXPECT_EQ(DevicesOf(k, "a"), std::vector<std::string>{std::string("eth0:") + kind});
  }
  // Numeric GPU ids keep their number as index; machine-level rows leave the cell empty.
  model::MetricTable g;
  ASSERT_OK(ReadLongCsv("timestamp,machine,gpu,cpu,util\n1,a,,0.5,\n1,a,7,,90\n1,a,nvidia1,,80\n",
                        "g.csv", &g, nullptr));
  EXPECT_EQ(ValueOf(g, "a", "util", kS, 7), 90);
  EXPECT_EQ(ValueOf(g, "a", "cpu", kS), 0.5);
  EXPECT_EQ(DevicesOf(g, "a"), (std::vector<std::string>{"nvidia1:gpu", "7:gpu"}));
}

TEST(LongCsvTest, BadDeviceCellsNamePlace) {
  model::MetricTable t;
  EXPECT_THAT(ReadLongCsv("timestamp,machine,nic,rx\n1,a,ens1,5\n1,a,,6\n", "n.csv", &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument,
                       "n.csv:3:5: empty nic cell, but machine 'a' has per-nic values of 'rx' (line 2)"));
  model::MetricTable r;
  EXPECT_THAT(ReadLongCsv("timestamp,machine,nic,rx\n1,a,,5\n1,a,ens1,6\n", "n.csv", &r, nullptr),
              StatusIs(StatusCode::kInvalidArgument,
                       "n.csv:3:5: nic 'ens1' given, but machine 'a' has values of 'rx' without a nic"));
  // Another machine, or another metric, may be machine-level.
  model::MetricTable ok;
  EXPECT_OK(ReadLongCsv("timestamp,machine,nic,rx,cpu\n1,a,ens1,5,\n1,a,,,0.5\n1,b,,6,\n", "n.csv", &ok,
                        nullptr));
  std::string many = "timestamp,machine,nic,rx\n";
  for (int k = 0; k <= model::kMaxDevicesPerMachine; ++k) many += fmt::format("1,a,eth{},1\n", k);
  model::MetricTable m;
  EXPECT_THAT(ReadLongCsv(many, "m.csv", &m, nullptr),
              StatusIs(StatusCode::kOutOfRange,
                       "m.csv:32769:5: machine 'a' has more than 32767 devices (at nic 'eth32767')"));
}

TEST(PromJsonTest, ReadsMatrixWithSpecialValues) {
  const char* json = R"({"status":"success","warnings":["partial"],"data":{"resultType":"matrix",
    "result":[{"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL","gpu":"2","Hostname":"h1","UUID":"x"},
               "values":[[100.5,"40"],[101.5,"NaN"],[102.5,"+Inf"],[103.5,"1e+02"]]},
              {"metric":{"__name__":"node_cpu_seconds_total","cpu":"0","mode":"idle",
                         "instance":"h2:9100"},"values":[[100,"5"]]}]}})";
  model::MetricTable t;
  Diagnostics d;
  ASSERT_OK(ReadPromQueryRange(json, "q.json", &t, &d));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(ValueOf(t, "h1", "DCGM_FI_DEV_GPU_UTIL", 100'500'000'000, 2), 40);
  EXPECT_EQ(ValueOf(t, "h1", "DCGM_FI_DEV_GPU_UTIL", 103'500'000'000, 2), 100);
  EXPECT_EQ(ValueOf(t, "h2:9100", "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}", 100 * kS), 5);
  auto counter = t.metrics().Find("node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}");
  ASSERT_TRUE(counter.has_value());
  EXPECT_TRUE(t.IsCounter(*counter));
  EXPECT_EQ(d.Count("non_finite_value"), 2);  // NaN and +Inf
  EXPECT_EQ(d.Count("prometheus_warning"), 1);
}

// A UTF-8 byte order mark before the JSON is accepted (it gave "byte 0: not JSON").
TEST(PromJsonTest, ByteOrderMarkIsAccepted) {
  const std::string json = std::string("\xEF\xBB\xBF") +
                           R"({"status":"success","data":{"resultType":"matrix","result":[
      {"metric":{"__name__":"m","instance":"a"},"values":[[1,"2"],[2,"3"]]}]}})";
  model::MetricTable t;
  ASSERT_OK(ReadPromQueryRange(json, "bom.json", &t, nullptr));
  EXPECT_EQ(ValueOf(t, "a", "m", 2 * kS), 3);
}

// Errors name the byte where the reader stood (they all said "byte 0"); offsets checked with
// python3 (bytes.index) on the same texts.
TEST(PromJsonTest, ErrorsNameTheRealByte) {
  const std::string head =
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"m",)";
  model::MetricTable t;
  EXPECT_THAT(ReadPromQueryRange(head + R"("instance":"a"},"values":[[1,"2"] [2,"3"]]}]}})",
                                 "comma.json", &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "comma.json: byte 120: sample must be"));
  EXPECT_THAT(ReadPromQueryRange(head + "\"instance\":\"a\xFF\"},\"values\":[[1,\"2\"]]}]}}",
                                 "utf8.json", &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "utf8.json: byte 99: invalid UTF-8"));
  EXPECT_THAT(ReadPromQueryRange(head + R"("instance":"a"},"values":[[1,2]]}]}})", "num.json", &t,
                                 nullptr),
              StatusIs(StatusCode::kInvalidArgument, "num.json: byte 115: sample value is not a string"));
}

TEST(PromJsonTest, ErrorsAndBareArray) {
  model::MetricTable t;
  EXPECT_THAT(ReadPromQueryRange(R"({"status":"error","errorType":"bad_data","error":"parse error"})",
                                 "e.json", &t, nullptr),
              StatusIs(StatusCode::kFailedPrecondition, "bad_data: parse error"));
  EXPECT_THAT(ReadPromQueryRange(R"({"status":"success","data":{"resultType":"matrix","result":[)",
                                 "t.json", &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "t.json"));
  EXPECT_THAT(ReadPromQueryRange(R"({"status":"success","data":{"resultType":"matrix","result":[
      {"metric":{"instance":"a"},"values":[[1,"x"]]}]}})", "v.json", &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "bad sample value 'x'"));
  model::MetricTable bare;
  ASSERT_OK(ReadPromQueryRange(R"([{"metric":{"__name__":"up","instance":"a"},"values":[[1,"1"],[2,"0"]]}])",
                               "b.json", &bare, nullptr));
  EXPECT_EQ(bare.size(), 2u);
}

TEST(PromTextTest, ScrapeSequenceBecomesSeries) {
  const char* text =
      "# HELP bytes_total sent\n# TYPE bytes_total counter\n"
      "bytes_total{instance=\"n1\",device=\"ib0\"} 100\n"
      "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",Hostname=\"n1\",device=\"nvidia0\"} 250.5\n"
      "DCGM_FI_DEV_XID_ERRORS{gpu=\"0\",Hostname=\"n1\"} 9223372036854775794\n"
      "# NOTE unknown comment\n"
      "bytes_total{instance=\"n1\",device=\"ib0\"} 300\n"
      "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",Hostname=\"n1\",device=\"nvidia0\"} 260\n";
  model::MetricTable t;
  Diagnostics d;
  ASSERT_OK(ReadPromText(text, "scrape.txt", 50 * kS, 2 * kS, &t, &d));
  EXPECT_EQ(ValueOf(t, "n1", "bytes_total{device=\"ib0\"}", 52 * kS), 300);
  EXPECT_EQ(ValueOf(t, "n1", "DCGM_FI_DEV_POWER_USAGE", 50 * kS, 0), 250.5);
  EXPECT_EQ(d.Count("dcgm_blank"), 1);
  model::MetricTable rates = model::CountersToRates(t, nullptr);
  EXPECT_EQ(ValueOf(rates, "n1", "bytes_total{device=\"ib0\"}", 52 * kS), 100);  // 200 B / 2 s
}

TEST(PromTextTest, ErrorsNameLineAndColumn) {
  model::MetricTable t;
  EXPECT_THAT(ReadPromText("up 1\nup{a=\"x} 2\n", "m.txt", 0, kS, &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "m.txt:2:"));
  EXPECT_THAT(ReadPromText("up one\n", "m.txt", 0, kS, &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "m.txt:1:4: bad sample value 'one'"));
  EXPECT_THAT(ReadPromText("up 1 12x\n", "m.txt", 0, kS, &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "m.txt:1:6: bad timestamp"));
  EXPECT_THAT(ReadPromText("up 1 1700000000\n", "m.txt", 0, kS, &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument,
                       "m.txt:1:6: timestamp 1700000000 read as milliseconds is 19.7 days after "
                       "1970-01-01"));
  model::MetricTable timed;
  ASSERT_OK(ReadPromText("up{instance=\"a\"} 1 1500\n", "m.txt", 0, kS, &timed, nullptr));
  EXPECT_EQ(timed.ts()[0], 1'500'000'000);
}

}  // namespace
}  // namespace trainscope::ingest

namespace trainscope::ingest {
namespace {

using ::trainscope::testing::StatusIs;

// The bad-input fixtures of tests/data/minder/bad (see its README and make_bad_inputs.py).
std::string Bad(std::string_view name) {
  return std::string(TS_TEST_DATA_DIR) + "/minder/bad/" + std::string(name);
}

TEST(BadMetricInputTest, NanAndInfAreMissingWithTheirPlace) {
  Diagnostics d;
  ASSERT_OK_AND_ASSIGN(model::MetricTable t, LoadMetrics({Bad("bad_nan_inf.csv")}, {}, &d));
  EXPECT_EQ(t.size(), 4u * 40u - 3u);  // NaN, Inf and -inf dropped
  EXPECT_EQ(d.Count("non_finite_value"), 3);
  ASSERT_FALSE(d.items().empty());
  EXPECT_EQ(d.items()[0].first_location, "line 11 column 9");  // the NaN of row 10 (m1, 1002 s)
}

TEST(BadMetricInputTest, DuplicateTimestampsNamedAndMerged) {
  Diagnostics d;
  ASSERT_OK_AND_ASSIGN(model::MetricTable t, LoadMetrics({Bad("bad_duplicate_ts.csv")}, {}, &d));
  EXPECT_EQ(d.Count("duplicate_timestamp"), 1);
  EXPECT_EQ(d.Count("non_monotonic_time"), 0);
  const Diagnostic* dup = nullptr;
  for (const auto& item : d.items()) if (item.name == "duplicate_timestamp") dup = &item;
  ASSERT_NE(dup, nullptr);
  EXPECT_NE(dup->source.find("bad_duplicate_ts.csv"), std::string::npos);
  EXPECT_EQ(dup->first_location, "machine m1 metric DCGM_FI_DEV_GPU_UTIL at 1010 s");
  // One sample per series and second remains; its value is the mean of the two.
  EXPECT_EQ(t.size(), 4u * 40u);
  int seen = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.machines().Name(t.machine()[i]) == "m1" && t.ts()[i] == 1010 * model::kNanosPerSecond) {
      ++seen;
      // The fixture row: 90 + 0.5 sin(1.3*10 + 1) -> "90.50" (rounded to 2 places), duplicate 91.
      EXPECT_NEAR(t.value()[i], (std::round((90 + 0.5 * std::sin(14.0)) * 100) / 100 + 91) / 2, 1e-9);
    }
  }
  EXPECT_EQ(seen, 1);
}

TEST(BadMetricInputTest, NonMonotonicTimeNamedAndSorted) {
  Diagnostics d;
  ASSERT_OK_AND_ASSIGN(model::MetricTable t, LoadMetrics({Bad("bad_non_monotonic.csv")}, {}, &d));
  EXPECT_EQ(d.Count("non_monotonic_time"), 4 * 5);  // seconds 1020..1024 of each machine
  EXPECT_EQ(d.Count("duplicate_timestamp"), 0);
  for (const auto& item : d.items()) {
    if (item.name == "non_monotonic_time") {
      EXPECT_EQ(item.first_location, "machine m0 metric DCGM_FI_DEV_GPU_UTIL at 1020 s");
    }
  }
  for (size_t i = 1; i < t.size(); ++i) {
    if (t.machine()[i] == t.machine()[i - 1] && t.metric()[i] == t.metric()[i - 1]) {
      ASSERT_LT(t.ts()[i - 1], t.ts()[i]) << "row " << i;
    }
  }
}

TEST(BadMetricInputTest, TruncatedFilesAreDataLossWithPlace) {
  EXPECT_THAT(LoadMetrics({Bad("bad_truncated.csv")}, {}, nullptr),
              StatusIs(StatusCode::kDataLoss, "bad_truncated.csv:161: truncated last line"));
  EXPECT_THAT(LoadMetrics({Bad("bad_truncated.csv.gz")}, {}, nullptr),
              StatusIs(StatusCode::kDataLoss, "bad_truncated.csv.gz: byte 339: truncated gzip"));
  EXPECT_THAT(LoadMetrics({Bad("bad_prom_truncated.json")}, {}, nullptr),
              StatusIs(StatusCode::kDataLoss, "bad_prom_truncated.json: byte 162: truncated JSON"));
  EXPECT_THAT(LoadMetrics({Bad("bad_prom_error.json")}, {}, nullptr),
              StatusIs(StatusCode::kFailedPrecondition, "timeout: query timed out"));
}

TEST(BadMetricInputTest, EmptyPullIsAnError) {
  EXPECT_THAT(LoadMetrics({Bad("bad_empty_pull.csv")}, {}, nullptr),
              StatusIs(StatusCode::kFailedPrecondition, "bad_empty_pull.csv: no samples (an empty pull)"));
  EXPECT_THAT(LoadMetrics({}, {}, nullptr), StatusIs(StatusCode::kFailedPrecondition, "empty pull"));
}

}  // namespace
}  // namespace trainscope::ingest

namespace trainscope::ingest {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

TEST(PromLabelsTest, MachinePrecedenceDevicesAndIdentityLabels) {
  // kube-prometheus: the target's labels describe the exporter, the exporter's own got `exported_`.
  internal::SeriesIdentity id = internal::IdentifySeries(
      "DCGM_FI_DEV_GPU_UTIL",
      Labels{{"gpu", "3"}, {"device", "nvidia3"}, {"UUID", "GPU-x"}, {"instance", "10.0.0.7:9400"},
             {"node", "gpu-node-3"}, {"pod", "dcgm-exporter-abc"}, {"exported_pod", "worker-0"},
             {"exported_namespace", "train"}, {"exported_container", "pytorch"}, {"job", "dcgm"},
             {"exported_job", "x"}, {"service", "dcgm"}, {"endpoint", "metrics"}, {"container", "exp"},
             {"namespace", "gpu-operator"}, {"GPU_I_ID", "1"}},
      "file");
  EXPECT_EQ(id.machine, "gpu-node-3");  // node before instance (the exporter pod's address)
  EXPECT_EQ(id.device, "3");
  EXPECT_EQ(id.device_kind, model::DeviceKind::kGpu);
  EXPECT_EQ(id.metric_key, "DCGM_FI_DEV_GPU_UTIL{GPU_I_ID=\"1\"}");
  // Hostname first; exported_instance before instance; empty values are absent labels.
  EXPECT_EQ(internal::IdentifySeries("up", Labels{{"instance", "a:1"}, {"Hostname", "h"}}, "f").machine, "h");
  EXPECT_EQ(internal::IdentifySeries("up", Labels{{"Hostname", ""}, {"instance", "fed:9090"},
                                                 {"exported_instance", "h2"}}, "f").machine, "h2");
  EXPECT_EQ(internal::IdentifySeries("up", Labels{}, "f").machine, "f");
  // node_exporter links: `device` is the device; elsewhere it stays in the key.
  id = internal::IdentifySeries("node_infiniband_port_data_received_bytes_total",
                                Labels{{"device", "mlx5_0"}, {"port", "1"}, {"instance", "h"}}, "f");
  EXPECT_EQ(id.device, "mlx5_0");
  EXPECT_EQ(id.device_kind, model::DeviceKind::kDevice);
  EXPECT_EQ(id.metric_key, "node_infiniband_port_data_received_bytes_total{port=\"1\"}");
  id = internal::IdentifySeries("node_disk_read_bytes_total", Labels{{"device", "sda"}}, "f");
  EXPECT_EQ(id.device, "");
  EXPECT_EQ(id.metric_key, "node_disk_read_bytes_total{device=\"sda\"}");
  // `nic` and `interface` labels on any series.
  id = internal::IdentifySeries("rdma_rx", Labels{{"nic", "ens11np0"}, {"host", "h"}}, "f");
  EXPECT_EQ(id.device, "ens11np0");
  EXPECT_EQ(id.device_kind, model::DeviceKind::kNic);
  EXPECT_EQ(id.metric_key, "rdma_rx");
}

std::string Fixture(std::string_view name) {
  return std::string(TS_TEST_DATA_DIR) + "/metrics/" + std::string(name);
}

TEST(RealShapeFixtureTest, RoceNicCsv) {
  Diagnostics d;
  ASSERT_OK_AND_ASSIGN(model::MetricTable t, LoadMetrics({Fixture("roce_nic.csv")}, {}, &d));
  EXPECT_EQ(t.machines().names(),
            (std::vector<std::string>{"NH-DC-NM129-A01-20U-GPU-2", "NH-DC-NM129-A02-28U-GPU-4",
                                      "NH-DC-NM129-F03-12U-GPU-153"}));
  EXPECT_EQ(t.metrics().names(), (std::vector<std::string>{"rdma_rx_MBps", "rdma_tx_MBps"}));
  EXPECT_EQ(DevicesOf(t, "NH-DC-NM129-A01-20U-GPU-2"),
            (std::vector<std::string>{"ens10np0:nic", "ens11np0:nic", "ens18np0:nic", "ens19np0:nic"}));
  EXPECT_EQ(DevicesOf(t, "NH-DC-NM129-F03-12U-GPU-153"),
            (std::vector<std::string>{"ens10np0:nic", "ens11np0:nic", "unknown:nic"}));
  // 3 s x (4 + 4 + 3 NICs) x 2 metrics: the two NICs the topology sheet calls `unknown` share a
  // name, so their rows are one device's duplicates, merged into their mean (and reported).
  EXPECT_EQ(t.size(), 3u * 11u * 2u);
  EXPECT_EQ(d.Count("duplicate_timestamp"), 3 * 2);
  EXPECT_DOUBLE_EQ(DeviceValue(t, "NH-DC-NM129-F03-12U-GPU-153", "unknown", "rdma_tx_MBps", 1716480254 * kS),
                   (2243072.0 + 2248537.048) / 2);
  EXPECT_EQ(DeviceValue(t, "NH-DC-NM129-A02-28U-GPU-4", "ens18np0", "rdma_rx_MBps", 1716480256 * kS), 8312.839);
}

TEST(RealShapeFixtureTest, LowerCaseDcgmScrapeMapsLikeUpperCase) {
  Diagnostics d;
  ASSERT_OK_AND_ASSIGN(model::MetricTable raw, LoadMetrics({Fixture("dcgm_lowercase_scrape.txt")}, {}, &d));
  EXPECT_EQ(raw.machines().names(), (std::vector<std::string>{"gpu-node-07", "gpu-node-08"}));
  // `gpu` wins over `device="nvidia0"`; uuid, modelName, Hostname, driver version out of the key.
  EXPECT_EQ(DevicesOf(raw, "gpu-node-07"), (std::vector<std::string>{"0:gpu", "1:gpu"}));
  EXPECT_EQ(DevicesOf(raw, "gpu-node-08"), (std::vector<std::string>{"0:gpu", "1:gpu"}));
  EXPECT_EQ(raw.metrics().names(),
            (std::vector<std::string>{"dcgm_fi_dev_gpu_util", "dcgm_fi_dev_power_usage",
                                      "dcgm_fi_prof_gr_engine_active",
                                      "dcgm_fi_dev_total_energy_consumption"}));
  // The energy counter became a rate: mJ/s = the power draw in mW.
  EXPECT_NEAR(ValueOf(raw, "gpu-node-08", "dcgm_fi_dev_total_energy_consumption", 1716480001 * kS, 1),
              87652, 1e-6);
  model::MetricTable mapped = model::MapMetricNames(raw, model::DefaultMetricMappings(), true, nullptr);
  EXPECT_EQ(mapped.metrics().names(),
            (std::vector<std::string>{"gpu_util", "gpu_power", "gr_engine",
                                      "dcgm_fi_dev_total_energy_consumption"}));
  EXPECT_EQ(ValueOf(mapped, "gpu-node-08", "gpu_util", 1716480001 * kS, 1), 11);
  EXPECT_EQ(ValueOf(mapped, "gpu-node-07", "gpu_power", 1716480000 * kS, 0), 391.204);
  EXPECT_EQ(DevicesOf(mapped, "gpu-node-08"), (std::vector<std::string>{"0:gpu", "1:gpu"}));
}

TEST(RealShapeFixtureTest, KubePrometheusExportedLabelsStayOutOfTheKey) {
  Diagnostics d;
  LoadOptions raw_counters;
  raw_counters.counters_to_rates = false;
  ASSERT_OK_AND_ASSIGN(model::MetricTable t,
                       LoadMetrics({Fixture("kube_prometheus_query_range.json")}, raw_counters, &d));
  // Machines: Hostname (dcgm), instance relabelled to the node (node_exporter), exported_instance
  // (through a federating Prometheus), never the exporter pod's address.
  EXPECT_EQ(t.machines().names(), (std::vector<std::string>{"gpu-node-07", "gpu-node-08"}));
  // One metric each: no split per pod, namespace, container, job, service or endpoint.
  EXPECT_EQ(t.metrics().names(),
            (std::vector<std::string>{"DCGM_FI_DEV_GPU_UTIL", "node_network_receive_bytes_total",
                                      "node_infiniband_port_data_received_bytes_total{port=\"1\"}"}));
  EXPECT_EQ(DevicesOf(t, "gpu-node-07"),
            (std::vector<std::string>{"0:gpu", "1:gpu", "ens11np0:device", "mlx5_0:device"}));
  EXPECT_EQ(DevicesOf(t, "gpu-node-08"), (std::vector<std::string>{"0:gpu", "1:gpu", "ens11np0:device"}));
  // GPU 0 of gpu-node-07 is one series across its change of pod (seconds 0-2, then 3-4).
  EXPECT_EQ(ValueOf(t, "gpu-node-07", "DCGM_FI_DEV_GPU_UTIL", 1716480002 * kS, 0), 96);
  EXPECT_EQ(ValueOf(t, "gpu-node-07", "DCGM_FI_DEV_GPU_UTIL", 1716480003 * kS, 0), 41);
  EXPECT_EQ(d.Count("duplicate_timestamp"), 0);
  EXPECT_EQ(DeviceValue(t, "gpu-node-08", "ens11np0", "node_network_receive_bytes_total", 1716480000 * kS),
            731122334455);
}

TEST(RealShapeFixtureTest, UnnamedSeriesAreNamedPerFile) {
  const std::vector<std::string> files = {Fixture("avg_tensor_active.json"), Fixture("sum_rate_nvlink.json")};
  Diagnostics d;
  ASSERT_OK_AND_ASSIGN(model::MetricTable t, LoadMetrics(files, {}, &d));
  EXPECT_EQ(t.metrics().names(), (std::vector<std::string>{"avg_tensor_active", "sum_rate_nvlink"}));
  EXPECT_EQ(t.machines().names(), (std::vector<std::string>{"gpu-node-07", "gpu-node-08"}));
  EXPECT_EQ(DevicesOf(t, "gpu-node-08"), (std::vector<std::string>{"0:gpu", "1:gpu"}));
  EXPECT_EQ(ValueOf(t, "gpu-node-08", "avg_tensor_active", 1716480001 * kS, 1), 0.04);
  EXPECT_EQ(ValueOf(t, "gpu-node-08", "sum_rate_nvlink", 1716480001 * kS), 2e9);
  EXPECT_EQ(d.Count("unnamed_series"), 6);
  // Names given per file (--metric): mapped by the default table like exporter names.
  LoadOptions named;
  named.unnamed_metrics = {"DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", "nvlink_bytes"};
  ASSERT_OK_AND_ASSIGN(model::MetricTable n, LoadMetrics(files, named, nullptr));
  EXPECT_EQ(n.metrics().names(), (std::vector<std::string>{"DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", "nvlink_bytes"}));
  model::MetricTable mapped = model::MapMetricNames(n, model::DefaultMetricMappings(), true, nullptr);
  EXPECT_EQ(ValueOf(mapped, "gpu-node-07", "tensor", 1716480000 * kS, 0), 0.41);
  named.unnamed_metrics = {"one"};
  EXPECT_THAT(LoadMetrics(files, named, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "1 name(s) for series without __name__ (--metric) for 2 file(s)"));
}

// --group-label role: the label leaves the metric key and becomes its machine's group.
TEST(GroupLabelTest, PromJsonTakesTheLabelOutOfTheKey) {
  const std::string json = R"({"status":"success","data":{"resultType":"matrix","result":[
    {"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL","Hostname":"node-3","gpu":"0","role":"stage1"},
     "values":[[1,"90"],[2,"91"]]},
    {"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL","Hostname":"node-4","gpu":"0","role":"stage2"},
     "values":[[1,"30"]]},
    {"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL","Hostname":"node-5","gpu":"0"},"values":[[1,"50"]]}]}})";
  model::MetricTable t;
  Diagnostics d;
  ASSERT_OK(ReadPromQueryRange(json, "q.json", &t, &d, {}, "role"));
  ASSERT_EQ(t.metrics().size(), 1);
  EXPECT_EQ(t.metrics().Name(0), "DCGM_FI_DEV_GPU_UTIL");
  EXPECT_EQ(ValueOf(t, "node-4", "DCGM_FI_DEV_GPU_UTIL", 1 * kS, 0), 30);
  const std::map<std::string, std::string> want = {{"node-3", "stage1"}, {"node-4", "stage2"}};
  EXPECT_EQ(t.MachineGroups(), want);  // node-5 carries no role: no group

  // Without --group-label the label stays in the key (behaviour unchanged).
  model::MetricTable plain;
  ASSERT_OK(ReadPromQueryRange(json, "q.json", &plain, &d));
  EXPECT_EQ(plain.metrics().size(), 3);
  EXPECT_TRUE(plain.MachineGroups().empty());
}

TEST(GroupLabelTest, PromTextTakesTheLabelOutOfTheKey) {
  model::MetricTable t;
  Diagnostics d;
  ASSERT_OK(ReadPromText("gpu_util{Hostname=\"a\",gpu=\"0\",stage=\"s1\",mode=\"x\"} 5 1000\n"
                         "gpu_util{Hostname=\"b\",gpu=\"0\",stage=\"s2\",mode=\"x\"} 6 1000\n",
                         "s.txt", 0, kS, &t, &d, "stage"));
  ASSERT_EQ(t.metrics().size(), 1);
  EXPECT_EQ(t.metrics().Name(0), "gpu_util{mode=\"x\"}");
  const std::map<std::string, std::string> want = {{"a", "s1"}, {"b", "s2"}};
  EXPECT_EQ(t.MachineGroups(), want);
}

TEST(GroupLabelTest, TwoValuesOnOneMachineAreAnErrorWithThePlace) {
  model::MetricTable t;
  Diagnostics d;
  EXPECT_THAT(ReadPromText("gpu_util{Hostname=\"a\",gpu=\"0\",role=\"s1\"} 5 1000\n"
                           "gpu_util{Hostname=\"a\",gpu=\"1\",role=\"s2\"} 6 1000\n",
                           "s.txt", 0, kS, &t, &d, "role"),
              StatusIs(StatusCode::kInvalidArgument,
                       "s.txt:2:9: label role: machine a carries two groups, 's1' and 's2'"));
  model::MetricTable j;
  EXPECT_THAT(ReadPromQueryRange(R"([{"metric":{"__name__":"u","host":"a","role":"s1"},"values":[[1,"1"]]},
      {"metric":{"__name__":"u","host":"a","role":"s2"},"values":[[1,"1"]]}])", "q.json", &j, &d, {}, "role"),
              StatusIs(StatusCode::kInvalidArgument, "q.json: byte "));
  EXPECT_THAT(ReadPromQueryRange(R"([{"metric":{"__name__":"u","host":"a","role":"s1"},"values":[[1,"1"]]},
      {"metric":{"__name__":"u","host":"a","role":"s2"},"values":[[1,"1"]]}])", "q.json", &j, &d, {}, "role"),
              StatusIs(StatusCode::kInvalidArgument, "label role: machine a carries two groups"));
}

TEST(GroupLabelTest, GroupsSurviveCountersToRates) {
  model::MetricTable t;
  Diagnostics d;
  ASSERT_OK(ReadPromText("x_total{host=\"a\",role=\"r\"} 1 1000\nx_total{host=\"a\",role=\"r\"} 3 2000\n",
                         "c.txt", 0, kS, &t, &d, "role"));
  model::MetricTable rates = model::CountersToRates(t, &d);
  EXPECT_EQ(rates.MachineGroups().at("a"), "r");
}

}  // namespace
}  // namespace trainscope::ingest
