// SPDX-License-Identifier: Apache-2.0
// GPU datasheets: the vendor's published figures for each GPU trainscope knows (dense tensor
// peak, memory, links, SMs), one row per product, read by the planner (workload/config.cc) and
// the overlap simulator's presets (overlap/gpu_presets.cc). Each reader keeps only its own
// fitted efficiencies beside these facts, so a new GPU is added here once.
// Thread safety: a constant table.
#pragma once

#include <span>
#include <string_view>

namespace trainscope::model {

struct GpuDatasheet {
  const char* key;           // "a100-sxm", "a100-pcie", "h100", ...
  const char* model;         // the product token in GPU names: "a100", "h100", ...
  bool pcie = false;         // the PCIe card (its link is PCIe 4.0 x16, not NVLink)
  int sms = 0;               // streaming multiprocessors
  double peak_flops = 0;     // dense BF16 tensor-core FLOP/s (FP16 for L20)
  double hbm_bytes = 0;      // device memory of the variant named in `source`
  double hbm_bw = 0;         // bytes/s
  double link_bw = 0;        // per GPU, per direction: NVLink, or PCIe for PCIe cards
  bool has_fp8 = false;      // FP8 tensor cores at twice the BF16 rate (Hopper, Blackwell)
  const char* source;        // the datasheet and the figures read from it
  // The vendor's reference system for the GPU (DGX / HGX / NVL72) and its compute-fabric NIC per
  // GPU, Gb/s: what a cluster of these GPUs has unless told otherwise.
  const char* reference_system = "";
  double reference_nic_gbps = 0;
  int reference_nvlink_domain = 0;  // GPUs one NVLink fabric joins (8; NVL72: 72)
};

std::span<const GpuDatasheet> GpuDatasheets();
// The row with this key, or nullptr.
const GpuDatasheet* FindGpuDatasheet(std::string_view key);

}  // namespace trainscope::model
