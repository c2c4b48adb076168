// SPDX-License-Identifier: Apache-2.0
// Checks (b) and (c) of trace_check.h: collective instances across ranks, process groups.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "model/collective_match.h"
#include "model/internal/trace_check_collector.h"

namespace trainscope::model::internal {
namespace {

bool IsP2p(CollectiveType t) { return t == CollectiveType::kSend || t == CollectiveType::kRecv; }

// Types whose members may move different element counts.
bool SizesMayDiffer(CollectiveType t) {
  return t == CollectiveType::kAllToAll || t == CollectiveType::kSendRecv || IsP2p(t) ||
         t == CollectiveType::kOther;
}

// The collective ops of one channel (group or stream) in one step on one rank, in start order.
struct MemberOps {
  size_t rank_index = 0;
  std::vector<size_t> rows;
};

struct ChannelStep {
  std::vector<MemberOps> members;       // ranks with ops, in rank order
  const ProcessGroup* group = nullptr;  // as the first member's trace lists it; null: no info
};

using ChannelKey = std::pair<std::string, int64_t>;  // channel, ProfilerStep number (-1: none)

int64_t StepNumber(const RankTrace& rank, size_t row) {
  const StepIndex s = rank.events.step[rank.collectives.event[row].value()];
  return s.valid() ? rank.steps[s.value()].number : -1;
}

bool HasStep(const RankTrace& rank, int64_t number) {
  for (const Step& s : rank.steps) {
    if (s.number == number) return true;
  }
  return false;
}

// Per rank (index into JobTrace::ranks): the names of the process groups its trace lists.
using GroupNames = std::vector<std::unordered_set<std::string>>;

GroupNames NamesOfGroups(const JobTrace& job) {
  GroupNames names(job.ranks.size());
  for (size_t rank_index = 0; rank_index < job.ranks.size(); ++rank_index) {
    for (const ProcessGroup& g : job.ranks[rank_index].process_groups) {
      names[rank_index].insert(g.name);
    }
  }
  return names;
}

std::map<ChannelKey, ChannelStep> ByChannelAndStep(const JobTrace& job) {
  std::map<ChannelKey, ChannelStep> out;
  for (size_t rank_index = 0; rank_index < job.ranks.size(); ++rank_index) {
    const RankTrace& rank = job.ranks[rank_index];
    for (const auto& [channel, rows] : CollectiveChannels(rank)) {
      for (size_t row : rows) {
        ChannelStep& cs = out[{channel, StepNumber(rank, row)}];
        if (cs.members.empty() || cs.members.back().rank_index != rank_index) {
          cs.members.push_back({rank_index, {}});
        }
        const ProcessGroupId g = rank.collectives.group[row];
        if (cs.group == nullptr && g.valid()) cs.group = &rank.process_groups[g.value()];
        cs.members.back().rows.push_back(row);
      }
    }
  }
  return out;
}

class ChannelChecker {
 public:
  ChannelChecker(const JobTrace& job, const GroupNames& names, Collector& c, const ChannelKey& key,
                 ChannelStep& cs)
      : job_(job), names_(names), c_(c), key_(key), cs_(cs) {}

  void Run() {
    ReportAbsentMembers();
    DropUnpairableP2p();
    if (cs_.members.size() < 2) {
      for (const MemberOps& m : cs_.members) c_.coverage().single_member_ops += Ops(m);
      return;
    }
    if (!SequencesAgree()) {
      for (const MemberOps& m : cs_.members) c_.coverage().collective_ops_unmatched += Ops(m);
      return;
    }
    for (size_t k = 0; k < cs_.members[0].rows.size(); ++k) CheckInstance(k);
  }

 private:
  static int64_t Ops(const MemberOps& m) { return static_cast<int64_t>(m.rows.size()); }
  const CollectiveTable& Table(const MemberOps& m) const {
    return job_.ranks[m.rank_index].collectives;
  }
  EventRef Ref(const MemberOps& m, size_t k) const {
    return c_.Ref(m.rank_index, Table(m).event[m.rows[k]]);
  }
  std::string TypeName(const MemberOps& m, size_t k) const {
    return std::string(CollectiveTypeName(Table(m).type[m.rows[k]]));
  }

  Violation Make(ViolationKind kind, const MemberOps& m, size_t k) const {
    Violation v;
    v.kind = kind;
    v.event = Ref(m, k);
    v.group = key_.first;
    v.step = key_.second;
    return v;
  }

