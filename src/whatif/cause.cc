// SPDX-License-Identifier: Apache-2.0
// ClassifyCause: worker-cell replays, pattern tests and evidence strings (thresholds in cause.h).
#include "whatif/cause.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>

#include "base/check.h"
#include "base/stats.h"
#include "whatif/replay_batch.h"

namespace trainscope::whatif {

std::string_view PatternName(Pattern p) {
  switch (p) {
    case Pattern::kNone:
      return "none";
    case Pattern::kInconclusive:
      return "inconclusive";
    case Pattern::kOneSlowWorker:
      return "one_slow_worker";
    case Pattern::kStageImbalance:
      return "stage_imbalance";
    case Pattern::kSequenceLength:
      return "sequence_length_imbalance";
    case Pattern::kHostBound:
      return "host_bound";
    case Pattern::kWorkImbalance:
      return "work_imbalance";
    case Pattern::kStartSkew:
      return "start_skew";
    case Pattern::kSlowCommunication:
      return "slow_communication";
    case Pattern::kGcPause:
      return "gc_pause";
  }
  return "none";
}

std::string_view PersistenceName(Persistence p) {
  switch (p) {
    case Persistence::kPersistent:
      return "persistent";
    case Persistence::kVaries:
      return "varies";
    case Persistence::kUnknown:
      return "unknown";
  }
  return "unknown";
}

bool IsGpuSide(Pattern p) {
  return p != Pattern::kNone && p != Pattern::kInconclusive && p != Pattern::kHostBound &&
         p != Pattern::kStartSkew;
}

bool Cause::Names(Pattern p) const {
  if (pattern == p) return true;
  return std::any_of(secondary.begin(), secondary.end(),
                     [p](const Finding& f) { return f.pattern == p; });
}

double ForwardBackwardCorrelation(const ReplayModel& m) {
  if (!m.has_microbatches() || !m.has_stages()) return std::numeric_limits<double>::quiet_NaN();
  // Key: (step index, dp, stage, chunk, microbatch); value: forward and backward durations.
  struct Pair {
    double fwd = -1, bwd = -1;
    int32_t group = 0;  // (dp, stage, chunk) for the mean removal
  };
  std::unordered_map<uint64_t, Pair> pairs;
  std::unordered_map<uint64_t, int32_t> group_of;
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    if (m.phase[i] == Phase::kNone || m.microbatch[i] < 0) continue;
    const int32_t w = m.worker[i];
    uint64_t g = (static_cast<uint64_t>(m.dp_rank_of(w)) << 40) |
                 (static_cast<uint64_t>(m.stage_of(w)) << 20) |
                 static_cast<uint64_t>(static_cast<int64_t>(m.chunk[i]) + 1);
    auto [git, inserted] = group_of.emplace(g, static_cast<int32_t>(group_of.size()));
    uint64_t key = (g * 1315423911ULL) ^ (static_cast<uint64_t>(m.step_index[i]) << 32) ^
                   static_cast<uint64_t>(m.microbatch[i]);
    Pair& p = pairs[key];
    p.group = git->second;
    (m.phase[i] == Phase::kForward ? p.fwd : p.bwd) = static_cast<double>(m.dur_ns[i]);
  }
  const size_t groups = group_of.size();
  std::vector<double> fsum(groups, 0), bsum(groups, 0), cnt(groups, 0);
  for (const auto& [key, p] : pairs) {
    if (p.fwd < 0 || p.bwd < 0) continue;
    fsum[p.group] += p.fwd;
    bsum[p.group] += p.bwd;
    cnt[p.group] += 1;
  }
  double sxx = 0, syy = 0, sxy = 0;
  size_t n = 0;
  for (const auto& [key, p] : pairs) {
    if (p.fwd < 0 || p.bwd < 0) continue;
    double x = p.fwd - fsum[p.group] / cnt[p.group];
    double y = p.bwd - bsum[p.group] / cnt[p.group];
    sxx += x * x;
    syy += y * y;
    sxy += x * y;
    ++n;
  }
  if (n < 3 || sxx <= 0 || syy <= 0) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

namespace {

// base/stats.h Median, 0 for none (no peers: nothing to compare against).
double MedianOf(std::vector<double> v) { return v.empty() ? 0 : Median(std::move(v)); }

// "rank 3 (1.2 ms/step), rank 5 (0.8 ms/step)": the workers with most of `per_worker`.
std::string TopWorkers(const ReplayModel& m, const std::vector<double>& per_worker_ns,
                       size_t count) {
  std::vector<int32_t> order(per_worker_ns.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return per_worker_ns[a] > per_worker_ns[b]; });
  std::string out;
  for (size_t k = 0; k < count && k < order.size() && per_worker_ns[order[k]] > 0; ++k) {
    out += fmt::format("{}rank {} ({:.2f} ms/step)", k ? ", " : "", m.worker_rank[order[k]],
                       per_worker_ns[order[k]] / m.num_steps() * 1e-6);
  }
  return out;
}

// "cudaStreamSynchronize 6.6 ms": the CPU events behind a category over all ranks.
std::string TopOps(const ReplayModel& m,
                   std::vector<std::pair<std::string, int64_t>> HostTime::*ops) {
  std::map<std::string, int64_t> by_name;
  for (const HostTime& h : m.host)
    for (const auto& [name, ns] : h.*ops) by_name[name] += ns;
  std::vector<std::pair<std::string, int64_t>> v(by_name.begin(), by_name.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (size_t k = 0; k < v.size() && k < 2; ++k)
    out += fmt::format("{}'{}' {:.2f} ms/step", k ? ", " : "", v[k].first,
                       static_cast<double>(v[k].second) / m.num_steps() * 1e-6);
  return out;
}

// Kineto: the GPU idle time of the ranks' traced windows by what the CPU was doing.
std::string HostBreakdown(const ReplayModel& m, Cause& c) {
  double window = 0, idle = 0;
  const size_t workers = m.host.size();
  std::vector<double> data(workers), sync(workers), launch(workers), framework(workers);
  for (size_t w = 0; w < workers; ++w) {
    const HostTime& h = m.host[w];
    window += static_cast<double>(h.window_ns);
    idle += static_cast<double>(h.idle_ns);
    data[w] = static_cast<double>(h.data_loading_ns);
    sync[w] = static_cast<double>(h.sync_ns);
    launch[w] = static_cast<double>(h.launch_ns);
    framework[w] = static_cast<double>(h.framework_ns);
  }
  auto sum = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); };
  auto share = [&](const std::vector<double>& v) { return idle > 0 ? sum(v) / idle : 0; };
  c.metrics.emplace_back("gpu_idle_share", window > 0 ? idle / window : 0);
  c.metrics.emplace_back("idle_data_loading_share", share(data));
  c.metrics.emplace_back("idle_sync_share", share(sync));
  c.metrics.emplace_back("idle_launch_share", share(launch));
  c.metrics.emplace_back("idle_framework_share", share(framework));
  std::string out = fmt::format(
      "inside the ranks' traced windows the GPU idles {:.0f}% of the time; of that idle time: ",
      window > 0 ? 100 * idle / window : 0);
  struct Part {
    const char* what;
    const std::vector<double>* per_worker;
    std::vector<std::pair<std::string, int64_t>> HostTime::*ops;
  };
  const Part parts[] = {{"data loading / H2D copies", &data, &HostTime::data_loading_ops},
                        {"blocking syncs", &sync, nullptr},
                        {"CPU launch calls and launch latency", &launch, nullptr},
                        {"Python / framework CPU time", &framework, nullptr}};
  double blocked = 0;
  std::vector<double> blocked_per_worker(workers);
  for (size_t w = 0; w < workers; ++w) {
    blocked_per_worker[w] = static_cast<double>(m.host[w].blocked_ns);
    blocked += blocked_per_worker[w];
  }
  c.metrics.emplace_back("cpu_blocked_s_per_step", blocked * 1e-9 / m.num_steps());
  bool first = true;
  for (const Part& part : parts) {
    if (share(*part.per_worker) < 0.01) continue;
    out += fmt::format("{}{} {:.0f}% ({}{})", first ? "" : "; ", part.what,
                       100 * share(*part.per_worker), TopWorkers(m, *part.per_worker, 2),
                       part.ops != nullptr ? "; " + TopOps(m, part.ops) : std::string());
    first = false;
  }
  if (blocked > 0) {
    out += fmt::format(
        "; the CPUs sat in blocking syncs for {:.2f} ms per step summed over the ranks ({}; {}), "
        "GPU busy or not: meanwhile they could not queue work ahead",
        blocked * 1e-6 / m.num_steps(), TopWorkers(m, blocked_per_worker, 2),
        TopOps(m, &HostTime::sync_ops));
  }
  return out;
}

