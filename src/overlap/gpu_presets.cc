// SPDX-License-Identifier: Apache-2.0
// GPU preset table (datasheets + fitted efficiencies) and GPU name resolution.
#include "overlap/gpu_presets.h"

#include <fmt/format.h>

#include <cctype>

namespace trainscope::overlap {
namespace {

// Fusion model shared by every GPU of a link kind, fitted on the `fit` rows together (the
// GEMM and baseline-link efficiencies above them fixed first); see docs/overlap.md.
// Chosen on a grid (call 0-40 us, tile 0-2 us, interference 0-3, NVLink copy efficiency
// 0.6-0.9) for the smallest max |T_f error| + max |E error| over the fit rows.
constexpr double kFusedCallOverheadS = 20e-6;  // launch + barrier + signal setup per call
constexpr double kFusedTileOverheadS = 1e-6;   // waits and signal per fused tile
constexpr double kCopyInterference = 2.0;      // device-memory cost of a copied byte

struct Row {
  const char* key;
  const char* name;
  LinkKind link;
  int sms;
  double peak_flops, memory_bw, link_bw;  // link: per direction, NVLink or PCIe 4.0 x16
  double gemm_efficiency;
  const char* gemm_source;
  double baseline_link_efficiency;
  const char* baseline_source;
  double fused_link_efficiency;  // fused copies (copy engine) vs the link's speed
  const char* fused_source;
  const char* spec_source;
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
constexpr Row kRows[] = {
    {"a100-sxm", "A100 SXM4 (NVLink)", LinkKind::kNvlink, 108, 312e12, 2.039e12, 300e9, 0.834,
     "assumed: A800's (same GA100 die)", 0.681, "assumed: A800's (NCCL over NVLink 3)", 0.8,
     "assumed: the NVLink fit of A800/H800",
     "NVIDIA A100 datasheet: 312 TFLOP/s bf16, 2,039 GB/s HBM2e, NVLink 600 GB/s"},
    {"a100-pcie", "A100 PCIe", LinkKind::kPcie, 108, 312e12, 1.935e12, 32e9, 0.834,
     "assumed: A800's (same GA100 die)", 0.246, "assumed: L20's (NCCL over PCIe 4.0)", 0.37,
     "fitted on the paper's A100 PCIe E range (rows paper-a100pcie-*)",
     "NVIDIA A100 datasheet: 312 TFLOP/s bf16, 1,935 GB/s HBM2e, PCIe 4.0 x16 64 GB/s"},
    {"a800", "A800 SXM4 (NVLink)", LinkKind::kNvlink, 108, 312e12, 2.039e12, 200e9, 0.834,
     kA800Gemm, 0.681, kA800Link, 0.8,
     "fitted on readme-a800-ag and readme-h800-ag (copy engine over NVLink)",
     "NVIDIA A800 datasheet: 312 TFLOP/s bf16, 2,039 GB/s HBM2e, NVLink 400 GB/s"},
    {"h100", "H100 SXM5 (NVLink)", LinkKind::kNvlink, 132, 989e12, 3.35e12, 450e9, 0.768,
     "assumed: H800's (same GH100 die)", 0.774, "assumed: H800's (NCCL over NVLink 4)", 0.8,
     "assumed: the NVLink fit of A800/H800",
     "NVIDIA H100 datasheet: 989 TFLOP/s bf16, 3.35 TB/s HBM3, NVLink 900 GB/s"},
    {"h800", "H800 SXM5 (NVLink)", LinkKind::kNvlink, 132, 989e12, 3.35e12, 200e9, 0.768, kH800Gemm,
     0.774, kH800Link, 0.8, "fitted on readme-a800-ag and readme-h800-ag (copy engine over NVLink)",
     "NVIDIA H800 datasheet: 989 TFLOP/s bf16, 3.35 TB/s HBM3, NVLink 400 GB/s"},
    {"h20", "H20 (NVLink)", LinkKind::kNvlink, 78, 148e12, 4.0e12, 450e9, 0.768,
     "assumed: H800's (Hopper)", 0.774, "assumed: H800's (NCCL over NVLink 4)", 0.8,
     "assumed: the NVLink fit of A800/H800",
     "NVIDIA H20 product brief: 148 TFLOP/s bf16, 4.0 TB/s HBM3, NVLink 900 GB/s"},
    {"h200", "H200 SXM (NVLink)", LinkKind::kNvlink, 132, 989e12, 4.8e12, 450e9, 0.768,
     "assumed: H800's (same GH100 die)", 0.774, "assumed: H800's (NCCL over NVLink 4)", 0.8,
     "assumed: the NVLink fit of A800/H800",
     "NVIDIA H200 datasheet: 989 TFLOP/s bf16, 4.8 TB/s HBM3e, NVLink 900 GB/s"},
    {"l20", "L20 (PCIe)", LinkKind::kPcie, 92, 119.5e12, 864e9, 32e9, 0.973,
     "fitted on perfdoc-l20-ag (fp16)", 0.246, kL20Link, 0.6,
     "fitted on perfdoc-l20-ag (copy engine over PCIe)",
     "NVIDIA L20 datasheet: 119.5 TFLOP/s fp16, 864 GB/s GDDR6, PCIe 4.0 x16 64 GB/s"},
    {"b200", "B200 (NVLink 5)", LinkKind::kNvlink, 148, 2250e12, 8.0e12, 900e9, 0.768,
     "assumed: H800's (no published Flux row)", 0.774, "assumed: H800's (NCCL over NVLink)", 0.8,
     "assumed: the NVLink fit of A800/H800",
     "NVIDIA HGX B200 datasheet: 2.25 PFLOP/s dense bf16, 8 TB/s HBM3e, NVLink 1.8 TB/s"},
    {"gb200", "GB200 (NVLink 5, NVL72)", LinkKind::kNvlink, 148, 2500e12, 8.0e12, 900e9, 0.768,
     "assumed: H800's (no published Flux row)", 0.774, "assumed: H800's (NCCL over NVLink)", 0.8,
     "assumed: the NVLink fit of A800/H800",
     "NVIDIA GB200 NVL72 datasheet: 360 PFLOP/s bf16 with sparsity over 72 GPUs (2.5 dense per "
     "GPU), 576 TB/s HBM3e, NVLink 130 TB/s"},
    {"gb300", "GB300 (NVLink 5, NVL72)", LinkKind::kNvlink, 160, 2500e12, 8.0e12, 900e9, 0.768,
     "assumed: H800's (no published Flux row)", 0.774, "assumed: H800's (NCCL over NVLink)", 0.8,
     "assumed: the NVLink fit of A800/H800",
     "NVIDIA GB300 NVL72 datasheet: 360 PFLOP/s bf16 with sparsity over 72 GPUs (2.5 dense per "
     "GPU), 576 TB/s HBM3e, NVLink 130 TB/s; 160 SMs (Blackwell Ultra)"},
};

GpuPresetInfo MakeInfo(const Row& row) {
  GpuPresetInfo info;
  info.key = row.key;
  info.name = row.name;
  info.link = row.link;
  info.peak_flops_per_s = row.peak_flops;
  info.gemm_efficiency = row.gemm_efficiency;
  info.gemm_efficiency_source = row.gemm_source;
  info.baseline_link_source = row.baseline_source;
  info.spec_source = row.spec_source;
  SimHardware& hw = info.hw;
  hw.workers = row.sms;
  hw.gemm_flops_per_s = row.peak_flops * row.gemm_efficiency;
  hw.link_bandwidth_bytes_per_s = row.link_bw;
  hw.baseline_link_efficiency = row.baseline_link_efficiency;
  hw.memory_bandwidth_bytes_per_s = row.memory_bw;
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
  static constexpr const char* kModels[] = {"a100", "a800", "h100", "h800",  "h20",
                                            "h200", "l20",  "b200", "gb200", "gb300"};
  std::string model;
  bool pcie = false, sxm = false;
  for (const std::string& token : Tokens(name)) {
    for (const char* candidate : kModels) {
      if (token == candidate && model.empty()) model = candidate;
    }
    pcie = pcie || token == "pcie";
    sxm = sxm || token.rfind("sxm", 0) == 0 || token == "nvlink";
  }
  if (model.empty()) {
    return InvalidArgumentError("GPU '{}': no overlap preset for it (presets: {})", name,
                                PresetList());
  }
  std::string key = model;
  if (model == "a100") key = pcie && !sxm ? "a100-pcie" : "a100-sxm";
  if (pcie && !sxm && model != "a100" && model != "l20") {
    return InvalidArgumentError(
        "GPU '{}': no overlap preset for the PCIe {} (presets: {}); give its link with "
        "overlap predict --gpu custom",
        name, model, PresetList());
  }
  for (const GpuPresetInfo& info : GpuPresets()) {
    if (info.key == key) return info;
  }
  return InternalError("GPU preset '{}' missing from the table", key);
}

Result<SimHardware> GpuPreset(std::string_view name) {
  TS_ASSIGN_OR_RETURN(GpuPresetInfo info, ResolveGpu(name));
  return info.hw;
}

}  // namespace trainscope::overlap
