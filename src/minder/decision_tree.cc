// SPDX-License-Identifier: Apache-2.0
// CART with exhaustive threshold search over sorted feature values.
#include "minder/decision_tree.h"

#include <algorithm>
#include <deque>
#include <numeric>

namespace trainscope::minder {
namespace {

double Gini(double pos, double n) {
  if (n <= 0) return 0;
  double p = pos / n;
  return 2 * p * (1 - p);
}

int Grow(DecisionTree* tree, const std::vector<std::vector<double>>& rows, const std::vector<int>& labels,
         std::vector<int> idx, int depth, int max_depth, int min_leaf) {
  int id = static_cast<int>(tree->nodes.size());
  tree->nodes.emplace_back();
  double pos = 0;
  for (int i : idx) pos += labels[static_cast<size_t>(i)];
  const double n = static_cast<double>(idx.size());
  tree->nodes[static_cast<size_t>(id)].samples = static_cast<int>(idx.size());
  tree->nodes[static_cast<size_t>(id)].positive_share = n > 0 ? pos / n : 0;
  if (depth >= max_depth || pos == 0 || pos == n || static_cast<int>(idx.size()) < 2 * min_leaf) return id;
  const size_t features = rows.empty() ? 0 : rows[0].size();
  double parent = Gini(pos, n), best_gain = 1e-9, best_thr = 0;
  int best_f = -1;
  for (size_t f = 0; f < features; ++f) {
    std::sort(idx.begin(), idx.end(), [&](int a, int b) { return rows[static_cast<size_t>(a)][f] < rows[static_cast<size_t>(b)][f]; });
    double left_pos = 0;
    for (size_t k = 0; k + 1 < idx.size(); ++k) {
      left_pos += labels[static_cast<size_t>(idx[k])];
      double a = rows[static_cast<size_t>(idx[k])][f], b = rows[static_cast<size_t>(idx[k + 1])][f];
      double nl = static_cast<double>(k + 1), nr = n - nl;
      if (a == b || nl < min_leaf || nr < min_leaf) continue;
      double gain = parent - (nl / n) * Gini(left_pos, nl) - (nr / n) * Gini(pos - left_pos, nr);
      if (gain > best_gain) best_gain = gain, best_f = static_cast<int>(f), best_thr = 0.5 * (a + b);
    }
  }
  if (best_f < 0) return id;
  tree->importance[static_cast<size_t>(best_f)] += best_gain * n;
  std::vector<int> l, r;
  for (int i : idx) (rows[static_cast<size_t>(i)][static_cast<size_t>(best_f)] <= best_thr ? l : r).push_back(i);
  int left = Grow(tree, rows, labels, std::move(l), depth + 1, max_depth, min_leaf);
  int right = Grow(tree, rows, labels, std::move(r), depth + 1, max_depth, min_leaf);
  TreeNode& node = tree->nodes[static_cast<size_t>(id)];
  node.feature = best_f;
  node.threshold = best_thr;
  node.left = left;
  node.right = right;
  return id;
}

}  // namespace

double DecisionTree::Predict(const std::vector<double>& x) const {
  int id = 0;
  while (nodes[static_cast<size_t>(id)].feature >= 0) {
    const TreeNode& n = nodes[static_cast<size_t>(id)];
    id = x[static_cast<size_t>(n.feature)] <= n.threshold ? n.left : n.right;
  }
  return nodes[static_cast<size_t>(id)].positive_share;
}

DecisionTree TrainTree(const std::vector<std::vector<double>>& rows, const std::vector<int>& labels,
                       int max_depth, int min_leaf) {
  DecisionTree tree;
  tree.importance.assign(rows.empty() ? 0 : rows[0].size(), 0.0);
  std::vector<int> idx(rows.size());
  std::iota(idx.begin(), idx.end(), 0);
  Grow(&tree, rows, labels, std::move(idx), 0, max_depth, min_leaf);
  return tree;
}

std::vector<int> PriorityOrder(const DecisionTree& tree, int features) {
  std::vector<int> order;
  std::vector<uint8_t> used(static_cast<size_t>(features), 0);
  std::deque<int> queue = {0};
  while (!queue.empty() && !tree.nodes.empty()) {
    const TreeNode& n = tree.nodes[static_cast<size_t>(queue.front())];
    queue.pop_front();
    if (n.feature < 0) continue;
    if (!used[static_cast<size_t>(n.feature)]) used[static_cast<size_t>(n.feature)] = 1, order.push_back(n.feature);
    queue.push_back(n.left);
    queue.push_back(n.right);
  }
  std::vector<int> rest;
  for (int f = 0; f < features; ++f) if (!used[static_cast<size_t>(f)]) rest.push_back(f);
  std::stable_sort(rest.begin(), rest.end(), [&](int a, int b) {
    return tree.importance[static_cast<size_t>(a)] > tree.importance[static_cast<size_t>(b)];
  });
  order.insert(order.end(), rest.begin(), rest.end());
  return order;
}

}  // namespace trainscope::minder
