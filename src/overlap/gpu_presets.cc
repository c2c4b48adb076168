// SPDX-License-Identifier: Apache-2.0
// GPU preset table (datasheets + fitted efficiencies) and GPU name resolution.
#include "overlap/gpu_presets.h"

#include <fmt/format.h>

#include <cctype>

#include "base/check.h"
#include "model/gpu_datasheet.h"

namespace trainscope::overlap {
namespace {

// Fusion model shared by every GPU of a link kind, fitted on the `fit` rows together (the
// GEMM and baseline-link efficiencies above them fixed first); see docs/overlap.md.
// Chosen on a grid (call 0-40 us, tile 0-2 us, interference 0-3, NVLink copy efficiency
// 0.6-0.9) for the smallest max |T_f error| + max |E error| over the fit rows.
constexpr double kFusedCallOverheadS = 20e-6;  // launch + barrier + signal setup per call
constexpr double kFusedTileOverheadS = 1e-6;   // waits and signal per fused tile
constexpr double kCopyInterference = 2.0;      // device-memory cost of a copied byte

// What the overlap simulator adds to a GPU's datasheet (model/gpu_datasheet.h): its fitted
// efficiencies and where each comes from.
struct Row {
  const char* key;   // model::GpuDatasheet key
  const char* name;  // display name
  double gemm_efficiency;
  const char* gemm_source;
  double baseline_link_efficiency;
  const char* baseline_source;
  double fused_link_efficiency;  // fused copies (copy engine) vs the link's speed
  const char* fused_source;
};

// Fitted values (rows `fit` of data/flux_published.csv; overlap_published_test derives them
// again from those rows and checks this table against them):
//   GEMM efficiency = FLOPs / (faster published GEMM time x peak) on the AG row;
//   baseline link efficiency = received bytes / ((torch total - torch GEMM - 7 x latency) x
//   link bandwidth) on the AG row.
// Other GPUs borrow the value of the same architecture and link kind, and say so.
constexpr const char* kA800Gemm = "fitted on readme-a800-ag";
constexpr const char* kH800Gemm = "fitted on readme-h800-ag";
constexpr const char* kA800Link = "fitted on readme-a800-ag (NCCL over NVLink)";
constexpr const char* kH800Link = "fitted on readme-h800-ag (NCCL over NVLink)";
constexpr const char* kL20Link = "fitted on perfdoc-l20-ag (NCCL over PCIe)";
constexpr const char* kNvlinkFit = "assumed: the NVLink fit of A800/H800";
constexpr const char* kCopyFit =
    "fitted on readme-a800-ag and readme-h800-ag (copy engine over NVLink)";
constexpr Row kRows[] = {
    {"a100-sxm", "A100 SXM4 (NVLink)", 0.834, "assumed: A800's (same GA100 die)", 0.681,
     "assumed: A800's (NCCL over NVLink 3)", 0.8, kNvlinkFit},
    {"a100-pcie", "A100 PCIe", 0.834, "assumed: A800's (same GA100 die)", 0.246,
     "assumed: L20's (NCCL over PCIe 4.0)", 0.37,
     "fitted on the paper's A100 PCIe E range (rows paper-a100pcie-*)"},
    {"a800", "A800 SXM4 (NVLink)", 0.834, kA800Gemm, 0.681, kA800Link, 0.8, kCopyFit},
    {"h100", "H100 SXM5 (NVLink)", 0.768, "assumed: H800's (same GH100 die)", 0.774,
     "assumed: H800's (NCCL over NVLink 4)", 0.8, kNvlinkFit},
    {"h800", "H800 SXM5 (NVLink)", 0.768, kH800Gemm, 0.774, kH800Link, 0.8, kCopyFit},
    {"h20", "H20 (NVLink)", 0.768, "assumed: H800's (Hopper)", 0.774,
     "assumed: H800's (NCCL over NVLink 4)", 0.8, kNvlinkFit},
    {"h200", "H200 SXM (NVLink)", 0.768, "assumed: H800's (same GH100 die)", 0.774,
     "assumed: H800's (NCCL over NVLink 4)", 0.8, kNvlinkFit},
    {"l20", "L20 (PCIe)", 0.973, "fitted on perfdoc-l20-ag (fp16)", 0.246, kL20Link, 0.6,
     "fitted on perfdoc-l20-ag (copy engine over PCIe)"},
    {"b200", "B200 (NVLink 5)", 0.768, "assumed: H800's (no published Flux row)", 0.774,
     "assumed: H800's (NCCL over NVLink)", 0.8, kNvlinkFit},
    {"gb200", "GB200 (NVLink 5, NVL72)", 0.768, "assumed: H800's (no published Flux row)", 0.774,
     "assumed: H800's (NCCL over NVLink)", 0.8, kNvlinkFit},
    {"gb300", "GB300 (NVLink 5, NVL72)", 0.768, "assumed: H800's (no published Flux row)", 0.774,
     "assumed: H800's (NCCL over NVLink)", 0.8, kNvlinkFit},
};

GpuPresetInfo MakeInfo(const Row& row) {
  const model::GpuDatasheet* sheet = model::FindGpuDatasheet(row.key);
  TS_CHECK(sheet != nullptr, "overlap preset '{}' names no datasheet", row.key);
  GpuPresetInfo info;
  info.key = row.key;
  info.name = row.name;
  info.link = sheet->pcie ? LinkKind::kPcie : LinkKind::kNvlink;
  info.peak_flops_per_s = sheet->peak_flops;
  info.gemm_efficiency = row.gemm_efficiency;
  info.gemm_efficiency_source = row.gemm_source;
  info.baseline_link_source = row.baseline_source;
  info.spec_source = sheet->source;
  SimHardware& hw = info.hw;
  hw.workers = sheet->sms;
  hw.gemm_flops_per_s = sheet->peak_flops * row.gemm_efficiency;
  hw.link_bandwidth_bytes_per_s = sheet->link_bw;
  hw.baseline_link_efficiency = row.baseline_link_efficiency;
  hw.memory_bandwidth_bytes_per_s = sheet->hbm_bw;
  hw.link_latency_s = 2e-6;
  hw.step_sync_s = 10e-6;
  hw.bytes_per_element = 2;
  hw.full_cost_edge_tiles = true;
  hw.fused_link_efficiency = row.fused_link_efficiency;
  info.fused_link_source = row.fused_source;
  ApplyFusionModel(&hw);
  return info;
}

std::vector<std::string> Tokens(std::string_view name) {
  std::vector<std::string> tokens(1);
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      tokens.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!tokens.back().empty()) {
      tokens.emplace_back();
    }
  }
  if (tokens.back().empty()) tokens.pop_back();
  return tokens;
}

