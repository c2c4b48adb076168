// SPDX-License-Identifier: Apache-2.0
// Peer groups: alike machines by chunked correlation or shared flat level, connected components.
#include "minder/peer_groups.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <functional>
#include <map>
#include <numeric>

#include <Eigen/Dense>
#include <fmt/core.h>

#include "base/parallel.h"
#include "base/stats.h"
#include "minder/lstm_vae.h"

namespace trainscope::minder {
namespace {

// LowerQuantile (base/stats.h: the order statistic at rank floor(q (n - 1))) of the present
// values of `v`; NaN when none.
double Quantile(std::vector<float> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](float x) { return std::isnan(x); }), v.end());
  return LowerQuantile(std::move(v), q);
}

// p1-p99 range of a channel across the whole job (a strided sample of at most ~200k values).
double ChannelScale(const Channel& ch) {
  const size_t stride = std::max<size_t>(1, ch.values.size() / 200'000);
  std::vector<float> sample;  // the present values of the strided sample
  sample.reserve(ch.values.size() / stride + 1);
  for (size_t i = 0; i < ch.values.size(); i += stride) {
    if (!std::isnan(ch.values[i])) sample.push_back(ch.values[i]);
  }
  if (sample.empty()) return 0.0;
  // Quantile's 1st and 99th percentiles, the second selected above the first (same values).
  const size_t k_lo = static_cast<size_t>(0.01 * static_cast<double>(sample.size() - 1));
  const size_t k_hi = static_cast<size_t>(0.99 * static_cast<double>(sample.size() - 1));
  std::nth_element(sample.begin(), sample.begin() + static_cast<long>(k_lo), sample.end());
  const double lo = sample[k_lo];
  if (k_hi > k_lo) {
    std::nth_element(sample.begin() + static_cast<long>(k_lo) + 1,
                     sample.begin() + static_cast<long>(k_hi), sample.end());
  }
  return static_cast<double>(sample[k_hi]) - lo;
}

struct Moments {
  double mean = 0, sd = 0;
  bool present = false;  // enough samples (see RowMoments)
};

// Mean and standard deviation of the present values of row[first, first + count); present when
// at least `min_fraction` of the span (and 2 samples) has values.
Moments RowMoments(const float* row, int first, int count, double min_fraction = 0.5) {
  double s = 0, ss = 0;
  int n = 0;
  for (int t = first; t < first + count; ++t) {
    if (std::isnan(row[t])) continue;
    s += row[t];
    ss += static_cast<double>(row[t]) * row[t];
    ++n;
  }
  Moments m;
  if (n < 2 || n < min_fraction * count) return m;
  m.present = true;
  m.mean = s / n;
  m.sd = std::sqrt(std::max(0.0, ss / n - m.mean * m.mean));
  return m;
}

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(int n) : parent(static_cast<size_t>(n)) { std::iota(parent.begin(), parent.end(), 0); }
  int Find(int x) {
    while (parent[static_cast<size_t>(x)] != x) x = parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(parent[static_cast<size_t>(x)])];
    return x;
  }
  void Join(int a, int b) { parent[static_cast<size_t>(Find(a))] = Find(b); }
};

// Machines of `active` in clusters (of `uf`) smaller than min_group join the cluster of at least
// min_group whose members they are most alike on average by `best`, when that average is at least
// min_correlation.
void JoinStragglersByBestChunk(const Eigen::MatrixXf& best, const std::vector<int>& active,
                               const GroupingOptions& options, UnionFind* uf) {
  std::map<int, std::vector<int>> clusters;
  for (int m : active) clusters[uf->Find(m)].push_back(m);
  std::vector<const std::vector<int>*> large;
  for (const auto& [root, members] : clusters) {
    if (static_cast<int>(members.size()) >= options.min_group) large.push_back(&members);
  }
  std::vector<std::pair<int, int>> joins;  // (machine, a member of the cluster it joins)
  for (const auto& [root, members] : clusters) {
    if (static_cast<int>(members.size()) >= options.min_group) continue;
    for (int m : members) {
      double best_mean = options.min_correlation;
      int target = -1;
      for (const std::vector<int>* c : large) {
        double sum = 0;
        for (int x : *c) sum += static_cast<double>(best(m, x));
        const double mean = sum / static_cast<double>(c->size());
        if (mean >= best_mean) best_mean = mean, target = c->front();
      }
      if (target >= 0) joins.emplace_back(m, target);
    }
  }
  for (const auto& [m, target] : joins) uf->Join(m, target);
}