// Host-bound: the in-window gaps between GPU ops (the GPU waits for the host), with what the
// host was doing (Kineto) or the workers holding the gaps (op tables).
void FindHostBound(const ReplayModel& m, const WhatIfResult& r, const CauseThresholds& th, Cause& c,
                   std::vector<Finding>& found) {
  const int32_t workers = m.num_workers(), num_steps = m.num_steps();
  const double host_excess = r.host_slowdown - 1;
  c.metrics.emplace_back("host_slowdown", r.host_slowdown);
  c.metrics.emplace_back("launch_wait_share", r.launch_wait_share);
  std::vector<double> per_worker(workers, 0);
  double gc_ns = 0;
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    per_worker[m.worker[i]] +=
        static_cast<double>(std::max<int64_t>(0, m.launch_delay_ns[i] - m.entry_delay_ns[i]));
    if (m.input == InputKind::kOpTable && m.op_names[m.op_name[i]] == "gc")
      gc_ns += static_cast<double>(m.dur_ns[i]);
  }
  const double total = std::accumulate(per_worker.begin(), per_worker.end(), 0.0);
  std::vector<double> sorted = per_worker;
  std::sort(sorted.rbegin(), sorted.rend());
  const int32_t quarter = std::max(1, (workers + 3) / 4);
  const double top = std::accumulate(sorted.begin(), sorted.begin() + quarter, 0.0);
  const double share = total > 0 ? top / total : 0;
  c.metrics.emplace_back("launch_delay_top_quarter_share", share);
  std::string breakdown;
  if (!m.host.empty()) breakdown = HostBreakdown(m, c);
  if (host_excess < th.launch_excess) return;
  // Kineto: gaps on one stream while the GPU runs other streams (collectives waiting for a peer,
  // copies) are not the host's doing: the GPU must idle too.
  double window = 0, idle = 0;
  for (const HostTime& h : m.host) {
    window += static_cast<double>(h.window_ns);
    idle += static_cast<double>(h.idle_ns);
  }
  if (!m.host.empty() && (window <= 0 || idle / window < th.launch_excess)) return;
  std::string detail;
  if (!m.host.empty()) {
    detail = breakdown;
  } else {
    detail = fmt::format(
        "the top quarter of workers hold {:.0f}% of the gap time: {}; gc ops take {:.1f} ms per "
        "step in total",
        share * 100, TopWorkers(m, per_worker, static_cast<size_t>(quarter)),
        gc_ns / num_steps * 1e-6);
  }
  found.push_back(
      {Pattern::kHostBound, host_excess,
       fmt::format("host-bound: inside the traced window the GPU waits for the host; the gaps "
                   "between GPU ops make the step {:.2f}x the GPU work alone (threshold {:.2f}); "
                   "{}",
                   r.host_slowdown, 1 + th.launch_excess, detail)});
}

