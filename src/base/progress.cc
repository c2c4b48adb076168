// SPDX-License-Identifier: Apache-2.0
// Terminal progress line: share done, rate and ETA (or count and time spent), redrawn by a
// ticker thread while stderr is a terminal.
#include "base/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace trainscope {
namespace {
std::atomic<int> g_progress_override{-1};  // -1: auto, 0: off, 1: on (if TTY)

// Items per second with 2-3 significant digits ("3.1/s", "120/s", "0.25/s").
std::string Rate(double per_s) {
  if (per_s >= 10) return fmt::format("{:.0f}/s", per_s);
  if (per_s >= 1) return fmt::format("{:.1f}/s", per_s);
  return fmt::format("{:.2g}/s", per_s);
}
}  // namespace

bool ProgressEnabled() {
  if (g_progress_override.load() == 0) return false;
  if (std::getenv("TRAINSCOPE_NO_PROGRESS") != nullptr) return false;
  return isatty(STDERR_FILENO) == 1;
}

void SetProgressEnabled(bool enabled) { g_progress_override.store(enabled ? 1 : 0); }

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  const int64_t s = std::llround(seconds);
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {:02} s", s / 60, s % 60);
  return fmt::format("{} h {:02} min", s / 3600, (s % 3600) / 60);
}

std::string FormatProgressLine(const std::string& label, int64_t done, int64_t total,
                               const std::string& unit, double elapsed_s) {
  const std::string space_unit = unit.empty() ? "" : " " + unit;
  // A rate needs something done and a moment of time to mean anything.
  const bool rated = done > 0 && elapsed_s >= 0.5;
  const double per_s = rated ? static_cast<double>(done) / elapsed_s : 0;
  if (total > 0) {
    const int64_t shown = std::min(done, total);
    std::string line =
        fmt::format("{}: {}% ({}/{}{}", label, 100 * shown / total, shown, total, space_unit);
    if (rated) {
      const double left_s = static_cast<double>(total - shown) / per_s;
      line += fmt::format(", {}, ETA {}", Rate(per_s), FormatDuration(left_s));
    } else {
      line += fmt::format(", {} spent", FormatDuration(elapsed_s));
    }
    return line + ")";
  }
  if (done == 0) return fmt::format("{}: running, {}", label, FormatDuration(elapsed_s));
  return fmt::format("{}: {}{} ({}{}, {})", label, done, space_unit, rated ? Rate(per_s) : "",
                     rated ? "" : "starting", FormatDuration(elapsed_s));
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(ProgressEnabled()),
      start_(std::chrono::steady_clock::now()) {
  if (!enabled_) return;
  Draw(true);
  ticker_ = std::thread([this] { Tick(); });
}

Progress::~Progress() { Finish(); }

void Progress::Advance(int64_t delta) {
  done_.fetch_add(delta, std::memory_order_relaxed);
  if (enabled_) Draw(false);
}

void Progress::Tick() {
  std::unique_lock<std::mutex> lock(ticker_mu_);
  while (!ticker_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
    Draw(true);
  }
}

void Progress::Finish() {
  if (!enabled_) return;
  {
    std::lock_guard<std::mutex> lock(ticker_mu_);
    stop_ = true;
  }
  ticker_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
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
  const double elapsed_s = std::chrono::duration<double>(now - start_).count();
  const std::string line =
      FormatProgressLine(label_, done_.load(std::memory_order_relaxed), total_, unit_, elapsed_s);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

}  // namespace trainscope
