// SPDX-License-Identifier: Apache-2.0
// GPU datasheet table (gpu_datasheet.h). Dense figures: NVIDIA quotes Hopper's and Blackwell's
// FP8/BF16 with 2:4 sparsity, twice these. Link figures are per direction (NVLink 3 600 GB/s,
// NVLink 4 900, NVLink 5 1.8 TB/s both ways; the export parts A800 and H800 400 GB/s).
#include "model/gpu_datasheet.h"

namespace trainscope::model {
namespace {

constexpr GpuDatasheet kRows[] = {
    {"a100-sxm", "a100", false, 108, 312e12, 80e9, 2.039e12, 300e9, false,
     "NVIDIA A100 datasheet (SXM4 80GB): 312 TFLOP/s bf16, 2,039 GB/s HBM2e, NVLink 600 GB/s",
     "DGX A100: 8 x ConnectX-6 HDR 200 Gb/s", 200, 8},
    {"a100-pcie", "a100", true, 108, 312e12, 80e9, 1.935e12, 32e9, false,
     "NVIDIA A100 datasheet (PCIe 80GB): 312 TFLOP/s bf16, 1,935 GB/s HBM2e, PCIe 4.0 x16 "
     "64 GB/s"},
    {"a800", "a800", false, 108, 312e12, 80e9, 2.039e12, 200e9, false,
     "NVIDIA A800 datasheet (SXM4 80GB): 312 TFLOP/s bf16, 2,039 GB/s HBM2e, NVLink 400 GB/s"},
    {"h100", "h100", false, 132, 989e12, 80e9, 3.35e12, 450e9, true,
     "NVIDIA H100 datasheet (SXM5): 989 TFLOP/s bf16, 80 GB at 3.35 TB/s HBM3, NVLink 900 GB/s",
     "DGX H100: 8 x ConnectX-7 NDR 400 Gb/s", 400, 8},
    {"h800", "h800", false, 132, 989e12, 80e9, 3.35e12, 200e9, true,
     "NVIDIA H800 datasheet (SXM5): 989 TFLOP/s bf16, 80 GB at 3.35 TB/s HBM3, NVLink 400 GB/s",
     "HGX H800: 8 x 400 Gb/s (DeepSeek-V3 sec. 3.2.2: InfiniBand at 50 GB/s per GPU)", 400, 8},
    {"h20", "h20", false, 78, 148e12, 96e9, 4.0e12, 450e9, true,
     "NVIDIA H20 product brief: 148 TFLOP/s bf16, 96 GB at 4.0 TB/s HBM3, NVLink 900 GB/s"},
    {"h200", "h200", false, 132, 989e12, 141e9, 4.8e12, 450e9, true,
     "NVIDIA H200 datasheet (SXM): 989 TFLOP/s bf16, 141 GB at 4.8 TB/s HBM3e, NVLink 900 GB/s",
     "DGX H200: 8 x ConnectX-7 NDR 400 Gb/s", 400, 8},
    {"l20", "l20", true, 92, 119.5e12, 48e9, 864e9, 32e9, true,
     "NVIDIA L20 datasheet: 119.5 TFLOP/s fp16, 48 GB at 864 GB/s GDDR6, PCIe 4.0 x16 64 GB/s"},
    {"b200", "b200", false, 148, 2250e12, 180e9, 8.0e12, 900e9, true,
     "NVIDIA DGX B200 datasheet (8 GPUs: 72 PFLOP/s FP8 training, 1,440 GB HBM3e at 64 TB/s, "
     "NVLink 5 at 1.8 TB/s per GPU): 2.25 PFLOP/s dense bf16, 180 GB at 8 TB/s per GPU",
     "DGX B200: 8 x ConnectX-7 400 Gb/s", 400, 8},
    {"gb200", "gb200", false, 148, 2500e12, 186e9, 8.0e12, 900e9, true,
     "NVIDIA GB200 NVL72 datasheet (72 GPUs: 360 PFLOP/s bf16 with sparsity, 13.4 TB HBM3e at "
     "576 TB/s, NVLink 130 TB/s): 2.5 PFLOP/s dense bf16, 186 GB at 8 TB/s per GPU",
     "GB200 NVL72: ConnectX-7 400 Gb/s per GPU", 400, 72},
    {"gb300", "gb300", false, 160, 2500e12, 279e9, 8.0e12, 900e9, true,
     "NVIDIA GB300 NVL72 datasheet (72 GPUs: 360 PFLOP/s bf16 with sparsity, 20.1 TB HBM3e at "
     "576 TB/s; Blackwell Ultra, 160 SMs): 2.5 PFLOP/s dense bf16, 279 GB at 8 TB/s per GPU",
     "GB300 NVL72: ConnectX-8 SuperNIC 800 Gb/s per GPU", 800, 72},
};

}  // namespace

std::span<const GpuDatasheet> GpuDatasheets() { return kRows; }

const GpuDatasheet* FindGpuDatasheet(std::string_view key) {
  for (const GpuDatasheet& row : kRows) {
    if (key == row.key) return &row;
  }
  return nullptr;
}

}  // namespace trainscope::model