// Turns components (member lists) into labelled groups, largest first; small ones not judged.
std::vector<PeerGroup> LabelGroups(std::vector<std::vector<int>> components, const GroupingOptions& options) {
  std::stable_sort(components.begin(), components.end(),
                   [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::vector<PeerGroup> groups;
  PeerGroup small;
  small.label = "ungrouped";
  small.judged = false;
  small.reason = fmt::format("each behaves like fewer than {} machines of the job: too few peers to tell which one differs",
                             options.min_group);
  for (auto& members : components) {
    if (static_cast<int>(members.size()) < options.min_group) {
      small.machines.insert(small.machines.end(), members.begin(), members.end());
      continue;
    }
    PeerGroup g;
    g.label = fmt::format("g{}", groups.size() + 1);
    std::sort(members.begin(), members.end());
    g.machines = std::move(members);
    groups.push_back(std::move(g));
  }
  if (!small.machines.empty()) {
    std::sort(small.machines.begin(), small.machines.end());
    groups.push_back(std::move(small));
  }
  return groups;
}

}  // namespace

// Average-linkage clusters of `members` (indices into `similarity`) cut where the mean
// similarity between two clusters falls below `min_similarity`; returns, per member, the position
// (in `members`) of its cluster's representative. Nearest-neighbour chain: O(n^2) time.
// Average linkage rather than single: in a real cluster export a chain of pairwise-similar
// machines links jobs that are not alike (253 servers of the Zhejiang hour: one component of 156
// with a mean correlation of 0.27).
std::vector<int> AverageLinkageClusters(const Eigen::MatrixXf& similarity, const std::vector<int>& members,
                                        double min_similarity) {
  const bool single = false;
  const int n = static_cast<int>(members.size());
  std::vector<int> rep(static_cast<size_t>(n));
  std::iota(rep.begin(), rep.end(), 0);
  if (n < 2) return rep;
  // Distances between live clusters (1 - similarity), updated by Lance-Williams for averages.
  Eigen::MatrixXd d(n, n);
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) d(a, b) = 1.0 - static_cast<double>(similarity(members[static_cast<size_t>(a)], members[static_cast<size_t>(b)]));
  }
  std::vector<int> size(static_cast<size_t>(n), 1);
  std::vector<uint8_t> live(static_cast<size_t>(n), 1);
  UnionFind uf(n);
  const double cut = 1.0 - min_similarity;
  std::vector<int> chain;
  int remaining = n;
  while (remaining > 1) {
    if (chain.empty()) {
      for (int a = 0; a < n; ++a) {
        if (live[static_cast<size_t>(a)]) {
          chain.push_back(a);
          break;
        }
      }
    }
    const int a = chain.back();
    const int prev = chain.size() >= 2 ? chain[chain.size() - 2] : -1;
    int best = -1;
    double best_d = std::numeric_limits<double>::infinity();
    for (int b = 0; b < n; ++b) {
      if (b == a || !live[static_cast<size_t>(b)]) continue;
      // Ties go to the previous chain element, so the chain ends in a reciprocal pair.
      if (d(a, b) < best_d || (d(a, b) == best_d && b == prev)) {
        best_d = d(a, b);
        best = b;
      }
    }
    if (best != prev) {
      chain.push_back(best);
      continue;
    }
    // a and prev are reciprocal nearest neighbours: merge prev into a.
    chain.pop_back();
    chain.pop_back();
    if (best_d <= cut) uf.Join(prev, a);
    const double wa = size[static_cast<size_t>(a)], wb = size[static_cast<size_t>(prev)];
    for (int c = 0; c < n; ++c) {
      if (!live[static_cast<size_t>(c)] || c == a || c == prev) continue;
      d(a, c) = d(c, a) = single ? std::min(d(a, c), d(prev, c)) : (wa * d(a, c) + wb * d(prev, c)) / (wa + wb);
    }
    size[static_cast<size_t>(a)] += size[static_cast<size_t>(prev)];
    live[static_cast<size_t>(prev)] = 0;
    --remaining;
  }
  for (int a = 0; a < n; ++a) rep[static_cast<size_t>(a)] = uf.Find(a);
  return rep;
}

