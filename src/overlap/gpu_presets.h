// SPDX-License-Identifier: Apache-2.0
// GPU presets of the overlap simulator: public specs (SMs, dense bf16/fp16 tensor rate, memory
// bandwidth, per-direction link bandwidth) plus the efficiencies fitted on the published Flux
// rows marked `fit` in overlap/data/flux_published.csv (see overlap/published.h), and the
// resolution of free-form GPU names ("NVIDIA H100 80GB HBM3", "A100-SXM4-80GB", "H800-80GB")
// to one preset. A name that matches no preset is an error, never a default.
// Thread safety: pure functions over constant tables.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "overlap/simulator.h"

namespace trainscope::overlap {

enum class LinkKind { kNvlink, kPcie };

struct GpuPresetInfo {
  std::string key;  // model::GpuDatasheet key: "a100-sxm", "a100-pcie", "a800", "h100", ...
  std::string name;  // display name
  LinkKind link = LinkKind::kNvlink;
  double peak_flops_per_s = 0;         // dense bf16 (fp16 for L20) tensor-core peak, datasheet
  double gemm_efficiency = 0;          // achieved large-GEMM rate / peak
  std::string gemm_efficiency_source;  // "fitted on readme-h800-ag" or "assumed: ..."
  std::string baseline_link_source;    // same for baseline_link_efficiency
  std::string fused_link_source;       // same for fused_link_efficiency
  std::string spec_source;             // datasheet the spec numbers come from
  SimHardware hw;                      // ready for Simulate
};

// Every preset, in a fixed order.
const std::vector<GpuPresetInfo>& GpuPresets();

// Resolves a GPU name: case, "NVIDIA", memory sizes and form-factor words are ignored; the
// model token must be one of the datasheets' (model/gpu_datasheet.h: a100, a800, h100, h800,
// h20, h200, l20, b200, gb200, gb300; "A100 ... PCIe"
// selects the PCIe A100). Unknown models and PCIe variants without a preset are errors that
// list the presets.
Result<GpuPresetInfo> ResolveGpu(std::string_view name);

// Sets the fusion overheads shared by every preset (per call, per tile, copy interference;
// fitted, see gpu_presets.cc).
void ApplyFusionModel(SimHardware* hw);

}  // namespace trainscope::overlap
