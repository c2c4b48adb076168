// SPDX-License-Identifier: Apache-2.0
// Presets compiled into the binary (presets_data.cc is generated from presets/*.yaml).
#include <string_view>
#include <utility>
#include <vector>

#include "base/suggest.h"
#include "workload/config_io.h"

namespace trainscope::workload {
namespace internal {
const std::vector<std::pair<std::string_view, std::string_view>>& EmbeddedPresets();
}  // namespace internal

std::vector<std::string> PresetNames() {
  std::vector<std::string> names;
  for (const auto& [name, text] : internal::EmbeddedPresets()) names.emplace_back(name);
  return names;
}

std::string_view PresetText(std::string_view name) {
  for (const auto& [preset, text] : internal::EmbeddedPresets()) {
    if (preset == name) return text;
  }
  return {};
}

Result<JobConfig> LoadPreset(std::string_view name) {
  const std::string_view text = PresetText(name);
  if (text.empty()) {
    const std::vector<std::string> names = PresetNames();
    const std::string hint = DidYouMean(name, names);
    if (!hint.empty()) return NotFoundError("unknown preset '{}'{}", name, hint);
    std::string known;
    for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
    return NotFoundError("unknown preset '{}' (known: {})", name, known);
  }
  return ParseJobConfig(text, fmt::format("preset {}", name));
}

}  // namespace trainscope::workload
