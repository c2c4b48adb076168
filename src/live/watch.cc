// SPDX-License-Identifier: Apache-2.0
// The watch loop: pull, detect, report changes, sleep until the next slot.
#include "live/watch.h"

#include <fmt/core.h>

#include <chrono>
#include <thread>

#include "live/prometheus_source.h"

namespace trainscope::live {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Stopped(const WatchOptions& options) {
  return options.stop != nullptr && options.stop->load();
}

// Sleeps until `until_ns` (wall clock) or until stopped.
void SleepUntil(int64_t until_ns, const WatchOptions& options) {
  while (!Stopped(options) && NowNs() < until_ns) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Errors a later call may not see: the server unreachable or overloaded after the retries
// (kIo), an answer cut short (kDataLoss). A refused query, an HTTP 4xx, a result that is not a
// matrix would repeat on every call: they end the watch.
bool Transient(const Status& status) {
  return status.code() == StatusCode::kIo || status.code() == StatusCode::kDataLoss;
}

Status PostChanges(HttpClient& webhook, const WatchOptions& options, const WatchCall& call,
                   const AlertTracker& tracker) {
  if (options.webhook_url.empty() ||
      (call.changes.fired.empty() && call.changes.resolved.empty())) {
    return OkStatus();
  }
  // As Alertmanager: the group's firing alerts, and those resolved since the last notification.
  std::vector<NotifiedAlert> alerts;
  for (const auto& [machine, alert] : tracker.firing()) alerts.push_back({alert, false, 0});
  for (const minder::Alert& alert : call.changes.resolved)
    alerts.push_back({alert, true, call.call_ns});
  TS_ASSIGN_OR_RETURN(HttpResponse response,
                      webhook.Post(options.webhook_url, WebhookPayload(alerts, options.webhook),
                                   "application/json"));
  if (response.status / 100 != 2) {
    return IoError("{}: the webhook answered HTTP {}", RedactUrl(options.webhook_url),
                   response.status);
  }
  return OkStatus();
}

}  // namespace

AlertTracker::Changes AlertTracker::Update(const std::vector<minder::Alert>& alerts,
                                           bool conclusive) {
  Changes changes;
  std::map<std::string, const minder::Alert*> now;
  for (const minder::Alert& alert : alerts) now.emplace(alert.machine, &alert);
  for (const auto& [machine, alert] : now) {
    auto [it, inserted] = firing_.emplace(machine, *alert);
    if (inserted) {
      changes.fired.push_back(*alert);
    } else {
      it->second.end_ns = alert->end_ns;  // still firing: the fault goes on
    }
  }
  if (!conclusive) return changes;
  for (auto it = firing_.begin(); it != firing_.end();) {
    if (now.count(it->first) == 0) {
      changes.resolved.push_back(it->second);
      it = firing_.erase(it);
    } else {
      ++it;
    }
  }
  return changes;
}

Status RunWatch(HttpClient& prometheus, HttpClient& webhook, const WatchOptions& options,
                const std::function<void(const WatchCall&)>& on_call) {
  AlertTracker tracker;
  const int64_t every_ns = static_cast<int64_t>(options.every_seconds) * 1'000'000'000;
  int64_t next_ns = NowNs();
  for (int index = 1; !Stopped(options) && (options.max_calls == 0 || index <= options.max_calls);
       ++index) {
    WatchCall call;
    call.index = index;
    call.call_ns = NowNs();
    PullRequest request{options.server, options.query, call.call_ns, options.pull_seconds, 1};
    Diagnostics reading;
    Result<model::MetricTable> table = FetchPull(prometheus, request, &reading);
    if (Stopped(options)) break;  // the pull was interrupted: no call to report
    if (table.has_value() && table->size() == 0) {
      // Nothing scraped yet, or the series are gone: no verdict, and no error either.
      call.run.verdict = minder::Verdict::kInconclusive;
      call.run.inconclusive = {
          fmt::format("no samples of the query in the last {} s (not scraped yet, or the "
                      "selector matches no series)",
                      options.pull_seconds)};
      call.run.diagnostics = std::move(reading);
    } else if (table.has_value()) {
      Result<minder::FaultRun> run =
          minder::RunFaultDetection(std::move(*table), options.detection, std::move(reading));
      if (run.has_value()) {
        call.run = std::move(*run);
      } else {
        call.error = run.error();
      }
    } else {
      call.error = table.error();
    }
    if (call.error.ok()) {
      call.changes =
          tracker.Update(call.run.alerts, call.run.verdict != minder::Verdict::kInconclusive);
      call.webhook_error = PostChanges(webhook, options, call, tracker);
    }
    on_call(call);
    if (!call.error.ok() && !Transient(call.error)) return call.error;
    // The next slot after now: a call that took longer than `every` skips the slots it missed.
    do {
      next_ns += every_ns;
    } while (next_ns <= NowNs());
    if (options.max_calls != 0 && index == options.max_calls)
      return call.error;  // cron use: failed = exit 3
    SleepUntil(next_ns, options);
  }
  return OkStatus();
}

}  // namespace trainscope::live