// Start skew: ranks entered the traced step at different times; the gaps before their entry
// happened before their traced window.
void FindStartSkew(const ReplayModel& m, const WhatIfResult& r, const CauseThresholds& th, Cause& c,
                   std::vector<Finding>& found) {
  if (m.host.empty()) return;
  const int32_t num_steps = m.num_steps();
  double measured = 0;
  for (double t : r.step_time_s) measured += t / num_steps;
  const double share = measured > 0 ? r.start_skew_s / measured : 0;
  std::vector<double> entry(m.host.size());
  for (size_t w = 0; w < m.host.size(); ++w) entry[w] = static_cast<double>(m.host[w].entry_ns);
  const double max_entry = *std::max_element(entry.begin(), entry.end()) / num_steps;
  c.metrics.emplace_back("start_skew_s", r.start_skew_s);
  c.metrics.emplace_back("start_skew_share", share);
  c.metrics.emplace_back("max_entry_skew_s", max_entry * 1e-9);
  if (share < th.start_skew_share) return;
  // Impact on the no-gap step's scale, comparable with host_bound's.
  double nodelay = 0;
  for (double t : r.step_nodelay_s) nodelay += t / num_steps;
  found.push_back(
      {Pattern::kStartSkew, nodelay > 0 ? r.start_skew_s / nodelay : 0,
       fmt::format(
           "start skew: the ranks entered the traced step up to {:.2f} ms apart (last: {}); the "
           "waits before their entry add {:.2f} ms ({:.0f}%) to the measured step, but happened "
           "before those ranks' traced window (in the untraced step before it, or before "
           "ProfilerStep began), so nothing inside the trace explains them and no rank is "
           "blamed; trace more steps to see what precedes them",
           max_entry * 1e-6, TopWorkers(m, entry, 3), r.start_skew_s * 1e3, share * 100)});
}

// Attributed excess (S_X - 1) by op class role.
struct Excess {
  double all = 0, comm = 0, compute = 0;
};

Excess AttributedExcess(const ReplayModel& m, const WhatIfResult& r) {
  Excess e;
  for (const Attribution& a : r.by_op_class) {
    const double x = std::max(0.0, a.slowdown - 1);
    e.all += x;
    const GroupRole role = m.group_roles[static_cast<size_t>(a.key)];
    if (role == GroupRole::kComm) e.comm += x;
    if (role == GroupRole::kCompute) e.compute += x;
  }
  return e;
}

void FindSlowCommunication(const WhatIfResult& r, const Excess& e, const CauseThresholds& th,
                           Cause& c, std::vector<Finding>& found) {
  const double comm_share = e.all > 0 ? e.comm / e.all : 0;
  c.metrics.emplace_back("comm_share_of_excess", comm_share);
  c.metrics.emplace_back("comm_excess", e.comm);
  c.metrics.emplace_back("total_excess", e.all);
  if (r.slowdown - 1 >= th.min_excess && comm_share >= th.comm_share && e.comm >= th.min_excess) {
    found.push_back({Pattern::kSlowCommunication, e.comm,
                     fmt::format("communication op classes carry {:.0f}% of the attributed "
                                 "excess ({:.3f} of {:.3f}; threshold {:.0f}%)",
                                 comm_share * 100, e.comm, e.all, 100 * th.comm_share)});
  }
}

// How microbatch compute times (forward + backward) spread between the microbatches of one (DP
// rank, stage, chunk), which is what sequence-length cost varies: their coefficient of variation
// around the group's mean, and their share of the whole spread (a slow worker or stage shifts a
// whole group instead). NaN when there are fewer than 3 microbatches.
struct MicrobatchSpread {
  double within_cv = std::numeric_limits<double>::quiet_NaN();
  double within_share = std::numeric_limits<double>::quiet_NaN();
};

