// SPDX-License-Identifier: Apache-2.0
// Edit-distance suggestions for unknown commands and flags.
#include "base/suggest.h"

#include <algorithm>

namespace trainscope {

size_t EditDistance(std::string_view a, std::string_view b) {
  // d[i][j]: distance between a[0, i) and b[0, j); rows kept whole (words are short).
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> Suggestions(std::string_view word,
                                     const std::vector<std::string>& candidates) {
  const size_t limit = std::max<size_t>(1, std::min<size_t>(3, word.size() / 3));
  size_t best = limit + 1;
  std::vector<std::string> out;
  for (const std::string& candidate : candidates) {
    const size_t distance = EditDistance(word, candidate);
    if (distance == 0 || distance > best) continue;
    if (distance < best) out.clear(), best = distance;
    if (std::find(out.begin(), out.end(), candidate) == out.end()) out.push_back(candidate);
  }
  if (!out.empty() || word.size() < 2) return out;
  for (const std::string& candidate : candidates) {
    if (candidate.size() > word.size() && candidate.starts_with(word) &&
        std::find(out.begin(), out.end(), candidate) == out.end()) {
      out.push_back(candidate);
    }
  }
  if (!out.empty()) return out;
  // A longer spelling of a name: "--seq-len" for --seq, "gpus_per" for gpus.
  for (const std::string& candidate : candidates) {
    if (candidate.size() >= 2 && word.size() > candidate.size() && word.starts_with(candidate) &&
        (word[candidate.size()] == '-' || word[candidate.size()] == '_')) {
      out.push_back(candidate);
    }
  }
  return out;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates,
                       std::string_view prefix) {
  const std::vector<std::string> found = Suggestions(word, candidates);
  if (found.empty()) return "";
  std::string out = " (did you mean ";
  for (size_t k = 0; k < found.size(); ++k) {
    if (k > 0) out += k + 1 == found.size() ? " or " : ", ";
    out += std::string(prefix) + found[k];
  }
  return out + "?)";
}

}  // namespace trainscope