std::vector<PeerGroup> FindPeerGroups(const Grid& grid, const GroupingOptions& options) {
  const int machines = static_cast<int>(grid.machines.size());
  const int steps = grid.steps;
  std::vector<size_t> channels;
  std::vector<double> scale;
  for (size_t c = 0; c < grid.channels.size(); ++c) {
    if (grid.channels[c].is_min) continue;  // the machine's mean channel carries its activity
    channels.push_back(c);
    scale.push_back(ChannelScale(grid.channels[c]));
  }
  auto row = [&](size_t c, int m) { return grid.channels[c].values.data() + static_cast<size_t>(m) * static_cast<size_t>(steps); };
  // Static machines: flat on every channel wherever they have samples.
  std::vector<uint8_t> is_static(static_cast<size_t>(machines), 1);
  for (int m = 0; m < machines; ++m) {
    for (size_t k = 0; k < channels.size(); ++k) {
      const Moments mo = RowMoments(row(channels[k], m), 0, steps, 0.0);
      if (mo.present && mo.sd > options.flat_tolerance * scale[k]) is_static[static_cast<size_t>(m)] = 0;
    }
  }
  const int chunk = std::max({kWindow, std::min(steps, options.chunk_seconds), steps / std::max(1, options.max_chunks)});
  const int chunks = std::max(1, steps / chunk);
  // similarity(a, b): the best chunk's correlation of the two machines' activity (a fault that
  // covers most of the pull leaves its victim alike its peers in the chunk before or after it;
  // at most max_chunks chunks, so that over a long recording one chunk that correlated by chance
  // does not make a pair alike), or 1 where both are steady (flat in every chunk) at the same
  // level: a GPU pinned at 100 % has no shape to correlate. A machine flat in only some chunks
  // (a victim whose traffic collapsed) is compared by its shape where it has one.
  // One chunk per task (its activity matrix and correlation product, 0.2 GFlop each at 1,024
  // machines); summed in chunk order afterwards.
  std::vector<Eigen::MatrixXf> chunk_corr(static_cast<size_t>(chunks));
  Eigen::MatrixXf corr_sum = Eigen::MatrixXf::Zero(machines, machines);
  std::vector<uint8_t> steady(static_cast<size_t>(machines), 1);
  ParallelFor(static_cast<size_t>(chunks), 0, [&](size_t chunk_idx) {
    const int k = static_cast<int>(chunk_idx);
    const int first = k * chunk;
    const int count = k == chunks - 1 ? steps - first : chunk;
    Eigen::MatrixXf activity = Eigen::MatrixXf::Zero(count, machines);
    for (int m = 0; m < machines; ++m) {
      for (size_t j = 0; j < channels.size(); ++j) {
        const float* r = row(channels[j], m);
        const Moments mo = RowMoments(r, first, count, 0.25);  // the hour's first minutes miss many seconds
        if (!mo.present) continue;
        if (mo.sd <= options.flat_tolerance * scale[j] || mo.sd <= 0) continue;
        for (int t = 0; t < count; ++t) {
          const float x = r[first + t];
          if (!std::isnan(x)) activity(t, m) += static_cast<float>((x - mo.mean) / mo.sd);
        }
      }
      const float norm = activity.col(m).norm();
      if (norm > 0) activity.col(m) /= norm;
    }
    chunk_corr[chunk_idx] = activity.transpose() * activity;
  });
  for (const Eigen::MatrixXf& corr : chunk_corr) corr_sum += corr;
  // Steady machines at the same level (means over the pull) are alike. Steady: the means of its
  // 32-s blocks (longer than a training step, so bursts and a pipeline stage's phase average
  // out) wobble little against its own level, or against the job's scale when it idles; not
  // against the job's scale alone: a link carrying 12 GB/s +- 3 GB/s in a job whose busiest carry
  // 70 moves.
  Eigen::MatrixXf level_alike = Eigen::MatrixXf::Zero(machines, machines);
  std::vector<Moments> whole(static_cast<size_t>(machines) * channels.size());
  constexpr int kBlock = 32;
  for (int m = 0; m < machines; ++m) {
    for (size_t j = 0; j < channels.size(); ++j) {
      const float* r = row(channels[j], m);
      const Moments mo = RowMoments(r, 0, steps, 0.0);
      whole[static_cast<size_t>(m) * channels.size() + j] = mo;
      if (!mo.present) continue;
      std::vector<float> block_means;
      for (int b = 0; b + kBlock <= steps; b += kBlock) {
        const Moments bm = RowMoments(r, b, kBlock);
        if (bm.present) block_means.push_back(static_cast<float>(bm.mean));
      }
      const Moments blocks = RowMoments(block_means.data(), 0, static_cast<int>(block_means.size()), 0.0);
      const double wobble = blocks.present ? blocks.sd : mo.sd;
      if (wobble > 0.5 * options.level_tolerance * std::max(std::fabs(mo.mean), options.level_tolerance * scale[j])) {
        steady[static_cast<size_t>(m)] = 0;
      }
    }
  }
  for (int a = 0; a < machines; ++a) {
    if (!steady[static_cast<size_t>(a)]) continue;
    for (int b = a + 1; b < machines; ++b) {
      if (!steady[static_cast<size_t>(b)]) continue;
      bool same = true, any = false;
      for (size_t j = 0; j < channels.size() && same; ++j) {
        const Moments& x = whole[static_cast<size_t>(a) * channels.size() + j];
        const Moments& y = whole[static_cast<size_t>(b) * channels.size() + j];
        if (!x.present || !y.present) continue;
        any = true;
        same = std::fabs(x.mean - y.mean) <=
               options.level_tolerance * std::max({std::fabs(x.mean), std::fabs(y.mean), options.level_tolerance * scale[j]});
      }
      if (same && any) level_alike(a, b) = level_alike(b, a) = 1.f;
    }
  }
  // Groups form on the second-best chunk when there are three or more: one chunk where the whole
  // cluster moved together (the Zhejiang hour's first minutes) must not make every machine alike.
  // A machine left without a group then joins the group it was most alike in its best chunk
  // (a machine that stalled for most of the pull was alike its peers before).
  Eigen::MatrixXf best = Eigen::MatrixXf::Constant(machines, machines, -1.f), second = best;
  for (const Eigen::MatrixXf& corr : chunk_corr) {
    second = second.cwiseMax(best.cwiseMin(corr));
    best = best.cwiseMax(corr);
  }
  best = best.cwiseMax(level_alike);
  const Eigen::MatrixXf similarity = chunk_corr.size() < 3 ? best : second.cwiseMax(level_alike);
  std::vector<int> active;
  for (int m = 0; m < machines; ++m) {
    if (!is_static[static_cast<size_t>(m)]) active.push_back(m);
  }
  std::vector<int> cluster = AverageLinkageClusters(similarity, active, options.min_correlation);
  UnionFind uf(machines);
  for (size_t k = 0; k < active.size(); ++k) uf.Join(active[k], active[static_cast<size_t>(cluster[k])]);
  JoinStragglersByBestChunk(best, active, options, &uf);
  std::vector<std::vector<int>> components(static_cast<size_t>(machines));
  std::vector<int> flat_all;
  for (int m = 0; m < machines; ++m) {
    if (is_static[static_cast<size_t>(m)]) {
      flat_all.push_back(m);
    } else {
      components[static_cast<size_t>(uf.Find(m))].push_back(m);
    }
  }
  components.erase(std::remove_if(components.begin(), components.end(), [](const auto& c) { return c.empty(); }),
                   components.end());
  std::vector<PeerGroup> groups = LabelGroups(std::move(components), options);
  // No clear roles: when groups cover less than half of the machines that move, the similarity
  // found no structure to split by (a pipeline whose stages run one phase apart correlates only
  // with its neighbours), and Minder's premise, one job in lock-step, is the better guess.
  size_t grouped = 0;
  for (const PeerGroup& g : groups) grouped += g.judged ? g.machines.size() : 0;
  if (!active.empty() && 2 * grouped < active.size()) {
    PeerGroup all;
    all.label = "all";
    all.machines = active;
    all.reason.clear();
    groups = {all};
    if (static_cast<int>(all.machines.size()) < options.min_group) {
      groups[0].judged = false;
      groups[0].reason = fmt::format("{} machine(s) move: too few peers to tell which one differs", all.machines.size());
    }
  }
  for (PeerGroup& g : groups) {
    double s = 0;
    size_t n = 0;
    for (size_t i = 0; i < g.machines.size(); ++i) {
      for (size_t j = i + 1; j < g.machines.size(); ++j, ++n) s += static_cast<double>(corr_sum(g.machines[i], g.machines[j])) / chunks;
    }
    g.mean_correlation = n > 0 ? s / static_cast<double>(n) : 0.0;
  }
  if (!flat_all.empty()) {
    PeerGroup g;
    g.label = "static";
    g.machines = std::move(flat_all);
    g.judged = false;
    g.reason = "flat on every channel for the whole pull: a level gap alone cannot tell a fault from a role "
               "(idle or other-job servers, or a machine that failed before the pull; a reference tells which)";
    groups.push_back(std::move(g));
  }
  return groups;
}

