// SPDX-License-Identifier: Apache-2.0
// Scoring chosen windows of one channel, and a channel's alerts from only the windows that decide
// them.
//
// ScoreWindows computes, for the windows it is given, the machine scores that ScoreChannel ranks
// (the LSTM-VAE reconstruction with the window's level carried around it, the mean distance of
// each present machine to the others, minus its healthy baseline with a reference) and the
// windows decided by missingness, a few windows at a time, in buffers of a few hundred KB per
// thread instead of whole-channel matrices. A window's scores do not depend on the other windows;
// its ranking does only through the channel's spread floor (SpreadFloor), which is taken from
// every kSpreadFloorStride-th window.
//
// ChannelAlerts gives FindAlerts(grid, ScoreChannel(...), options) while scoring as few windows as
// it can. A healthy job has no alert on any channel, so every call used to score every window of
// every channel: for 1,024 machines and 15 minutes, 6.4 million LSTM-VAE windows and 3.3 billion
// machine pairs. The continuity rule (FindAlerts) makes most of that unnecessary: an alert needs
// one machine X to be a hit in `need` consecutive windows (240), with at most `max_gaps` (12) of
// them not hits. In a ranked window, X can be a hit only if it is the top machine with
// z >= min(threshold, hold) (or the window is decided by X's missingness), or the runner-up with
// z >= hold (FindAlerts' runner-up rule). So if every span of `need` consecutive windows holds
// more than `max_gaps` ranked windows that are not possible hits for X, for every machine X, no
// run reaches `need` windows and the channel has no alert. ChannelAlerts scores the windows that
// give the spread floor first (every 14th, which also leaves 17 in every span of 240), ranks them
// with the exact floor, and then, in the spans this does not settle, every 3rd window and then
// every window; if a span is still not settled (a machine that keeps standing out), it scores the
// rest of the channel and runs FindAlerts on the complete scores, so alerts, their scores and
// margins are those of the full computation. A healthy 1,024-machine channel settles with 64 of
// its 893 windows.
// The settling argument mirrors FindAlerts; window_scores_test checks the two against each other
// (healthy and faulty jobs, missing machines, continuity, gap, threshold and hold settings).
// Thread safety: pure functions; ParallelFor inside.
#pragma once

#include <vector>

#include "minder/detector.h"

namespace trainscope::minder {

// Machine scores of windows `windows` (indices < grid.steps - kWindow + 1) of `channel` into rows
// (*score)[w] (machines entries, NaN = absent, or the window decided by missingness), as
// ScoreChannel ranks them; the windows decided by missingness are recorded in `out` (candidate,
// missing, device), which must be Reset to the channel's window count. Other rows and windows are
// left as they are. Ignores options.distance_backend (this process's threads).
void ScoreWindows(const Grid& grid, size_t channel, const LstmVae* vae,
                  const DetectOptions& options, const std::vector<int>& windows,
                  std::vector<std::vector<float>>* score, ChannelScores* out);

// ScoreChannel(grid, channel, vae, options, keep_machine_scores) without a distance backend,
// through ScoreWindows.
ChannelScores ScoreAllWindows(const Grid& grid, size_t channel, const LstmVae* vae,
                              const DetectOptions& options, bool keep_machine_scores);

// FindAlerts(grid, ScoreChannel(grid, channel, vae, options, false), options), scoring only the
// windows that can change it (see above). `scored` (optional) gets how many windows were scored.
// With options.distance_backend it scores every window through ScoreChannel.
std::vector<Alert> ChannelAlerts(const Grid& grid, size_t channel, const LstmVae* vae,
                                 const DetectOptions& options, int* scored = nullptr);

}  // namespace trainscope::minder
