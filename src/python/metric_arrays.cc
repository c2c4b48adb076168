// SPDX-License-Identifier: Apache-2.0
// Metric samples handed over from Python as columns (a dict of arrays or a pandas DataFrame in
// the long CSV's layout: timestamp, machine, an optional device column, one column per metric)
// into a model::MetricTable, as ingest/metrics' long-CSV reader fills it.
#include <cmath>
#include <string>
#include <vector>

#include "model/metric_table.h"
#include "python/binding.h"

namespace trainscope::python {
namespace {

py::array AsArray(const py::object& columns, const std::string& name, const char* dtype) {
  return py::module_::import("numpy").attr("asarray")(columns[py::str(name)],
                                                      py::arg("dtype") = dtype);
}

std::vector<std::string> AsStrings(const py::object& columns, const std::string& name) {
  py::object values = AsArray(columns, name, "object").attr("tolist")();
  std::vector<std::string> out;
  for (py::handle v : values) out.push_back(py::str(v).cast<std::string>());
  return out;
}

// A device name that says "no device": empty, a negative number, NaN or None.
bool NoDevice(const std::string& name) {
  return name.empty() || name[0] == '-' || name == "nan" || name == "None" || name == "NaN";
}

struct Layout {
  std::string time;  // "timestamp" (seconds) or "ts" (ns)
  std::string device;
  std::vector<std::string> metrics;
};

Result<Layout> LayoutOf(const std::vector<std::string>& names) {
  Layout layout;
  bool machine = false;
  for (const std::string& n : names) {
    if (n == "timestamp" || n == "ts") {
      layout.time = n;
    } else if (n == "machine") {
      machine = true;
    } else if (model::DeviceKindFromName(n)) {
      layout.device = n;
    } else {
      layout.metrics.push_back(n);
    }
  }
  if (layout.time.empty() || !machine || layout.metrics.empty()) {
    std::string all;
    for (const std::string& n : names) all += (all.empty() ? "" : ", ") + n;
    return InvalidArgumentError(
        "minder_detect columns: need 'timestamp' (s) or 'ts' (ns), 'machine' and at least one "
        "metric column (got: {})",
        all);
  }
  return layout;
}

}  // namespace

Result<model::MetricTable> MetricTableFromColumns(const py::object& columns) {
  std::vector<std::string> names;
  for (py::handle key : columns.attr("keys")()) names.push_back(py::str(key).cast<std::string>());
  TS_ASSIGN_OR_RETURN(Layout layout, LayoutOf(names));
  // Seconds (float) to ns as the long-CSV reader does; ns taken as int64 (no float round trip).
  py::array_t<int64_t> t_ns = layout.time == "timestamp" ? AsArray(columns, "timestamp", "float64")
                                                               .attr("__mul__")(1e9)
                                                               .attr("round")()
                                                               .attr("astype")("int64")
                                                         : AsArray(columns, "ts", "int64");
  const std::vector<std::string> machines = AsStrings(columns, "machine");
  const size_t rows = machines.size();
  model::MetricTable table;
  std::vector<int32_t> machine_id(rows);
  std::vector<int16_t> device(rows, model::kNoGpu);
  for (size_t r = 0; r < rows; ++r) machine_id[r] = table.InternMachine(machines[r]);
  if (!layout.device.empty()) {
    const model::DeviceKind kind = *model::DeviceKindFromName(layout.device);
    const std::vector<std::string> devices = AsStrings(columns, layout.device);
    for (size_t r = 0; r < rows && r < devices.size(); ++r) {
      if (NoDevice(devices[r])) continue;
      TS_ASSIGN_OR_RETURN(device[r], table.InternDevice(machine_id[r], devices[r], kind));
    }
  }
  auto ts = t_ns.unchecked<1>();
  if (static_cast<size_t>(ts.shape(0)) != rows) {
    return InvalidArgumentError("minder_detect columns: '{}' has {} rows, 'machine' {}",
                                layout.time, ts.shape(0), rows);
  }
  for (const std::string& name : layout.metrics) {
    py::array_t<double> values = AsArray(columns, name, "float64");
    auto v = values.unchecked<1>();
    if (static_cast<size_t>(v.shape(0)) != rows) {
      return InvalidArgumentError("minder_detect columns: '{}' has {} rows, 'machine' {}", name,
                                  v.shape(0), rows);
    }
    const int32_t metric = table.InternMetric(name);
    for (size_t r = 0; r < rows; ++r) {
      const auto i = static_cast<py::ssize_t>(r);
      if (std::isfinite(v(i))) table.Append(ts(i), machine_id[r], metric, device[r], v(i));
    }
  }
  return table;
}

}  // namespace trainscope::python
