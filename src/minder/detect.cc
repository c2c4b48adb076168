// SPDX-License-Identifier: Apache-2.0
// One detection call: normalisation, channel priority, the Mahalanobis baseline and references.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <fmt/core.h>

#include "base/parallel.h"
#include "base/stats.h"
#include "minder/detector.h"
#include "minder/window_scores.h"

namespace trainscope::minder {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Channel indices in priority order: the named metrics first (mean, then [min]), then the
// channels with a calibrated threshold, then the rest: a channel nobody calibrated must not decide
// ahead of one that was.
std::vector<size_t> ChannelOrder(const Grid& grid, const std::vector<std::string>& order,
                                 const std::map<std::string, double>& calibrated) {
  std::vector<size_t> out;
  std::vector<uint8_t> used(grid.channels.size(), 0);
  for (const std::string& name : order) {
    for (size_t c = 0; c < grid.channels.size(); ++c) {
      if (!used[c] && (grid.channels[c].metric == name || grid.channels[c].name == name)) {
        out.push_back(c);
        used[c] = 1;
      }
    }
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t c = 0; c < grid.channels.size(); ++c) {
      const bool has_threshold = calibrated.count(grid.channels[c].name) > 0;
      if (!used[c] && has_threshold == (pass == 0)) {
        out.push_back(c);
        used[c] = 1;
      }
    }
  }
  return out;
}

// Blanks (NaN) every second where fewer than `min_present` of the machines have any sample;
// returns how many. A reference learned over seconds that most machines miss would learn the gap.
int BlankSparseSeconds(Grid* grid, double min_present) {
  const size_t T = static_cast<size_t>(grid->steps), M = grid->machines.size();
  int blanked = 0;
  for (size_t t = 0; t < T; ++t) {
    size_t present = 0;
    for (size_t m = 0; m < M; ++m) {
      for (const Channel& ch : grid->channels) {
        if (!std::isnan(ch.values[m * T + t])) {
          ++present;
          break;
        }
      }
    }
    if (static_cast<double>(present) >= min_present * static_cast<double>(M)) continue;
    ++blanked;
    for (Channel& ch : grid->channels) {
      for (size_t m = 0; m < M; ++m) ch.values[m * T + t] = kNaN;
    }
  }
  return blanked;
}

// Role-aware bounds: each machine's own robust range, floored at a tenth of the range across
// the grid so a quiet machine's noise is not blown up.
std::map<std::string, std::map<std::string, std::pair<double, double>>> MachineBounds(const Grid& grid) {
  std::map<std::string, std::map<std::string, std::pair<double, double>>> bounds;
  const size_t T = static_cast<size_t>(grid.steps);
  for (const Channel& ch : grid.channels) {
    Channel all = ch;
    FitBounds(&all);
    const double floor = 0.1 * (all.hi - all.lo);
    for (size_t m = 0; m < grid.machines.size(); ++m) {
      Channel one;
      one.values.assign(ch.values.begin() + static_cast<long>(m * T), ch.values.begin() + static_cast<long>((m + 1) * T));
      FitBounds(&one);
      if (one.hi - one.lo < floor) one.hi = one.lo + floor;
      bounds[ch.name][grid.machines[m]] = {one.lo, one.hi};
    }
  }
  return bounds;
}

// Each machine's median healthy score of one channel into `ref`.
void LearnScoreOffsets(const Grid& grid, const ChannelScores& scores, Reference* ref) {
  for (size_t m = 0; m < grid.machines.size(); ++m) {
    std::vector<float> v;
    for (const auto& row : scores.machine_score) {
      if (!std::isnan(row[m])) v.push_back(row[m]);
    }
    if (v.empty()) continue;
    ref->score_offset[scores.name][grid.machines[m]] = MedianInPlace(std::span<float>(v));
  }
}

const LstmVae* VaeFor(const ModelSet* models, const std::string& metric) {
  if (models == nullptr) return nullptr;
  const MetricModel* m = models->Find(metric);
  return m == nullptr ? nullptr : &m->vae;
}

}  // namespace

