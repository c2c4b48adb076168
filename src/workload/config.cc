// SPDX-License-Identifier: Apache-2.0
// GPU presets and small derived quantities of a JobConfig.
#include "workload/config.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "base/check.h"
#include "model/gpu_datasheet.h"

namespace trainscope::workload {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The figures are the datasheets' (model/gpu_datasheet.h); what the planner adds per GPU are
// its efficiency defaults [A]: A100 reaches a larger share of its lower peak on Megatron GEMMs.
// Attention: FlashAttention-2 reaches ~50-70% of an A100 but ~35% of a Hopper GPU (about
// 350 TFLOP/s forward, hdim 128: the FA2 baseline of Shah et al. 2024, FlashAttention-3,
// arXiv 2407.08608); FlashAttention-3 on Hopper ~75% forward, ~50% backward: 0.6 here.
// Blackwell's are Hopper's, unfitted [A]: docs/workload.md, Validation, checks them against
// Megatron-Bridge's Blackwell rows.
struct GpuRow {
  const char* key;        // what a config's `gpu` starts with
  const char* datasheet;  // model::GpuDatasheet key
  const char* name;       // shown in reports
  double gemm_eff, attn_eff, attn_eff_fa3;
  const char* efficiency_basis;  // where the efficiencies come from
  // Set where no published run on this GPU backs them: what that means for a prediction.
  const char* efficiency_caution;
};

constexpr const char* kBlackwellCaution =
    "NVIDIA's published B200 / GB200 / GB300 runs read -17% to +18% with them (5 of 8 within "
    "10%; docs/workload.md, Validation): take the step time as +/-20%";

constexpr GpuRow kGpuRows[] = {
    {"a100", "a100-sxm", "A100-80GB", 0.80, 0.50, 0.0,
     "fitted on the A100 runs of the shared validation set (Megatron-LM, MegaScale)", nullptr},
    {"h100", "h100", "H100-80GB", 0.70, 0.35, 0.60,
     "fitted on the H100 runs (Llama 3, NVIDIA's NeMo tables)", nullptr},
    {"h800", "h800", "H800-80GB", 0.70, 0.35, 0.60,
     "H100's (the same compute die; DeepSeek-V3's H800 run checked)", nullptr},
    {"h200", "h200", "H200-141GB", 0.72, 0.35, 0.60,
     "H100's, GEMM 0.72 for the faster HBM (the same compute die)",
     "no published H200 run was checked"},
    {"b200", "b200", "B200-180GB", 0.70, 0.35, 0.60, "Hopper's, not fitted on Blackwell",
     kBlackwellCaution},
    {"gb200", "gb200", "GB200-186GB", 0.70, 0.35, 0.60, "Hopper's, not fitted on Blackwell",
     kBlackwellCaution},
    {"gb300", "gb300", "GB300-279GB", 0.70, 0.35, 0.60, "Hopper's, not fitted on Blackwell",
     kBlackwellCaution},
};

}  // namespace

bool LookupGpu(const std::string& name, GpuSpec* out) {
  const std::string key = Lower(name);
  for (const GpuRow& row : kGpuRows) {
    if (key.rfind(row.key, 0) == 0) {
      const model::GpuDatasheet* sheet = model::FindGpuDatasheet(row.datasheet);
      TS_CHECK(sheet != nullptr, "GPU row '{}' names no datasheet", row.key);
      out->name = row.name;
      out->peak_flops = sheet->peak_flops;
      out->hbm_bytes = sheet->hbm_bytes;
      out->hbm_bw = sheet->hbm_bw;
      out->nvlink_bw = sheet->link_bw;
      out->gemm_eff_max = row.gemm_eff;
      out->attn_eff = row.attn_eff;
      out->attn_eff_fa3 = row.attn_eff_fa3;
      out->efficiency_basis = row.efficiency_basis;
      out->efficiency_caution = row.efficiency_caution == nullptr ? "" : row.efficiency_caution;
      out->efficiencies_stated = false;
      out->fp8_peak_flops = sheet->has_fp8 ? 2 * sheet->peak_flops : 0.0;
      out->reference_system = sheet->reference_system;
      out->reference_nic_gbps = sheet->reference_nic_gbps;
      out->reference_nvlink_domain = sheet->reference_nvlink_domain;
      return true;
    }
  }
  return false;
}

const std::string& KnownGpuNames() {
  static const std::string names = [] {
    std::string list;
    for (const GpuRow& row : kGpuRows) {
      if (!list.empty()) list += ", ";
      for (const char* c = row.key; *c != '\0'; ++c) {
        list += static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
      }
    }
    return list;
  }();
  return names;
}