std::vector<PeerGroup> GroupsFromMap(const Grid& grid, const std::map<std::string, std::string>& group_of,
                                     const GroupingOptions& options) {
  std::map<std::string, std::vector<int>> by_name;
  std::vector<int> unnamed;
  for (size_t m = 0; m < grid.machines.size(); ++m) {
    auto it = group_of.find(grid.machines[m]);
    if (it == group_of.end()) {
      unnamed.push_back(static_cast<int>(m));
    } else {
      by_name[it->second].push_back(static_cast<int>(m));
    }
  }
  std::vector<PeerGroup> groups;
  for (auto& [name, members] : by_name) {
    PeerGroup g;
    g.label = name;
    g.machines = std::move(members);
    if (static_cast<int>(g.machines.size()) < options.min_group) {
      g.judged = false;
      g.reason = fmt::format("{} machine(s) in the group: too few peers to tell which one differs (need {})",
                             g.machines.size(), options.min_group);
    }
    groups.push_back(std::move(g));
  }
  if (!unnamed.empty()) {
    PeerGroup g;
    g.label = "unassigned";
    g.machines = std::move(unnamed);
    g.judged = false;
    g.reason = "not named in the groups given";
    groups.push_back(std::move(g));
  }
  return groups;
}

Result<std::map<std::string, std::string>> ParseGroupsFile(std::string_view text, std::string_view origin) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, (nl == std::string_view::npos ? text.size() : nl) - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto trim = [](std::string_view s) {
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
      return s;
    };
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    size_t sep = line.find_first_of(", \t");
    if (sep == std::string_view::npos) {
      return InvalidArgumentError("{}:{}: expected 'machine,group', got '{}'", origin, line_no, line);
    }
    std::string_view machine = trim(line.substr(0, sep)), group = trim(line.substr(sep + 1));
    if (line_no == 1 && machine == "machine") continue;  // header
    if (machine.empty() || group.empty() || group.find_first_of(", \t") != std::string_view::npos) {
      return InvalidArgumentError("{}:{}: expected 'machine,group', got '{}'", origin, line_no, line);
    }
    auto [it, fresh] = out.emplace(std::string(machine), std::string(group));
    if (!fresh && it->second != group) {
      return InvalidArgumentError("{}:{}: machine '{}' is already in group '{}'", origin, line_no, machine, it->second);
    }
  }
  if (out.empty()) return InvalidArgumentError("{}: no 'machine,group' lines", origin);
  return out;
}

