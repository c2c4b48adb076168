// SPDX-License-Identifier: Apache-2.0
// trainscope.minder_detect(paths): Minder (NSDI'25) on metric files, through the fault pipeline
// `report` and `demo` run (ingest::LoadMetrics, then minder::RunFaultDetection: the default name
// rules, the shipped models and detector defaults, one call when the recording fits in one pull,
// else the production schedule). Alerts as the CLI's --json writes them, and the deciding
// metric's robust z per machine over time as a NumPy matrix.
#include <dlfcn.h>
#include <pybind11/stl.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/data_dir.h"
#include "ingest/metrics/metric_readers.h"
#include "minder/fault_pipeline.h"
#include "python/binding.h"

namespace trainscope::python {
namespace {

namespace fs = std::filesystem;
using minder::FaultRun;
using RunPtr = std::shared_ptr<FaultRun>;

// The Minder models beside the module: `<prefix>/share/trainscope/models/minder` when installed
// (TS_PYTHON_DATA_RELATIVE leads there from the module's folder), the checkout's `models/` when
// the module lies in its build tree; "" leaves the choice to minder::FindModelsDir (the
// environment variables of base/data_dir.h, which win when set).
std::string ModuleModelsDir() {
  if (std::getenv("TRAINSCOPE_MINDER_MODELS") != nullptr || std::getenv(kDataDirEnv) != nullptr) {
    return "";
  }
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&ModuleModelsDir), &info) == 0 || info.dli_fname == nullptr) {
    return "";
  }
  std::error_code ec;
  const fs::path here = fs::weakly_canonical(info.dli_fname, ec).parent_path();
  const fs::path installed = here / TS_PYTHON_DATA_RELATIVE / "models" / "minder";
  if (fs::is_directory(installed, ec)) return installed.lexically_normal().string();
  const std::string build = fs::weakly_canonical(TS_BUILD_DIR, ec).string();
  if (here.string().rfind(build, 0) == 0) return std::string(TS_SOURCE_DIR) + "/models/minder";
  return "";
}

struct DetectArgs {
  std::vector<std::string> paths;
  std::shared_ptr<model::MetricTable> table;  // columns given instead of paths
  minder::FaultRunOptions options;
  bool strict = false;
};

Result<RunPtr> Detect(const DetectArgs& args) {
  Diagnostics reading;
  model::MetricTable table;
  if (args.table) {
    table = std::move(*args.table);
  } else {
    TS_ASSIGN_OR_RETURN(table, ingest::LoadMetrics(args.paths, ingest::LoadOptions{}, &reading));
  }
  // Samples coarser than 1 s get no call, only the reason, as in `minder detect`.
  TS_ASSIGN_OR_RETURN(
      FaultRun run, minder::RunFaultDetection(std::move(table), args.options, std::move(reading)));
  if (args.strict) TS_RETURN_IF_ERROR(DataLossStatus(run.diagnostics));
  return RunPtr(std::make_shared<FaultRun>(std::move(run)));
}

// One alert with the keys of `trainscope minder detect --json` (times in seconds).
py::dict AlertDict(const minder::Alert& a) {
  py::dict d;
  d["machine"] = a.machine;
  d["metric"] = a.metric;
  d["start"] = static_cast<double>(a.start_ns) / 1e9;
  d["end"] = static_cast<double>(a.end_ns) / 1e9;
  d["score"] = a.score;
  d["margin"] = a.margin;
  d["windows"] = a.windows;
  d["missing"] = a.missing;
  // "gpu" as the CLI writes it: the GPU's number (its device name when that is a number).
  if (a.gpu >= 0 && (a.device_kind.empty() || a.device_kind == "gpu")) {
    int number = a.gpu;
    auto [end, ec] = std::from_chars(a.device.data(), a.device.data() + a.device.size(), number);
    if (ec != std::errc() || end != a.device.data() + a.device.size()) number = a.gpu;
    d["gpu"] = number;
  }
  if (!a.device.empty()) {
    d["device"] = a.device;
    d["device_kind"] = a.device_kind;
  }
  return d;
}

py::list Alerts(const RunPtr& r) {
  py::list out;
  for (const minder::Alert& a : r->alerts) out.append(AlertDict(a));
  return out;
}

// The deciding metric's robust z: {"machine": names, "t_s": seconds, "z": machines x points}.
py::dict Scores(const RunPtr& r) {
  std::vector<std::string> machines;
  const size_t points = r->series.empty() ? 0 : r->series.front().z.size();
  py::array_t<double> z(
      {static_cast<py::ssize_t>(r->series.size()), static_cast<py::ssize_t>(points)});
  auto cells = z.mutable_unchecked<2>();
  for (size_t m = 0; m < r->series.size(); ++m) {
    machines.push_back(r->series[m].machine);
    for (size_t p = 0; p < points && p < r->series[m].z.size(); ++p) {
      cells(static_cast<py::ssize_t>(m), static_cast<py::ssize_t>(p)) = r->series[m].z[p];
    }
  }
  py::dict d;
  d["machine"] = StringArray(machines);
  d["t_s"] = r->series.empty() ? CopyArray(std::vector<double>{}) : CopyArray(r->series[0].t_s);
  d["z"] = z;
  return d;
}