MicrobatchSpread WithinGroupSpread(const ReplayModel& m) {
  std::unordered_map<uint64_t, std::pair<uint64_t, double>> work;  // key -> (group, F + B)
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    if (m.phase[i] == Phase::kNone || m.microbatch[i] < 0) continue;
    const int32_t w = m.worker[i];
    const uint64_t g = (static_cast<uint64_t>(m.dp_rank_of(w)) << 40) |
                       (static_cast<uint64_t>(m.stage_of(w)) << 20) |
                       static_cast<uint64_t>(static_cast<int64_t>(m.chunk[i]) + 1);
    const uint64_t key = (g * 1315423911ULL) ^ (static_cast<uint64_t>(m.step_index[i]) << 32) ^
                         static_cast<uint64_t>(m.microbatch[i]);
    auto& entry = work[key];
    entry.first = g;
    entry.second += static_cast<double>(m.dur_ns[i]);
  }
  std::unordered_map<uint64_t, std::pair<double, double>> group;  // sum, count
  double sum = 0;
  for (const auto& [key, v] : work) {
    auto& s = group[v.first];
    s.first += v.second;
    s.second += 1;
    sum += v.second;
  }
  MicrobatchSpread out;
  if (work.size() < 3) return out;
  const double mean = sum / static_cast<double>(work.size());
  double within = 0, total = 0, relative = 0;
  for (const auto& [key, v] : work) {
    const auto& s = group[v.first];
    const double group_mean = s.first / s.second;
    within += (v.second - group_mean) * (v.second - group_mean);
    total += (v.second - mean) * (v.second - mean);
    if (group_mean > 0) relative += (v.second / group_mean - 1) * (v.second / group_mean - 1);
  }
  out.within_cv = std::sqrt(relative / static_cast<double>(work.size()));
  if (total > 0) out.within_share = within / total;
  return out;
}

void FindSequenceLength(const ReplayModel& m, const WhatIfResult& r, const Excess& e,
                        const CauseThresholds& th, Cause& c, std::vector<Finding>& found) {
  const double corr = ForwardBackwardCorrelation(m);
  const MicrobatchSpread spread = WithinGroupSpread(m);
  c.metrics.emplace_back("forward_backward_correlation", corr);
  c.metrics.emplace_back("microbatch_cv", spread.within_cv);
  c.metrics.emplace_back("microbatch_within_share", spread.within_share);
  const int32_t num_steps = m.num_steps();
  int32_t top_dp_changes = 0;
  auto top_of = [&](int32_t step) {
    int32_t best = 0;
    for (int32_t d = 1; d < static_cast<int32_t>(r.by_dp_rank.size()); ++d)
      if (r.by_dp_rank[d].per_step[step] > r.by_dp_rank[best].per_step[step]) best = d;
    return best;
  };
  for (int32_t s = 1; s < num_steps && !r.by_dp_rank.empty(); ++s)
    top_dp_changes += top_of(s) != top_of(s - 1);
  // Microbatches must differ by more than noise (kMinMicrobatchCv), and the finding carries only
  // the share of the compute excess that their spread can: a slow worker or stage shifts whole
  // groups and is the heatmap's finding.
  constexpr double kMinMicrobatchCv = 0.05;
  const double impact =
      std::isfinite(spread.within_share) ? e.compute * spread.within_share : e.compute;
  if (std::isfinite(corr) && corr >= th.fb_correlation && spread.within_cv >= kMinMicrobatchCv &&
      e.compute >= th.min_excess) {
    found.push_back(
        {Pattern::kSequenceLength, impact,
         fmt::format(
             "forward and backward compute of the same microbatch vary together (correlation "
             "{:.2f} >= {:.1f}), as sequence-length cost does, and differ by {:.0f}% (cv) "
             "within one DP rank and stage ({:.0f}% of the whole spread; the rest is between "
             "workers or stages); compute carries S-1 = {:.3f}; the slowest DP rank changes in "
             "{} of {} step transitions",
             corr, th.fb_correlation, spread.within_cv * 100, spread.within_share * 100, e.compute,
             top_dp_changes, std::max(0, num_steps - 1))});
  }
}

// GC pauses: the op tables' gc ops (Python garbage collection between steps; OSDI'25 section 6
// found them a common straggler cause, fixed by collecting on a schedule on every rank at once).
void FindGcPause(const ReplayModel& m, const WhatIfResult& r, const CauseThresholds& th,
                 std::vector<Finding>& found) {
  const Attribution* gc = nullptr;
  for (const Attribution& a : r.by_op_class)
    if (a.label == "gc") gc = &a;
  if (gc == nullptr || gc->slowdown - 1 < th.min_excess) return;
  std::vector<double> per_worker(static_cast<size_t>(m.num_workers()), 0);
  double total = 0;
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    if (m.op_names[m.op_name[i]] != "gc") continue;
    per_worker[static_cast<size_t>(m.worker[i])] += static_cast<double>(m.dur_ns[i]);
    total += static_cast<double>(m.dur_ns[i]);
  }
  found.push_back(
      {Pattern::kGcPause, gc->slowdown - 1,
       fmt::format("garbage-collection pauses: with only the gc ops real the job runs {:.3f}x "
                   "its ideal; gc takes {:.1f} ms per step over all workers, most on {}; a "
                   "pause on one worker stalls every peer that waits for it (collect on a "
                   "schedule, on all ranks at once)",
                   gc->slowdown, total / std::max(1, m.num_steps()) * 1e-6,
                   TopWorkers(m, per_worker, 2))});
}

// A heatmap candidate: one slow worker (a hot cell) or one slow stage (a stripe).
struct Candidate {
  Pattern pattern;
  int32_t worker = -1, stage = -1, phase = -1;  // phase: 0 forward, 1 backward (stripes)
  double ratio = 1;                             // evidence
  std::vector<double> scale;         // per worker: divide its forward (or all) compute by it
  std::vector<double> scale_bwd;     // per worker: the same for backward compute
  std::vector<int32_t> impact_rows;  // rows kept real for the impact replay
  bool single_peer = false;          // compared with one other worker only
};

