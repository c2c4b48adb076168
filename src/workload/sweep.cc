// SPDX-License-Identifier: Apache-2.0
// Cartesian layout sweep over the main block's layout knobs (sweep.h).
#include "workload/sweep.h"

#include <algorithm>
#include <atomic>
#include <map>

#include "base/parallel.h"
#include "workload/config_io.h"
#include "workload/layout.h"

namespace trainscope::workload {

Result<SweepAxis> ParseSweepAxis(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidArgumentError("--sweep '{}': expected NAME=V1,V2,... (tp=1,2,4,8)", text);
  }
  SweepAxis axis;
  axis.name = std::string(text.substr(0, eq));
  if (!IsLayoutKnob(axis.name)) {
    return InvalidArgumentError("--sweep '{}': unknown axis '{}' ({})", text, axis.name,
                                LayoutKnobNames());
  }
  std::string_view rest = text.substr(eq + 1);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    Result<int> value = ParseLayoutKnob(axis.name, item);
    if (!value.ok()) return value.error().WithPrefix(fmt::format("--sweep '{}'", text));
    axis.values.push_back(*value);
    axis.labels.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (axis.values.empty()) return InvalidArgumentError("--sweep '{}': no values", text);
  return axis;
}

Result<SweepRank> ParseSweepRank(std::string_view text) {
  if (text == "step_time") return SweepRank::kStepTime;
  if (text == "gpu_hours") return SweepRank::kGpuHours;
  if (text == "cost") return SweepRank::kCost;
  return InvalidArgumentError("--rank-by '{}': expected step_time, gpu_hours or cost", text);
}

std::string_view Name(SweepRank rank) {
  switch (rank) {
    case SweepRank::kStepTime:
      return "step_time";
    case SweepRank::kGpuHours:
      return "gpu_hours";
    case SweepRank::kCost:
      return "cost";
  }
  return "?";
}

namespace {

constexpr double kGb = 1e9;

SweepEntry Evaluate(const JobConfig& job, std::string layout, const SweepOptions& options,
                    Planner& planner) {
  SweepEntry entry;
  entry.layout = std::move(layout);
  Status valid = ValidateJobConfig(job);
  if (!valid.ok()) {
    entry.reason = valid.message();
    return entry;
  }
  Result<Prediction> p = planner.Predict(job);
  if (!p.ok()) {
    entry.reason = p.error().message();
    return entry;
  }
  entry.valid = true;
  entry.step_time_s = p->step_time_s;
  entry.mfu = p->mfu;
  entry.memory_per_gpu_bytes = p->memory_per_gpu_bytes;
  entry.hbm_bytes = p->hbm_bytes;
  entry.fits = p->fits;
  entry.step_time_lower_bound = p->step_time_lower_bound;
  entry.gpus = p->gpus;
  // Without a budget: GPU-hours of 1e9 tokens, the same ranking as any budget would give.
  entry.gpu_hours = p->has_budget ? p->gpu_hours
                                  : p->step_time_s * p->gpus / 3600 * (1e9 / p->tokens_per_step) /
                                        job.training.effective_time_ratio;
  entry.cost_usd = entry.gpu_hours * options.usd_per_gpu_hour;
  if (!entry.fits) {
    entry.reason = fmt::format("needs {:.1f} GB per GPU, {:.1f} GB available",
                               entry.memory_per_gpu_bytes / kGb, entry.hbm_bytes / kGb);
  }
  return entry;
}

// Every layout of the product, first axis fastest.
std::vector<std::vector<int>> Product(const std::vector<SweepAxis>& axes) {
  std::vector<std::vector<int>> layouts;
  std::vector<size_t> index(axes.size(), 0);
  while (true) {
    std::vector<int> values;
    for (size_t a = 0; a < axes.size(); ++a) values.push_back(axes[a].values[index[a]]);
    layouts.push_back(std::move(values));
    size_t a = 0;
    for (; a < axes.size(); ++a) {
      if (++index[a] < axes[a].values.size()) break;
      index[a] = 0;
    }
    if (a == axes.size()) break;
  }
  return layouts;
}

JobConfig WithLayout(const JobConfig& base, const std::vector<SweepAxis>& axes,
                     const std::vector<int>& values) {
  JobConfig job = base;
  // The schedule goes last: vpp picks 1F1B or interleaved only while no schedule is chosen, so
  // the row means what its label says whatever the axes' order (schedule=1f1b vpp=2 is invalid).
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t a = 0; a < axes.size(); ++a) {
      if ((axes[a].name == "schedule") == (pass == 1)) {
        SetLayoutKnob(axes[a].name, values[a], &job);
      }
    }
  }
  return job;
}

