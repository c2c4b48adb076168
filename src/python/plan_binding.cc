// SPDX-License-Identifier: Apache-2.0
// trainscope.plan(preset_or_config, **flags): `trainscope plan` from Python. The job comes
// from a YAML file or a built-in preset (workload::LoadJobConfig / LoadPreset), the layout flags
// override its main block through the CLI's function (workload::ApplyLayoutFlags), then
// workload::Planner predicts (or workload::Sweep ranks layouts); to_json() is the CLI's --json
// document.
#include <pybind11/stl.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "base/json_writer.h"
#include "python/binding.h"
#include "workload/config_io.h"
#include "workload/layout.h"
#include "workload/plan_report.h"
#include "workload/predictor.h"
#include "workload/sweep.h"

namespace trainscope::python {
namespace {

using namespace trainscope::workload;

// The layout flags of `trainscope plan` (same names, '-' as '_').
struct PlanArgs {
  std::string job;  // preset name or YAML path
  LayoutFlags layout;
  std::vector<std::string> sweep;
};

struct PlanRun {
  std::optional<Prediction> prediction;  // absent for a sweep
  std::string json;                      // `trainscope plan ... --json`, no trailing newline
};
using PlanPtr = std::shared_ptr<PlanRun>;

Result<JobConfig> LoadJob(const std::string& job) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(job, ec)) return LoadJobConfig(job);
  return LoadPreset(job);
}

Result<PlanPtr> RunPlan(const PlanArgs& a) {
  TS_ASSIGN_OR_RETURN(JobConfig job, LoadJob(a.job));
  TS_RETURN_IF_ERROR(ApplyLayoutFlags(a.layout, &job, ""));
  Planner planner;
  auto out = std::make_shared<PlanRun>();
  JsonWriter w;
  if (!a.sweep.empty()) {
    std::vector<SweepAxis> axes;
    for (const std::string& text : a.sweep) {
      TS_ASSIGN_OR_RETURN(SweepAxis axis, ParseSweepAxis(text));
      axes.push_back(std::move(axis));
    }
    TS_ASSIGN_OR_RETURN(SweepResult result, Sweep(job, axes, planner));
    WriteSweepJson(result, w);
  } else {
    TS_ASSIGN_OR_RETURN(out->prediction, planner.Predict(job));
    WritePlanJson(*out->prediction, job, w);
  }
  out->json = w.TakeString();
  return PlanPtr(std::move(out));
}

template <typename T>
constexpr const char* KindOf() {
  if constexpr (std::is_same_v<T, std::vector<std::string>>) return "a list of str";
  if constexpr (std::is_same_v<T, bool>) return "a bool";
  if constexpr (std::is_integral_v<T>) return "an int";
  if constexpr (std::is_floating_point_v<T>) return "a number";
  return "a str";
}

// pybind11's own cast error names neither the argument nor the type ("Unable to cast Python
// instance to C++ type" for schedule=3).
template <typename T>
T CastArg(const std::string& name, const py::handle& value) {
  try {
    return value.cast<T>();
  } catch (const py::cast_error&) {
    throw py::type_error(fmt::format("plan: {}={} is not {}", name,
                                     std::string(py::repr(value)), KindOf<T>()));
  }
}

template <typename T>
void Take(const std::string& name, const py::handle& value, std::optional<T>& into) {
  into = CastArg<T>(name, value);
}