// Compute time per worker, forward (or phase-less) and backward, with op counts.
struct ComputeSums {
  std::vector<double> fwd, bwd, fwd_n, bwd_n;
};

ComputeSums SumCompute(const ReplayModel& m) {
  const int32_t workers = m.num_workers();
  ComputeSums c{std::vector<double>(workers, 0), std::vector<double>(workers, 0),
                std::vector<double>(workers, 0), std::vector<double>(workers, 0)};
  for (int32_t i = 0; i < m.num_nodes(); ++i) {
    if (m.role_of(i) != GroupRole::kCompute) continue;
    const int32_t w = m.worker[i];
    const bool bwd = m.phase[i] == Phase::kBackward;
    (bwd ? c.bwd : c.fwd)[w] += static_cast<double>(m.dur_ns[i]);
    (bwd ? c.bwd_n : c.fwd_n)[w] += 1;
  }
  return c;
}

// Workers that run more GPU ops per step than the median worker (Kineto: the op tables' template
// gives every worker the same ops).
std::vector<uint8_t> MoreWork(const ReplayModel& m, const CauseThresholds& th) {
  std::vector<uint8_t> more(m.num_workers(), 0);
  if (m.worker_ops_per_step.size() < 2) return more;
  const double median = MedianOf(m.worker_ops_per_step);
  for (int32_t w = 0; w < m.num_workers(); ++w) {
    const double ops = m.worker_ops_per_step[w];
    more[w] = ops >= median * th.work_ratio && ops >= median + th.min_extra_ops;
  }
  return more;
}

// Uneven work: its cost is the flagged ranks' extra compute over the median rank's, as a share
// of the no-gap step they hold up (their ops are at their own ideal, so "alone" cannot see it).
void FindWorkImbalance(const ReplayModel& m, const WhatIfResult& r,
                       const std::vector<uint8_t>& more, const CauseThresholds& th, Cause& c,
                       std::vector<Finding>& found) {
  if (m.worker_ops_per_step.empty()) return;
  const double median_ops = MedianOf(m.worker_ops_per_step);
  const double median_compute = MedianOf(r.worker_compute_s);
  double nodelay = 0;
  for (double t : r.step_nodelay_s) nodelay += t / static_cast<double>(r.step_nodelay_s.size());
  std::string ranks;
  double extra_max = 0;
  int32_t count = 0;
  for (int32_t w = 0; w < m.num_workers(); ++w) {
    if (!more[w]) continue;
    ++count;
    const double extra = std::max(0.0, r.worker_compute_s[w] - median_compute);
    extra_max = std::max(extra_max, extra);
    ranks += fmt::format("{}rank {} ({:.0f} ops, +{:.0f}; {:.3f} ms compute, +{:.3f} ms)",
                         ranks.empty() ? "" : ", ", m.worker_rank[w], m.worker_ops_per_step[w],
                         m.worker_ops_per_step[w] - median_ops, r.worker_compute_s[w] * 1e3,
                         extra * 1e3);
  }
  const double impact = nodelay > 0 ? extra_max / nodelay : 0;
  c.metrics.emplace_back("work_imbalance_ranks", count);
  c.metrics.emplace_back("work_imbalance_cost", impact);
  if (count == 0 || impact < th.min_impact) return;
  found.push_back(
      {Pattern::kWorkImbalance, impact,
       fmt::format("uneven work: {} of {} ranks run more GPU ops per step than the median rank "
                   "({:.0f} ops, {:.3f} ms compute): {}; their extra compute holds up to {:.0f}% "
                   "of the no-gap step ({:.3f} ms); more work, not slower execution, so they are "
                   "not slow workers",
                   count, m.num_workers(), median_ops, median_compute * 1e3, ranks, impact * 100,
                   nodelay * 1e3)});
}

// Workers whose compute per step is >= worker_ratio x their peers' median: the other workers of
// their stage where stages are known and DP > 1, else every other worker. Workers that run more
// ops than their peers (`more`) are work imbalance, not slow workers.
void SlowWorkerCandidates(const ReplayModel& m, const ComputeSums& sums,
                          const std::vector<std::vector<int32_t>>& rows,
                          const std::vector<uint8_t>& more, const CauseThresholds& th, Cause& c,
                          std::vector<Candidate>& cands) {
  const int32_t workers = m.num_workers();
  const bool by_stage = m.has_stages();
  if (by_stage ? m.dp < 2 : workers < 2) return;
  double max_ratio = 0;
  for (int32_t w = 0; w < workers; ++w) {
    if (more[w]) continue;
    std::vector<double> others;
    for (int32_t o = 0; o < workers; ++o) {
      if (o == w || (by_stage && m.stage_of(o) != m.stage_of(w))) continue;
      others.push_back(sums.fwd[o] + sums.bwd[o]);
    }
    const double base = MedianOf(others);
    const double ratio = base > 0 ? (sums.fwd[w] + sums.bwd[w]) / base : 0;
    max_ratio = std::max(max_ratio, ratio);
    // Without stages a worker needs two peers: of two ranks, which one is off cannot be told.
    if (ratio < th.worker_ratio) continue;
    Candidate cand{Pattern::kOneSlowWorker,
                   w,
                   by_stage ? m.stage_of(w) : -1,
                   -1,
                   ratio,
                   std::vector<double>(workers, 1.0),
                   {},
                   rows[w]};
    cand.scale[w] = ratio;
    cand.scale_bwd = cand.scale;
    cand.single_peer = others.size() < 2;
    cands.push_back(std::move(cand));
  }
  c.metrics.emplace_back("max_rank_compute_ratio", max_ratio);
}

