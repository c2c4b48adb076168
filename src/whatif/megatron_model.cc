// SPDX-License-Identifier: Apache-2.0
// BuildMegatronModel: instantiates the per-stage template for every (step, dp_rank), builds the
// DepGraph, and derives transfer times and launch delays from the measured trace.
#include "whatif/megatron_model.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "whatif/internal/megatron_template.h"

namespace trainscope::whatif {
namespace {

// The artifact's tolerance for clock skew: more negative values are treated as 0.
constexpr int64_t kSkewToleranceNs = 10'000'000;
// Bounds that keep per-worker arrays small for any input.
constexpr int32_t kMaxRanks = 1 << 16;

int32_t StreamOf(OpKind kind) {
  switch (kind) {
    case OpKind::kForwardCompute:
    case OpKind::kBackwardCompute:
    case OpKind::kGc:
    case OpKind::kOptimizer:
      return 0;
    case OpKind::kParamsAllGather:
    case OpKind::kGradsReduceScatter:
    case OpKind::kSeparateGradsAllReduce:
      return 1;
    case OpKind::kForwardSend:
      return 2;
    case OpKind::kForwardRecv:
      return 3;
    case OpKind::kBackwardSend:
      return 4;
    case OpKind::kBackwardRecv:
      return 5;
    default:
      return 6;  // layernorm / embedding all-reduce, clip-grad sync
  }
}

constexpr const char* kStreamNames[] = {"compute",
                                        "dp-comm",
                                        "pp fwd-send",
                                        "pp fwd-recv",
                                        "pp bwd-send",
                                        "pp bwd-recv",
                                        "sync (layernorm/embedding/clip)"};

GroupRole RoleOf(OpKind kind) {
  if (IsComputeKind(kind)) return GroupRole::kCompute;
  return IsCommKind(kind) ? GroupRole::kComm : GroupRole::kOther;
}

// The op-table columns of the ReplayModel besides the graph and times: classes (one per op kind),
// attribution groups (kind labels in order of first appearance), phases, names and tracks.
void FillOpTableColumns(const OpJob& job, ReplayModel& m) {
  const size_t n = job.size();
  m.world_size = job.world_size;
  m.gpus = job.world_size;
  m.tp = job.tp_size;
  for (int k = 0; k < kOpKindCount; ++k) {
    const auto kind = static_cast<OpKind>(k);
    m.class_names.emplace_back(OpKindName(kind));
    m.class_is_comm.push_back(IsCommKind(kind) ? 1 : 0);
  }
  m.op_names = m.class_names;
  m.track_names.assign(std::begin(kStreamNames), std::end(kStreamNames));
  std::vector<int32_t> group_of_kind(kOpKindCount, -1);
  m.ideal_class.resize(n);
  m.group.resize(n);
  m.phase.resize(n);
  m.op_name.resize(n);
  m.track.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const OpKind kind = job.kind[i];
    const auto k = static_cast<int32_t>(kind);
    int32_t& g = group_of_kind[static_cast<size_t>(k)];
    if (g < 0) {
      const std::string label(AttributionLabel(kind));
      const auto it = std::find(m.group_names.begin(), m.group_names.end(), label);
      g = static_cast<int32_t>(it - m.group_names.begin());
      if (it == m.group_names.end()) {
        m.group_names.push_back(label);
        m.group_roles.push_back(RoleOf(kind));
      }
    }
    m.ideal_class[i] = k;
    m.op_name[i] = k;
    m.group[i] = g;
    m.phase[i] = kind == OpKind::kForwardCompute    ? Phase::kForward
                 : kind == OpKind::kBackwardCompute ? Phase::kBackward
                                                    : Phase::kNone;
    m.track[i] = StreamOf(kind);
  }
  m.fixed.assign(n, 0);
  m.launch_wait_ns.assign(n, 0);
  m.entry_delay_ns.assign(n, 0);  // per-worker step starts are not in an op table
  m.dur_ns = job.dur_ns;
  m.seq_id = job.seq_id;
  m.microbatch = job.mb_id;
  m.chunk = job.mc;
}

}  // namespace

