// SPDX-License-Identifier: Apache-2.0
// Cross-rank matching of NCCL ops into shared collective nodes for the Kineto what-if model.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/collective_match.h"
#include "whatif/internal/kineto_build.h"

namespace trainscope::whatif {
namespace internal {
namespace {

using model::CollectiveType;

// All NCCL ops of one channel in one step, per worker in start order.
struct ChannelStep {
  std::vector<int32_t> expected;            // member ranks (group ranks, or the world)
  std::vector<std::vector<size_t>> rows;    // per worker: collective rows
  std::vector<std::vector<int32_t>> nodes;  // per worker: nodes
};

bool IsP2p(CollectiveType t) { return t == CollectiveType::kSend || t == CollectiveType::kRecv; }

bool SizesMayDiffer(CollectiveType t) {
  return t == CollectiveType::kAllToAll || t == CollectiveType::kSendRecv || IsP2p(t);
}

// Marks every op of a channel-step as unsynchronised and measured.
void Unsynchronised(KinetoBuild& b, const ChannelStep& cs) {
  for (const auto& nodes : cs.nodes) {
    for (int32_t n : nodes) {
      b.m.fixed[n] = 1;
      ++b.m.stats.collective_ops_unmatched;
    }
  }
}

// Empty when the k-th ops of all present members are one instance; else why not.
std::string CheckInstances(const KinetoBuild& b, const ChannelStep& cs,
                           const std::vector<size_t>& workers, size_t* bad_worker) {
  const size_t count = cs.rows[workers[0]].size();
  for (size_t w : workers) {
    if (cs.rows[w].size() != count) {
      *bad_worker = w;
      return fmt::format("rank {} has {} ops in the step but rank {} has {}", b.job.ranks[w].rank,
                         cs.rows[w].size(), b.job.ranks[workers[0]].rank, count);
    }
  }
  for (size_t k = 0; k < count; ++k) {
    const model::CollectiveTable& c0 = b.job.ranks[workers[0]].collectives;
    const CollectiveType t0 = c0.type[cs.rows[workers[0]][k]];
    for (size_t w : workers) {
      const model::CollectiveTable& c = b.job.ranks[w].collectives;
      const size_t row = cs.rows[w][k];
      const CollectiveType t = c.type[row];
      // A send pairs with the recv of the other member (the trace names no peer, so only in
      // two-rank groups; UnpairableP2p screens the others out first).
      const bool p2p = IsP2p(t0) || IsP2p(t);
      const bool p2p_pair = IsP2p(t0) && IsP2p(t) && (t != t0 || w == workers[0]);
      if (p2p ? !p2p_pair : t != t0) {
        *bad_worker = w;
        return fmt::format("op {} is {} on rank {} but {} on rank {}", k,
                           model::CollectiveTypeName(t), b.job.ranks[w].rank,
                           model::CollectiveTypeName(t0), b.job.ranks[workers[0]].rank);
      }
      const int64_t n = c.in_nelems[row], n0 = c0.in_nelems[cs.rows[workers[0]][k]];
      if (!SizesMayDiffer(t) && n >= 0 && n0 >= 0 && n != n0) {
        *bad_worker = w;
        return fmt::format("op {} moves {} elements on rank {} but {} on rank {}", k, n,
                           b.job.ranks[w].rank, n0, b.job.ranks[workers[0]].rank);
      }
    }
    // Members of one instance overlap in time: none ends before another starts (beyond the
    // clock-skew tolerance). A sampled trace that lost some collectives fails here.
    int64_t latest_start = INT64_MIN;
    for (size_t w : workers) latest_start = std::max(latest_start, b.start_abs[cs.nodes[w][k]]);
    for (size_t w : workers) {
      const int64_t gap = b.end_abs[cs.nodes[w][k]] - latest_start;
      if (gap <= -kClipNs) {
        *bad_worker = w;
        return fmt::format(
            "op {} ends on rank {} {:.3f} ms before another member starts (the "
            "ranks did not record the same collectives; a sampled trace?)",
            k, b.job.ranks[w].rank, static_cast<double>(-gap) * 1e-6);
      }
    }
  }
  return {};
}

// True when the channel-step holds p2p ops whose peer cannot be told (group size != 2).
bool UnpairableP2p(const KinetoBuild& b, const ChannelStep& cs) {
  if (cs.expected.size() == 2) return false;
  for (size_t w = 0; w < cs.rows.size(); ++w)
    for (size_t row : cs.rows[w])
      if (IsP2p(b.job.ranks[w].collectives.type[row])) return true;
  return false;
}

// One p2p op of a channel-step, for pairing by time.
struct P2pOp {
  size_t worker, k;
  bool send;
  int64_t nelems;
  int32_t node;
};

// Gives the pair the class and group of a matched collective (as the two-rank path does).
void AddPair(KinetoBuild& b, const ChannelStep& cs, const P2pOp& send, const P2pOp& recv) {
  ReplayModel& m = b.m;
  b.builder.AddCollective(std::vector<graph::NodeId>{send.node, recv.node});
  for (const P2pOp* op : {&send, &recv}) {
    const model::CollectiveTable& c = b.job.ranks[op->worker].collectives;
    const size_t row = cs.rows[op->worker][op->k];
    m.is_comm[op->node] = 1;
    m.ideal_class[op->node] =
        b.ClassId(fmt::format("{} {} {}", model::CollectiveTypeName(c.type[row]), c.in_nelems[row],
                              b.job.ranks[op->worker].strings.Get(c.dtype[row])),
                  true);
    m.group[op->node] = b.GroupId("comm send");
  }
  ++m.stats.collectives_complete;
}

// Groups of more than two ranks (Megatron's pipeline group): the trace names no peer, but a send
// and its recv end together (the recv completes when the data has arrived). Each recv is paired
// with the unpaired send of the same size on another rank, overlapping it, whose end is nearest
// and within the collective end tolerance (100 us or 2% of the shorter); the rest stay measured.
// False when the channel holds other collectives too (then nothing is paired).
bool PairP2pByTime(KinetoBuild& b, const ChannelStep& cs, int64_t* paired, int64_t* unpaired) {
  std::vector<P2pOp> sends, recvs;
  for (size_t w = 0; w < cs.rows.size(); ++w) {
    const model::CollectiveTable& c = b.job.ranks[w].collectives;
    for (size_t k = 0; k < cs.rows[w].size(); ++k) {
      const CollectiveType t = c.type[cs.rows[w][k]];
      if (!IsP2p(t)) return false;
      (t == CollectiveType::kSend ? sends : recvs)
          .push_back(
              {w, k, t == CollectiveType::kSend, c.in_nelems[cs.rows[w][k]], cs.nodes[w][k]});
    }
  }
  std::vector<uint8_t> taken(sends.size(), 0), recv_paired(recvs.size(), 0);
  for (size_t r = 0; r < recvs.size(); ++r) {
    const P2pOp& rv = recvs[r];
    size_t best = sends.size();
    int64_t best_gap = INT64_MAX;
    for (size_t s = 0; s < sends.size(); ++s) {
      const P2pOp& sd = sends[s];
      if (taken[s] || sd.worker == rv.worker || sd.nelems != rv.nelems) continue;
      if (b.start_abs[sd.node] > b.end_abs[rv.node] || b.start_abs[rv.node] > b.end_abs[sd.node])
        continue;
      const int64_t gap = std::abs(b.end_abs[sd.node] - b.end_abs[rv.node]);
      const int64_t shorter = std::min(b.end_abs[sd.node] - b.start_abs[sd.node],
                                       b.end_abs[rv.node] - b.start_abs[rv.node]);
      if (gap <= std::max<int64_t>(100'000, shorter / 50) && gap < best_gap) {
        best = s;
        best_gap = gap;
      }
    }
    if (best == sends.size()) continue;
    taken[best] = 1;
    recv_paired[r] = 1;
    AddPair(b, cs, sends[best], rv);
    ++*paired;
  }
  for (size_t s = 0; s < sends.size(); ++s) {
    if (taken[s]) continue;
    b.m.fixed[sends[s].node] = 1;
    ++b.m.stats.collective_ops_unmatched;
    ++*unpaired;
  }
  for (size_t r = 0; r < recvs.size(); ++r) {
    if (recv_paired[r]) continue;
    b.m.fixed[recvs[r].node] = 1;
    ++b.m.stats.collective_ops_unmatched;
    ++*unpaired;
  }
  return true;
}

}  // namespace

void MatchKinetoCollectives(KinetoBuild& b) {
  ReplayModel& m = b.m;
  const size_t num_workers = b.job.ranks.size();
  std::map<std::pair<std::string, int32_t>, ChannelStep> channels;
  for (size_t w = 0; w < num_workers; ++w) {
    const model::RankTrace& rank = b.job.ranks[w];
    for (const auto& [channel, rows] : model::CollectiveChannels(rank)) {
      for (size_t row : rows) {
        const int32_t node = b.node_of_event[w][rank.collectives.event[row].value()];
        if (node < 0) continue;
        ChannelStep& cs = channels[{channel, m.step_index[node]}];
        if (cs.rows.empty()) {
          cs.rows.resize(num_workers);
          cs.nodes.resize(num_workers);
          const model::ProcessGroupId g = rank.collectives.group[row];
          if (g.valid() && !rank.process_groups[g.value()].ranks.empty()) {
            cs.expected = rank.process_groups[g.value()].ranks;
          } else {
            for (int32_t r = 0; r < m.world_size; ++r) cs.expected.push_back(r);
          }
        }
        cs.rows[w].push_back(row);
        cs.nodes[w].push_back(node);
      }
    }
  }
  int64_t partial_ops = 0, paired = 0, unpaired = 0;
  std::string paired_channel;
  for (auto& [key, cs] : channels) {
    std::vector<size_t> workers;  // present members, by worker index
    size_t present = 0;
    for (size_t w = 0; w < num_workers; ++w) {
      bool member = false;
      for (int32_t r : cs.expected) member = member || r == b.job.ranks[w].rank;
      if (member) ++present;
      if (member || !cs.rows[w].empty()) workers.push_back(w);
    }
    const bool complete = present == cs.expected.size();
    if (UnpairableP2p(b, cs) && complete && PairP2pByTime(b, cs, &paired, &unpaired)) {
      if (paired_channel.empty()) paired_channel = key.first;
      continue;
    }
    if (UnpairableP2p(b, cs)) {
      if (b.diagnostics != nullptr) {
        b.diagnostics->Add("p2p_unpaired", m.name, key.first,
                           fmt::format("send/recv ops in a group of {} ranks: the trace does not "
                                       "name their peers, so they are replayed at their measured "
                                       "durations, not paired",
                                       cs.expected.size()));
      }
      Unsynchronised(b, cs);
      continue;
    }
    size_t bad = workers[0];
    std::string why = CheckInstances(b, cs, workers, &bad);
    if (!why.empty()) {
      const int32_t example = cs.nodes[bad].empty() ? cs.nodes[workers[0]][0] : cs.nodes[bad][0];
      if (b.diagnostics != nullptr) {
        b.diagnostics->Add("collective_mismatch", m.name, DescribeKinetoOp(b.job, m, example),
                           fmt::format("{} in step {}: {}; the channel's ops are replayed at "
                                       "their measured durations, not synchronised",
                                       key.first, m.steps[key.second], why));
      }
      Unsynchronised(b, cs);
      continue;
    }
    for (size_t k = 0; k < cs.rows[workers[0]].size(); ++k) {
      std::vector<graph::NodeId> members;
      for (size_t w : workers) members.push_back(cs.nodes[w][k]);
      b.builder.AddCollective(members);
      const model::CollectiveTable& c = b.job.ranks[workers[0]].collectives;
      const size_t row = cs.rows[workers[0]][k];
      const std::string type(model::CollectiveTypeName(c.type[row]));
      for (graph::NodeId n : members) {
        if (complete) {
          m.is_comm[n] = 1;
          const model::CollectiveTable& cn = b.job.ranks[m.worker[n]].collectives;
          const size_t rn = cs.rows[m.worker[n]][k];
          m.ideal_class[n] = b.ClassId(
              fmt::format("{} {} {}", model::CollectiveTypeName(cn.type[rn]), cn.in_nelems[rn],
                          b.job.ranks[m.worker[n]].strings.Get(cn.dtype[rn])),
              true);
          m.group[n] = b.GroupId("comm " + type);
        } else {
          m.fixed[n] = 1;
          ++partial_ops;
        }
      }
      ++(complete ? m.stats.collectives_complete : m.stats.collectives_partial);
    }
  }
  if (paired + unpaired > 0 && b.diagnostics != nullptr) {
    b.diagnostics->Add(
        "p2p_paired_by_time", m.name, paired_channel,
        fmt::format("{} send/recv pairs in groups of more than two ranks (the trace names no "
                    "peer) paired by size and end time; {} ops found no partner and are replayed "
                    "at their measured durations",
                    paired, unpaired));
  }
  if (m.stats.collectives_partial > 0 && b.diagnostics != nullptr) {
    b.diagnostics->Add(
        "collective_group_incomplete", m.name, "",
        fmt::format("{} collective instances ({} ops) belong to groups with absent ranks; they are "
                    "synchronised over the present ranks only and kept at their measured "
                    "transfer time in every what-if (their wait for absent ranks cannot be "
                    "attributed)",
                    m.stats.collectives_partial, partial_ops));
  }
}

}  // namespace internal
}  // namespace trainscope::whatif
