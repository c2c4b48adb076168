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

// A decoder-only LLM (dense, or MoE with experts > 0) from the model flags of `plan`: the job
// goes through the YAML reader like a config file, so it records the same assumptions (cluster,
// system and training defaults), plus those the flags path makes itself: Llama-style SwiGLU
// without biases, vocab 32,000, and an FFN of 8/3 x hidden rounded up to a multiple of 256 when
// none is given (Llama-2: 4096 -> 11008, 5120 -> 13824; 4 x hidden is the GELU rule and gave a
// Llama-2-7B shape 8.85B parameters instead of 6.74B).
struct DecoderFlags {
  int layers = 0, heads = 0, gpus = 0, experts = 0;
  int64_t hidden = 0, seq_len = 0, global_batch = 0, ffn_hidden = 0, vocab = 0;
  int tp = 1, pp = 1, cp = 1, ep = 1, micro_batch = 1;  // the layout the batch is checked against
  std::string gpu;  // empty: the default GPU, recorded as an assumption
};
Result<JobConfig> DecoderJob(const DecoderFlags& flags);
int64_t LlamaFfnHidden(int64_t hidden);

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
std::string_view Name(MoeDispatcher v);
std::string_view Name(EpLayout v);
std::string_view Name(Elementwise v);
Result<Recompute> ParseRecompute(std::string_view text);
Result<DpMode> ParseDpMode(std::string_view text);
Result<Elementwise> ParseElementwise(std::string_view text);
Result<CpKind> ParseCpKind(std::string_view text);
Result<PpSchedule> ParseSchedule(std::string_view text);

}  // namespace trainscope::workload