void ReconcileJobSize(const OpJob& job, const std::string& source, ReplayModel& m,
                      Diagnostics& diagnostics) {
  auto has = [&](std::string_view key) {
    return std::find(job.meta_size_keys.begin(), job.meta_size_keys.end(), key) !=
           job.meta_size_keys.end();
  };
  int32_t max_rank = 0, rank_step = 0;
  for (int32_t rank : m.worker_rank) {
    max_rank = std::max(max_rank, rank);
    rank_step = std::gcd(rank_step, rank);
  }
  const int32_t tp_rows = std::max(rank_step, 1);
  const int32_t tp = has("tp_size") ? job.tp_size : tp_rows;
  const int32_t dsp = has("dsp_size") ? job.dsp_size : 1;
  const int64_t world_rows =
      std::max<int64_t>(static_cast<int64_t>(m.dp) * m.pp * tp * dsp, int64_t{max_rank} + 1);
  std::vector<std::string> conflicts;
  if (has("dp_size") && job.dp_size != m.dp)
    conflicts.push_back(fmt::format("dp_size {} but the rows hold {} DP ranks", job.dp_size, m.dp));
  if (has("pp_size") && job.pp_size != m.pp)
    conflicts.push_back(fmt::format("pp_size {} but the rows hold {} stages", job.pp_size, m.pp));
  if (has("world_size") && job.world_size <= max_rank) {
    conflicts.push_back(
        fmt::format("world_size {} but the rows name global rank {}", job.world_size, max_rank));
  }
  int64_t world = has("world_size") ? job.world_size : world_rows;
  if (!conflicts.empty()) {
    world = world_rows;
    diagnostics.Add("meta_contradicts_rows", source, "",
                    fmt::format("the meta says {}; the rows are used: world size {} (DP {} x PP {} "
                                "x TP {})",
                                fmt::join(conflicts, ", "), world, m.dp, m.pp, tp));
  } else if (!has("world_size")) {
    diagnostics.Add("world_size_from_rows", source, "",
                    fmt::format("no world_size in the meta: world size {} = DP {} x PP {} x TP {} "
                                "taken from the rows ({}); GPU-hours count {} GPUs",
                                world, m.dp, m.pp, tp,
                                has("tp_size") ? "TP from the meta"
                                               : "TP from the step between global ranks",
                                world));
  }
  m.world_size = static_cast<int32_t>(std::min<int64_t>(world, INT32_MAX));
  m.gpus = m.world_size;
  m.tp = tp;
}

std::string DescribeOp(const OpJob& job, int64_t row) {
  return fmt::format("{} seq {} stage {} dp_rank {} step {} ({})", OpKindName(job.kind[row]),
                     job.seq_id[row], job.stage[row], job.dp_rank[row], job.step[row],
                     RowPlace(job, row));
}