  // A listed member that is present, has the group and the step, but no op of it there.
  void ReportAbsentMembers() {
    if (cs_.group == nullptr || key_.second < 0) return;
    for (int member : cs_.group->ranks) {
      const RankTrace* rank = job_.FindRank(member);
      if (rank == nullptr) continue;
      const auto rank_index = static_cast<size_t>(rank - job_.ranks.data());
      if (!names_[rank_index].contains(cs_.group->name) || !HasStep(*rank, key_.second)) continue;
      bool has_ops = false;
      for (const MemberOps& m : cs_.members) has_ops = has_ops || m.rank_index == rank_index;
      if (has_ops || !c_.Count(ViolationKind::kCollectiveUnmatched, 0)) continue;
      const MemberOps& ref = cs_.members[0];
      Violation v = Make(ViolationKind::kCollectiveUnmatched, ref, 0);
      v.other = v.event;
      v.event = EventRef{};
      v.event.rank = member;
      v.event.name = fmt::format("(no op of {})", key_.first);
      v.detail = fmt::format("rank {} has no op of {} in step {}; rank {} has {}", member,
                             key_.first, key_.second, job_.ranks[ref.rank_index].rank, Ops(ref));
      c_.Keep(std::move(v));
    }
  }

  // Send/recv pair only in 2-rank groups: elsewhere the trace does not say who the peer is.
  void DropUnpairableP2p() {
    const size_t size = cs_.group != nullptr && !cs_.group->ranks.empty()
                            ? cs_.group->ranks.size()
                            : static_cast<size_t>(job_.world_size);
    if (size == 2) return;
    for (MemberOps& m : cs_.members) {
      const CollectiveTable& t = Table(m);
      std::vector<size_t> kept;
      for (size_t row : m.rows) {
        if (IsP2p(t.type[row])) {
          ++c_.coverage().p2p_unpaired;
        } else {
          kept.push_back(row);
        }
      }
      m.rows = std::move(kept);
    }
    std::erase_if(cs_.members, [](const MemberOps& m) { return m.rows.empty(); });
  }

  // Same count, and op by op the same type and (for fixed-size types) element count.
  bool SequencesAgree() {
    const MemberOps& ref = cs_.members[0];
    for (const MemberOps& m : cs_.members) {
      if (m.rows.size() == ref.rows.size()) continue;
      // Point at the first op without a partner, on the member that has more.
      const bool longer = m.rows.size() > ref.rows.size();
      const MemberOps& more = longer ? m : ref;
      const MemberOps& fewer = longer ? ref : m;
      return Mismatch(more, fewer.rows.size(), &fewer, fewer.rows.size() - 1,
                      fmt::format("rank {} has {} ops of {} in step {} but rank {} has {}",
                                  job_.ranks[m.rank_index].rank, Ops(m), key_.first, key_.second,
                                  job_.ranks[ref.rank_index].rank, Ops(ref)));
    }
    for (size_t k = 0; k < ref.rows.size(); ++k) {
      const CollectiveType t0 = Table(ref).type[ref.rows[k]];
      const int64_t n0 = Table(ref).in_nelems[ref.rows[k]];
      for (const MemberOps& m : cs_.members) {
        const CollectiveType t = Table(m).type[m.rows[k]];
        const int64_t n = Table(m).in_nelems[m.rows[k]];
        if (t != t0 && !(IsP2p(t) && IsP2p(t0))) {
          return Mismatch(m, k, &ref, k,
                          fmt::format("op {} is {} on rank {} but {} on rank {}", k, TypeName(m, k),
                                      job_.ranks[m.rank_index].rank, TypeName(ref, k),
                                      job_.ranks[ref.rank_index].rank));
        }
        if (!SizesMayDiffer(t) && n >= 0 && n0 >= 0 && n != n0) {
          return Mismatch(
              m, k, &ref, k,
              fmt::format("op {} moves {} elements on rank {} but {} on rank {}", k, n,
                          job_.ranks[m.rank_index].rank, n0, job_.ranks[ref.rank_index].rank));
        }
      }
    }
    return true;
  }

  // Reports op k of `m` (and op other_k of `other`) as the place the sequences part.
  bool Mismatch(const MemberOps& m, size_t k, const MemberOps* other, size_t other_k,
                std::string why) {
    if (c_.Count(ViolationKind::kCollectiveUnmatched, 0)) {
      Violation v = Make(ViolationKind::kCollectiveUnmatched, m, k);
      if (other != nullptr && other != &m) v.other = Ref(*other, other_k);
      v.detail = std::move(why) + "; the group's ops in this step are not checked";
      c_.Keep(std::move(v));
    }
    return false;
  }

