// SPDX-License-Identifier: Apache-2.0
// Consistency checks of a parsed JobConfig: shapes positive, parallel sizes dividing what they
// split. Each error names the field path.
#include "base/status.h"
#include "workload/config_io.h"

namespace trainscope::workload {

Status ValidateJobConfig(const JobConfig& job) {
  const int gpus = job.cluster.gpus;
  if (gpus <= 0) return InvalidArgumentError("cluster.gpus: must be positive (got {})", gpus);
  if (job.cluster.gpus_per_node <= 0) {
    return InvalidArgumentError("cluster.gpus_per_node: must be positive");
  }
  if (job.cluster.gpu.peak_flops <= 0 || job.cluster.gpu.hbm_bytes <= 0) {
    return InvalidArgumentError("cluster.gpu: peak_flops and hbm_bytes must be positive");
  }
  if (MainBlockIndex(job) < 0) {
    return InvalidArgumentError("blocks: need one dense, moe or dit block to train");
  }
  for (size_t i = 0; i < job.blocks.size(); ++i) {
    const BlockConfig& b = job.blocks[i];
    const std::string where = fmt::format("blocks[{}] ({})", i, b.name);
    const ParallelPlan& p = b.plan;
    if (b.layers <= 0 || b.hidden <= 0 || b.heads <= 0) {
      return InvalidArgumentError("{}: layers, hidden and heads must be positive", where);
    }
    if (b.hidden % b.heads != 0) {
      return InvalidArgumentError("{}: hidden {} is not divisible by heads {}", where, b.hidden,
                                  b.heads);
    }
    if (b.heads % KvHeads(b) != 0) {
      return InvalidArgumentError("{}: heads {} not divisible by kv_heads {}", where, b.heads,
                                  KvHeads(b));
    }
    if (p.tp < 1 || p.pp < 1 || p.cp < 1 || p.ep < 1 || p.vpp < 1 || p.micro_batch < 1) {
      return InvalidArgumentError("{}.parallel: tp, pp, cp, ep, vpp, micro_batch must be >= 1",
                                  where);
    }
    if (b.heads % p.tp != 0) {
      return InvalidArgumentError("{}.parallel.tp: {} does not divide heads {}", where, p.tp,
                                  b.heads);
    }
    if (gpus % (p.tp * p.pp * p.cp) != 0) {
      return InvalidArgumentError("{}.parallel: tp*pp*cp = {} does not divide cluster.gpus {}",
                                  where, p.tp * p.pp * p.cp, gpus);
    }
    if (b.layers < p.pp * p.vpp) {
      return InvalidArgumentError("{}.parallel: pp*vpp = {} exceeds layers {}", where,
                                  p.pp * p.vpp, b.layers);
    }
    if (p.cp_kind == CpKind::kUlysses && b.heads % (p.cp * p.tp) != 0) {
      return InvalidArgumentError("{}.parallel.cp: Ulysses needs heads {} divisible by tp*cp {}",
                                  where, b.heads, p.cp * p.tp);
    }
    if (b.kind == BlockKind::kMoe) {
      if (b.num_experts <= 0 || b.top_k <= 0 || b.top_k > b.num_experts) {
        return InvalidArgumentError("{}: moe needs num_experts > 0 and 0 < top_k <= experts",
                                    where);
      }
      if (b.num_experts % p.ep != 0) {
        return InvalidArgumentError("{}.parallel.ep: {} does not divide num_experts {}", where,
                                    p.ep, b.num_experts);
      }
      const int dp = DataParallelSize(b, gpus);
      if (dp % p.ep != 0) {
        return InvalidArgumentError("{}.parallel.ep: {} does not divide the DP size {}", where,
                                    p.ep, dp);
      }
    }
    if (b.kind == BlockKind::kDit && b.samples.empty()) {
      return InvalidArgumentError("{}: a dit block needs a 'samples' mix", where);
    }
  }
  const BlockConfig& main = job.blocks[static_cast<size_t>(MainBlockIndex(job))];
  if (job.training.global_batch <= 0 && job.training.global_batch_tokens <= 0) {
    return InvalidArgumentError("training: give global_batch (sequences) or global_batch_tokens");
  }
  if (job.training.global_batch > 0 && main.kind != BlockKind::kDit) {
    const int64_t dp = DataParallelSize(main, gpus);
    if (job.training.global_batch % (dp * main.plan.micro_batch) != 0) {
      return InvalidArgumentError(
          "training.global_batch: {} is not a multiple of dp {} x micro_batch {}",
          job.training.global_batch, dp, main.plan.micro_batch);
    }
  }
  if (job.training.effective_time_ratio <= 0 || job.training.effective_time_ratio > 1) {
    return InvalidArgumentError("training.effective_time_ratio: must be in (0, 1]");
  }
  return OkStatus();
}

}  // namespace trainscope::workload