void SetAssumption(std::vector<Assumption>* assumed, const std::string& field, std::string value,
                   std::string note) {
  for (Assumption& a : *assumed) {
    if (a.field == field) {
      a.value = std::move(value);
      a.note = std::move(note);
      return;
    }
  }
  assumed->push_back({field, std::move(value), std::move(note)});
}

bool HasAssumption(const std::vector<Assumption>& assumed, const std::string& field) {
  return std::any_of(assumed.begin(), assumed.end(),
                     [&](const Assumption& a) { return a.field == field; });
}

void DefaultClusterNetwork(const NetworkStated& stated, ClusterConfig* cluster,
                           std::vector<Assumption>* assumed) {
  ClusterConfig& c = *cluster;
  if (!stated.gpus_per_node && c.gpu.reference_nvlink_domain > 0) {
    c.gpus_per_node = c.gpu.reference_nvlink_domain;
    SetAssumption(assumed, "cluster.gpus_per_node", std::to_string(c.gpus_per_node),
                  fmt::format("NVLink domain of the GPU's reference system ({})",
                              c.gpu.reference_system));
  }
  if (!stated.nics_per_node) {
    c.nics_per_node = c.gpus_per_node;
    SetAssumption(assumed, "cluster.nics_per_node", std::to_string(c.nics_per_node),
                  "a compute-fabric NIC per GPU");
  }
  if (!stated.nic_gbps && c.gpu.reference_nic_gbps > 0) {
    c.nic_gbps = c.gpu.reference_nic_gbps;
    SetAssumption(assumed, "cluster.nic_gbps", fmt::format("{:g}", c.nic_gbps),
                  fmt::format("NIC per GPU of the GPU's reference system ({})",
                              c.gpu.reference_system));
  }
}

int MainBlockIndex(const JobConfig& job) {
  int index = -1;
  for (size_t i = 0; i < job.blocks.size(); ++i) {
    const BlockKind kind = job.blocks[i].kind;
    if (kind == BlockKind::kDense || kind == BlockKind::kMoe || kind == BlockKind::kDit) {
      index = static_cast<int>(i);
    }
  }
  return index;
}

int64_t FfnHidden(const BlockConfig& block) {
  if (block.ffn_hidden > 0) return block.ffn_hidden;
  if (block.kind == BlockKind::kVit) {
    return static_cast<int64_t>(block.mlp_ratio * static_cast<double>(block.hidden));
  }
  return 4 * block.hidden;
}

int KvHeads(const BlockConfig& block) { return block.kv_heads > 0 ? block.kv_heads : block.heads; }

int DataParallelSize(const BlockConfig& block, int gpus) {
  const int model_parallel = std::max(1, block.plan.tp * block.plan.pp * block.plan.cp);
  return std::max(1, gpus / model_parallel);
}

namespace {
bool EpConsecutive(const BlockConfig& block) {
  return block.plan.ep_layout == EpLayout::kConsecutive;
}
}  // namespace

bool EpFolded(const BlockConfig& block, int /*gpus*/) {
  return block.plan.ep > 1 && block.plan.tp * block.plan.cp > 1 && EpConsecutive(block);
}

int ExpertDataParallelSize(const BlockConfig& block, int gpus) {
  const ParallelPlan& p = block.plan;
  const int dp = DataParallelSize(block, gpus);
  if (p.fsdp_shard > 0) return std::max(1, std::min(p.fsdp_shard, dp) / std::max(1, p.ep));
  const int grid = EpConsecutive(block) ? p.tp * p.cp * dp : dp;
  return std::max(1, grid / std::max(1, p.ep));
}

int EpRankStride(const BlockConfig& block, int /*gpus*/) {
  return EpConsecutive(block) ? 1 : block.plan.tp * block.plan.cp;
}

int LocalExperts(const BlockConfig& block) {
  return block.num_experts / std::max(1, block.plan.ep);
}

double SlowestRankLoad(const BlockConfig& block) {
  return block.capacity_factor > 0 ? std::min(block.router_imbalance, block.capacity_factor)
                                   : block.router_imbalance;
}

int ExpertDataParallelStride(const BlockConfig& block) {
  const ParallelPlan& p = block.plan;
  if (p.ep <= 1) return p.tp * p.cp;
  return EpConsecutive(block) ? p.ep : p.tp * p.cp * p.ep;
}

}  // namespace trainscope::workload