void NormaliseGrid(Grid* grid, const Reference* ref) {
  const size_t T = static_cast<size_t>(grid->steps);
  for (Channel& ch : grid->channels) {
    if (ref != nullptr) {
      auto mb = ref->machine_bounds.find(ch.name);
      if (mb != ref->machine_bounds.end()) {
        for (size_t m = 0; m < grid->machines.size(); ++m) {
          auto it = mb->second.find(grid->machines[m]);
          double lo = 0, hi = 1;
          if (it != mb->second.end()) lo = it->second.first, hi = it->second.second;
          NormaliseValues(ch.values.data() + m * T, T, lo, hi);
        }
        continue;
      }
      auto it = ref->bounds.find(ch.name);
      if (it != ref->bounds.end()) {
        ch.lo = it->second.first;
        ch.hi = it->second.second;
        Normalise(&ch);
        continue;
      }
    }
    FitBounds(&ch);
    Normalise(&ch);
  }
}

ChannelScores ScoreMahalanobis(const Grid& grid, const DetectOptions& options) {
  ChannelScores out;
  out.name = "mahalanobis";
  const int machines = static_cast<int>(grid.machines.size());
  const int windows = std::max(0, grid.steps - kWindow + 1);
  const int dims = static_cast<int>(grid.channels.size());
  out.Reset(static_cast<size_t>(windows));
  const std::vector<float> baseline = ScoreBaselines(grid, out.name, options.reference);
  // [window][machine] distance of each machine to its peers (minus its healthy baseline).
  std::vector<std::vector<float>> score(static_cast<size_t>(windows), std::vector<float>(static_cast<size_t>(machines), kNaN));
  ParallelFor(static_cast<size_t>(windows), options.threads, [&](size_t w) {
    // Each machine's vector of window means over all channels.
    std::vector<int> idx;
    std::vector<Eigen::VectorXd> vec;
    for (int m = 0; m < machines; ++m) {
      Eigen::VectorXd v(dims);
      bool ok = true;
      for (int c = 0; c < dims && ok; ++c) {
        double s = 0;
        for (int t = 0; t < kWindow; ++t) {
          float x = grid.At(static_cast<size_t>(c), static_cast<size_t>(m), w + static_cast<size_t>(t));
          if (std::isnan(x)) ok = false;
          s += x;
        }
        v[c] = s / kWindow;
      }
      if (ok) {
        idx.push_back(m);
        vec.push_back(std::move(v));
      }
    }
    const int n = static_cast<int>(idx.size());
    if (n < 3) return;
    // Peers' mean and covariance for each machine by leaving it out of the totals (O(N d^2)
    // per window instead of O(N^2 d^2)).
    Eigen::VectorXd total = Eigen::VectorXd::Zero(dims);
    Eigen::MatrixXd outer = Eigen::MatrixXd::Zero(dims, dims);
    for (const Eigen::VectorXd& v : vec) {
      total += v;
      outer.noalias() += v * v.transpose();
    }
    for (int i = 0; i < n; ++i) {
      const Eigen::VectorXd& own = vec[static_cast<size_t>(i)];
      Eigen::VectorXd mu = (total - own) / (n - 1);
      Eigen::MatrixXd cov = outer - own * own.transpose() - (n - 1) * mu * mu.transpose();
      cov /= std::max(1, n - 2);
      // Shrinkage towards a scaled identity (peers may be fewer than dimensions).
      const double alpha = 0.5;
      double scale = cov.trace() / dims + 1e-3;
      Eigen::MatrixXd shrunk = (1 - alpha) * cov;
      shrunk.diagonal().array() += alpha * scale;
      Eigen::VectorXd d = vec[static_cast<size_t>(i)] - mu;
      float v = static_cast<float>(std::sqrt(std::max(0.0, d.dot(shrunk.ldlt().solve(d)))));
      const size_t m = static_cast<size_t>(idx[static_cast<size_t>(i)]);
      score[w][m] = v - (baseline.empty() ? 0.f : baseline[m]);
    }
  });
  RankWindows(&score, !baseline.empty(), options, &out);
  return out;
}

