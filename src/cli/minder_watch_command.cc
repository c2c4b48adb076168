// SPDX-License-Identifier: Apache-2.0
// `trainscope minder watch`: Minder on a live Prometheus, every 8 min on the last 15 min, alerts
// printed as they happen and optionally posted to an Alertmanager-style webhook. Thin: parse
// flags, install the SIGINT/SIGTERM handler, call live::RunWatch, print each call.
#if defined(TS_HAVE_LIVE)
#include <fmt/core.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>
#include <string>

#include "base/byte_source.h"
#include "base/json_writer.h"
#include "base/utf8.h"
#include "cli/app/minder_alert_output.h"
#include "cli/command.h"
#include "live/prometheus_source.h"
#include "live/watch.h"

namespace trainscope::cli {
namespace {

std::atomic<bool> g_stop{false};  // lock-free: safe to set from a signal handler

extern "C" void RequestStop(int) { g_stop.store(true); }

void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = RequestStop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

struct WatchFlags {
  std::string prometheus, job, query, webhook, models;
  std::string every = "8m", pull = "15m";
  int continuity = 240, calls = 0, retries = 3;
  double timeout_s = 30;
  std::string auth_header, bearer_token_file, ca_file;
  bool insecure = false;
};

// "90", "90s", "8m", "1h" -> seconds (whole, >= 1).
Result<int> ParseDuration(const std::string& flag, const std::string& text) {
  size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (...) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  const long long scale = unit.empty() || unit == "s" ? 1
                          : unit == "m"               ? 60
                          : unit == "h"               ? 3600
                                                      : 0;
  if (used == 0 || scale == 0 || value < 1 || value > 30LL * 86400 / scale) {
    return InvalidArgumentError("{} '{}': give a duration such as 90s, 8m or 1h (1 s to 30 days)",
                                flag, PrintableText(text));
  }
  return static_cast<int>(value * scale);
}

// CLI11 checks (a bad value is a usage error, exit 2, as for every option).
CLI::Validator Checked(const std::string& what, std::function<Status(const std::string&)> check) {
  return CLI::Validator(
      [check](std::string& text) {
        const Status status = check(text);
        return status.ok() ? std::string() : status.message();
      },
      what);
}

Status HttpUrl(const std::string& url) {
  if (url.starts_with("http://") || url.starts_with("https://")) return OkStatus();
  return InvalidArgumentError("'{}' is not an http:// or https:// URL", PrintableText(url));
}

Result<std::string> AuthHeader(const WatchFlags& f) {
  if (f.bearer_token_file.empty()) return f.auth_header;
  TS_ASSIGN_OR_RETURN(std::string token, ReadFileToString(f.bearer_token_file));
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty())
    return InvalidArgumentError("--bearer-token-file {}: the file is empty", f.bearer_token_file);
  return "Authorization: Bearer " + token;
}

void PrintCallJson(const live::WatchCall& call) {
  JsonWriter json(stdout);
  json.BeginObject()
      .Field("event", "call")
      .Field("index", call.index)
      .Field("call", static_cast<double>(call.call_ns) / 1e9);
  if (!call.error.ok()) {
    json.Field("error", call.error.message());
  } else {
    json.Field("verdict", minder::VerdictName(call.run.verdict))
        .Field("machines", call.run.machines);
    json.Field("seconds", call.run.seconds).Field("alerts", call.run.alerts.size());
    json.Key("inconclusive").BeginArray();
    for (const std::string& reason : call.run.inconclusive) json.String(reason);
    json.EndArray().Key("absent_machines").BeginArray();
    for (const std::string& machine : call.run.absent_machines) json.String(machine);
    json.EndArray().Key("diagnostics");
    WriteDiagnosticsJson(call.run.diagnostics, json);
  }
  if (!call.webhook_error.ok()) json.Field("webhook_error", call.webhook_error.message());
  json.EndObject().Flush();
  std::fputc('\n', stdout);
  for (const auto& [event, alerts] :
       {std::pair{"alert", &call.changes.fired}, std::pair{"resolved", &call.changes.resolved}}) {
    for (const minder::Alert& alert : *alerts) {
      JsonWriter line(stdout);
      line.BeginObject().Field("event", event);
      WriteAlertFields(alert, &line, call.call_ns);
      line.EndObject().Flush();
      std::fputc('\n', stdout);
    }
  }
}

void PrintCallText(const live::WatchCall& call) {
  const std::string when = live::Rfc3339(call.call_ns);
  if (!call.error.ok()) {
    fmt::print("call {} at {}: error: {}\n", call.index, when, PrintableText(call.error.message()));
  } else {
    if (call.index == 1) PrintDiagnosticsUnlessQuiet(call.run.diagnostics);
    std::string verdict(minder::VerdictName(call.run.verdict));
    for (const std::string& reason : call.run.inconclusive) verdict += "; " + reason;
    if (!Globals().quiet || !call.changes.fired.empty() || !call.changes.resolved.empty()) {
      fmt::print("call {} at {}: {} machines, {} s: {}\n", call.index, when, call.run.machines,
                 call.run.seconds, verdict);
    }
    for (const minder::Alert& alert : call.changes.fired)
      fmt::print("{}\n", PrintableText(AlertText(alert)));
    for (const minder::Alert& alert : call.changes.resolved) {
      fmt::print("RESOLVED machine {} metric {}\n", PrintableText(alert.machine), alert.metric);
    }
  }
  if (!call.webhook_error.ok())
    fmt::print(stderr, "trainscope: webhook: {}\n", call.webhook_error.message());
}

Status RunWatchCommand(const WatchFlags& f) {
  if (f.job.empty() && f.query.empty())
    return InvalidArgumentError("give --job LABEL=VALUE or --query PROMQL");
  live::WatchOptions options;
  options.server = f.prometheus;
  TS_ASSIGN_OR_RETURN(options.every_seconds, ParseDuration("--every", f.every));
  TS_ASSIGN_OR_RETURN(options.pull_seconds, ParseDuration("--pull", f.pull));
  options.query = f.query;
  if (!f.job.empty()) {
    TS_ASSIGN_OR_RETURN(auto matcher, live::ParseLabelMatcher(f.job));
    if (options.query.empty()) options.query = live::JobSelector(matcher.first, matcher.second);
    options.webhook.job_labels[matcher.first] = matcher.second;
  }
  options.max_calls = f.calls;
  options.detection.models_dir = f.models;
  options.detection.threads = Globals().threads;
  options.detection.continuity_windows = f.continuity;
  options.detection.max_points = 0;  // no chart series: alerts only
  options.webhook_url = f.webhook;
  options.webhook.external_url = f.prometheus;
  options.webhook.query = options.query;
  options.stop = &g_stop;

  live::HttpOptions http;
  TS_ASSIGN_OR_RETURN(http.header, AuthHeader(f));
  http.ca_file = f.ca_file;
  http.insecure = f.insecure;
  http.timeout_s = f.timeout_s;
  http.retries = f.retries;
  http.stop = &g_stop;
  http.on_retry = [](const std::string& reason, double wait_s) {
    if (!Globals().quiet)
      fmt::print(stderr, "trainscope: {}; retrying in {:g} s\n", PrintableText(reason), wait_s);
  };
  live::HttpClient prometheus(http);
  live::HttpOptions webhook_http = http;
  webhook_http.header.clear();  // the Prometheus credentials stay with Prometheus
  live::HttpClient webhook(webhook_http);
  InstallStopHandlers();
  return live::RunWatch(prometheus, webhook, options, [](const live::WatchCall& call) {
    Globals().json ? PrintCallJson(call) : PrintCallText(call);
    std::fflush(stdout);
  });
}

void RegisterMinderWatch(CLI::App& root) {
  CLI::App* minder = root.get_subcommand("minder");
  auto* watch = minder->add_subcommand("watch",
                                       "Watch a job on a live Prometheus: a call every 8 min on "
                                       "the last 15 min, alerts as they happen");
  static WatchFlags f;
  watch->add_option("--prometheus", f.prometheus, "Prometheus base URL (http:// or https://)")
      ->required()
      ->check(Checked("URL", HttpUrl));
  watch->add_option("--job", f.job, "The job's series: LABEL=VALUE (e.g. job=llm-pretrain)")
      ->check(Checked("LABEL=VALUE", [](const std::string& text) {
        auto matcher = live::ParseLabelMatcher(text);
        return matcher.has_value() ? OkStatus() : matcher.error();
      }));
  watch->add_option("--query", f.query,
                    "PromQL selecting the series instead of the default for --job");
  auto duration = [](const char* flag, int min_seconds) {
    return Checked("DURATION", [flag, min_seconds](const std::string& text) {
      auto seconds = ParseDuration(flag, text);
      if (!seconds.has_value()) return seconds.error();
      if (*seconds >= min_seconds) return OkStatus();
      return InvalidArgumentError("{} {}: at least {} s (one window)", flag, text, min_seconds);
    });
  };
  watch->add_option("--every", f.every, "Time between calls (90s, 8m, 1h)")
      ->capture_default_str()
      ->check(duration("--every", 1));
  watch->add_option("--pull", f.pull, "Data per call, ending now")
      ->capture_default_str()
      ->check(duration("--pull", minder::kWindow));
  watch->add_option("--continuity", f.continuity, "Windows (s) the same candidate must persist")
      ->capture_default_str()
      ->check(IntInRange(1, 86400));
  watch->add_option("--models", f.models,
                    "Directory of *.vae models and detector.txt (default: the shipped models)");
  watch->add_option("--calls", f.calls, "Stop after this many calls (0: until SIGINT/SIGTERM)")
      ->capture_default_str()
      ->check(IntAtLeast(0));
  watch
      ->add_option("--alert-webhook", f.webhook,
                   "POST alerts here as Alertmanager webhook JSON (version 4)")
      ->check(Checked("URL", HttpUrl));
  auto* header = watch->add_option("--auth-header", f.auth_header,
                                   "Extra request header, e.g. 'Authorization: Bearer TOKEN'");
  watch
      ->add_option("--bearer-token-file", f.bearer_token_file,
                   "Send 'Authorization: Bearer <file contents>'")
      ->check(CLI::ExistingFile)
      ->excludes(header);
  watch->add_option("--cacert", f.ca_file, "PEM CA bundle to verify the server's TLS certificate")
      ->check(CLI::ExistingFile);
  watch->add_flag("--insecure", f.insecure, "Do not verify the server's TLS certificate");
  watch->add_option("--timeout", f.timeout_s, "Seconds per HTTP request")
      ->capture_default_str()
      ->check(NumberAbove(0));
  watch
      ->add_option("--retries", f.retries,
                   "Retries of a failed request (backoff 1 s, 2 s, 4 s, ... up to 30 s)")
      ->capture_default_str()
      ->check(IntInRange(0, 20));
  watch->callback([] { RunAndSetExit([] { return RunWatchCommand(f); }); });
}

}  // namespace

TS_REGISTER_COMMAND(51, RegisterMinderWatch);

}  // namespace trainscope::cli
#endif  // TS_HAVE_LIVE
