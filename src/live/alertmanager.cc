// SPDX-License-Identifier: Apache-2.0
// Alertmanager webhook payload (version 4) for Minder's alerts.
#include "live/alertmanager.h"

#include <fmt/core.h>

#include <cctype>
#include <ctime>

#include "base/json_writer.h"

namespace trainscope::live {
namespace {

using Labels = std::map<std::string, std::string>;

std::string Summary(const minder::Alert& a) {
  return fmt::format("Minder: machine {} differs from its peers on {}", a.machine, a.metric);
}

std::string Description(const minder::Alert& a) {
  return fmt::format("{}{} for {} windows (robust z {:.2f}, margin {:.2f}){}", Summary(a),
                     a.device.empty() ? "" : fmt::format(", {} {}", a.device_kind, a.device),
                     a.windows, a.score, a.margin,
                     a.missing ? "; its metrics are missing while its peers report" : "");
}

Labels Annotations(const minder::Alert& a) {
  return {{"summary", Summary(a)}, {"description", Description(a)}};
}

// The pairs every map of `maps` holds with the same value (Alertmanager's commonLabels).
Labels Common(const std::vector<Labels>& maps) {
  if (maps.empty()) return {};
  Labels out = maps.front();
  for (const Labels& m : maps) {
    std::erase_if(out, [&m](const auto& kv) {
      auto it = m.find(kv.first);
      return it == m.end() || it->second != kv.second;
    });
  }
  return out;
}

void WriteLabels(std::string_view key, const Labels& labels, JsonWriter* json) {
  json->Key(key).BeginObject();
  for (const auto& [name, value] : labels) json->Field(name, value);
  json->EndObject();
}

std::string GroupKey(const Labels& group_labels) {
  std::string inner;
  for (const auto& [name, value] : group_labels) {
    inner += fmt::format("{}{}=\"{}\"", inner.empty() ? "" : ", ", name, value);
  }
  return "{}:{" + inner + "}";
}

// The Prometheus graph page of `query`, as Prometheus' own generatorURL.
std::string GeneratorUrl(const WebhookContext& context) {
  std::string expr;
  for (unsigned char c : context.query) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      expr += static_cast<char>(c);
    } else {
      expr += fmt::format("%{:02X}", c);
    }
  }
  return fmt::format("{}/graph?g0.expr={}&g0.tab=1", context.external_url, expr);
}

}  // namespace

Labels AlertLabels(const minder::Alert& alert, const WebhookContext& context) {
  Labels labels = context.job_labels;
  labels["alertname"] = kAlertName;
  labels["machine"] = alert.machine;
  labels["metric"] = alert.metric;
  labels["severity"] = "critical";
  if (!alert.device.empty()) {
    labels["device"] = alert.device;
    labels["device_kind"] = alert.device_kind;
  }
  return labels;
}

std::string Fingerprint(const Labels& labels) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a 64 offset basis
  auto add = [&hash](std::string_view bytes) {
    for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
    hash = (hash ^ 0xffu) * 1099511628211ull;  // separator
  };
  for (const auto& [name, value] : labels) {  // std::map: sorted by name
    add(name);
    add(value);
  }
  return fmt::format("{:016x}", hash);
}

std::string Rfc3339(int64_t unix_ns) {
  if (unix_ns == 0) return "0001-01-01T00:00:00Z";
  const std::time_t seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     (unix_ns / 1'000'000) % 1000);
}

std::string WebhookPayload(const std::vector<NotifiedAlert>& alerts,
                           const WebhookContext& context) {
  std::vector<Labels> labels, annotations;
  bool firing = false;
  for (const NotifiedAlert& n : alerts) {
    labels.push_back(AlertLabels(n.alert, context));
    annotations.push_back(Annotations(n.alert));
    firing = firing || !n.resolved;
  }
  const Labels group_labels = {{"alertname", kAlertName}};
  JsonWriter json;
  json.BeginObject().Field("version", "4").Field("groupKey", GroupKey(group_labels));
  json.Field("truncatedAlerts", 0).Field("status", firing ? "firing" : "resolved");
  json.Field("receiver", context.receiver);
  WriteLabels("groupLabels", group_labels, &json);
  WriteLabels("commonLabels", Common(labels), &json);
  WriteLabels("commonAnnotations", Common(annotations), &json);
  json.Field("externalURL", context.external_url);
  json.Key("alerts").BeginArray();
  for (size_t i = 0; i < alerts.size(); ++i) {
    const NotifiedAlert& n = alerts[i];
    json.BeginObject().Field("status", n.resolved ? "resolved" : "firing");
    WriteLabels("labels", labels[i], &json);
    WriteLabels("annotations", annotations[i], &json);
    json.Field("startsAt", Rfc3339(n.alert.start_ns))
        .Field("endsAt", Rfc3339(n.resolved ? n.resolved_ns : 0));
    json.Field("generatorURL", GeneratorUrl(context)).Field("fingerprint", Fingerprint(labels[i]));
    json.EndObject();
  }
  json.EndArray().EndObject();
  return json.TakeString();
}

}  // namespace trainscope::live