Verdict VerdictOf(const Detection& detection) {
  if (!detection.alerts.empty()) return Verdict::kFaulty;
  return detection.inconclusive.empty() ? Verdict::kHealthy : Verdict::kInconclusive;
}

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kFaulty: return "faulty";
    case Verdict::kHealthy: return "healthy";
    case Verdict::kInconclusive: return "inconclusive";
  }
  return "inconclusive";
}

namespace {

// The groups a detection compares within: the reference's, the user's, found, or one of all.
std::vector<PeerGroup> GroupsFor(const Grid& grid, const DetectOptions& options) {
  if (options.reference != nullptr && !options.reference->group_of.empty()) {
    std::vector<PeerGroup> groups = GroupsFromMap(grid, options.reference->group_of, options.grouping);
    for (PeerGroup& g : groups) {
      if (g.label == "unassigned") g.reason = "not in a group of the healthy reference (new, or no peers there)";
    }
    return groups;
  }
  if (options.group_of != nullptr) return GroupsFromMap(grid, *options.group_of, options.grouping);
  if (options.find_groups) return FindPeerGroups(grid, options.grouping);
  PeerGroup all;
  all.label = "all";
  for (size_t m = 0; m < grid.machines.size(); ++m) all.machines.push_back(static_cast<int>(m));
  if (static_cast<int>(all.machines.size()) < options.grouping.min_group) {
    all.judged = false;
    all.reason = fmt::format("{} machine(s): too few peers to tell which one differs (need {})",
                             all.machines.size(), options.grouping.min_group);
  }
  return {all};
}

// Drops the channels of `grid` that cannot raise an alert, recording why.
void DropUnusableChannels(Grid* grid, const std::string& group, const DetectOptions& options,
                          std::vector<SkippedChannel>* skipped) {
  std::vector<std::string> reasons(grid->channels.size());  // one channel per thread
  ParallelFor(reasons.size(), options.threads,
              [&](size_t c) { reasons[c] = UnusableChannelReason(*grid, c, options.grouping); });
  std::vector<Channel> kept;
  for (size_t c = 0; c < grid->channels.size(); ++c) {
    std::string& reason = reasons[c];
    if (reason.empty()) {
      kept.push_back(std::move(grid->channels[c]));
    } else {
      skipped->push_back({grid->channels[c].name, group, std::move(reason), {}});
    }
  }
  grid->channels = std::move(kept);
}

// Normalises a group's grid: the reference's bounds, else the group's own (per machine where the
// members' levels differ).
void NormaliseGroup(Grid* grid, const Reference* ref, const GroupingOptions& grouping,
                    std::vector<std::string>* per_machine_scaled) {
  if (ref != nullptr) {
    NormaliseGrid(grid, ref);
    return;
  }
  Reference own;
  own.machine_bounds = GroupBounds(*grid, per_machine_scaled, grouping);
  NormaliseGrid(grid, &own);
}

// True when the alerts' machine was already standing out before or after its runs: in at least
// half of the windows outside them (and there are some) its robust z reaches the hold level, or
// its runs cover the whole pull up to the gap budget. Then nothing in the pull dates the
// difference: a role or a fault older than the pull, not an onset. `runs`: the alerts of one
// machine on one channel; `scores` with machine_score.
bool NoOnset(const std::vector<Alert>& runs, const Grid& grid, const ChannelScores& scores, const DetectOptions& options) {
  if (runs.empty() || runs[0].missing) return false;
  const int windows = static_cast<int>(scores.machine_score.size());
  const auto machine_it = std::find(grid.machines.begin(), grid.machines.end(), runs[0].machine);
  if (machine_it == grid.machines.end() || windows == 0) return false;
  const size_t m = static_cast<size_t>(machine_it - grid.machines.begin());
  const int slack = static_cast<int>(options.gap_tolerance * std::max(1, options.continuity_windows)) + 1;
  std::vector<uint8_t> inside(static_cast<size_t>(windows), 0);
  for (const Alert& a : runs) {
    const int first = static_cast<int>((a.start_ns - grid.t0_ns) / model::kNanosPerSecond);
    const int last = static_cast<int>((a.end_ns - grid.t0_ns) / model::kNanosPerSecond) - kWindow;
    for (int w = std::max(0, first - slack); w <= std::min(windows - 1, last + slack); ++w) inside[static_cast<size_t>(w)] = 1;
  }
  const double hold = std::min(1.0, std::max(0.0, options.hold_fraction)) * options.ThresholdFor(scores.name);
  const double floor = SpreadFloor(scores.machine_score, false, options);
  int outside = 0, standing_out = 0;
  std::vector<float> present;
  for (int w = 0; w < windows; ++w) {
    if (inside[static_cast<size_t>(w)]) continue;
    const std::vector<float>& row = scores.machine_score[static_cast<size_t>(w)];
    if (std::isnan(row[m])) continue;
    present.clear();
    for (float x : row) if (!std::isnan(x)) present.push_back(std::fabs(x));
    if (present.size() < 3) continue;
    // The detector's robust z (OutlierTest), of this machine rather than the top one.
    const float z = RobustZ(std::fabs(row[m]), FitRobustScale(present, floor));
    ++outside;
    if (z >= hold) ++standing_out;
  }
  return outside < slack || 2 * standing_out >= outside;
}

// Moves the alerts of one channel whose machine shows no onset into `persistent` (no reference
// only: with one, a departure from the machine's own healthy baseline is the onset).
void SetAsidePersistent(const Grid& grid, const ChannelScores& scores, const DetectOptions& options,
                        std::vector<Alert>* alerts, std::vector<Alert>* persistent) {
  if (options.reference != nullptr || alerts->empty()) return;
  std::map<std::string, std::vector<Alert>> by_machine;
  for (const Alert& a : *alerts) by_machine[a.machine].push_back(a);
  std::vector<Alert> kept;
  for (auto& [machine, runs] : by_machine) {
    std::vector<Alert>& to = NoOnset(runs, grid, scores, options) ? *persistent : kept;
    to.insert(to.end(), runs.begin(), runs.end());
  }
  *alerts = std::move(kept);
}

// Per channel name, the machines flat over the pull in `grid` (raw values), recorded as skipped.
std::map<std::string, std::vector<int>> FlatByChannel(const Grid& grid, const std::string& group,
                                                      const DetectOptions& options,
                                                      std::vector<SkippedChannel>* skipped) {
  std::vector<std::vector<int>> flat_of(grid.channels.size());  // one channel per thread
  ParallelFor(flat_of.size(), options.threads,
              [&](size_t c) { flat_of[c] = FlatMachines(grid, c, options.grouping); });
  std::map<std::string, std::vector<int>> out;
  for (size_t c = 0; c < grid.channels.size(); ++c) {
    std::vector<int>& flat = flat_of[c];
    if (flat.empty()) continue;
    SkippedChannel s{grid.channels[c].name, group,
                     "flat over the whole pull on this machine (a device that carries nothing all along): a level "
                     "gap that never changes cannot be dated, so it is not compared on this channel", {}};
    for (int m : flat) s.machines.push_back(grid.machines[static_cast<size_t>(m)]);
    skipped->push_back(std::move(s));
    out[grid.channels[c].name] = std::move(flat);
  }
  return out;
}

// `grid` without the machines `drop` (sorted indices).
Grid WithoutMachines(const Grid& grid, const std::vector<int>& drop) {
  std::vector<int> keep;
  for (int m = 0; m < static_cast<int>(grid.machines.size()); ++m) {
    if (!std::binary_search(drop.begin(), drop.end(), m)) keep.push_back(m);
  }
  return SelectMachines(grid, keep);
}

// The method over one normalised group grid; `flat`: per channel, machines not compared on it.
void DetectInGroup(const Grid& grid, const ModelSet* models, const DetectOptions& options,
                   const std::map<std::string, std::vector<int>>& flat, Detection* det) {
  if (options.method == Method::kMahalanobis) {
    ChannelScores scores = ScoreMahalanobis(grid, options);
    det->channels_tried.push_back(scores.name);
    std::vector<Alert> alerts = FindAlerts(grid, scores, options);
    SetAsidePersistent(grid, scores, options, &alerts, &det->persistent);
    det->alerts.insert(det->alerts.end(), alerts.begin(), alerts.end());
    return;
  }
  std::vector<std::string>* tried = &det->channels_tried;
  for (size_t c : ChannelOrder(grid, options.metric_order, options.channel_thresholds)) {
    const LstmVae* vae = options.method == Method::kMinder ? VaeFor(models, grid.channels[c].metric) : nullptr;
    const std::string& name = grid.channels[c].name;
    if (std::find(tried->begin(), tried->end(), name) == tried->end()) tried->push_back(name);
    // FindAlerts of the channel's scores, scoring only the windows that decide them.
    auto it = flat.find(name);
    const Grid compared = it == flat.end() ? Grid{} : WithoutMachines(grid, it->second);
    const Grid& used = it == flat.end() ? grid : compared;
    std::vector<Alert> alerts = ChannelAlerts(used, c, vae, options);
    // Rare (something alerted): the full scores tell whether the machine stood out all along.
    if (!alerts.empty() && options.reference == nullptr) {
      SetAsidePersistent(used, ScoreChannel(used, c, vae, options, true), options, &alerts, &det->persistent);
    }
    det->alerts.insert(det->alerts.end(), alerts.begin(), alerts.end());
    if (!alerts.empty() && options.first_channel_decides) break;
  }
}

// Alerts for machines outside every judged group that stop reporting while most of the job
// reports: unreachability needs no peers by role, only the job (a machine the grouping could not
// place, say because it went silent early in the pull, is still named).
std::vector<Alert> UnreachableOutsideGroups(const Grid& grid, const std::vector<PeerGroup>& groups,
                                            const DetectOptions& options) {
  std::vector<uint8_t> outside(grid.machines.size(), 1);
  bool any = false;
  for (const PeerGroup& g : groups) {
    for (int m : g.machines) outside[static_cast<size_t>(m)] = g.judged ? 0 : 1;
  }
  for (uint8_t o : outside) any = any || o;
  const int machines = static_cast<int>(grid.machines.size());
  const int windows = std::max(0, grid.steps - kWindow + 1);
  if (!any || windows == 0 || grid.channels.empty()) return {};
  // A machine has a second when any channel has a value then; a window when it has all 8.
  const size_t T = static_cast<size_t>(grid.steps);
  std::vector<uint8_t> has(static_cast<size_t>(machines) * T, 0);
  for (const Channel& ch : grid.channels) {
    for (size_t i = 0; i < has.size(); ++i) has[i] = has[i] || !std::isnan(ch.values[i]);
  }
  ChannelScores scores;
  scores.name = "no samples";
  scores.Reset(static_cast<size_t>(windows));
  for (int w = 0; w < windows; ++w) {
    int present = 0, first_absent = -1;
    for (int m = 0; m < machines; ++m) {
      bool all = true;
      for (int t = 0; t < kWindow && all; ++t) all = has[static_cast<size_t>(m) * T + static_cast<size_t>(w + t)] != 0;
      if (all) {
        ++present;
      } else if (first_absent < 0) {
        first_absent = m;
      }
    }
    switch (ClassifyWindow(machines, present, options)) {
      case WindowPresence::kMissingMachine:
        scores.candidate[static_cast<size_t>(w)] = first_absent;
        scores.missing[static_cast<size_t>(w)] = 1;
        break;
      case WindowPresence::kMostAbsent: scores.candidate[static_cast<size_t>(w)] = kUnobserved; break;
      default: break;
    }
  }
  std::vector<Alert> alerts = FindAlerts(grid, scores, options);
  alerts.erase(std::remove_if(alerts.begin(), alerts.end(),
                              [&](const Alert& a) {
                                const auto it = std::find(grid.machines.begin(), grid.machines.end(), a.machine);
                                return !outside[static_cast<size_t>(it - grid.machines.begin())];
                              }),
               alerts.end());
  return alerts;
}

}  // namespace