namespace {

// Each row's place in the (step, dp_rank) instances of the template: row_of[(step * dp + dp_rank)
// * template ops + op]; fills m.worker and m.worker_rank. Errors: an op outside the template, a
// duplicate, two global ranks for one worker, an op missing from an instance.
Result<std::vector<int32_t>> MapRowsToInstances(const OpJob& job, const internal::ModelTemplate& t,
                                                ReplayModel& m) {
  const int64_t n = static_cast<int64_t>(job.size());
  const int32_t num_t = static_cast<int32_t>(t.rows.size());
  const int64_t instances = static_cast<int64_t>(m.num_steps()) * m.dp;
  std::vector<int32_t> row_of(instances * num_t, -1);
  m.worker.resize(n);
  m.worker_rank.assign(static_cast<size_t>(m.dp) * m.pp, -1);
  std::vector<int64_t> rank_row(m.worker_rank.size(), -1);  // the row that set worker_rank
  for (int64_t i = 0; i < n; ++i) {
    auto it = t.index.find(internal::OpKey(job.stage[i], job.kind[i], job.seq_id[i]));
    if (it == t.index.end()) {
      return InvalidArgumentError(
          "{}: op {} is not in the dependency model (absent from dp_rank 0 of step {})", job.name,
          DescribeOp(job, i), m.steps[0]);
    }
    int32_t& slot = row_of[(static_cast<int64_t>(m.step_index[i]) * m.dp + job.dp_rank[i]) * num_t +
                           it->second];
    if (slot >= 0) {
      return InvalidArgumentError("{}: op {} appears twice (first at {})", job.name,
                                  DescribeOp(job, i), RowPlace(job, slot));
    }
    slot = static_cast<int32_t>(i);
    m.worker[i] = job.dp_rank[i] * m.pp + job.stage[i];
    int32_t& wr = m.worker_rank[m.worker[i]];
    int64_t& first = rank_row[static_cast<size_t>(m.worker[i])];
    if (wr >= 0 && wr != job.rank[i]) {
      return InvalidArgumentError(
          "{}: dp_rank {} stage {} has two global ranks ({} at {}, {} at {})", job.name,
          job.dp_rank[i], job.stage[i], wr, RowPlace(job, first), job.rank[i], RowPlace(job, i));
    }
    if (wr < 0) first = i;
    wr = job.rank[i];
  }
  for (int64_t k = 0; k < instances * num_t; ++k) {
    if (row_of[k] >= 0) continue;
    int64_t tmpl = t.rows[k % num_t];
    int64_t inst = k / num_t;
    return InvalidArgumentError(
        "{}: {} seq {} stage {} is missing on dp_rank {} step {} (dp_rank 0 of step {} has it at "
        "{}; every step and DP rank must trace the same ops; incomplete groups cannot be "
        "simulated)",
        job.name, OpKindName(job.kind[tmpl]), job.seq_id[tmpl], job.stage[tmpl], inst % m.dp,
        m.steps[inst / m.dp], m.steps[0], RowPlace(job, tmpl));
  }

  return row_of;
}

}  // namespace

