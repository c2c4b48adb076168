// SPDX-License-Identifier: Apache-2.0
// Terminal progress line.
#include "base/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace trainscope {
namespace {
std::atomic<int> g_progress_override{-1};  // -1: auto, 0: off, 1: on (if TTY)
}  // namespace

bool ProgressEnabled() {
  if (g_progress_override.load() == 0) return false;
  if (std::getenv("TRAINSCOPE_NO_PROGRESS") != nullptr) return false;
  return isatty(STDERR_FILENO) == 1;
}

void SetProgressEnabled(bool enabled) { g_progress_override.store(enabled ? 1 : 0); }

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      enabled_(ProgressEnabled()) {
  Draw(true);
}

Progress::~Progress() { Finish(); }

void Progress::Advance(int64_t delta) {
  done_.fetch_add(delta, std::memory_order_relaxed);
  if (enabled_) Draw(false);
}

void Progress::Finish() {
  if (!enabled_ || finished_) return;
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

void Progress::Draw(bool force) {
  if (!enabled_) return;
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  int64_t done = done_.load(std::memory_order_relaxed);
  if (total_ > 0) {
    std::fprintf(stderr, "\r\033[K%s: %3d%% (%lld/%lld%s%s)", label_.c_str(),
                 static_cast<int>(100 * done / total_), static_cast<long long>(done),
                 static_cast<long long>(total_), unit_.empty() ? "" : " ", unit_.c_str());
  } else {
    std::fprintf(stderr, "\r\033[K%s: %lld%s%s", label_.c_str(), static_cast<long long>(done),
                 unit_.empty() ? "" : " ", unit_.c_str());
  }
  std::fflush(stderr);
}

}  // namespace trainscope
