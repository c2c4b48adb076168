// SPDX-License-Identifier: Apache-2.0
// `minder watch`: Minder on a live Prometheus on the production schedule (Minder brief section
// 2): every `every_seconds` one call on the last `pull_seconds` of the job's metrics, the first
// call at once. Each call pulls (live/prometheus_source.h), runs the fault pipeline
// (minder::RunFaultDetection: name mapping, 1 s grid, detection, "inconclusive" when sampling
// is coarser than 1 s or too few machines report) and reports what changed: a machine alerted
// for the first time fires; a firing machine that a later conclusive call no longer alerts on is
// resolved (an inconclusive or failed call resolves nothing). Optional Alertmanager webhook.
// A call that cannot reach the server (after the client's retries) is reported and the watch
// goes on; an answer that no later call can fix (HTTP 4xx, a query Prometheus refuses) ends it.
// Thread safety: one watch per thread; `stop` may be raised from a signal handler.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "live/alertmanager.h"
#include "live/http_client.h"
#include "minder/fault_pipeline.h"

namespace trainscope::live {

// Which machines fire, call after call.
class AlertTracker {
 public:
  struct Changes {
    std::vector<minder::Alert> fired;     // machines alerted for the first time
    std::vector<minder::Alert> resolved;  // firing machines this conclusive call did not alert
  };
  // `conclusive`: the call judged the job (healthy or faulty); otherwise nothing resolves.
  Changes Update(const std::vector<minder::Alert>& alerts, bool conclusive);
  const std::map<std::string, minder::Alert>& firing() const { return firing_; }

 private:
  std::map<std::string, minder::Alert> firing_;  // machine -> its alert
};

struct WatchOptions {
  std::string server;  // Prometheus base URL
  std::string query;   // PromQL selecting the job's series
  int every_seconds = 480;
  int pull_seconds = 900;
  int max_calls = 0;  // 0: until stopped
  minder::FaultRunOptions detection;
  std::string webhook_url;  // empty: none
  WebhookContext webhook;
  const std::atomic<bool>* stop = nullptr;
};

// One call's outcome, for the caller to print.
struct WatchCall {
  int index = 0;        // 1-based
  int64_t call_ns = 0;  // end of the pull (wall clock)
  Status error;         // the pull or detection failed (run and changes are then empty)
  minder::FaultRun run;
  AlertTracker::Changes changes;
  Status webhook_error;  // posting the changes failed after retries
};

// Runs calls until `stop`, max_calls, or an error no later call can fix (returned). After
// max_calls it returns the last call's error (OK when it succeeded). `on_call` is called after
// every call.
Status RunWatch(HttpClient& prometheus, HttpClient& webhook, const WatchOptions& options,
                const std::function<void(const WatchCall&)>& on_call);

}  // namespace trainscope::live
