// SPDX-License-Identifier: Apache-2.0
// Peer groups: average linkage against a brute-force UPGMA, groups on synthetic roles, the
// groups file.
#include "minder/peer_groups.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "support/status_matchers.h"

namespace trainscope::minder {
namespace {

// Textbook UPGMA: repeatedly merge the two clusters with the largest mean pairwise similarity
// (over all member pairs, recomputed from scratch) while it is >= cut. Returns a label per member.
std::vector<int> BruteForceUpgma(const Eigen::MatrixXf& sim, double cut) {
  const int n = static_cast<int>(sim.rows());
  std::vector<std::vector<int>> clusters;
  for (int i = 0; i < n; ++i) clusters.push_back({i});
  for (;;) {
    double best = -1e9;
    size_t ba = 0, bb = 0;
    for (size_t a = 0; a < clusters.size(); ++a) {
      for (size_t b = a + 1; b < clusters.size(); ++b) {
        double s = 0;
        for (int x : clusters[a]) for (int y : clusters[b]) s += static_cast<double>(sim(x, y));
        s /= static_cast<double>(clusters[a].size() * clusters[b].size());
        if (s > best) best = s, ba = a, bb = b;
      }
    }
    if (clusters.size() < 2 || best < cut) break;
    clusters[ba].insert(clusters[ba].end(), clusters[bb].begin(), clusters[bb].end());
    clusters.erase(clusters.begin() + static_cast<long>(bb));
  }
  std::vector<int> label(static_cast<size_t>(n));
  for (size_t c = 0; c < clusters.size(); ++c) for (int x : clusters[c]) label[static_cast<size_t>(x)] = static_cast<int>(c);
  return label;
}

// Same partition (labels may differ).
bool SamePartition(const std::vector<int>& a, const std::vector<int>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = 0; j < a.size(); ++j) {
      if ((a[i] == a[j]) != (b[i] == b[j])) return false;
    }
  }
  return true;
}

TEST(PeerGroupsTest, AverageLinkageMatchesBruteForceUpgma) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const int n = 3 + trial % 17;
    // Planted blocks plus noise, so cuts fall inside and between blocks.
    std::uniform_int_distribution<int> block(0, 3);
    std::normal_distribution<float> noise(0.f, 0.15f);
    std::vector<int> b(static_cast<size_t>(n));
    for (int& x : b) x = block(rng);
    Eigen::MatrixXf sim(n, n);
    for (int i = 0; i < n; ++i) {
      for (int j = i; j < n; ++j) {
        const float v = i == j ? 1.f : (b[static_cast<size_t>(i)] == b[static_cast<size_t>(j)] ? 0.85f : 0.3f) + noise(rng);
        sim(i, j) = sim(j, i) = v;
      }
    }
    std::vector<int> members(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) members[static_cast<size_t>(i)] = i;
    for (double cut : {0.5, 0.7, 0.9}) {
      SCOPED_TRACE(::testing::Message() << "trial " << trial << " cut " << cut);
      EXPECT_TRUE(SamePartition(AverageLinkageClusters(sim, members, cut), BruteForceUpgma(sim, cut)));
    }
  }
}

// Two roles of four machines each: role A moves with one pattern, role B with another at ten
// times the traffic; a fifth pattern on one machine; one machine flat at 0 all along.
Grid TwoRoles() {
  Grid g;
  g.steps = 900;
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.f, 0.05f);
  Channel ch;
  ch.name = ch.metric = "traffic";
  auto add = [&](const std::string& name, auto&& f) {
    g.machines.push_back(name);
    for (int t = 0; t < g.steps; ++t) ch.values.push_back(f(t));
  };
  for (int m = 0; m < 4; ++m) add("a" + std::to_string(m), [&](int t) { return 1.5f + std::sin(static_cast<float>(t) * 0.3f) + noise(rng); });
  for (int m = 0; m < 4; ++m) add("b" + std::to_string(m), [&](int t) { return 10.f * (1.f + static_cast<float>((t / 7) % 2)) + noise(rng); });
  add("odd", [&](int t) { return 5.f + 3.f * std::cos(static_cast<float>(t) * 0.05f) + noise(rng); });
  add("idle", [](int) { return 0.f; });
  g.channels.push_back(std::move(ch));
  g.skew_seconds.assign(g.machines.size(), 0);
  return g;
}

TEST(PeerGroupsTest, RolesAreFoundAndStaticMachinesAreNotCompared) {
  const Grid g = TwoRoles();
  std::vector<PeerGroup> groups = FindPeerGroups(g, GroupingOptions{});
  std::map<std::string, std::string> label;
  for (const PeerGroup& p : groups) {
    for (int m : p.machines) label[g.machines[static_cast<size_t>(m)]] = p.label;
  }
  EXPECT_EQ(label["a0"], label["a3"]);
  EXPECT_EQ(label["b0"], label["b3"]);
  EXPECT_NE(label["a0"], label["b0"]);
  EXPECT_EQ(label["odd"], "ungrouped");
  EXPECT_EQ(label["idle"], "static");
  for (const PeerGroup& p : groups) EXPECT_EQ(p.judged, p.label != "ungrouped" && p.label != "static") << p.label;
}

TEST(PeerGroupsTest, GroupBoundsScaleEachMachineWhereLevelsDiffer) {
  Grid g = TwoRoles();
  // a0 (level ~2.4) and b0 (level ~20) in one group: each scaled by its own 80th percentile.
  Grid pair = SelectMachines(g, {0, 1, 4, 5});
  std::vector<std::string> scaled;
  auto bounds = GroupBounds(pair, &scaled, GroupingOptions{});
  ASSERT_EQ(scaled, std::vector<std::string>{"traffic"});
  const auto a = bounds["traffic"]["a0"], b = bounds["traffic"]["b0"];
  EXPECT_GT((b.second - b.first) / (a.second - a.first), 3.0);  // b's range follows its level
  // One level: one range for all.
  Grid same = SelectMachines(g, {4, 5, 6});
  scaled.clear();
  bounds = GroupBounds(same, &scaled, GroupingOptions{});
  EXPECT_TRUE(scaled.empty());
  EXPECT_EQ(bounds["traffic"]["b0"], bounds["traffic"]["b2"]);
}

TEST(PeerGroupsTest, GroupsFileErrorsNameTheLine) {
  ASSERT_OK_AND_ASSIGN(auto ok, ParseGroupsFile("machine,group\n# comment\nn1,stage0\nn2 stage1\n", "g.csv"));
  EXPECT_EQ(ok.at("n1"), "stage0");
  EXPECT_EQ(ok.at("n2"), "stage1");
  EXPECT_THAT(ParseGroupsFile("n1,stage0\nn1,stage1\n", "g.csv"),
              testing::StatusIs(StatusCode::kInvalidArgument, "g.csv:2: machine 'n1' is already in group 'stage0'"));
  EXPECT_THAT(ParseGroupsFile("n1\n", "g.csv"), testing::StatusIs(StatusCode::kInvalidArgument, "g.csv:1:"));
  EXPECT_THAT(ParseGroupsFile("# nothing\n", "g.csv"), testing::StatusIs(StatusCode::kInvalidArgument, "no 'machine,group'"));
}

}  // namespace
}  // namespace trainscope::minder
