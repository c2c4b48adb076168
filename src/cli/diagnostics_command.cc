// SPDX-License-Identifier: Apache-2.0
// `trainscope diagnostics --list [--json]`: the diagnostics catalogue, so users can look up a
// name they met in an output (base/diagnostic_catalog.h); `--markdown` writes docs/diagnostics.md.
#include <fmt/core.h>

#include <cstdio>
#include <memory>

#include "base/diagnostic_catalog.h"
#include "base/json_writer.h"
#include "cli/command.h"

namespace trainscope::cli {
namespace {

struct DiagnosticsOptions {
  bool list = false;
  bool markdown = false;
};

Status RunDiagnostics(const DiagnosticsOptions& opt) {
  if (opt.markdown && !Globals().json) {
    std::fputs(DiagnosticCatalogMarkdown().c_str(), stdout);
    return OkStatus();
  }
  if (opt.markdown) {  // --json --markdown: the page as one JSON string
    JsonWriter json(stdout);
    json.BeginObject().Field("markdown", DiagnosticCatalogMarkdown()).EndObject();
    json.Flush();
    std::fputc('\n', stdout);
    return OkStatus();
  }
  if (Globals().json) {
    JsonWriter json(stdout);
    json.BeginObject().Key("diagnostics").BeginArray();
    for (const DiagnosticSpec& spec : DiagnosticCatalog()) {
      json.BeginObject().Field("name", spec.name).Field("severity", SeverityName(spec.severity));
      json.Field("recorded_by", spec.recorded_by).Field("description", spec.description);
      json.EndObject();
    }
    json.EndArray().Key("strict_fails_on").BeginArray().String("data_loss").String("error");
    json.EndArray().EndObject();
    json.Flush();
    std::fputc('\n', stdout);
    return OkStatus();
  }
  for (const DiagnosticSpec& spec : DiagnosticCatalog()) {
    fmt::print("{:<30} {:<9} {}\n", spec.name, SeverityName(spec.severity), spec.description);
  }
  fmt::print("\n--strict fails a command on any data_loss or error diagnostic (exit 3).\n");
  return OkStatus();
}

void RegisterDiagnostics(CLI::App& root) {
  auto opt = std::make_shared<DiagnosticsOptions>();
  CLI::App* cmd = root.add_subcommand(
      "diagnostics", "Every diagnostic trainscope records: name, severity, meaning (--list)");
  cmd->add_flag("--list", opt->list, "List the catalogue (the default)");
  cmd->add_flag("--markdown", opt->markdown, "The catalogue as docs/diagnostics.md");
  cmd->callback([opt] { RunAndSetExit([opt] { return RunDiagnostics(*opt); }); });
}

}  // namespace

TS_REGISTER_COMMAND(90, RegisterDiagnostics);

}  // namespace trainscope::cli
