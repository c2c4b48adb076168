// SPDX-License-Identifier: Apache-2.0
// Layout knobs of a job's main block: one table of names (as in YAML's `parallel:` and the plan
// flags), each with its parser and setter, shared by `plan`'s flags, the Python binding's
// keyword arguments and the sweep's axes, so the three cannot drift apart.
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "workload/config.h"

namespace trainscope::workload {

// Knob names: tp pp vpp cp ep mb gpus fsdp_shard recompute_layers (integers >= 1, or >= 0 for
// fsdp_shard and recompute_layers), sp tp_overlap ep_overlap dp_overlap (true/false), recompute
// (none selective full offload), dp_mode (dp zero1 zero2 zero3 fsdp), cp_kind (ring ulysses
// all_gather), schedule (1f1b interleaved zb_h1 dualpipe dualpipev).
const char* LayoutKnobNames();  // "tp, pp, ..." for messages
bool IsLayoutKnob(std::string_view name);

// Parses a knob's value ("8", "true", "selective") to the integer SetLayoutKnob takes (enums by
// their C++ value, booleans 0/1). Errors name the knob and the value.
Result<int> ParseLayoutKnob(std::string_view name, std::string_view text);
// Sets a knob on the main block (gpus on the cluster). Under 1F1B or interleaved, vpp > 1 selects
// the interleaved schedule and vpp 1 plain 1F1B. `name` must be a knob (IsLayoutKnob).
void SetLayoutKnob(std::string_view name, int value, JobConfig* job);

// The layout flags of `trainscope plan` and of trainscope.plan() in Python (same names, '-' as
// '_'): each given one overrides the job's.
struct LayoutFlags {
  std::optional<int> gpus, tp, pp, vpp, cp, ep;
  std::optional<int64_t> global_batch, micro_batch;
  std::optional<std::string> gpu, recompute, dp_mode, schedule, elementwise;
  std::optional<bool> sp;
  std::optional<double> tokens;
};
// Applies the flags to the main block and validates the job (errors name job.source); `gpu`
// must be a known GPU, `recompute`/`dp_mode`/`elementwise` known names. `flag_prefix` ("--" or "")
// is how the caller writes the flags in messages.
Status ApplyLayoutFlags(const LayoutFlags& flags, JobConfig* job, std::string_view flag_prefix);

}  // namespace trainscope::workload
