// SPDX-License-Identifier: Apache-2.0
// A small blocking HTTP client over libcurl for talking to monitoring servers: GET (Prometheus
// HTTP API) and POST (alert webhooks), with an optional Authorization-style header, TLS
// verification (a CA file, or none when asked), per-request timeouts and retries with
// exponential backoff on what a retry can fix: connection failures, timeouts, HTTP 429 and 5xx.
// Other HTTP statuses come back as responses for the caller to judge (Prometheus answers a bad
// query with 400 and a JSON error body).
// Ownership: the client owns one curl handle (connection reuse). Thread safety: one thread per
// client. `stop` (optional, not owned) aborts a transfer or a backoff wait within ~100 ms.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace trainscope::live {

struct HttpOptions {
  double timeout_s = 30;          // whole request
  double connect_timeout_s = 10;  // TCP + TLS handshake
  int retries = 3;                // further attempts after the first
  double backoff_s = 1;           // wait before the first retry; doubles each time
  double max_backoff_s = 30;
  std::string header;     // one extra request header, "Authorization: Bearer ..." (empty: none)
  std::string ca_file;    // PEM bundle to verify the server with (empty: the system's)
  bool insecure = false;  // skip TLS verification (self-signed test servers only)
  const std::atomic<bool>* stop = nullptr;
  // Called before each retry with the reason and the wait (stderr note in the CLI).
  std::function<void(const std::string& reason, double wait_s)> on_retry;
};

struct HttpResponse {
  long status = 0;  // HTTP status code
  std::string body;
  std::string content_type;
};

// The wait before retry `attempt` (0-based): backoff_s * 2^attempt, at most max_backoff_s.
double BackoffSeconds(const HttpOptions& options, int attempt);

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // kIo when every attempt failed (the message names the URL without its query, the last
  // cause and the attempts made) or when `stop` was raised (message "interrupted").
  Result<HttpResponse> Get(const std::string& url);
  Result<HttpResponse> Post(const std::string& url, const std::string& body,
                            const std::string& content_type);
  // Percent-encodes `text` for a URL query value.
  std::string Escape(const std::string& text);

 private:
  Result<HttpResponse> Perform(const std::string& url, const std::string* post_body,
                               const std::string& content_type);
  Result<HttpResponse> PerformOnce(const std::string& url, const std::string* post_body,
                                   const std::string& content_type, bool* retryable);
  bool Stopped() const;

  HttpOptions options_;
  struct Handle;
  std::unique_ptr<Handle> handle_;
};

// `url` without its query string and credentials, for messages (tokens stay out of logs).
std::string RedactUrl(const std::string& url);

}  // namespace trainscope::live
