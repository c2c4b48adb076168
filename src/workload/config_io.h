// SPDX-License-Identifier: Apache-2.0
// Reading a JobConfig from YAML (files or the presets compiled into the binary).
// Errors name the file (or preset) and the YAML line:column of the bad field.
// yaml-cpp exceptions are caught here and never leave this module.
// Thread safety: free functions without shared state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "workload/config.h"

namespace trainscope::workload {

// Parses YAML text; `source` names it in errors ("gpt3.yaml", "preset gpt3-175b").
Result<JobConfig> ParseJobConfig(std::string_view yaml_text, std::string_view source);

// Checks shapes and parallel sizes (called by ParseJobConfig; call again after edits).
Status ValidateJobConfig(const JobConfig& job);

// Reads and parses a file (gzip allowed).
Result<JobConfig> LoadJobConfig(const std::string& path);

// Presets shipped in the binary (src/workload/presets/*.yaml).
std::vector<std::string> PresetNames();
Result<JobConfig> LoadPreset(std::string_view name);
// The raw YAML of a preset (for `plan --preset NAME --print-config`); empty when unknown.
std::string_view PresetText(std::string_view name);

// Enum names as written in YAML and printed in reports.
std::string_view Name(BlockKind v);
std::string_view Name(DpMode v);
std::string_view Name(PpSchedule v);
std::string_view Name(CpKind v);
std::string_view Name(Recompute v);
std::string_view Name(FfnAct v);
Result<Recompute> ParseRecompute(std::string_view text);

}  // namespace trainscope::workload