std::string UnusableChannelReason(const Grid& grid, size_t channel, const GroupingOptions& options) {
  const Channel& ch = grid.channels[channel];
  const double scale = ChannelScale(ch);
  bool any = false;
  for (size_t m = 0; m < grid.machines.size(); ++m) {
    const Moments mo = RowMoments(ch.values.data() + m * static_cast<size_t>(grid.steps), 0, grid.steps, 0.0);
    if (!mo.present) continue;
    if (mo.sd > options.flat_tolerance * scale && mo.sd > 0) return "";
    any = true;
  }
  if (!any) return "no machine has samples";
  return "constant within every machine over the pull: a level gap that never changes cannot be dated, so it "
         "raises no alert";
}

std::vector<int> FlatMachines(const Grid& grid, size_t channel, const GroupingOptions& options) {
  const Channel& ch = grid.channels[channel];
  const double scale = ChannelScale(ch);
  std::vector<int> flat;
  for (size_t m = 0; m < grid.machines.size(); ++m) {
    const Moments mo = RowMoments(ch.values.data() + m * static_cast<size_t>(grid.steps), 0, grid.steps, 0.0);
    if (mo.present && mo.sd <= options.flat_tolerance * scale) flat.push_back(static_cast<int>(m));
  }
  return flat;
}

Grid SelectMachines(const Grid& grid, const std::vector<int>& machines) {
  Grid out;
  out.t0_ns = grid.t0_ns;
  out.steps = grid.steps;
  out.absent = grid.absent;
  const size_t T = static_cast<size_t>(grid.steps);
  for (int m : machines) {
    out.machines.push_back(grid.machines[static_cast<size_t>(m)]);
    out.skew_seconds.push_back(grid.skew_seconds.empty() ? 0 : grid.skew_seconds[static_cast<size_t>(m)]);
    if (!grid.devices.empty()) out.devices.push_back(grid.devices[static_cast<size_t>(m)]);
  }
  for (const Channel& ch : grid.channels) {
    Channel c;
    c.name = ch.name;
    c.metric = ch.metric;
    c.is_min = ch.is_min;
    c.lo = ch.lo;
    c.hi = ch.hi;
    c.values.resize(machines.size() * T);
    if (!ch.gpu.empty()) c.gpu.resize(machines.size() * T);
    for (size_t k = 0; k < machines.size(); ++k) {
      const size_t m = static_cast<size_t>(machines[k]);
      std::copy_n(ch.values.begin() + static_cast<long>(m * T), T, c.values.begin() + static_cast<long>(k * T));
      if (!ch.gpu.empty()) std::copy_n(ch.gpu.begin() + static_cast<long>(m * T), T, c.gpu.begin() + static_cast<long>(k * T));
    }
    out.channels.push_back(std::move(c));
  }
  return out;
}

