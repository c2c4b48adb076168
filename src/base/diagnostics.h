// SPDX-License-Identifier: Apache-2.0
// Diagnostics: input oddities that a documented recovery handles (skip a malformed event,
// clamp a negative duration, ...). They are recorded, counted and always shown (text report and
// --json), never silently dropped. Every name is in the catalogue (base/diagnostic_catalog.h),
// which gives its severity and description. `--strict` turns data_loss (and error) diagnostics
// into errors (exit 3; cli/command.h ApplyStrict). Modelled on Perfetto's trace_processor stats.
// One writer for them: FormatDiagnostic (text) and WriteDiagnosticsJson (JSON), used by every
// command.
// Thread safety: not thread-safe; give each worker thread its own and Merge() afterwards.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic_catalog.h"
#include "base/status.h"

namespace trainscope {

class JsonWriter;

struct Diagnostic {
  std::string name;                     // catalogued identifier, e.g. "malformed_event"
  Severity severity = Severity::kInfo;  // the catalogue's
  std::string source;                   // file (or rank) it came from
  int64_t count = 0;                    // how many times it happened
  std::string first_location;           // place of the first occurrence ("event 1234", "byte 99")
  std::string message;  // human explanation of the first occurrence and the recovery
};

class Diagnostics {
 public:
  // Records one occurrence of the catalogued diagnostic `name` (its severity comes from the
  // catalogue); occurrences with the same (name, source) are merged and counted. A name that is
  // not in the catalogue is a bug (TS_DCHECK; release builds record it as `error`).
  void Add(std::string_view name, std::string_view source, std::string_view location,
           std::string_view message);
  // Migration only (src/whatif and src/pipeline still call it): `severity` must be the
  // catalogue's (TS_DCHECK); the catalogue's is recorded.
  void Add(std::string_view name, Severity severity, std::string_view source,
           std::string_view location, std::string_view message);
  void Merge(const Diagnostics& other);

  const std::vector<Diagnostic>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  bool HasAtLeast(Severity severity) const;
  int64_t Count(std::string_view name) const;

 private:
  std::vector<Diagnostic> items_;
};

// One line of text, the same in every command, report and log:
//   <severity>: <name> (<source>, <count> x, first at <location>): <message>
// (the parenthesis leaves out what is empty; no ": <message>" without a message).
std::string FormatDiagnostic(const Diagnostic& diagnostic);
// OK, or a data-loss error naming the first 10 data_loss / error diagnostics: what --strict
// (the CLI's and the Python module's strict=True) makes of them.
Status DataLossStatus(const Diagnostics& diagnostics);
// Each diagnostic as "trainscope: " + FormatDiagnostic on its own line of `out`.
void PrintDiagnostics(const Diagnostics& diagnostics, std::FILE* out);
// The diagnostics as one JSON array value (write the key first): objects with name, severity,
// source, count, first_location and message, in the order recorded.
void WriteDiagnosticsJson(const Diagnostics& diagnostics, JsonWriter& json);

}  // namespace trainscope
