// SPDX-License-Identifier: Apache-2.0
// The `trainscope` Python module: errors, the GIL-free runner and the helpers the bindings
// share (binding.h), and the module definition listing the functions.
#include <Python.h>
#include <fmt/format.h>
#include <pybind11/stl.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <future>
#include <mutex>
#include <thread>

#include "base/json_writer.h"
#include "python/binding.h"

namespace trainscope::python {
namespace {

// Python classes of the errors, by StatusCode (filled by RegisterErrors at import).
struct ErrorClasses {
  py::object base, input, not_found, io, usage, internal;
};
ErrorClasses& Errors() {
  static ErrorClasses* classes = new ErrorClasses();  // lives as long as the interpreter
  return *classes;
}

py::object NewError(py::module_& m, const char* name, py::object base, py::handle builtin,
                    const char* doc) {
  std::string qualified = std::string("trainscope.") + name;
  py::tuple bases = builtin ? py::make_tuple(base, builtin) : py::make_tuple(base);
  py::object cls = py::reinterpret_steal<py::object>(
      PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr));
  m.attr(name) = cls;
  return cls;
}

// The CLI's exit code for a status (cli/command.cc ExitCodeFor; cli/ is not a library).
int ExitCodeOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 0;
    case StatusCode::kUnimplemented:
      return 2;
    case StatusCode::kInternal:
      return 4;
    default:
      return 3;
  }
}

}  // namespace

void RegisterErrors(py::module_& m) {
  ErrorClasses& e = Errors();
  py::object exception = py::reinterpret_borrow<py::object>(PyExc_Exception);
  e.base = NewError(m, "Error", exception, py::handle(),
                    "A trainscope error: str(e) is the CLI's message (file and place); e.code "
                    "names the status code, e.exit_code is the CLI's exit code.");
  e.input = NewError(m, "InputError", e.base, PyExc_ValueError,
                     "Bad input: malformed, truncated or inconsistent data (CLI exit 3).");
  e.not_found = NewError(m, "NotFoundError", e.base, PyExc_FileNotFoundError,
                         "A file, preset or entity that does not exist (CLI exit 3).");
  e.io = NewError(m, "IoError", e.base, PyExc_OSError,
                  "The operating system refused a read or write (CLI exit 3).");
  e.usage = NewError(m, "UsageError", e.base, PyExc_ValueError,
                     "An option the call does not support (CLI exit 2).");
  e.internal = NewError(m, "InternalError", e.base, PyExc_RuntimeError,
                        "A bug in trainscope (CLI exit 4): please report it with the call.");
}

void Raise(const Status& status) {
  ErrorClasses& e = Errors();
  py::object cls;
  switch (status.code()) {
    case StatusCode::kNotFound:
      cls = e.not_found;
      break;
    case StatusCode::kIo:
      cls = e.io;
      break;
    case StatusCode::kUnimplemented:
      cls = e.usage;
      break;
    case StatusCode::kInternal:
    case StatusCode::kOk:
      cls = e.internal;
      break;
    default:
      cls = e.input;
      break;
  }
  py::object error = cls(status.message());
  error.attr("code") = std::string(StatusCodeName(status.code()));
  error.attr("exit_code") = ExitCodeOf(status.code());
  error.attr("context") = py::cast(status.context());
  PyErr_SetObject(cls.ptr(), error.ptr());
  throw py::error_already_set();
}

// Bodies still running after a KeyboardInterrupt: the interpreter waits for them at exit (an
// atexit hook), so static destructors never run under a live analysis.
struct Background {
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;
};
Background& Running() {
  static Background* background = new Background();
  return *background;
}

void WaitForBackground() {
  py::gil_scoped_release release;
  Background& b = Running();
  std::unique_lock<std::mutex> lock(b.mu);
  b.cv.wait(lock, [&b] { return b.running == 0; });
}

void RunInterruptible(std::function<void()> body) {
  auto task = std::make_shared<std::packaged_task<void()>>(std::move(body));
  std::future<void> done = task->get_future();
  {
    std::lock_guard<std::mutex> lock(Running().mu);
    ++Running().running;
  }
  std::thread([task] {
    (*task)();
    Background& b = Running();
    std::lock_guard<std::mutex> lock(b.mu);
    --b.running;
    b.cv.notify_all();
  }).detach();
  while (true) {
    std::future_status state;
    {
      py::gil_scoped_release release;
      state = done.wait_for(std::chrono::milliseconds(100));
    }
    if (state == std::future_status::ready) break;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();  // KeyboardInterrupt
  }
  done.get();  // rethrows what the body threw
}


py::array StringArray(const std::vector<std::string>& values) {
  return py::module_::import("numpy").attr("array")(py::cast(values), py::arg("dtype") = "object");
}

py::object ParseJson(const std::string& text) {
  return py::module_::import("json").attr("loads")(text);
}

py::list DiagnosticsList(const Diagnostics& diagnostics) {
  JsonWriter w;
  WriteDiagnosticsJson(diagnostics, w);
  return ParseJson(w.str());
}

py::dict ToPandas(const py::dict& tables) {
  py::module_ pandas;
  try {
    pandas = py::module_::import("pandas");
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_ImportError)) throw;
    throw py::import_error(
        "to_pandas() needs pandas (Debian: apt-get install python3-pandas); the tables are "
        "available as NumPy arrays without it");
  }
  py::dict frames;
  for (auto [name, columns] : tables) frames[name] = pandas.attr("DataFrame")(columns);
  return frames;
}

}  // namespace trainscope::python

namespace tp = trainscope::python;

PYBIND11_MODULE(trainscope, m) {
  m.doc() =
      "trainscope from Python: the same C++ core as the CLI (whatif, plan, read_trace, "
      "minder_detect). See docs/python.md.";
  m.attr("__version__") = TS_VERSION;
  tp::RegisterErrors(m);
  pybind11::module_::import("atexit").attr("register")(
      pybind11::cpp_function(&tp::WaitForBackground));
  tp::BindWhatIf(m);
  tp::BindTrace(m);
  tp::BindPlan(m);
  tp::BindMinder(m);
}
