// SPDX-License-Identifier: Apache-2.0
// Minder alerts as Alertmanager's webhook payload (webhook_config, payload version "4"), so that
// a faulty-machine alert reaches the receivers a team already runs (PagerDuty/Slack bridges,
// alert routers, ticketing). One payload is one group, alertname `MinderFaultyMachine`:
//   {"version":"4","groupKey":...,"truncatedAlerts":0,"status":"firing"|"resolved",
//    "receiver":...,"groupLabels":{"alertname":...},"commonLabels":{...},
//    "commonAnnotations":{...},"externalURL":...,"alerts":[{"status","labels","annotations",
//    "startsAt","endsAt","generatorURL","fingerprint"}]}
// Labels of an alert: alertname, machine, metric, severity, the job matcher's label, and the
// device (and its kind) when Minder named one. Times are RFC 3339 UTC; a firing alert's endsAt is
// Alertmanager's zero time 0001-01-01T00:00:00Z. fingerprint: 64-bit FNV-1a of the sorted labels
// (name, 0xff, value, 0xff), as Prometheus' LabelsToSignature, in 16 hex digits.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "minder/detector.h"

namespace trainscope::live {

inline constexpr const char* kAlertName = "MinderFaultyMachine";

struct NotifiedAlert {
  minder::Alert alert;
  bool resolved = false;
  int64_t resolved_ns = 0;  // when a call first saw it gone
};

struct WebhookContext {
  std::string receiver = "trainscope";
  std::string external_url;                       // the Prometheus server watched
  std::string query;                              // PromQL of the pull, for generatorURL
  std::map<std::string, std::string> job_labels;  // the --job matcher, e.g. {job: trainjob}
};

// Labels of `alert` (see above).
std::map<std::string, std::string> AlertLabels(const minder::Alert& alert,
                                               const WebhookContext& context);
std::string Fingerprint(const std::map<std::string, std::string>& labels);
// "2026-12-05T16:30:00.123Z"; 0001-01-01T00:00:00Z for 0.
std::string Rfc3339(int64_t unix_ns);
// The payload for `alerts` (status "firing" when any of them still fires).
std::string WebhookPayload(const std::vector<NotifiedAlert>& alerts, const WebhookContext& context);

}  // namespace trainscope::live
