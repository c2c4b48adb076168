// SPDX-License-Identifier: Apache-2.0
// Peers by role (issue 15 item 3). Minder's premise is that machines of one job move in
// lock-step, so a faulty machine is the outlier among its peers. A cluster export, or a job whose
// machines play different roles (pipeline stages, embedding hosts), breaks the premise when every
// machine is compared with every other: a machine carrying 1 GB/s is "far" from one carrying
// 69 GB/s all hour. So machines are first put into groups that behave alike, and each machine is
// compared with its own group only.
//
// Two machines' similarity is their best chunk's correlation of per-second activity (standardised
// series summed over channels; chunks of 180 s, at most 5 per pull, so a fault covering most of
// the pull does not throw its victim out of its group), or 1 where both are steady (flat in every
// chunk: a GPU pinned at 100 %) at the same level (within level_tolerance of their level). Groups are average-linkage
// clusters cut at a mean similarity of min_correlation. A machine flat on every channel for the whole pull is
// not compared: a level gap alone cannot tell a fault from a role (the job's idle servers, a
// machine that failed before the pull). Groups smaller than min_group are not judged. When the
// groups found cover less than half of the machines that move, there is no clear structure and
// they form one group, "all" (Minder's premise).
//
// Normalisation per group: where the members' levels of a channel differ by more than
// max_level_ratio (p90 / p10 of their 80th-percentile levels), each machine is scaled by its own
// level, so peers are compared by how they move, not how much they carry.
// Thread safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "minder/preprocess.h"

namespace trainscope::minder {

struct GroupingOptions {
  double min_correlation = 0.7;  // mean similarity within a group (average linkage)
  double level_tolerance = 0.1;  // x the channel's p1-p99 range across the job
  double flat_tolerance = 1e-3;  // x that range: a machine this flat over the pull is static
  int chunk_seconds = 180;
  int max_chunks = 5;  // longer recordings get longer chunks
  int min_group = 3;
  double max_level_ratio = 2.0;
  // A member's level for per-machine scaling: this quantile of its values over the pull (high, so
  // that a fault covering most of the pull does not become the level it is measured against).
  double level_quantile = 0.95;
};

struct PeerGroup {
  std::string label;         // "g1", "g2", ... or the user's group name
  std::vector<int> machines;  // indices into the grid's machines
  double mean_correlation = 0;  // mean pairwise correlation of the members' activity (whole pull)
  std::vector<std::string> per_machine_scaled;  // channels normalised by each machine's own level
  bool judged = true;
  std::string reason;  // why not judged
};

// Average-linkage (UPGMA) clusters of `members` (indices into the symmetric `similarity`), cut
// where the mean similarity between two clusters falls below `min_similarity`; per member, the
// position in `members` of its cluster's representative. Nearest-neighbour chain, O(n^2).
std::vector<int> AverageLinkageClusters(const Eigen::MatrixXf& similarity, const std::vector<int>& members,
                                        double min_similarity);

// Groups of `grid` (raw values, before normalisation) from its own data. Static machines and
// groups below min_group come back with judged = false and the reason.
std::vector<PeerGroup> FindPeerGroups(const Grid& grid, const GroupingOptions& options);

// Groups given by the user: machine name -> group name. Machines the map does not name form no
// group and are reported (judged = false).
std::vector<PeerGroup> GroupsFromMap(const Grid& grid, const std::map<std::string, std::string>& group_of,
                                     const GroupingOptions& options);

// Parses a groups file: lines `machine,group` (or `machine group`), '#' comments. Errors name
// the file and line.
Result<std::map<std::string, std::string>> ParseGroupsFile(std::string_view text, std::string_view origin);

// Why channel `channel` of `grid` cannot raise an alert in this group ("" when it can): no
// member has a sample, or no member varies over the pull (a level gap that never changes is a
// role or an old fault, not something peer comparison can date).
std::string UnusableChannelReason(const Grid& grid, size_t channel, const GroupingOptions& options);

// Machines of `grid` whose channel `channel` is flat over the whole pull (present, and its
// standard deviation within flat_tolerance of the channel's scale across the grid): a NIC that
// carries nothing all along. Such a machine is not compared on that channel; nothing in the pull
// dates its difference (issue 15: a level gap alone raises no alert).
std::vector<int> FlatMachines(const Grid& grid, size_t channel, const GroupingOptions& options);

// The rows of `machines` (indices) of `grid` as a grid of their own.
Grid SelectMachines(const Grid& grid, const std::vector<int>& machines);

// Per-machine normalisation bounds of a group's grid (raw values): the group's robust bounds
// for every member, or, for channels listed in `per_machine_scaled`, those bounds applied to each
// machine's values divided by its own level. channel -> machine -> (lo, hi) in raw units.
std::map<std::string, std::map<std::string, std::pair<double, double>>> GroupBounds(
    const Grid& group_grid, std::vector<std::string>* per_machine_scaled, const GroupingOptions& options);

}  // namespace trainscope::minder
