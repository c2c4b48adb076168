// SPDX-License-Identifier: Apache-2.0
// A small CART classification tree (Gini impurity, binary threshold splits) used to learn
// Minder's metric priority (NSDI'25 section 4.3): features are, per metric, the maximum over
// machines of the per-machine Z-score of a window; labels say whether a fault is active. Metrics
// used near the root rank first; unused metrics follow by impurity decrease, then input order.
// Thread safety: pure.
#pragma once

#include <string>
#include <vector>

namespace trainscope::minder {

struct TreeNode {
  int feature = -1;  // -1: leaf
  double threshold = 0;
  int left = -1, right = -1;  // children (x <= threshold goes left)
  double positive_share = 0;
  int samples = 0;
};

struct DecisionTree {
  std::vector<TreeNode> nodes;       // nodes[0] = root
  std::vector<double> importance;    // total weighted Gini decrease per feature
  double Predict(const std::vector<double>& x) const;
};

// rows: samples x features (row-major), labels 0/1.
DecisionTree TrainTree(const std::vector<std::vector<double>>& rows, const std::vector<int>& labels,
                       int max_depth = 4, int min_leaf = 20);

// Feature indices by priority: breadth-first first use, then importance, then index.
std::vector<int> PriorityOrder(const DecisionTree& tree, int features);

}  // namespace trainscope::minder