PlanArgs ParseArgs(const std::string& job, const py::kwargs& flags) {
  PlanArgs a;
  a.job = job;
  for (auto [key, value] : flags) {
    const std::string name = py::str(key);
    if (name == "gpus")
      Take(name, value, a.layout.gpus);
    else if (name == "tp")
      Take(name, value, a.layout.tp);
    else if (name == "pp")
      Take(name, value, a.layout.pp);
    else if (name == "vpp")
      Take(name, value, a.layout.vpp);
    else if (name == "cp")
      Take(name, value, a.layout.cp);
    else if (name == "ep")
      Take(name, value, a.layout.ep);
    else if (name == "sp")
      Take(name, value, a.layout.sp);
    else if (name == "global_batch")
      Take(name, value, a.layout.global_batch);
    else if (name == "micro_batch")
      Take(name, value, a.layout.micro_batch);
    else if (name == "gpu")
      Take(name, value, a.layout.gpu);
    else if (name == "recompute")
      Take(name, value, a.layout.recompute);
    else if (name == "dp_mode")
      Take(name, value, a.layout.dp_mode);
    else if (name == "schedule")
      Take(name, value, a.layout.schedule);
    else if (name == "elementwise")
      Take(name, value, a.layout.elementwise);
    else if (name == "tokens")
      Take(name, value, a.layout.tokens);
    else if (name == "sweep")
      a.sweep = CastArg<std::vector<std::string>>(name, value);
    else {
      Raise(UnimplementedError(
          "plan: unknown flag '{}' (gpus, tp, pp, vpp, cp, ep, sp, global_batch, micro_batch, "
          "gpu, recompute, dp_mode, schedule, elementwise, tokens, sweep)",
          name));
    }
  }
  return a;
}

const Prediction& PredictionOf(const PlanPtr& p) {
  if (!p->prediction) throw py::attribute_error("a sweep has no single prediction: see to_dict()");
  return *p->prediction;
}

}  // namespace

void BindPlan(py::module_& m) {
  auto field = [](double Prediction::*member) {
    return [member](const PlanPtr& p) { return PredictionOf(p).*member; };
  };
  py::class_<PlanRun, PlanPtr>(m, "Plan",
                               "Result of trainscope.plan(): to_json() is `trainscope plan "
                               "--json`; prediction fields as attributes")
      .def_property_readonly("step_time_s", field(&Prediction::step_time_s))
      .def_property_readonly("mfu", field(&Prediction::mfu))
      .def_property_readonly("hfu", field(&Prediction::hfu))
      .def_property_readonly("tokens_per_s", field(&Prediction::tokens_per_s))
      .def_property_readonly("tflops_per_gpu", field(&Prediction::tflops_per_gpu))
      .def_property_readonly("memory_per_gpu_bytes", field(&Prediction::memory_per_gpu_bytes))
      .def_property_readonly("bubble_fraction", field(&Prediction::bubble_fraction))
      .def_property_readonly("gpu_hours", field(&Prediction::gpu_hours))
      .def_property_readonly("fits", [](const PlanPtr& p) { return PredictionOf(p).fits; })
      .def_property_readonly(
          "step_time_lower_bound",
          [](const PlanPtr& p) { return PredictionOf(p).step_time_lower_bound; })
      .def_property_readonly("memory_lower_bound",
                             [](const PlanPtr& p) { return PredictionOf(p).memory_lower_bound; })
      .def_property_readonly("gpus", [](const PlanPtr& p) { return PredictionOf(p).gpus; })
      .def_property_readonly("is_sweep", [](const PlanPtr& p) { return !p->prediction; })
      .def("to_json", [](const PlanPtr& p) { return p->json; })
      .def("to_dict", [](const PlanPtr& p) { return ParseJson(p->json); })
      .def("__repr__", [](const PlanPtr& p) {
        if (!p->prediction) return std::string("<trainscope.Plan sweep>");
        return "<trainscope.Plan " + p->prediction->name + ": step " +
               std::to_string(p->prediction->step_time_s) + " s, MFU " +
               std::to_string(p->prediction->mfu) + ">";
      });
  m.def(
      "plan",
      [](const std::string& job, const py::kwargs& flags) {
        PlanArgs args = ParseArgs(job, flags);
        return RunAndRaise<PlanPtr>([args] { return RunPlan(args); });
      },
      py::arg("preset_or_config"),
      "Predicts step time, MFU, memory and GPU-hours as `trainscope plan`: a preset name "
      "(seed15vl, gpt3-175b, ...) or a job YAML path; flags gpus, tp, pp, vpp, cp, ep, sp, "
      "global_batch, micro_batch, gpu, recompute, dp_mode, schedule, elementwise, tokens override "
      "its layout "
      "(workload::ApplyLayoutFlags, as the CLI's); "
      "sweep=['tp=2,4,8', 'pp=4,8'] ranks layouts instead.");
}

}  // namespace trainscope::python