py::dict AlertTable(const RunPtr& r) {
  std::vector<std::string> machine, metric;
  std::vector<double> start, end, score, margin;
  for (const minder::Alert& a : r->alerts) {
    machine.push_back(a.machine);
    metric.push_back(a.metric);
    start.push_back(static_cast<double>(a.start_ns) / 1e9);
    end.push_back(static_cast<double>(a.end_ns) / 1e9);
    score.push_back(a.score);
    margin.push_back(a.margin);
  }
  py::dict t;
  t["machine"] = StringArray(machine);
  t["metric"] = StringArray(metric);
  t["start"] = CopyArray(start);
  t["end"] = CopyArray(end);
  t["score"] = CopyArray(score);
  t["margin"] = CopyArray(margin);
  return t;
}

std::vector<std::string> PathsOf(const py::object& paths) {
  if (py::isinstance<py::str>(paths) || py::hasattr(paths, "__fspath__")) {
    return {py::str(paths).cast<std::string>()};
  }
  std::vector<std::string> out;
  for (py::handle p : paths) out.push_back(py::str(p).cast<std::string>());
  return out;
}

}  // namespace

void BindMinder(py::module_& m) {
  py::class_<FaultRun, RunPtr>(m, "MinderResult",
                               "Result of trainscope.minder_detect(): verdict, alerts (the keys "
                               "of `minder detect --json`), the deciding metric's robust z")
      .def_property_readonly(
          "verdict", [](const RunPtr& r) { return std::string(minder::VerdictName(r->verdict)); })
      .def_property_readonly("alerts", Alerts, "List of dicts, first alert per machine")
      .def_property_readonly("inconclusive", [](const RunPtr& r) { return r->inconclusive; })
      .def_property_readonly("deciding_metric", [](const RunPtr& r) { return r->deciding_metric; })
      .def_property_readonly("threshold", [](const RunPtr& r) { return r->threshold; })
      .def_property_readonly("machines", [](const RunPtr& r) { return r->machines; })
      .def_property_readonly("seconds", [](const RunPtr& r) { return r->seconds; })
      .def_property_readonly("calls", [](const RunPtr& r) { return r->calls; })
      .def_property_readonly("absent_machines", [](const RunPtr& r) { return r->absent_machines; })
      .def_property_readonly("diagnostics",
                             [](const RunPtr& r) { return DiagnosticsList(r->diagnostics); })
      .def_property_readonly("scores", Scores,
                             "{'machine', 't_s', 'z' (machines x points)}: NumPy arrays")
      .def(
          "to_pandas",
          [](const RunPtr& r) { return ToPandas(py::dict(py::arg("alerts") = AlertTable(r))); },
          "{'alerts': DataFrame}")
      .def("__repr__", [](const RunPtr& r) {
        return "<trainscope.MinderResult " + std::string(minder::VerdictName(r->verdict)) + ", " +
               std::to_string(r->alerts.size()) + " alert(s), " + std::to_string(r->machines) +
               " machines, " + std::to_string(r->seconds) + " s>";
      });
  m.def(
      "minder_detect",
      [](const py::object& paths, const std::string& models, int every_seconds, int pull_seconds,
         int threads, bool strict) {
        DetectArgs args;
        if (py::hasattr(paths, "keys")) {  // a dict of arrays or a DataFrame
          args.table =
              std::make_shared<model::MetricTable>(ValueOrRaise(MetricTableFromColumns(paths)));
        } else {
          args.paths = PathsOf(paths);
        }
        args.options.models_dir = models.empty() ? ModuleModelsDir() : models;
        args.options.every_seconds = every_seconds;
        args.options.pull_seconds = pull_seconds;
        args.options.threads = threads;
        args.strict = strict;
        return RunAndRaise<RunPtr>([args] { return Detect(args); });
      },
      py::arg("paths_or_columns"), py::arg("models") = "", py::arg("every_seconds") = 480,
      py::arg("pull_seconds") = 900, py::arg("threads") = 0, py::arg("strict") = false,
      "Finds the faulty machine (Minder, NSDI'25) in metric files (long CSV, Prometheus "
      "query_range JSON or text; one path or a list; or columns in the long CSV's layout, a dict "
      "of arrays or a DataFrame: timestamp (s), machine, gpu, one column per metric): one "
      "detection call when the recording "
      "fits in one pull (as `trainscope minder detect`), else a call every every_seconds over "
      "the last pull_seconds (as `minder replay`). models: a folder of *.vae models (default: "
      "the shipped ones).");
}

}  // namespace trainscope::python
