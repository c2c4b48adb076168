// SPDX-License-Identifier: Apache-2.0
// trainscope.whatif(path, **options): the straggler what-if pipeline `trainscope whatif` runs
// (pipeline::RunStragglerAnalysis, then whatif::RunScenarios), its result as a Python object
// whose to_json() is the CLI's --json document and whose tables are NumPy arrays.
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "pipeline/straggler_pipeline.h"
#include "python/binding.h"
#include "whatif/result_json.h"
#include "whatif/scenario.h"

namespace trainscope::python {
namespace {

struct WhatIfArgs {
  std::string path;
  int threads = 0;
  double straggling_threshold = 1.1;
  whatif::CauseThresholds thresholds;
  std::vector<std::string> scale;
  std::vector<int32_t> fix_rank, fix_step;
  bool strict = false;
};

// The analysis and what the CLI prints of it; immutable once built, shared by the NumPy views.
struct WhatIfRun {
  pipeline::StragglerRun run;
  std::vector<whatif::ScenarioResult> scenarios;
  std::string json;  // `trainscope whatif --json`, without the trailing newline
};

// The user's scenarios in the CLI's order: --scale, then --fix-rank and --fix-step.
Result<std::vector<whatif::Scenario>> Scenarios(const WhatIfArgs& args) {
  std::vector<whatif::Scenario> scenarios;
  for (const std::string& text : args.scale) {
    TS_ASSIGN_OR_RETURN(whatif::Scenario sc, whatif::ParseScaleSyntax(text));
    scenarios.push_back(sc);
  }
  for (int32_t rank : args.fix_rank) {
    scenarios.push_back({whatif::Scenario::Kind::kFixRank, "", 1, rank});
  }
  for (int32_t step : args.fix_step) {
    scenarios.push_back({whatif::Scenario::Kind::kFixStep, "", 1, step});
  }
  return scenarios;
}

Result<std::shared_ptr<WhatIfRun>> Analyse(const WhatIfArgs& args) {
  TS_ASSIGN_OR_RETURN(std::vector<whatif::Scenario> scenarios, Scenarios(args));
  auto out = std::make_shared<WhatIfRun>();
  TS_ASSIGN_OR_RETURN(out->run, pipeline::RunStragglerAnalysis(
                                    args.path, {args.threads, nullptr, args.straggling_threshold,
                                                args.thresholds}));
  if (args.strict) TS_RETURN_IF_ERROR(DataLossStatus(out->run.diagnostics));
  if (!scenarios.empty()) {
    TS_ASSIGN_OR_RETURN(out->scenarios, whatif::RunScenarios(out->run.model, out->run.result,
                                                             scenarios, args.threads));
  }
  JsonWriter w;
  whatif::WriteWhatIfJson(out->run.model, out->run.result, out->run.cause, out->run.diagnostics, w,
                          out->scenarios);
  out->json = w.TakeString();
  return std::shared_ptr<WhatIfRun>(std::move(out));
}

using RunPtr = std::shared_ptr<WhatIfRun>;

template <typename T>
py::array View(const RunPtr& r, const std::vector<T>& column) {
  return ColumnView(column.data(), column.size(), r);
}

py::dict AttributionTable(const std::vector<whatif::Attribution>& rows) {
  std::vector<std::string> label;
  std::vector<int32_t> key;
  std::vector<double> slowdown;
  for (const whatif::Attribution& a : rows) {
    label.push_back(a.label);
    key.push_back(a.key);
    slowdown.push_back(a.slowdown);
  }
  py::dict t;
  t["label"] = StringArray(label);
  t["key"] = CopyArray(key);
  t["slowdown"] = CopyArray(slowdown);
  return t;
}

py::dict StepTable(const RunPtr& r) {
  const whatif::WhatIfResult& w = r->run.result;
  py::dict t;
  t["step"] = View(r, w.steps);
  t["time_s"] = View(r, w.step_time_s);
  t["replay_s"] = View(r, w.step_replay_s);
  t["nodelay_s"] = View(r, w.step_nodelay_s);
  t["ideal_s"] = View(r, w.step_ideal_s);
  t["slowdown"] = View(r, w.step_slowdown);
  t["launch_slowdown"] = View(r, w.step_launch_slowdown);
  t["error"] = View(r, w.step_error);
  return t;
}

py::dict WorkerTable(const RunPtr& r) {
  const whatif::WhatIfResult& w = r->run.result;
  std::vector<int32_t> worker, rank, dp_rank, stage;
  std::vector<double> score;
  for (const whatif::WorkerScore& s : w.workers) {
    worker.push_back(s.worker);
    rank.push_back(s.rank);
    dp_rank.push_back(s.dp_rank);
    stage.push_back(s.stage);
    score.push_back(s.score);
  }
  py::dict t;
  t["worker"] = CopyArray(worker);
  t["rank"] = CopyArray(rank);
  t["dp_rank"] = CopyArray(dp_rank);
  t["stage"] = CopyArray(stage);
  t["score"] = CopyArray(score);
  if (w.worker_launch_slowdown.size() == w.workers.size()) {
    t["launch_slowdown"] = View(r, w.worker_launch_slowdown);
  }
  if (w.worker_compute_s.size() == w.workers.size()) t["compute_s"] = View(r, w.worker_compute_s);
  return t;
}

py::dict ScenarioTable(const RunPtr& r) {
  std::vector<std::string> name;
  std::vector<double> baseline, scenario, speedup;
  for (const whatif::ScenarioResult& s : r->scenarios) {
    name.push_back(s.name);
    baseline.push_back(s.baseline_s);
    scenario.push_back(s.scenario_s);
    speedup.push_back(s.speedup);
  }
  py::dict t;
  t["name"] = StringArray(name);
  t["baseline_s"] = CopyArray(baseline);
  t["scenario_s"] = CopyArray(scenario);
  t["speedup"] = CopyArray(speedup);
  return t;
}

// Every table, by name: what to_pandas() turns into DataFrames.
py::dict Tables(const RunPtr& r) {
  const whatif::WhatIfResult& w = r->run.result;
  py::dict t;
  t["steps"] = StepTable(r);
  t["by_op_class"] = AttributionTable(w.by_op_class);
  t["by_stage"] = AttributionTable(w.by_stage);
  t["by_dp_rank"] = AttributionTable(w.by_dp_rank);
  t["by_worker"] = AttributionTable(w.by_worker);
  t["by_step"] = AttributionTable(w.by_step);
  t["workers"] = WorkerTable(r);
  t["scenarios"] = ScenarioTable(r);
  return t;
}

RunPtr CallWhatIf(const std::string& path, const py::kwargs& options) {
  WhatIfArgs args;
  args.path = path;
  for (auto [key, value] : options) {
    const std::string name = py::str(key);
    if (name == "threads")
      args.threads = value.cast<int>();
    else if (name == "straggling_threshold")
      args.straggling_threshold = value.cast<double>();
    else if (name == "worker_ratio")
      args.thresholds.worker_ratio = value.cast<double>();
    else if (name == "min_impact")
      args.thresholds.min_impact = value.cast<double>();
    else if (name == "primary_impact")
      args.thresholds.primary_impact = value.cast<double>();
    else if (name == "strict")
      args.strict = value.cast<bool>();
    else if (name == "scale")
      args.scale = value.cast<std::vector<std::string>>();
    else if (name == "fix_rank")
      args.fix_rank = value.cast<std::vector<int32_t>>();
    else if (name == "fix_step")
      args.fix_step = value.cast<std::vector<int32_t>>();
    else {
      Raise(
          UnimplementedError("whatif: unknown option '{}' (threads, strict, straggling_threshold, "
                             "worker_ratio, min_impact, "
                             "primary_impact, scale, fix_rank, fix_step)",
                             name));
    }
  }
  return RunAndRaise<RunPtr>([args] { return Analyse(args); });
}

}  // namespace

void BindWhatIf(py::module_& m) {
  using R = WhatIfRun;
  using whatif::WhatIfResult;
  auto field = [](double WhatIfResult::*member) {
    return [member](const RunPtr& r) { return r->run.result.*member; };
  };
  py::class_<R, RunPtr> cls(m, "WhatIf",
                            "Result of trainscope.whatif(): the fields of `trainscope whatif "
                            "--json` (to_json() is that document), tables as NumPy arrays");
  cls.def_property_readonly("slowdown", field(&WhatIfResult::slowdown),
                            "S: mean no-delay step time / mean ideal step time")
      .def_property_readonly("launch_slowdown", field(&WhatIfResult::launch_slowdown))
      .def_property_readonly("slowdown_with_gaps", field(&WhatIfResult::slowdown_with_gaps))
      .def_property_readonly("host_slowdown", field(&WhatIfResult::host_slowdown))
      .def_property_readonly("start_skew_s", field(&WhatIfResult::start_skew_s))
      .def_property_readonly("launch_wait_share", field(&WhatIfResult::launch_wait_share))
      .def_property_readonly("error_median", field(&WhatIfResult::error_median))
      .def_property_readonly("error_max", field(&WhatIfResult::error_max))
      .def_property_readonly("waste_fraction", field(&WhatIfResult::waste_fraction))
      .def_property_readonly("traced_gpu_hours", field(&WhatIfResult::traced_gpu_hours))
      .def_property_readonly("wasted_gpu_hours", field(&WhatIfResult::wasted_gpu_hours))
      .def_property_readonly("straggling_threshold", field(&WhatIfResult::straggling_threshold))
      .def_property_readonly("straggling", [](const RunPtr& r) { return r->run.result.straggling; })
      .def_property_readonly(
          "verdict", [](const RunPtr& r) { return py::object(ParseJson(r->json)["verdict"]); },
          "straggling, not_straggling or inconclusive (the replay misses the job)")
      .def_property_readonly(
          "inconclusive", [](const RunPtr& r) { return r->run.result.inconclusive; },
          "Why no verdict can be given (empty when one can)")
      .def_property_readonly("gpus", [](const RunPtr& r) { return r->run.result.gpus; })
      .def_property_readonly("ops", [](const RunPtr& r) { return r->run.result.ops; })
      .def_property_readonly("simulations",
                             [](const RunPtr& r) { return r->run.result.simulations; })
      .def_property_readonly("source", [](const RunPtr& r) { return r->run.source; })
      .def_property_readonly(
          "cause", [](const RunPtr& r) { return py::object(ParseJson(r->json)["cause"]); },
          "The cause section of the --json document (pattern, evidence, ...)")
      .def_property_readonly("diagnostics",
                             [](const RunPtr& r) { return DiagnosticsList(r->run.diagnostics); })
      .def_property_readonly("steps", StepTable, "Per step: dict of NumPy arrays (no copy)")
      .def_property_readonly("workers", WorkerTable, "Per worker: rank, dp_rank, stage, score")
      .def_property_readonly(
          "by_op_class",
          [](const RunPtr& r) { return AttributionTable(r->run.result.by_op_class); })
      .def_property_readonly(
          "by_worker", [](const RunPtr& r) { return AttributionTable(r->run.result.by_worker); })
      .def_property_readonly("scenarios", ScenarioTable)
      .def_property_readonly("tables", Tables, "Every table: {name: {column: NumPy array}}")
      .def(
          "to_json", [](const RunPtr& r) { return r->json; },
          "The `trainscope whatif --json` document, as the CLI prints it")
      .def("to_dict", [](const RunPtr& r) { return ParseJson(r->json); })
      .def(
          "to_pandas", [](const RunPtr& r) { return ToPandas(Tables(r)); },
          "Every table as a pandas DataFrame: {name: DataFrame}")
      .def("__repr__", [](const RunPtr& r) {
        const WhatIfResult& w = r->run.result;
        return "<trainscope.WhatIf " + r->run.source + ": S=" + std::to_string(w.slowdown) + ", " +
               std::to_string(w.steps.size()) + " steps, " + std::to_string(w.workers.size()) +
               " workers>";
      });
  m.def("whatif", &CallWhatIf, py::arg("path"),
        "Straggler what-if analysis (OSDI'25) of an op table or Kineto traces, as `trainscope "
        "whatif PATH`. Options: threads (0 = all cores), strict (the CLI's --strict), "
        "straggling_threshold, worker_ratio, "
        "min_impact, primary_impact, scale=['comm=0.5'], fix_rank=[...], fix_step=[...].");
}

}  // namespace trainscope::python