// Stages whose mean forward (or backward) compute is >= stage_ratio x the other stages' median
// on every DP rank.
void SlowStageCandidates(const ReplayModel& m, const ComputeSums& sums, const CauseThresholds& th,
                         std::vector<Candidate>& cands) {
  if (!m.has_stages() || m.pp < 2) return;
  const int32_t workers = m.num_workers(), pp = m.pp, dp = m.dp;
  for (int32_t s = 0; s < pp; ++s) {
    Candidate cand{
        Pattern::kStageImbalance,          -1, s, -1, 0, std::vector<double>(workers, 1.0),
        std::vector<double>(workers, 1.0), {}};
    for (int phase = 0; phase < 2; ++phase) {
      const std::vector<double>& sum = phase == 0 ? sums.fwd : sums.bwd;
      const std::vector<double>& cnt = phase == 0 ? sums.fwd_n : sums.bwd_n;
      std::vector<double>& scale = phase == 0 ? cand.scale : cand.scale_bwd;
      double min_ratio = std::numeric_limits<double>::infinity();
      for (int32_t d = 0; d < dp; ++d) {
        std::vector<double> others;
        for (int32_t t = 0; t < pp; ++t)
          if (t != s && cnt[d * pp + t] > 0) others.push_back(sum[d * pp + t] / cnt[d * pp + t]);
        const int32_t w = d * pp + s;
        const double base = others.empty() ? 0 : MedianOf(others);
        const double ratio = base > 0 && cnt[w] > 0 ? sum[w] / cnt[w] / base : 0;
        min_ratio = std::min(min_ratio, ratio);
        scale[w] = std::max(1.0, ratio);
      }
      if (min_ratio > cand.ratio) {
        cand.ratio = min_ratio;
        cand.phase = phase;
      }
    }
    if (cand.ratio < th.stage_ratio) continue;
    for (int32_t i = 0; i < m.num_nodes(); ++i)
      if (m.stage_of(m.worker[i]) == s) cand.impact_rows.push_back(i);
    cands.push_back(std::move(cand));
  }
}

// Impact of each candidate: keeping only it real, in the residual job where every *other*
// candidate is brought to its peers' speed (outliers inflate the mean-based ideal and would
// otherwise hide each other). Two replays per candidate: residual ideal, candidate real on it.
Result<std::vector<double>> CandidateImpacts(const ReplayModel& m, const WhatIfResult& r,
                                             const std::vector<Candidate>& cands, int threads,
                                             TaskDistributor* distributor) {
  std::vector<std::vector<int64_t>> residual(cands.size()), residual_ideal(cands.size());
  std::vector<std::vector<int64_t>> cand_steps(2 * cands.size());
  for (size_t k = 0; k < cands.size(); ++k) {
    residual[k] = r.actual_ns;
    for (size_t j = 0; j < cands.size(); ++j) {
      if (j == k) continue;
      const Candidate& o = cands[j];
      for (int32_t i = 0; i < m.num_nodes(); ++i) {
        if (m.role_of(i) != GroupRole::kCompute) continue;
        const int32_t w = m.worker[i];
        if (o.pattern == Pattern::kOneSlowWorker ? w != o.worker : m.stage_of(w) != o.stage)
          continue;
        const double scale = (m.phase[i] == Phase::kBackward ? o.scale_bwd : o.scale)[w];
        residual[k][i] = std::llround(static_cast<double>(residual[k][i]) / scale);
      }
    }
    residual_ideal[k] = IdealDurationsFrom(m, residual[k]);
  }
  std::vector<ReplayTask> tasks;
  for (size_t k = 0; k < cands.size(); ++k) {
    tasks.push_back({&residual_ideal[k], nullptr, nullptr, &cand_steps[2 * k]});
    tasks.push_back(
        {&residual_ideal[k], &residual[k], &cands[k].impact_rows, &cand_steps[2 * k + 1]});
  }
  TS_RETURN_IF_ERROR(RunReplays(m.graph, tasks, threads, distributor));
  std::vector<double> alone(cands.size());
  for (size_t k = 0; k < cands.size(); ++k)
    alone[k] = MeanSeconds(cand_steps[2 * k + 1]) / MeanSeconds(cand_steps[2 * k]);
  return alone;
}

// "62% of the slowdown"; above 100% the fix also beats the ideal, whose class means include the
// fixed ops' own slow durations.
std::string ShareOfSlowdown(double rem) {
  if (rem <= 1.05) return fmt::format("{:.0f}% of the slowdown", rem * 100);
  return fmt::format(
      "all of the slowdown and more (rem {:.2f}: the ideal's class means include "
      "those workers' own slow ops)",
      rem);
}

// Steps in which worker `w` is the one whose real ops alone slow the job most.
int32_t HottestSteps(const ReplayModel& m, const WhatIfResult& r, int32_t w) {
  int32_t same = 0;
  for (int32_t s = 0; s < m.num_steps(); ++s) {
    int32_t best = 0;
    for (int32_t v = 1; v < m.num_workers(); ++v)
      if (r.by_worker[v].per_step[s] > r.by_worker[best].per_step[s]) best = v;
    same += best == w;
  }
  return same;
}

