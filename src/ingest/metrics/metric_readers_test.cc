// SPDX-License-Identifier: Apache-2.0
// Reader tests on small hand-written inputs: values, missing cells, errors with places.
#include "ingest/metrics/metric_readers.h"

#include <cmath>

#include <gtest/gtest.h>

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
  EXPECT_THAT(ReadLongCsv("timestamp,machine,cpu\nx,a,1\n", "f.csv", &t, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "f.csv:2:1: bad timestamp"));
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
