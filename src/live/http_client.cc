// SPDX-License-Identifier: Apache-2.0
// libcurl behind HttpClient: retries with exponential backoff, interruptible waits.
#include "live/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace trainscope::live {
namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Aborts a running transfer once `stop` is raised (libcurl calls this about once a second and
// on every chunk; returning non-zero ends the transfer with CURLE_ABORTED_BY_CALLBACK).
int AbortWhenStopped(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* stop = static_cast<const std::atomic<bool>*>(user);
  return stop != nullptr && stop->load() ? 1 : 0;
}

bool RetryableStatus(long status) { return status == 429 || status >= 500; }

long Milliseconds(double seconds) { return static_cast<long>(std::llround(seconds * 1000)); }

}  // namespace

struct HttpClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

double BackoffSeconds(const HttpOptions& options, int attempt) {
  return std::min(options.max_backoff_s, options.backoff_s * std::ldexp(1.0, attempt));
}

std::string RedactUrl(const std::string& url) {
  std::string out = url.substr(0, url.find_first_of("?#"));
  const size_t scheme = out.find("://");
  const size_t at = out.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  const size_t slash = out.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme != std::string::npos && at != std::string::npos &&
      (slash == std::string::npos || at < slash)) {
    out = out.substr(0, scheme + 3) + out.substr(at + 1);
  }
  return out;
}

HttpClient::HttpClient(HttpOptions options)
    : options_(std::move(options)), handle_(std::make_unique<Handle>()) {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)global;
  handle_->curl = curl_easy_init();
}

HttpClient::~HttpClient() = default;

bool HttpClient::Stopped() const { return options_.stop != nullptr && options_.stop->load(); }

std::string HttpClient::Escape(const std::string& text) {
  char* escaped = curl_easy_escape(handle_->curl, text.data(), static_cast<int>(text.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

Result<HttpResponse> HttpClient::Get(const std::string& url) { return Perform(url, nullptr, ""); }

Result<HttpResponse> HttpClient::Post(const std::string& url, const std::string& body,
                                      const std::string& content_type) {
  return Perform(url, &body, content_type);
}

Result<HttpResponse> HttpClient::Perform(const std::string& url, const std::string* post_body,
                                         const std::string& content_type) {
  if (handle_->curl == nullptr) return InternalError("libcurl: curl_easy_init failed");
  for (int attempt = 0;; ++attempt) {
    bool retryable = false;
    Result<HttpResponse> response = PerformOnce(url, post_body, content_type, &retryable);
    if (!retryable || attempt >= options_.retries || Stopped()) {
      if (!response.has_value() && retryable && !Stopped()) {
        return response.error().WithPrefix(fmt::format("after {} attempts", attempt + 1));
      }
      return response;
    }
    const double wait_s = BackoffSeconds(options_, attempt);
    if (options_.on_retry) {
      options_.on_retry(response.has_value()
                            ? fmt::format("{}: HTTP {}", RedactUrl(url), response->status)
                            : response.error().message(),
                        wait_s);
    }
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(Milliseconds(wait_s));
    while (std::chrono::steady_clock::now() < until && !Stopped()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (Stopped()) return IoError("{}: interrupted", RedactUrl(url));
  }
}

Result<HttpResponse> HttpClient::PerformOnce(const std::string& url, const std::string* post_body,
                                             const std::string& content_type, bool* retryable) {
  CURL* curl = handle_->curl;
  curl_easy_reset(curl);
  HttpResponse response;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, Milliseconds(options_.timeout_s));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, Milliseconds(options_.connect_timeout_s));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM (our handlers stay)
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip when the server offers it
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "trainscope-minder-watch");
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, AbortWhenStopped);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, options_.stop);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (options_.insecure) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_slist* headers = nullptr;
  if (!options_.header.empty()) headers = curl_slist_append(headers, options_.header.c_str());
  if (post_body != nullptr) {
    headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code == CURLE_ABORTED_BY_CALLBACK) return IoError("{}: interrupted", RedactUrl(url));
  if (code != CURLE_OK) {
    // Connection refused, DNS, timeouts, resets: the next attempt may succeed. TLS
    // verification failures and bad URLs will not.
    *retryable = code != CURLE_URL_MALFORMAT && code != CURLE_UNSUPPORTED_PROTOCOL &&
                 code != CURLE_PEER_FAILED_VERIFICATION && code != CURLE_SSL_CACERT_BADFILE;
    return IoError("{}: {}", RedactUrl(url), curl_easy_strerror(code));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  const char* type = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != nullptr) {
    response.content_type = type;
  }
  *retryable = RetryableStatus(response.status);
  return response;
}

}  // namespace trainscope::live