  // How far apart the members of instance k may end (trace_check.h).
  int64_t EndTolerance(size_t k) const {
    int64_t shortest = std::numeric_limits<int64_t>::max();
    for (const MemberOps& m : cs_.members) {
      const EventTable& e = job_.ranks[m.rank_index].events;
      shortest = std::min(shortest, e.dur[Table(m).event[m.rows[k]].value()]);
    }
    const TraceCheckOptions& o = c_.options();
    const int64_t share = std::llround(o.end_tolerance_share * static_cast<double>(shortest));
    return std::max(o.end_tolerance_ns, share);
  }

  // The k-th op of every member is one instance: some instant inside all of them, and one end.
  void CheckInstance(size_t k) {
    ++c_.coverage().collective_instances;
    const MemberOps* latest_start = nullptr;
    const MemberOps* earliest_end = nullptr;
    const MemberOps* latest_end = nullptr;
    int64_t max_start = 0, min_end = 0, max_end = 0;
    for (const MemberOps& m : cs_.members) {
      const EventTable& e = job_.ranks[m.rank_index].events;
      const uint32_t i = Table(m).event[m.rows[k]].value();
      const int64_t start = e.ts[i], end = e.ts[i] + e.dur[i];
      if (latest_start == nullptr || start > max_start) latest_start = &m, max_start = start;
      if (earliest_end == nullptr || end < min_end) earliest_end = &m, min_end = end;
      if (latest_end == nullptr || end > max_end) latest_end = &m, max_end = end;
    }
    const TraceCheckOptions& o = c_.options();
    if (min_end + o.stream_tolerance_ns < max_start) {
      const int64_t gap = max_start - min_end;
      if (!c_.Count(ViolationKind::kCollectiveDisjoint, gap)) return;
      Violation v = Make(ViolationKind::kCollectiveDisjoint, *earliest_end, k);
      v.other = Ref(*latest_start, k);
      v.amount_ns = gap;
      v.detail = fmt::format("{} op {} ends {:.3f} us before rank {} starts it",
                             TypeName(*earliest_end, k), k, static_cast<double>(gap) / 1e3,
                             job_.ranks[latest_start->rank_index].rank);
      c_.Keep(std::move(v));
    } else if (max_end - min_end > EndTolerance(k)) {
      const int64_t skew = max_end - min_end;
      if (!c_.Count(ViolationKind::kCollectiveEndSkew, skew)) return;
      Violation v = Make(ViolationKind::kCollectiveEndSkew, *latest_end, k);
      v.other = Ref(*earliest_end, k);
      v.amount_ns = skew;
      v.detail = fmt::format("{} op {} ends {:.3f} us after it ends on rank {}",
                             TypeName(*latest_end, k), k, static_cast<double>(skew) / 1e3,
                             job_.ranks[earliest_end->rank_index].rank);
      c_.Keep(std::move(v));
    }
  }