Result<ReplayModel> BuildMegatronModel(const OpJob& job) {
  const int64_t n = static_cast<int64_t>(job.size());
  if (n == 0) return InvalidArgumentError("{}: the op table is empty", job.name);
  if (n > INT32_MAX / 2)
    return InvalidArgumentError("{}: {} ops is more than supported", job.name, n);
  ReplayModel m;
  m.input = InputKind::kOpTable;
  m.name = job.name;
  int32_t max_dp = 0, max_stage = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (job.dp_rank[i] < 0 || job.stage[i] < 0 || job.dp_rank[i] >= kMaxRanks ||
        job.stage[i] >= kMaxRanks) {
      return InvalidArgumentError("{}: op {}: dp_rank and stage must be in [0, {})", job.name,
                                  DescribeOp(job, i), kMaxRanks);
    }
    max_dp = std::max(max_dp, job.dp_rank[i]);
    max_stage = std::max(max_stage, job.stage[i]);
    if (m.steps.empty() || m.steps.back() != job.step[i])
      m.steps.push_back(job.step[i]);  // rows come in runs
  }
  std::sort(m.steps.begin(), m.steps.end());
  m.steps.erase(std::unique(m.steps.begin(), m.steps.end()), m.steps.end());
  m.dp = max_dp + 1;
  m.pp = max_stage + 1;
  if (static_cast<int64_t>(m.dp) * m.pp > n) {
    return InvalidArgumentError(
        "{}: {} DP ranks x {} stages but only {} ops: the op table cannot be complete", job.name,
        m.dp, m.pp, n);
  }
  const int32_t num_steps = m.num_steps();
  m.step_index.resize(n);
  std::vector<int64_t> step_start(num_steps, INT64_MAX);
  for (int64_t i = 0; i < n; ++i) {
    m.step_index[i] = static_cast<int32_t>(
        std::lower_bound(m.steps.begin(), m.steps.end(), job.step[i]) - m.steps.begin());
    step_start[m.step_index[i]] = std::min(step_start[m.step_index[i]], job.start_ns[i]);
  }
  m.start_ns.resize(n);
  m.step_time_ns.assign(num_steps, 0);
  for (int64_t i = 0; i < n; ++i) {
    m.start_ns[i] = job.start_ns[i] - step_start[m.step_index[i]];
    m.step_time_ns[m.step_index[i]] =
        std::max(m.step_time_ns[m.step_index[i]], m.start_ns[i] + job.dur_ns[i]);
  }

  // Template from dp_rank 0 of the first step.
  std::vector<int64_t> template_rows;
  int32_t max_mc = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (job.dp_rank[i] == 0 && m.step_index[i] == 0) {
      template_rows.push_back(i);
      max_mc = std::max(max_mc, std::min(job.mc[i], kMaxRanks));
    }
  }
  const bool use_dp = m.dp * job.dsp_size > 1;
  TS_ASSIGN_OR_RETURN(internal::ModelTemplate t,
                      internal::BuildModelTemplate(job, template_rows, m.pp, max_mc + 1, use_dp));
  const int32_t num_t = static_cast<int32_t>(t.rows.size());
  m.template_ops = num_t;
  // Every (step, dp_rank) instance must hold exactly the template's ops.
  const int64_t instances = static_cast<int64_t>(num_steps) * m.dp;
  if (instances * num_t > 4 * n + 1024) {  // guard before allocating; the exact check names the op
    return InvalidArgumentError(
        "{}: {} ops, but {} steps x {} DP ranks x {} ops of dp_rank 0 in step {} = {}: most (step, "
        "dp_rank) groups are "
        "incomplete (incomplete groups cannot be simulated)",
        job.name, n, num_steps, m.dp, num_t, m.steps[0], instances * num_t);
  }

  TS_ASSIGN_OR_RETURN(const std::vector<int32_t> row_of, MapRowsToInstances(job, t, m));
  graph::GraphBuilder b;
  b.Reserve(static_cast<int32_t>(n), instances * static_cast<int64_t>(t.edges.size()));
  for (int64_t i = 0; i < n; ++i) b.AddNode(m.worker[i], StreamOf(job.kind[i]), m.step_index[i]);
  std::vector<int64_t> dep_end(n, INT64_MIN);
  for (int64_t inst = 0; inst < instances; ++inst) {
    const int32_t* rows = &row_of[inst * num_t];
    for (auto [before, after] : t.edges) {
      b.AddEdge(rows[before], rows[after]);
      dep_end[rows[after]] =
          std::max(dep_end[rows[after]], m.start_ns[rows[before]] + job.dur_ns[rows[before]]);
    }
  }
  m.is_comm.assign(n, 0);
  m.transfer_ns.assign(job.dur_ns.begin(), job.dur_ns.end());
  std::vector<graph::NodeId> members;
  auto add_group = [&](bool collective) {
    int64_t latest = INT64_MIN;
    for (graph::NodeId r : members) latest = std::max(latest, m.start_ns[r]);
    for (graph::NodeId r : members) {
      m.is_comm[r] = 1;
      int64_t transfer = m.start_ns[r] + job.dur_ns[r] - latest;
      if (transfer <= -kSkewToleranceNs) {
        transfer = 0;
        ++m.stats.clipped_transfers;
      } else if (transfer < 0) {
        ++m.stats.negative_transfers;
      }
      m.transfer_ns[r] = transfer;
    }
    if (collective) b.AddCollective(members);
  };
  for (const auto& g : t.groups) {
    if (g.dp_sync) {
      for (int32_t s = 0; s < num_steps; ++s) {
        members.clear();
        for (int32_t d = 0; d < m.dp; ++d)
          for (int32_t op : g.ops)
            members.push_back(row_of[(static_cast<int64_t>(s) * m.dp + d) * num_t + op]);
        add_group(true);
      }
    } else {
      for (int64_t inst = 0; inst < instances; ++inst) {
        members.clear();
        for (int32_t op : g.ops) members.push_back(row_of[inst * num_t + op]);
        add_group(members.size() > 1);
      }
    }
  }
  m.launch_delay_ns.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t delay = m.start_ns[i] - (dep_end[i] == INT64_MIN ? 0 : dep_end[i]);
    if (delay <= -kSkewToleranceNs) {
      delay = 0;
      ++m.stats.clipped_delays;
    }
    m.launch_delay_ns[i] = delay;
  }
  TS_ASSIGN_OR_RETURN(m.graph,
                      b.Build({}, [&job](graph::NodeId id) { return DescribeOp(job, id); }));
  FillOpTableColumns(job, m);
  return m;
}

}  // namespace trainscope::whatif