// A slow worker that is the hottest in fewer than half of 3 or more steps is not one slow worker:
// the slowest rank moves from step to step, as data-dependent work (sequence lengths) makes it.
bool Transient(const ReplayModel& m, const WhatIfResult& r, int32_t w) {
  return m.num_steps() >= 3 && 2 * HottestSteps(m, r, w) < m.num_steps();
}

std::string SlowWorkerEvidence(const ReplayModel& m, const WhatIfResult& r, const Candidate& cand,
                               double alone, size_t candidates) {
  const int32_t w = cand.worker, num_steps = m.num_steps();
  const int32_t same = HottestSteps(m, r, w);
  const std::string others =
      candidates > 1 ? " (other outliers brought to their peers' speed)" : "";
  // M_W fixes the top workers by score with everything else left as traced: say which, and that
  // another pattern on the critical path can leave that fix at ~0%.
  const int32_t rank = m.worker_rank[w];
  const bool in_mw =
      std::find(r.m_w.selected.begin(), r.m_w.selected.end(), rank) != r.m_w.selected.end();
  const std::string mw_note = r.m_w.rem < 0.05 && candidates > 1
                                  ? " (the other outliers keep the step time while they remain)"
                                  : "";
  const std::string who = m.has_stages() ? fmt::format("worker rank {} (dp_rank {}, stage {})",
                                                       rank, m.dp_rank_of(w), m.stage_of(w))
                                         : fmt::format("rank {}", rank);
  const char* peers = cand.single_peer ? "its only peer (with one peer, which of the two deviates "
                                         "cannot be told; this is the one the step waits for)"
                      : m.has_stages() ? "the other workers of its stage"
                                       : "the other ranks";
  std::string mw;
  if (r.m_w.meaningful) {
    mw = fmt::format(
        "; fixing the top {} worker(s) by score (ranks {}{}) with the rest as traced removes {} "
        "(M_W){}",
        r.m_w.selected.size(), fmt::join(r.m_w.selected, ", "),
        in_mw ? "" : fmt::format("; not rank {}", rank), ShareOfSlowdown(r.m_w.rem), mw_note);
  }
  return fmt::format(
      "{} computes {:.2f}x as long as {} ({:.3f} ms per step); alone it slows the job to "
      "{:.3f}x{}; hottest worker in {} of {} steps{}",
      who, cand.ratio, peers, r.worker_compute_s[w] * 1e3, alone, others, same, num_steps, mw);
}

std::string SlowStageEvidence(const ReplayModel& m, const WhatIfResult& r, const Candidate& cand,
                              double alone, size_t candidates) {
  const int32_t s = cand.stage, pp = m.pp, num_steps = m.num_steps();
  const std::string which = s == pp - 1 ? "last stage"
                            : s == 0    ? "first stage"
                                        : fmt::format("stage {}", s);
  int32_t top_steps = 0;
  for (int32_t step = 0; step < num_steps; ++step) {
    int32_t best = 0;
    for (int32_t t = 1; t < pp; ++t)
      if (r.by_stage[t].per_step[step] > r.by_stage[best].per_step[step]) best = t;
    top_steps += best == s;
  }
  const std::string others =
      candidates > 1 ? " (other outliers brought to their peers' speed)" : "";
  return fmt::format(
      "{} (stage {}): its {} compute takes >= {:.2f}x the other stages' on every DP rank; that "
      "stage alone slows the job to {:.3f}x{}; slowest stage in {} of {} steps{}",
      which, s, cand.phase == 0 ? "forward" : "backward", cand.ratio, alone, others, top_steps,
      num_steps,
      s == pp - 1 && r.m_s.meaningful
          ? fmt::format("; fixing the last stage removes {:.0f}% of the slowdown (M_S)",
                        r.m_s.rem * 100)
          : std::string());
}

// Heatmap patterns. Evidence comes from compute durations, impact from residual replays.
Status FindHeatmapPatterns(const ReplayModel& m, const WhatIfResult& r, int threads,
                           TaskDistributor* distributor, const CauseThresholds& th, Cause& c,
                           std::vector<Finding>& found) {
  std::vector<std::vector<int32_t>> rows(m.num_workers());
  for (int32_t i = 0; i < m.num_nodes(); ++i) rows[m.worker[i]].push_back(i);
  const ComputeSums sums = SumCompute(m);
  const std::vector<uint8_t> more = MoreWork(m, th);
  FindWorkImbalance(m, r, more, th, c, found);
  std::vector<Candidate> cands;
  SlowWorkerCandidates(m, sums, rows, more, th, c, cands);
  SlowStageCandidates(m, sums, th, cands);
  TS_ASSIGN_OR_RETURN(std::vector<double> alone,
                      CandidateImpacts(m, r, cands, threads, distributor));
  for (size_t k = 0; k < cands.size(); ++k) {
    const double impact = alone[k] - 1;
    if (impact < th.min_impact) continue;
    const bool worker = cands[k].pattern == Pattern::kOneSlowWorker;
    found.push_back({cands[k].pattern, impact,
                     worker ? SlowWorkerEvidence(m, r, cands[k], alone[k], cands.size())
                            : SlowStageEvidence(m, r, cands[k], alone[k], cands.size()),
                     cands[k].single_peer, worker ? m.worker_rank[cands[k].worker] : -1,
                     worker && Transient(m, r, cands[k].worker)});
  }
  c.metrics.emplace_back("heatmap_candidates", static_cast<double>(cands.size()));
  return OkStatus();
}

