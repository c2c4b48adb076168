// SPDX-License-Identifier: Apache-2.0
// OpJob: the what-if analysis input, the paper's "OpDuration" table of one Megatron-style job
// (Lin et al., OSDI'25, section 4.1): one row per traced op with its worker (dp_rank, PP stage,
// global rank), step, op kind, order among same-kind ops (seq_id), model chunk, microbatch, start
// (relative to its step) and duration. Readers (ingest/optable, or the Kineto mapping) fill it;
// analyses read it const. Units: nanoseconds. Thread safety: plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace trainscope::whatif {

enum class OpKind : uint8_t {
  kForwardCompute,
  kBackwardCompute,
  kForwardSend,
  kForwardRecv,
  kBackwardSend,
  kBackwardRecv,
  kParamsAllGather,
  kGradsReduceScatter,
  kSeparateGradsAllReduce,
  kLayernormGradsAllReduce,
  kEmbeddingGradsAllReduce,
  kOptimizerClipMainGrad,
  kOptimizer,
  kGc,
};
inline constexpr int kOpKindCount = 14;

// The artifact's optype strings ("forward-compute", "grads-reduce-scatter", ...).
std::string_view OpKindName(OpKind kind);
std::optional<OpKind> ParseOpKind(std::string_view name);
// Conceptually communication (ideal duration = median transfer): PP p2p, DP collectives,
// layernorm/embedding all-reduces and the clip-grad sync.
bool IsCommKind(OpKind kind);
bool IsComputeKind(OpKind kind);  // forward/backward compute
bool IsP2pKind(OpKind kind);
// Attribution label: PP p2p kinds merge into "forward-pp-comm" / "backward-pp-comm".
std::string_view AttributionLabel(OpKind kind);

struct OpJob {
  std::string name;    // for messages and output
  std::string source;  // the op table's file (CSV or Parquet), for the place of a row
  std::vector<int64_t> blank_line_rows;  // CSV: rows before each skipped blank line
  int32_t dp_size = 1, pp_size = 1, tp_size = 1, dsp_size = 1, vpp_size = 1, world_size = 1;
  // Which sizes the meta gave ("world_size", ...; empty without a meta): the others are
  // defaults, which ReconcileJobSize (megatron_model.h) checks against the rows.
  std::vector<std::string> meta_size_keys;
  std::vector<int32_t> dp_rank, stage, rank, step, seq_id, mc, mb_id, gmc;
  std::vector<OpKind> kind;
  std::vector<int64_t> start_ns, dur_ns;
  size_t size() const { return step.size(); }
};

// Where row `row` came from: "trace-ST.csv.gz:268" (file:line) or "trace-ST.parquet row 266"
// (0-based, as pandas numbers it); the trial name when there is no file.
std::string RowPlace(const OpJob& job, int64_t row);

// Moves the columns of a reader's table (any type with the op-table reader's members: source,
// meta, optype_names, optype and the int/time columns, e.g. ingest::OpTable) into an OpJob,
// mapping optype strings to kinds. Unknown optypes are an error naming source:line.
template <typename Table>
Result<OpJob> OpJobFromTable(Table&& t) {
  OpJob job;
  job.name = t.meta.trial_name.empty() ? t.source : t.meta.trial_name;
  job.source = t.source;
  job.blank_line_rows = std::move(t.blank_line_rows);
  job.dp_size = t.meta.dp_size;
  job.pp_size = t.meta.pp_size;
  job.tp_size = t.meta.tp_size;
  job.dsp_size = t.meta.dsp_size;
  job.vpp_size = t.meta.vpp_size;
  job.world_size = t.meta.world_size;
  if (t.meta_found) job.meta_size_keys = t.meta.size_keys;
  std::vector<OpKind> kinds;
  for (const std::string& name : t.optype_names) {
    std::optional<OpKind> kind = ParseOpKind(name);
    if (!kind) {
      size_t row = 0;
      while (t.optype_names[t.optype[row]] != name) ++row;
      return InvalidArgumentError(
          "{}:{}: unknown optype '{}' (the Megatron dependency model knows "
          "forward/backward-compute, "
          "forward/backward-send/-recv, params-all-gather, grads-reduce-scatter, "
          "separate-grads-all-reduce, "
          "layernorm/embedding-grads-all-reduce, optimizer-clip-main-grad, optimizer, gc)",
          t.source, row + 2, name);
    }
    kinds.push_back(*kind);
  }
  job.kind.resize(t.optype.size());
  for (size_t i = 0; i < t.optype.size(); ++i) job.kind[i] = kinds[t.optype[i]];
  job.dp_rank = std::move(t.dp_rank);
  job.stage = std::move(t.stage);
  job.rank = std::move(t.rank);
  job.step = std::move(t.step);
  job.seq_id = std::move(t.seq_id);
  job.mc = std::move(t.mc);
  job.mb_id = std::move(t.mb_id);
  job.gmc = std::move(t.gmc);
  job.start_ns = std::move(t.start_ns);
  job.dur_ns = std::move(t.dur_ns);
  return job;
}

}  // namespace trainscope::whatif