std::map<std::string, std::map<std::string, std::pair<double, double>>> GroupBounds(
    const Grid& group_grid, std::vector<std::string>* per_machine_scaled, const GroupingOptions& options) {
  std::map<std::string, std::map<std::string, std::pair<double, double>>> bounds;
  const size_t T = static_cast<size_t>(group_grid.steps);
  const size_t M = group_grid.machines.size();
  // One channel per task; the results go in in channel order.
  struct ChannelBounds {
    bool scaled = false;
    std::vector<double> level;
    double lo = 0, hi = 1;
  };
  std::vector<ChannelBounds> per_channel(group_grid.channels.size());
  ParallelFor(group_grid.channels.size(), 0, [&](size_t c) {
    const Channel& ch = group_grid.channels[c];
    // Each member's level: the 80th percentile of its values (its busy level, robust to a fault
    // that covers part of the pull).
    std::vector<double>& level = per_channel[c].level;
    level.assign(M, 0);
    bool positive = true;
    std::vector<float> r;
    for (size_t m = 0; m < M; ++m) {
      // The present values in order (as Quantile keeps them) and the least of them, in one pass;
      // then Quantile's selection in place.
      r.clear();
      float lo = std::numeric_limits<float>::infinity();
      for (size_t t = 0; t < T; ++t) {
        const float v = ch.values[m * T + t];
        if (std::isnan(v)) continue;
        r.push_back(v);
        lo = std::min(lo, v);
      }
      level[m] = 0;
      if (!r.empty()) {
        const size_t k = static_cast<size_t>(options.level_quantile * static_cast<double>(r.size() - 1));
        std::nth_element(r.begin(), r.begin() + static_cast<long>(k), r.end());
        level[m] = r[k];
      }
      if (lo < 0) positive = false;
    }
    std::vector<float> lv(level.begin(), level.end());
    const double p10 = Quantile(lv, 0.1), p90 = Quantile(lv, 0.9), mid = Quantile(lv, 0.5);
    const bool scaled = positive && M >= 2 && mid > 0 && p90 > options.max_level_ratio * std::max(p10, 1e-12);
    Channel work = ch;
    if (scaled) {
      // An idle member of a busy group must not have its noise blown up to the group's scale.
      for (double& l : level) l = std::max(l, 0.05 * mid);
      for (size_t m = 0; m < M; ++m) {
        for (size_t t = 0; t < T; ++t) work.values[m * T + t] = static_cast<float>(work.values[m * T + t] / level[m]);
      }
    }
    FitBounds(&work);
    // A channel that barely moves around each machine's level (memory in use, a steady link) must
    // not have that wobble stretched over the whole normalised range: in units of the machine's own
    // level the range is at least max_level_ratio / 4 (a machine halving its level moves by half of it).
    if (scaled && work.hi - work.lo < 0.25 * options.max_level_ratio) {
      const double mid_value = 0.5 * (work.hi + work.lo);
      work.lo = mid_value - 0.125 * options.max_level_ratio;
      work.hi = mid_value + 0.125 * options.max_level_ratio;
    }
    per_channel[c].scaled = scaled;
    per_channel[c].lo = work.lo;
    per_channel[c].hi = work.hi;
  });
  for (size_t c = 0; c < group_grid.channels.size(); ++c) {
    const Channel& ch = group_grid.channels[c];
    const ChannelBounds& cb = per_channel[c];
    if (cb.scaled) per_machine_scaled->push_back(ch.name);
    auto& b = bounds[ch.name];
    for (size_t m = 0; m < M; ++m) {
      const double k = cb.scaled ? cb.level[m] : 1.0;
      b[group_grid.machines[m]] = {cb.lo * k, cb.hi * k};
    }
  }
  return bounds;
}

}  // namespace trainscope::minder
