// SPDX-License-Identifier: Apache-2.0
// What every binding of the `trainscope` Python module shares: trainscope Status -> Python
// exception (the CLI's message, with the code and the CLI's exit code as attributes), long C++
// calls run with the GIL released and Ctrl-C honoured, and NumPy views of C++ columns that keep
// their owner alive (no copy). Thread safety: call from Python threads holding the GIL.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "model/metric_table.h"

namespace trainscope::python {

namespace py = pybind11;

// Creates trainscope.Error and its subclasses in `m` (once, at import).
void RegisterErrors(py::module_& m);

// Raises the Python exception for `status` (not OK): InputError (ValueError) for bad input,
// NotFoundError (FileNotFoundError), IoError (OSError), UsageError (ValueError), InternalError
// (RuntimeError). str(e) is the CLI's message after "trainscope: error: ".
[[noreturn]] void Raise(const Status& status);

template <typename T>
T ValueOrRaise(Result<T> result) {
  if (!result.ok()) Raise(result.error());
  return std::move(result).value();
}
inline void OkOrRaise(const Status& status) {
  if (!status.ok()) Raise(status);
}

// Runs `body` on a worker thread with the GIL released; every 100 ms the calling thread takes
// the GIL back to run Python's signal handlers (PyErr_CheckSignals), so Ctrl-C raises
// KeyboardInterrupt at once. The C++ analyses have no cancel hook: an interrupted body runs on
// to its end in the background and its result is dropped (it owns everything it touches);
// the interpreter waits for it at exit.
void RunInterruptible(std::function<void()> body);
// Waits (GIL released) until no interrupted body runs on; registered with atexit at import.
void WaitForBackground();

// RunInterruptible on a body that returns a Result: its value, or the Python exception.
template <typename T>
T RunAndRaise(std::function<Result<T>()> body) {
  auto out = std::make_shared<std::optional<Result<T>>>();
  RunInterruptible([out, body = std::move(body)] { out->emplace(body()); });
  return ValueOrRaise(std::move(**out));
}

// A read-only 1-D NumPy array over `size` elements at `data`, keeping `owner` alive.
template <typename T>
py::array ColumnView(const T* data, size_t size, std::shared_ptr<const void> owner) {
  auto* holder = new std::shared_ptr<const void>(std::move(owner));
  py::capsule base(holder, [](void* p) { delete static_cast<std::shared_ptr<const void>*>(p); });
  py::array_t<T> array({static_cast<py::ssize_t>(size)}, {static_cast<py::ssize_t>(sizeof(T))},
                       data, base);
  py::detail::array_proxy(array.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return array;
}

// A copy of `values` as a NumPy array (for results small enough that copying costs nothing).
template <typename T>
py::array CopyArray(const std::vector<T>& values) {
  return py::array_t<T>(static_cast<py::ssize_t>(values.size()), values.data());
}

// A NumPy object array of Python str.
py::array StringArray(const std::vector<std::string>& values);

// The diagnostics as a list of dicts (name, severity, source, count, first, message), the keys
// of the CLI's --json.
py::list DiagnosticsList(const Diagnostics& diagnostics);

// json.loads(text).
py::object ParseJson(const std::string& text);

// A dict of DataFrames (one per table of `tables`, a dict of dicts of arrays); raises
// ImportError naming python3-pandas when pandas is absent.
py::dict ToPandas(const py::dict& tables);

// Samples in the long CSV's layout, as columns (a dict of arrays or a DataFrame): `timestamp`
// (s) or `ts` (ns), `machine`, optionally a device column (`gpu`, `nic`, `device`, `interface`),
// one column per metric (NaN: no sample). Needs the GIL. kInvalidArgument naming the columns.
Result<model::MetricTable> MetricTableFromColumns(const py::object& columns);

// Binders of the module's functions (one file each).
void BindWhatIf(py::module_& m);
void BindTrace(py::module_& m);
void BindPlan(py::module_& m);
void BindMinder(py::module_& m);

}  // namespace trainscope::python