std::string LayoutText(const std::vector<SweepAxis>& axes, const std::vector<int>& values) {
  std::string layout;
  for (size_t a = 0; a < axes.size(); ++a) {
    const size_t i =
        static_cast<size_t>(std::find(axes[a].values.begin(), axes[a].values.end(), values[a]) -
                            axes[a].values.begin());
    layout +=
        fmt::format("{}{}={}", layout.empty() ? "" : " ", axes[a].name,
                    i < axes[a].labels.size() ? axes[a].labels[i] : std::to_string(values[a]));
  }
  return layout;
}

// Layout indices grouped by the pipeline shape of their step graphs (pp, virtual stages), the
// groups with the largest graphs first so that workers taking them in turn finish together.
std::vector<std::vector<size_t>> ShapeGroups(const JobConfig& base,
                                             const std::vector<SweepAxis>& axes,
                                             const std::vector<std::vector<int>>& layouts) {
  std::map<std::pair<int, int>, std::vector<size_t>> by_shape;
  for (size_t i = 0; i < layouts.size(); ++i) {
    const JobConfig job = WithLayout(base, axes, layouts[i]);
    const ParallelPlan& plan = job.blocks[static_cast<size_t>(MainBlockIndex(job))].plan;
    const int vpp = plan.schedule == PpSchedule::kInterleaved ? plan.vpp : 1;
    by_shape[{-plan.pp * plan.pp * vpp, plan.pp * 64 + vpp}].push_back(i);
  }
  std::vector<std::vector<size_t>> groups;
  for (auto& [shape, members] : by_shape) groups.push_back(std::move(members));
  return groups;
}

int RankClass(const SweepEntry& e) { return e.valid ? (e.fits ? 0 : 1) : 2; }

double RankKey(const SweepEntry& e, SweepRank rank) {
  switch (rank) {
    case SweepRank::kStepTime:
      return e.step_time_s;
    case SweepRank::kGpuHours:
      return e.gpu_hours;
    case SweepRank::kCost:
      return e.cost_usd;
  }
  return e.step_time_s;
}

void Rank(SweepResult* out) {
  std::stable_sort(out->entries.begin(), out->entries.end(),
                   [rank = out->rank_by](const SweepEntry& x, const SweepEntry& y) {
                     const int rx = RankClass(x), ry = RankClass(y);
                     if (rx != ry) return rx < ry;
                     if (rx == 0) return RankKey(x, rank) < RankKey(y, rank);
                     if (rx == 1) return x.memory_per_gpu_bytes < y.memory_per_gpu_bytes;
                     return false;
                   });
}

}  // namespace

Result<SweepResult> Sweep(const JobConfig& base, const std::vector<SweepAxis>& axes,
                          Planner& planner, const SweepOptions& options) {
  if (options.rank_by == SweepRank::kCost && options.usd_per_gpu_hour <= 0) {
    return InvalidArgumentError(
        "--rank-by cost needs a price: give --usd-per-gpu-hour (e.g. 2.5 for $2.50 per GPU-hour)");
  }
  const std::vector<std::vector<int>> layouts = Product(axes);
  const std::vector<std::vector<size_t>> groups = ShapeGroups(base, axes, layouts);
  const int workers =
      std::max(1, std::min(options.threads > 0 ? options.threads : DefaultThreadCount(),
                           static_cast<int>(groups.size())));
  SweepResult out;
  out.rank_by = options.rank_by;
  out.usd_per_gpu_hour = options.usd_per_gpu_hour;
  out.has_budget = base.training.tokens_total > 0;
  out.entries.resize(layouts.size());
  std::atomic<size_t> next_group{0};
  ParallelFor(static_cast<size_t>(workers), workers, [&](size_t worker) {
    Planner own;
    Planner& mine = worker == 0 ? planner : own;
    for (size_t g = next_group++; g < groups.size(); g = next_group++) {
      for (size_t i : groups[g]) {
        out.entries[i] = Evaluate(WithLayout(base, axes, layouts[i]), LayoutText(axes, layouts[i]),
                                  options, mine);
      }
      mine.ClearGraphs();  // the next group has other pipeline shapes
    }
  });
  out.evaluated = static_cast<int>(layouts.size());
  for (const SweepEntry& e : out.entries) {
    out.fitting += e.valid && e.fits ? 1 : 0;
    out.infeasible += e.valid && !e.fits ? 1 : 0;
  }
  Rank(&out);
  return out;
}

Result<SweepResult> Sweep(const JobConfig& base, const std::vector<SweepAxis>& axes,
                          Planner& planner, int threads) {
  SweepOptions options;
  options.threads = threads;
  return Sweep(base, axes, planner, options);
}

}  // namespace trainscope::workload
