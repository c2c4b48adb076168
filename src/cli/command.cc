// SPDX-License-Identifier: Apache-2.0
// Command registry, exit codes and error printing.
#include "cli/command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

namespace trainscope::cli {
namespace {

struct Entry {
  int order;
  Registrar registrar;
};

std::vector<Entry>& Entries() {
  static std::vector<Entry> entries;
  return entries;
}

int g_exit_code = kExitOk;

}  // namespace

GlobalOptions& MutableGlobals() {
  static GlobalOptions options;
  return options;
}
const GlobalOptions& Globals() { return MutableGlobals(); }

Registration::Registration(int order, Registrar registrar) {
  Entries().push_back(Entry{order, registrar});
}

void RegisterAll(CLI::App& root) {
  std::vector<Entry> entries = Entries();
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.order < b.order; });
  for (const Entry& e : entries) e.registrar(root);
}

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kDataLoss:
    case StatusCode::kOutOfRange:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kIo:
      return kExitBadInput;
    case StatusCode::kUnimplemented:
      return kExitUsage;
    case StatusCode::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

int ReportError(const Status& status) {
  bool color = isatty(STDERR_FILENO) == 1;
  const char* red = color ? "\033[1;31m" : "";
  const char* reset = color ? "\033[0m" : "";
  std::fprintf(stderr, "trainscope: %serror%s: %s\n", red, reset, status.message().c_str());
  if (status.code() == StatusCode::kInternal) {
    std::fprintf(stderr, "%s\nThis is a bug in trainscope; please report it with the command.\n",
                 status.ToStringWithContext().c_str());
  }
  return ExitCodeFor(status);
}

Status ApplyStrict(const Diagnostics& diagnostics) {
  return Globals().strict ? DataLossStatus(diagnostics) : OkStatus();
}

void PrintDiagnosticsUnlessQuiet(const Diagnostics& diagnostics) {
  if (Globals().quiet || Globals().json) return;
  PrintDiagnostics(diagnostics, stderr);
}

Status CheckOutputIsNotInput(std::string_view flag, const std::string& out, const std::string& input,
                             bool inside_folder) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(out, ec) && fs::equivalent(out, input, ec)) {
    return InvalidArgumentError("{} {}: is the input itself; writing it would replace the trace", flag,
                                out);
  }
  if (!inside_folder || !fs::is_directory(input, ec)) return OkStatus();
  const std::string name = fs::path(out).filename().string();
  if (!name.ends_with(".json") && !name.ends_with(".json.gz")) return OkStatus();
  const fs::path parent = fs::weakly_canonical(fs::absolute(out, ec).parent_path(), ec);
  if (!ec && parent == fs::weakly_canonical(fs::absolute(input, ec), ec)) {
    return InvalidArgumentError(
        "{} {}: inside the input folder {}, where the next read would take it for a rank file; "
        "write it elsewhere",
        flag, out, input);
  }
  return OkStatus();
}

void SetExitCode(int code) {
  if (g_exit_code == kExitOk) g_exit_code = code;
}
int ExitCodeValue() { return g_exit_code; }

void RunAndSetExit(const std::function<Status()>& body) {
  Status status = body();
  SetExitCode(status.ok() ? kExitOk : ReportError(status));
}

}  // namespace trainscope::cli
