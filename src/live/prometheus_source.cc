// SPDX-License-Identifier: Apache-2.0
// query_range over HTTP into a MetricTable, through the file reader.
#include "live/prometheus_source.h"

#include <fmt/core.h>

#include <cctype>
#include <set>

#include "base/utf8.h"
#include "ingest/metrics/metric_readers.h"
#include "model/metric_names.h"

namespace trainscope::live {
namespace {

bool IsLabelName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// RE2 syntax: metric names hold only [a-zA-Z0-9_:], none of which needs escaping.
std::string NameAlternatives() {
  std::set<std::string> names = {"node_infiniband_port_data_transmitted_bytes_total",
                                 "node_infiniband_port_data_received_bytes_total"};
  for (const model::MetricMapping& rule : model::DefaultMetricMappings()) names.insert(rule.source);
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : "|") + name;
  return out;
}

std::string QuotedLabelValue(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string SecondsText(int64_t ns) { return fmt::format("{:.3f}", static_cast<double>(ns) / 1e9); }

}  // namespace

Result<std::pair<std::string, std::string>> ParseLabelMatcher(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos) {
    return InvalidArgumentError("--job '{}': give LABEL=VALUE (e.g. job=llm-pretrain)",
                                PrintableText(text));
  }
  std::string label = text.substr(0, eq), value = text.substr(eq + 1);
  if (!IsLabelName(label)) {
    return InvalidArgumentError(
        "--job '{}': '{}' is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)",
        PrintableText(text), PrintableText(label));
  }
  if (value.empty())
    return InvalidArgumentError("--job '{}': the value is empty", PrintableText(text));
  return std::pair{std::move(label), std::move(value)};
}

std::string JobSelector(const std::string& label, const std::string& value) {
  return fmt::format("{{{}={},__name__=~\"{}\"}}", label, QuotedLabelValue(value),
                     NameAlternatives());
}

std::string QueryRangeUrl(HttpClient& client, const PullRequest& request) {
  std::string server = request.server;
  while (!server.empty() && server.back() == '/') server.pop_back();
  const int64_t step_ns = static_cast<int64_t>(request.step_seconds) * model::kNanosPerSecond;
  const int64_t start_ns = request.end_ns -
                           static_cast<int64_t>(request.pull_seconds) * model::kNanosPerSecond +
                           step_ns;
  return fmt::format("{}/api/v1/query_range?query={}&start={}&end={}&step={}", server,
                     client.Escape(request.query), SecondsText(start_ns),
                     SecondsText(request.end_ns), request.step_seconds);
}

Result<model::MetricTable> FetchPull(HttpClient& client, const PullRequest& request,
                                     Diagnostics* diags) {
  const std::string url = QueryRangeUrl(client, request);
  TS_ASSIGN_OR_RETURN(HttpResponse response, client.Get(url));
  const std::string origin =
      fmt::format("{} query_range ending {}", RedactUrl(url), SecondsText(request.end_ns));
  // Prometheus answers a bad query (400, 422) or an overload (503) with its JSON error body:
  // the reader quotes errorType and error. Anything else (a proxy's HTML page) is quoted here.
  const bool json_body = response.content_type.find("json") != std::string::npos;
  if (response.status == 429 || response.status >= 500) {  // still failing after the retries
    return IoError("{}: HTTP {}: {}", origin, response.status,
                   PrintableText(response.body.substr(0, 200)));
  }
  if (response.status / 100 != 2 && !json_body) {
    return FailedPreconditionError("{}: HTTP {}: {}", origin, response.status,
                                   PrintableText(response.body.substr(0, 200)));
  }
  model::MetricTable table;
  Status read = ingest::ReadPromQueryRange(response.body, origin, &table, diags, "query_result");
  if (!read.ok()) return read;
  if (response.status / 100 != 2) {
    return FailedPreconditionError("{}: HTTP {} with a success body", origin, response.status);
  }
  return model::CountersToRates(std::move(table), diags);
}

}  // namespace trainscope::live