  const JobTrace& job_;
  const GroupNames& names_;
  Collector& c_;
  const ChannelKey& key_;
  ChannelStep& cs_;
};

std::string FormatRanks(const std::vector<int>& ranks) {
  constexpr size_t kShown = 8;
  std::string out = "[";
  for (size_t i = 0; i < ranks.size() && i < kShown; ++i) {
    out += fmt::format("{}{}", i > 0 ? ", " : "", ranks[i]);
  }
  if (ranks.size() > kShown) out += fmt::format(", ... ({} in all)", ranks.size());
  return out + "]";
}

EventRef RankRef(const RankTrace& rank, const ProcessGroup& group) {
  EventRef ref;
  ref.rank = rank.rank;
  ref.name = fmt::format("process group {}{}", group.name,
                         group.description.empty() ? "" : " (" + group.description + ")");
  return ref;
}

// Collectives whose "Group size" or in/out element ratio contradicts their group's members.
void CheckGroupSizes(const JobTrace& job, Collector& c) {
  for (size_t rank_index = 0; rank_index < job.ranks.size(); ++rank_index) {
    const RankTrace& rank = job.ranks[rank_index];
    const CollectiveTable& t = rank.collectives;
    for (size_t row = 0; row < t.size(); ++row) {
      if (!t.group[row].valid()) continue;
      const ProcessGroup& g = rank.process_groups[t.group[row].value()];
      const auto n = static_cast<int64_t>(g.ranks.size());
      if (n == 0) continue;
      const int64_t in = t.in_nelems[row], out = t.out_nelems[row];
      std::string why;
      if (t.group_size[row] >= 0 && t.group_size[row] != n) {
        why = fmt::format("\"Group size\" is {} but process group {} lists {} members",
                          t.group_size[row], g.name, n);
      } else if (t.type[row] == CollectiveType::kAllGather && in > 0 && out >= 0 && out != in * n) {
        why = fmt::format("all-gather of {} elements per rank over {} members gives {}, not {}", in,
                          n, out, in * n);
      } else if (t.type[row] == CollectiveType::kReduceScatter && out > 0 && in >= 0 &&
                 in != out * n) {
        why =
            fmt::format("reduce-scatter of {} elements over {} members leaves {} per rank, not {}",
                        in, n, out, in / n);
      }
      if (why.empty() || !c.Count(ViolationKind::kGroupSizeMismatch, 0)) continue;
      Violation v;
      v.kind = ViolationKind::kGroupSizeMismatch;
      v.event = c.Ref(rank_index, t.event[row]);
      v.group = CollectiveChannel(rank, row);
      v.step = c.StepOf(rank_index, t.event[row]);
      v.detail = std::move(why);
      c.Keep(std::move(v));
    }
  }
}

}  // namespace

void CheckCollectives(const JobTrace& job, Collector& c) {
  std::map<ChannelKey, ChannelStep> channels = ByChannelAndStep(job);
  const GroupNames names = NamesOfGroups(job);
  for (auto& [key, cs] : channels) ChannelChecker(job, names, c, key, cs).Run();
}

void CheckProcessGroups(const JobTrace& job, Collector& c) {
  struct Seen {
    size_t rank_index;
    const ProcessGroup* group;
  };
  std::map<std::string, Seen> first;  // by group name: the first rank listing its members
  for (size_t rank_index = 0; rank_index < job.ranks.size(); ++rank_index) {
    const RankTrace& rank = job.ranks[rank_index];
    for (const ProcessGroup& g : rank.process_groups) {
      auto [it, added] = first.try_emplace(g.name, Seen{rank_index, &g});
      const ProcessGroup& ref = *it->second.group;
      if (added || g.ranks.empty()) continue;
      if (ref.ranks.empty()) {
        it->second = Seen{rank_index, &g};
      } else if (g.ranks != ref.ranks && c.Count(ViolationKind::kGroupRanksDiffer, 0)) {
        const RankTrace& other = job.ranks[it->second.rank_index];
        c.Keep({ViolationKind::kGroupRanksDiffer, RankRef(rank, g), RankRef(other, ref),
                "pg " + g.name, -1, 0,
                fmt::format("rank {} lists {} members {} but rank {} lists {} {}", rank.rank,
                            g.ranks.size(), FormatRanks(g.ranks), other.rank, ref.ranks.size(),
                            FormatRanks(ref.ranks))});
      }
    }
    for (const ProcessGroup& g : rank.conflicting_groups) {
      if (!c.Count(ViolationKind::kGroupRanksDiffer, 0)) continue;
      const std::vector<int>* kept = nullptr;
      for (const ProcessGroup& own : rank.process_groups) {
        if (own.name == g.name) kept = &own.ranks;
      }
      c.Keep({ViolationKind::kGroupRanksDiffer, RankRef(rank, g), EventRef{}, "pg " + g.name, -1, 0,
              fmt::format("rank {}'s trace lists process group {} with {} members {} in "
                          "places (events' \"Process Group Ranks\") and {} in others",
                          rank.rank, g.name, g.ranks.size(), FormatRanks(g.ranks),
                          kept ? FormatRanks(*kept) : "none")});
    }
  }
  c.coverage().process_groups = static_cast<int64_t>(first.size());
  const GroupNames names = NamesOfGroups(job);
  for (const auto& [name, seen] : first) {
    for (int member : seen.group->ranks) {
      const RankTrace* rank = job.FindRank(member);
      if (rank == nullptr || rank->process_groups.empty()) continue;  // absent, or no group info
      const auto rank_index = static_cast<size_t>(rank - job.ranks.data());
      if (names[rank_index].contains(name) || !c.Count(ViolationKind::kGroupMissing, 0)) continue;
      const RankTrace& lister = job.ranks[seen.rank_index];
      c.Keep({ViolationKind::kGroupMissing, RankRef(*rank, *seen.group),
              RankRef(lister, *seen.group), "pg " + name, -1, 0,
              fmt::format("rank {} lists rank {} as a member of process group {} ({} members), "
                          "but rank {}'s trace has no such group (it lists {} other groups)",
                          lister.rank, member, name, seen.group->ranks.size(), member,
                          rank->process_groups.size())});
    }
  }
  CheckGroupSizes(job, c);
}

}  // namespace trainscope::model::internal