// A GPU-side finding explains S; it is the main cause when the job straggles, or when a worker
// or stage alone slows the job by >= primary_impact. Otherwise the largest of the host-side
// findings and uneven work (>= primary_impact) is; otherwise none. `found` is sorted by impact.
bool MainCauseCandidate(const Finding& f, const WhatIfResult& r, const CauseThresholds& th) {
  // Uneven work is not in S (each op is at its own ideal): it competes with the host-side
  // findings, on the same scale (a share of the no-gap step).
  if (!IsGpuSide(f.pattern) || f.pattern == Pattern::kWorkImbalance || f.transient) return false;
  if (r.slowdown >= r.straggling_threshold) return true;
  const bool local = f.pattern == Pattern::kOneSlowWorker || f.pattern == Pattern::kStageImbalance;
  return local && !f.single_peer && f.impact >= th.primary_impact;
}

void ChooseMainCause(const WhatIfResult& r, const CauseThresholds& th,
                     const std::vector<Finding>& found, Cause& c) {
  auto main = std::find_if(found.begin(), found.end(),
                           [&](const Finding& f) { return MainCauseCandidate(f, r, th); });
  if (main == found.end()) {
    main = std::find_if(found.begin(), found.end(), [&](const Finding& f) {
      return !IsGpuSide(f.pattern) ||
             (f.pattern == Pattern::kWorkImbalance && f.impact >= th.primary_impact);
    });
  }
  if (main == found.end()) {
    double hottest = 0;
    for (const Attribution& a : r.by_worker) hottest = std::max(hottest, a.slowdown);
    c.pattern = Pattern::kNone;
    const bool moving =
        std::any_of(found.begin(), found.end(), [](const Finding& f) { return f.transient; });
    c.evidence = fmt::format(
        "no straggler pattern: S = {:.3f} ({}), host-gap effect {:.3f}; hottest worker alone "
        "{:.3f}x{}",
        r.slowdown,
        r.slowdown < r.straggling_threshold
            ? fmt::format("< {:.1f} is not straggling", r.straggling_threshold)
            : fmt::format(">= {:.1f}: straggling, but no pattern here explains it",
                          r.straggling_threshold),
        r.host_slowdown, hottest,
        moving ? "; the slowest rank changes from step to step (no rank is the hottest in half "
                 "the steps): uneven data-dependent work, such as sequence lengths, rather than "
                 "one slow worker"
               : "");
    c.secondary = found;
    return;
  }
  c.pattern = main->pattern;
  c.evidence = main->evidence;
  c.rank = main->rank;
  for (auto it = found.begin(); it != found.end(); ++it)
    if (it != main) c.secondary.push_back(*it);
}

// Patterns the input cannot show, and why.
std::string NotApplicable(const ReplayModel& m) {
  if (m.has_stages() && m.has_microbatches()) return "";
  if (m.input == InputKind::kKineto) {
    return "stage_imbalance and sequence_length_imbalance need pipeline stages and microbatch "
           "ids, which Kineto traces do not carry";
  }
  return "sequence_length_imbalance needs microbatch ids, which this op table does not carry";
}

}  // namespace

Cause ClassifyCause(const ReplayModel& m, const WhatIfResult& r, int threads,
                    const CauseThresholds& th) {
  // Without a distributor the replays cannot fail.
  Result<Cause> cause = ClassifyCause(m, r, threads, nullptr, th);
  TS_CHECK(cause.ok(), "{}", cause.status().ToString());
  return *std::move(cause);
}

Result<Cause> ClassifyCause(const ReplayModel& m, const WhatIfResult& r, int threads,
                            TaskDistributor* distributor, const CauseThresholds& th) {
  Cause c;
  c.not_applicable = NotApplicable(m);
  if (!r.inconclusive.empty()) {  // no pattern is named on a replay that misses the job
    c.pattern = Pattern::kInconclusive;
    c.evidence = r.inconclusive;
    return c;
  }
  std::vector<Finding> found;
  c.metrics.emplace_back("slowdown", r.slowdown);
  c.metrics.emplace_back("launch_slowdown", r.launch_slowdown);
  FindHostBound(m, r, th, c, found);
  FindStartSkew(m, r, th, c, found);
  const Excess attributed = AttributedExcess(m, r);
  FindSlowCommunication(r, attributed, th, c, found);
  if (m.has_microbatches()) FindSequenceLength(m, r, attributed, th, c, found);
  if (m.input == InputKind::kOpTable) FindGcPause(m, r, th, found);
  TS_RETURN_IF_ERROR(FindHeatmapPatterns(m, r, threads, distributor, th, c, found));
  std::stable_sort(found.begin(), found.end(),
                   [](const Finding& a, const Finding& b) { return a.impact > b.impact; });
  ChooseMainCause(r, th, found, c);
  // Persistence: per-step S normalised by the job's S stays within 10%; one step cannot tell.
  double max_dev = 0;
  for (double s : r.step_slowdown) max_dev = std::max(max_dev, std::abs(s / r.slowdown - 1));
  c.persistence = r.step_slowdown.size() < 2 ? Persistence::kUnknown
                  : max_dev <= 0.1           ? Persistence::kPersistent
                                             : Persistence::kVaries;
  c.persistent = c.persistence == Persistence::kPersistent;
  c.metrics.emplace_back("step_slowdown_max_deviation", max_dev);
  return c;
}

}  // namespace trainscope::whatif