Result<Detection> Detect(Grid grid, const ModelSet* models, const DetectOptions& options) {
  if (options.method == Method::kMinder && (models == nullptr || models->empty())) {
    return FailedPreconditionError("Minder needs trained models (see `trainscope minder train`)");
  }
  Detection det;
  det.windows = std::max(0, grid.steps - kWindow + 1);
  const bool too_few = static_cast<int>(grid.machines.size()) < options.grouping.min_group;
  if (too_few) {
    det.inconclusive.push_back(fmt::format(
        "{} machine(s) with data: peer comparison needs at least {} (only a machine that stops reporting "
        "can still be named)", grid.machines.size(), options.grouping.min_group));
  }
  const int need = kWindow + std::max(1, options.continuity_windows) - 1;
  if (grid.steps < need) {
    det.inconclusive.push_back(fmt::format(
        "{} s of data: a fault must persist for {} windows of {} s ({} s in all) to be told from a transient",
        grid.steps, std::max(1, options.continuity_windows), kWindow, need));
  }
  if (grid.steps < need) return det;
  DetectOptions whole = options;
  whole.find_groups = whole.find_groups && !too_few;
  if (too_few) whole.grouping.min_group = 1;  // one group of all: missingness only
  det.groups = GroupsFor(grid, whole);
  int judged = 0;
  for (PeerGroup& group : det.groups) {
    if (!group.judged) continue;
    Grid sub = SelectMachines(grid, group.machines);
    DropUnusableChannels(&sub, group.label, options, &det.skipped_channels);
    if (sub.channels.empty()) {
      group.judged = false;
      group.reason = "no channel of this group can raise an alert (see skipped_channels)";
      continue;
    }
    ++judged;
    const std::map<std::string, std::vector<int>> flat =
        options.method == Method::kMahalanobis ? std::map<std::string, std::vector<int>>{}
                                               : FlatByChannel(sub, group.label, options, &det.skipped_channels);
    NormaliseGroup(&sub, options.reference, options.grouping, &group.per_machine_scaled);
    DetectInGroup(sub, models, options, flat, &det);
  }
  if (!too_few) {
    std::vector<Alert> unreachable = UnreachableOutsideGroups(grid, det.groups, options);
    det.alerts.insert(det.alerts.end(), unreachable.begin(), unreachable.end());
  }
  std::set<std::pair<std::string, std::string>> said;  // a machine's runs on one channel: one reason
  for (const Alert& a : det.persistent) {
    if (!said.insert({a.machine, a.metric}).second) continue;
    det.inconclusive.push_back(fmt::format(
        "machine {} differs from its peers on {} all through the pull (mean robust z {:.1f} in its runs, and it "
        "stands out outside them too: no onset seen): a role difference or a fault older than the pull; a healthy "
        "reference (--reference) tells which",
        a.machine, a.metric, a.score));
  }
  if (judged == 0 && !too_few) {
    det.inconclusive.push_back(fmt::format(
        "no group of at least {} machines that behave alike and have a channel that varies: nothing to compare",
        options.grouping.min_group));
  }
  return det;
}

