// SPDX-License-Identifier: Apache-2.0
// "Did you mean ...?" for unknown commands, flags and config keys: the candidates within a small
// edit distance of what was typed (or starting with it). Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace trainscope {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// adjacent characters each cost 1 ("whatfi" -> "whatif" is 1).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidates closest to `word`, best first: those at the smallest distance when it is at
// most max(1, min(3, |word| / 3)), else those that start with `word` (2 characters or more),
// else those `word` extends past a '-' or '_' ("seq-len" -> "seq"). Empty when nothing is close.
std::vector<std::string> Suggestions(std::string_view word,
                                     const std::vector<std::string>& candidates);

// " (did you mean whatif?)", " (did you mean --top or --tp?)", or "" without suggestions; each
// suggestion is written as `prefix + candidate` ("--" for flags).
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates,
                       std::string_view prefix = "");

}  // namespace trainscope
