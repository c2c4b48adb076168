// SPDX-License-Identifier: Apache-2.0
// Progress: a one-line progress indicator on stderr, drawn only when stderr is a terminal
// (never in pipes, CI logs or --json/--quiet runs). With a known total it shows the share done,
// the rate and the time left; with an unknown total, the count and the time spent. A ticker
// thread (started only when drawing) redraws every second, so the time spent and the ETA move
// while one long item runs. Thread safety: Advance() may be called from many threads; drawing is
// rate-limited to ~10 Hz.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace trainscope {

// True when stderr is a TTY and progress was not disabled (--quiet / TRAINSCOPE_NO_PROGRESS).
bool ProgressEnabled();
void SetProgressEnabled(bool enabled);

// The text of a progress line (without the terminal control codes), e.g.
//   "minder eval: scoring 42% (21/50 recordings, 3.1/s, ETA 9 s)"
//   "what-if analysis: running, 3 s"
// `total` 0 = unknown; `elapsed_s` since the start. Rate and ETA appear once something is done.
std::string FormatProgressLine(const std::string& label, int64_t done, int64_t total,
                               const std::string& unit, double elapsed_s);

// "9 s", "3 min 05 s", "2 h 07 min".
std::string FormatDuration(double seconds);

class Progress {
 public:
  // `total` = 0 means unknown (a counter and the time spent are shown instead of a percentage).
  Progress(std::string label, int64_t total, std::string unit = "");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Advance(int64_t delta = 1);
  void Finish();  // stops the ticker and clears the line

 private:
  void Draw(bool force);
  void Tick();

  std::string label_;
  std::string unit_;
  int64_t total_;
  std::atomic<int64_t> done_{0};
  bool enabled_;
  bool finished_ = false;
  std::mutex mu_;  // drawing
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
  std::mutex ticker_mu_;
  std::condition_variable ticker_cv_;
  bool stop_ = false;
  std::thread ticker_;
};

}  // namespace trainscope
