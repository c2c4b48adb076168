// SPDX-License-Identifier: Apache-2.0
// Cartesian layout sweep over the main block's parallel plan (sweep.h).
#include "workload/sweep.h"

#include <algorithm>
#include <charconv>

#include "base/parallel.h"
#include "workload/config_io.h"

namespace trainscope::workload {

Result<SweepAxis> ParseSweepAxis(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidArgumentError("--sweep '{}': expected NAME=V1,V2,... (tp=1,2,4,8)", text);
  }
  SweepAxis axis;
  axis.name = std::string(text.substr(0, eq));
  static const char* kNames[] = {"tp", "pp", "vpp", "cp", "ep", "mb", "gpus"};
  if (std::find_if(std::begin(kNames), std::end(kNames),
                   [&](const char* n) { return axis.name == n; }) == std::end(kNames)) {
    return InvalidArgumentError("--sweep '{}': unknown axis '{}' (tp, pp, vpp, cp, ep, mb, gpus)",
                                text, axis.name);
  }
  std::string_view rest = text.substr(eq + 1);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    int value = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (ec != std::errc() || ptr != item.data() + item.size() || value < 1) {
      return InvalidArgumentError("--sweep '{}': '{}' is not a positive integer", text, item);
    }
    axis.values.push_back(value);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (axis.values.empty()) return InvalidArgumentError("--sweep '{}': no values", text);
  return axis;
}

namespace {

void Apply(const std::string& name, int value, JobConfig* job) {
  ParallelPlan& plan = job->blocks[static_cast<size_t>(MainBlockIndex(*job))].plan;
  if (name == "tp") plan.tp = value;
  if (name == "pp") plan.pp = value;
  if (name == "vpp") {
    plan.vpp = value;
    plan.schedule = value > 1 ? PpSchedule::kInterleaved : PpSchedule::k1f1b;
  }
  if (name == "cp") plan.cp = value;
  if (name == "ep") plan.ep = value;
  if (name == "mb") plan.micro_batch = value;
  if (name == "gpus") job->cluster.gpus = value;
}

}  // namespace

namespace {

SweepEntry Evaluate(const JobConfig& job, std::string layout, Planner& planner) {
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
  entry.fits = p->fits;
  return entry;
}

}  // namespace

Result<SweepResult> Sweep(const JobConfig& base, const std::vector<SweepAxis>& axes,
                          Planner& planner, int threads) {
  // Every layout first (the cartesian product, first axis fastest), then predicted in parallel:
  // worker t takes layouts t, t + T, ... with its own Planner (worker 0 uses `planner`).
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
  const int workers = std::max(
      1, std::min(threads > 0 ? threads : DefaultThreadCount(), static_cast<int>(layouts.size())));
  SweepResult out;
  out.entries.resize(layouts.size());
  ParallelFor(static_cast<size_t>(workers), workers, [&](size_t worker) {
    Planner own;
    Planner& mine = worker == 0 ? planner : own;
    JobConfig job = base;
    for (size_t i = worker; i < layouts.size(); i += static_cast<size_t>(workers)) {
      std::string layout;
      for (size_t a = 0; a < axes.size(); ++a) {
        Apply(axes[a].name, layouts[i][a], &job);
        layout += fmt::format("{}{}={}", layout.empty() ? "" : " ", axes[a].name, layouts[i][a]);
      }
      out.entries[i] = Evaluate(job, std::move(layout), mine);
    }
  });
  out.evaluated = static_cast<int>(layouts.size());
  for (const SweepEntry& e : out.entries) out.fitting += e.valid && e.fits ? 1 : 0;
  std::stable_sort(out.entries.begin(), out.entries.end(),
                   [](const SweepEntry& x, const SweepEntry& y) {
                     const int rx = x.valid ? (x.fits ? 0 : 1) : 2;
                     const int ry = y.valid ? (y.fits ? 0 : 1) : 2;
                     if (rx != ry) return rx < ry;
                     return rx < 2 && x.step_time_s < y.step_time_s;
                   });
  return out;
}

}  // namespace trainscope::workload
