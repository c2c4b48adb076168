// SPDX-License-Identifier: Apache-2.0
// live: webhook payload against Alertmanager's format and Prometheus' fingerprints, alert state
// over calls, query URLs, retries with backoff against a closed port.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "live/alertmanager.h"
#include "live/http_client.h"
#include "live/prometheus_source.h"
#include "live/watch.h"
#include "support/status_matchers.h"

namespace trainscope::live {
namespace {

using ::trainscope::testing::StatusIs;

minder::Alert MakeAlert(const std::string& machine, int64_t start_s) {
  minder::Alert a;
  a.machine = machine;
  a.metric = "gpu_power";
  a.start_ns = start_s * 1'000'000'000;
  a.end_ns = a.start_ns + 30'000'000'000;
  a.windows = 30;
  a.score = 9.5;
  return a;
}

TEST(Alertmanager, FingerprintIsPrometheusLabelsToSignature) {
  // Values of prometheus/common model TestLabelsToSignature.
  EXPECT_EQ(Fingerprint({}), fmt::format("{:016x}", 14695981039346656037ull));
  EXPECT_EQ(Fingerprint({{"name", "garland, briggs"}, {"fear", "love is not enough"}}),
            fmt::format("{:016x}", 5799056148416392346ull));
}

TEST(Alertmanager, Rfc3339) {
  EXPECT_EQ(Rfc3339(1'700'000'000'123'000'000), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(Rfc3339(0), "0001-01-01T00:00:00Z");
}

TEST(Alertmanager, PayloadHasWebhookVersion4Fields) {
  WebhookContext context;
  context.external_url = "http://prom:9090";
  context.query = "{job=\"train\"}";
  context.job_labels = {{"job", "train"}};
  minder::Alert gpu = MakeAlert("node5", 1'700'000'000);
  gpu.device = "3";
  gpu.device_kind = "gpu";
  const auto one = nlohmann::json::parse(WebhookPayload({{gpu, false, 0}}, context));
  EXPECT_EQ(one["version"], "4");
  EXPECT_EQ(one["status"], "firing");
  EXPECT_EQ(one["receiver"], "trainscope");
  EXPECT_EQ(one["groupKey"], "{}:{alertname=\"MinderFaultyMachine\"}");
  EXPECT_EQ(one["groupLabels"], nlohmann::json({{"alertname", "MinderFaultyMachine"}}));
  EXPECT_EQ(one["externalURL"], "http://prom:9090");
  EXPECT_EQ(one["commonLabels"]["machine"], "node5");
  ASSERT_EQ(one["alerts"].size(), 1u);
  const auto& alert = one["alerts"][0];
  EXPECT_EQ(alert["status"], "firing");
  EXPECT_EQ(alert["labels"]["job"], "train");
  EXPECT_EQ(alert["labels"]["device"], "3");
  EXPECT_EQ(alert["startsAt"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(alert["endsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(alert["generatorURL"],
            "http://prom:9090/graph?g0.expr=%7Bjob%3D%22train%22%7D&g0.tab=1");
  EXPECT_EQ(alert["fingerprint"], Fingerprint(AlertLabels(gpu, context)));
  EXPECT_TRUE(alert["annotations"]["description"].get<std::string>().find("gpu 3") !=
              std::string::npos);

  // One firing, one resolved: the group still fires; common labels keep only what both share.
  const auto two = nlohmann::json::parse(WebhookPayload(
      {{gpu, false, 0}, {MakeAlert("node2", 1'700'000'100), true, 1'700'000'200'000'000'000}},
      context));
  EXPECT_EQ(two["status"], "firing");
  EXPECT_FALSE(two["commonLabels"].contains("machine"));
  EXPECT_EQ(two["commonLabels"]["alertname"], "MinderFaultyMachine");
  EXPECT_EQ(two["alerts"][1]["status"], "resolved");
  EXPECT_EQ(two["alerts"][1]["endsAt"], "2023-11-14T22:16:40.000Z");
  const auto resolved =
      nlohmann::json::parse(WebhookPayload({{gpu, true, 1'700'000'200'000'000'000}}, context));
  EXPECT_EQ(resolved["status"], "resolved");
}

TEST(AlertTracker, FiresOnceResolvesOnlyOnConclusiveCalls) {
  AlertTracker tracker;
  auto first = tracker.Update({MakeAlert("node5", 100)}, true);
  ASSERT_EQ(first.fired.size(), 1u);
  EXPECT_EQ(first.fired[0].machine, "node5");
  minder::Alert later = MakeAlert("node5", 100);
  later.end_ns += 60'000'000'000;
  auto again = tracker.Update({later}, true);
  EXPECT_TRUE(again.fired.empty());
  EXPECT_EQ(tracker.firing().at("node5").end_ns, later.end_ns);
  EXPECT_TRUE(tracker.Update({}, false).resolved.empty());  // inconclusive: still firing
  auto gone = tracker.Update({MakeAlert("node1", 400)}, true);
  ASSERT_EQ(gone.resolved.size(), 1u);
  EXPECT_EQ(gone.resolved[0].machine, "node5");
  ASSERT_EQ(gone.fired.size(), 1u);
  EXPECT_EQ(gone.fired[0].machine, "node1");
  EXPECT_EQ(tracker.firing().size(), 1u);
}

TEST(PrometheusSource, MatcherSelectorAndUrl) {
  ASSERT_OK_AND_ASSIGN(auto matcher, ParseLabelMatcher("job=llm\"x"));
  EXPECT_EQ(matcher.first, "job");
  EXPECT_EQ(matcher.second, "llm\"x");
  EXPECT_THAT(ParseLabelMatcher("job"), StatusIs(StatusCode::kInvalidArgument, "LABEL=VALUE"));
  EXPECT_THAT(ParseLabelMatcher("1job=x"),
              StatusIs(StatusCode::kInvalidArgument, "not a Prometheus label name"));
  EXPECT_THAT(ParseLabelMatcher("job="), StatusIs(StatusCode::kInvalidArgument, "empty"));
  const std::string selector = JobSelector("job", "llm\"x");
  EXPECT_TRUE(selector.starts_with("{job=\"llm\\\"x\",__name__=~\"")) << selector;
  EXPECT_NE(selector.find("|DCGM_FI_DEV_POWER_USAGE|"), std::string::npos) << selector;
  EXPECT_NE(selector.find("node_infiniband_port_data_transmitted_bytes_total"), std::string::npos);

  HttpClient client({});
  PullRequest request{"http://prom:9090/", "up", 1'700'000'900'000'000'000, 900, 1};
  // 900 steps of 1 s ending at the call: start = end - 899 s.
  EXPECT_EQ(QueryRangeUrl(client, request),
            "http://prom:9090/api/v1/"
            "query_range?query=up&start=1700000001.000&end=1700000900.000&step=1");
}

TEST(HttpClient, BackoffDoublesUpToTheCap) {
  HttpOptions options;
  options.backoff_s = 1;
  options.max_backoff_s = 5;
  EXPECT_EQ(BackoffSeconds(options, 0), 1);
  EXPECT_EQ(BackoffSeconds(options, 1), 2);
  EXPECT_EQ(BackoffSeconds(options, 2), 4);
  EXPECT_EQ(BackoffSeconds(options, 3), 5);
  EXPECT_EQ(RedactUrl("https://user:secret@prom:9090/api/v1/query_range?query=up"),
            "https://prom:9090/api/v1/query_range");
}

TEST(HttpClient, RetriesARefusedConnectionThenFails) {
  HttpOptions options;
  options.retries = 2;
  options.backoff_s = 0.01;
  std::vector<double> waits;
  options.on_retry = [&waits](const std::string&, double wait_s) { waits.push_back(wait_s); };
  HttpClient client(options);
  // Port 1 on the loopback: nothing listens (tcpmux is never served), the connection is refused.
  Result<HttpResponse> response = client.Get("http://127.0.0.1:1/api/v1/query_range?query=secret");
  EXPECT_THAT(response, StatusIs(StatusCode::kIo, "after 3 attempts"));
  EXPECT_EQ(response.error().message().find("secret"), std::string::npos);
  EXPECT_EQ(waits, (std::vector<double>{0.01, 0.02}));
}

TEST(Watch, UnreachableServerIsReportedAndTheWatchGoesOn) {
  HttpOptions http;
  http.retries = 0;
  HttpClient prometheus(http), webhook(http);
  WatchOptions options;
  options.server = "http://127.0.0.1:1";
  options.query = "up";
  options.every_seconds = 1;
  options.pull_seconds = 60;
  options.max_calls = 2;
  std::vector<StatusCode> codes;
  // Both calls are made (the first failure does not end the watch); the last one's error is
  // the result of a watch bounded by max_calls.
  EXPECT_THAT(RunWatch(prometheus, webhook, options,
                       [&codes](const WatchCall& call) { codes.push_back(call.error.code()); }),
              StatusIs(StatusCode::kIo, "Couldn't connect"));
  EXPECT_EQ(codes, (std::vector<StatusCode>{StatusCode::kIo, StatusCode::kIo}));
}

}  // namespace
}  // namespace trainscope::live