std::string PresetList() {
  std::string list;
  for (const Row& row : kRows) list += (list.empty() ? "" : ", ") + std::string(row.key);
  return list;
}

}  // namespace

void ApplyFusionModel(SimHardware* hw) {
  hw->fused_call_overhead_s = kFusedCallOverheadS;
  hw->fused_tile_overhead_s = kFusedTileOverheadS;
  hw->copy_interference = kCopyInterference;
}

const std::vector<GpuPresetInfo>& GpuPresets() {
  static const std::vector<GpuPresetInfo> presets = [] {
    std::vector<GpuPresetInfo> out;
    for (const Row& row : kRows) out.push_back(MakeInfo(row));
    return out;
  }();
  return presets;
}

Result<GpuPresetInfo> ResolveGpu(std::string_view name) {
  std::string model;
  bool pcie = false, sxm = false;
  for (const std::string& token : Tokens(name)) {
    for (const model::GpuDatasheet& sheet : model::GpuDatasheets()) {
      if (token == sheet.model && model.empty()) model = sheet.model;
    }
    pcie = pcie || token == "pcie";
    sxm = sxm || token.rfind("sxm", 0) == 0 || token == "nvlink";
  }
  if (model.empty()) {
    return InvalidArgumentError("GPU '{}': no overlap preset for it (presets: {})", name,
                                PresetList());
  }
  // The variant asked for: PCIe when the name says so (and not SXM), else the NVLink part; a
  // product made only as a PCIe card (L20) is that card.
  const bool want_pcie = pcie && !sxm;
  const model::GpuDatasheet* chosen = nullptr;
  for (const model::GpuDatasheet& sheet : model::GpuDatasheets()) {
    if (sheet.model != model) continue;
    if (chosen == nullptr || sheet.pcie == want_pcie) chosen = &sheet;
  }
  if (want_pcie && !chosen->pcie) {
    return InvalidArgumentError(
        "GPU '{}': no overlap preset for the PCIe {} (presets: {}); give its link with "
        "overlap predict --gpu custom",
        name, model, PresetList());
  }
  for (const GpuPresetInfo& info : GpuPresets()) {
    if (info.key == chosen->key) return info;
  }
  return InvalidArgumentError("GPU '{}': no overlap preset for it (presets: {})", name,
                              PresetList());
}

Result<SimHardware> GpuPreset(std::string_view name) {
  TS_ASSIGN_OR_RETURN(GpuPresetInfo info, ResolveGpu(name));
  return info.hw;
}

}  // namespace trainscope::overlap
