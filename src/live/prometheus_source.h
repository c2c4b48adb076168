// SPDX-License-Identifier: Apache-2.0
// One pull of a job's metrics from a live Prometheus server: the HTTP API's `query_range` over
// the last `pull_seconds` at a 1 s step, read by the same reader as a saved query_range file
// (ingest::ReadPromQueryRange), counters turned into rates as LoadMetrics does.
// What servers do and how it comes out: `warnings` (partial responses, Thanos/Cortex) become
// `prometheus_warning` diagnostics; `status:"error"` and non-2xx answers are errors quoting the
// server; `resultType` other than matrix/vector is refused by the reader; a server that answers
// with a coarser step than asked shows as sampling coarser than 1 s, which the detection calls
// inconclusive (minder::RunFaultDetection); series that start or stop inside the pull are
// missing seconds for Minder (a machine absent while its peers report is itself a candidate).
// Thread safety: as the HttpClient passed in.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "live/http_client.h"
#include "model/metric_table.h"

namespace trainscope::live {

// `LABEL=VALUE` (as --job takes it) split and checked: LABEL is a Prometheus label name
// ([a-zA-Z_][a-zA-Z0-9_]*), VALUE non-empty. kInvalidArgument naming the text otherwise.
Result<std::pair<std::string, std::string>> ParseLabelMatcher(const std::string& text);

// The default PromQL selector of a job: its series of the metrics Minder maps (DCGM, node
// exporter CPU and PFC names of model::DefaultMetricMappings) and the RoCE/InfiniBand port byte
// counters: {LABEL="VALUE",__name__=~"..."}; quotes and backslashes in VALUE escaped.
std::string JobSelector(const std::string& label, const std::string& value);

struct PullRequest {
  std::string server;  // base URL, e.g. http://prometheus:9090 (a trailing '/' is ignored)
  std::string query;   // PromQL
  int64_t end_ns = 0;  // end of the pull (the call time)
  int pull_seconds = 900;
  int step_seconds = 1;
};

// The query_range URL of `request` (start = end - pull + step, so the pull holds `pull` steps).
std::string QueryRangeUrl(HttpClient& client, const PullRequest& request);

// Fetches and reads one pull. Errors: kIo (server unreachable, or HTTP 429/5xx, after the
// client's retries), kFailedPrecondition (Prometheus `status:"error"`, or another HTTP error
// status, quoted), reader errors naming the response and byte (kDataLoss: the answer was cut).
Result<model::MetricTable> FetchPull(HttpClient& client, const PullRequest& request,
                                     Diagnostics* diags);

}  // namespace trainscope::live
