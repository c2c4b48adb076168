// SPDX-License-Identifier: Apache-2.0
// Collective channels and cross-rank instance matching (see collective_match.h).
#include "model/collective_match.h"

#include <fmt/core.h>

#include <algorithm>

namespace trainscope::model {

std::string CollectiveChannel(const RankTrace& rank, size_t row) {
  const CollectiveTable& c = rank.collectives;
  return c.group[row].valid() ? "pg " + rank.process_groups[c.group[row].value()].name
                              : fmt::format("stream {}", c.stream[row]);
}

std::map<std::string, std::vector<size_t>> CollectiveChannels(const RankTrace& rank) {
  std::map<std::string, std::vector<size_t>> channels;
  const CollectiveTable& c = rank.collectives;
  for (size_t row = 0; row < c.size(); ++row) channels[CollectiveChannel(rank, row)].push_back(row);
  for (auto& [key, rows] : channels) {
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
      return rank.events.ts[c.event[a].value()] < rank.events.ts[c.event[b].value()];
    });
  }
  return channels;
}

std::vector<CollectiveInstance> MatchCollectives(const JobTrace& job) {
  std::vector<std::map<std::string, std::vector<size_t>>> channels;
  std::map<std::string, size_t> longest;
  for (const RankTrace& rank : job.ranks) {
    channels.push_back(CollectiveChannels(rank));
    for (const auto& [key, rows] : channels.back()) {
      longest[key] = std::max(longest[key], rows.size());
    }
  }
  std::vector<CollectiveInstance> instances;
  for (const auto& [key, count] : longest) {
    for (size_t k = 0; k < count; ++k) {
      CollectiveInstance instance{key, k, {}};
      for (size_t r = 0; r < job.ranks.size(); ++r) {
        auto it = channels[r].find(key);
        if (it == channels[r].end() || k >= it->second.size()) continue;
        size_t row = it->second[k];
        if (!instance.members.empty()) {
          const auto& first = instance.members.front();
          if (job.ranks[first.rank_index].collectives.type[first.row] !=
              job.ranks[r].collectives.type[row]) {
            continue;
          }
        }
        instance.members.push_back({r, row});
      }
      if (instance.members.size() >= 2) instances.push_back(std::move(instance));
    }
  }
  return instances;
}

}  // namespace trainscope::model
