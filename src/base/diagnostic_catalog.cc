// SPDX-License-Identifier: Apache-2.0
// The catalogue table, expanded from TS_DIAGNOSTIC_CATALOG.
#include "base/diagnostic_catalog.h"

#include <algorithm>
#include <iterator>

namespace trainscope {
namespace {

#define TS_INTERNAL_DIAGNOSTIC_SPEC(name, severity, recorded_by, description) \
  DiagnosticSpec{#name, Severity::severity, recorded_by, description},
constexpr DiagnosticSpec kCatalog[] = {TS_DIAGNOSTIC_CATALOG(TS_INTERNAL_DIAGNOSTIC_SPEC)};
#undef TS_INTERNAL_DIAGNOSTIC_SPEC

}  // namespace

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kDataLoss:
      return "data_loss";
    case Severity::kError:
      return "error";
  }
  return "unknown";
}

std::span<const DiagnosticSpec> DiagnosticCatalog() { return kCatalog; }

const DiagnosticSpec* FindDiagnostic(std::string_view name) {
  // Few dozen entries, looked up once per new (name, source) pair: a scan is enough.
  const auto it = std::find_if(std::begin(kCatalog), std::end(kCatalog),
                               [&](const DiagnosticSpec& s) { return s.name == name; });
  return it == std::end(kCatalog) ? nullptr : &*it;
}

std::string DiagnosticCatalogMarkdown() {
  std::string out =
      "# Diagnostics\n\n"
      "<!-- Generated from src/base/diagnostic_catalog.h by `trainscope diagnostics --markdown`; "
      "base_test (DiagnosticCatalogTest.DocsAreCurrent) fails when this file is stale. -->\n\n"
      "Input oddities that trainscope recovers from are recorded as diagnostics, never dropped "
      "silently: each has a name, a severity, the source (file, rank, machine or metric), a "
      "count and the place of its first occurrence. Every command shows them (stderr in text "
      "mode, `\"diagnostics\"` in `--json`, the report's diagnostics section). `--strict` turns "
      "any diagnostic of severity `data_loss` or `error` into exit 3, naming them. Severities: "
      "`info` (a recovery that loses nothing), `warning` (results may be less accurate), "
      "`data_loss` (input was dropped), `error` (worse than data loss). "
      "`trainscope diagnostics --list [--json]` prints this table.\n\n"
      "| name | severity | recorded by | meaning and recovery |\n"
      "|---|---|---|---|\n";
  for (const DiagnosticSpec& spec : DiagnosticCatalog()) {
    out += "| `";
    out += spec.name;
    out += "` | ";
    out += SeverityName(spec.severity);
    out += " | ";
    out += spec.recorded_by;
    out += " | ";
    out += spec.description;
    out += " |\n";
  }
  return out;
}

}  // namespace trainscope