Reference LearnReference(Grid grid, const ModelSet* models, const DetectOptions& options,
                         bool per_machine_bounds) {
  Reference ref;
  ref.seconds = grid.steps;
  ref.excluded_seconds = BlankSparseSeconds(&grid, options.min_present_fraction);
  DetectOptions plain = options;
  plain.reference = nullptr;
  for (const PeerGroup& group : GroupsFor(grid, plain)) {
    if (!group.judged) continue;
    Grid sub = SelectMachines(grid, group.machines);
    for (const std::string& m : sub.machines) ref.group_of[m] = group.label;
    Reference own;
    if (per_machine_bounds) {
      own.machine_bounds = MachineBounds(sub);
    } else {
      std::vector<std::string> scaled;
      own.machine_bounds = GroupBounds(sub, &scaled, options.grouping);
    }
    for (auto& [channel, per_machine] : own.machine_bounds) {
      ref.machine_bounds[channel].insert(per_machine.begin(), per_machine.end());
    }
    if (options.method == Method::kMahalanobis) continue;  // the baseline uses the bounds only
    NormaliseGrid(&sub, &own);
    for (size_t c = 0; c < sub.channels.size(); ++c) {
      const LstmVae* vae = options.method == Method::kMinder ? VaeFor(models, sub.channels[c].metric) : nullptr;
      LearnScoreOffsets(sub, ScoreChannel(sub, c, vae, plain, true), &ref);
    }
  }
  return ref;
}

}  // namespace trainscope::minder
