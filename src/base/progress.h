// SPDX-License-Identifier: Apache-2.0
// Progress: a one-line progress indicator on stderr, drawn only when stderr is a terminal
// (never in pipes, CI logs or --json runs). Thread safety: Advance() may be called from many
// threads; drawing is rate-limited to ~10 Hz.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace trainscope {

// True when stderr is a TTY and progress was not disabled (--quiet / TRAINSCOPE_NO_PROGRESS).
bool ProgressEnabled();
void SetProgressEnabled(bool enabled);

class Progress {
 public:
  // `total` = 0 means unknown (a counter is shown instead of a percentage).
  Progress(std::string label, int64_t total, std::string unit = "");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Advance(int64_t delta = 1);
  void Finish();  // clears the line

 private:
  void Draw(bool force);

  std::string label_;
  std::string unit_;
  int64_t total_;
  std::atomic<int64_t> done_{0};
  bool enabled_;
  bool finished_ = false;
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace trainscope
