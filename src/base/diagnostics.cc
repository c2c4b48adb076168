// SPDX-License-Identifier: Apache-2.0
// Diagnostics collection, merging and the one text and JSON writer.
#include "base/diagnostics.h"

#include <fmt/format.h>

#include "base/check.h"
#include "base/json_writer.h"
#include "base/utf8.h"

namespace trainscope {
namespace {

Severity CatalogSeverity(std::string_view name) {
  const DiagnosticSpec* spec = FindDiagnostic(name);
  TS_DCHECK(spec != nullptr, "diagnostic '{}' is not in the catalogue (base/diagnostic_catalog.h)",
            name);
  return spec != nullptr ? spec->severity : Severity::kError;
}

}  // namespace

void Diagnostics::Add(std::string_view name, std::string_view source, std::string_view location,
                      std::string_view message) {
  for (Diagnostic& d : items_) {
    if (d.name == name && d.source == source) {
      ++d.count;
      return;
    }
  }
  items_.push_back(Diagnostic{std::string(name), CatalogSeverity(name), std::string(source), 1,
                              std::string(location), std::string(message)});
}

void Diagnostics::Add(std::string_view name, [[maybe_unused]] Severity severity,
                      std::string_view source, std::string_view location,
                      std::string_view message) {
  TS_DCHECK(FindDiagnostic(name) == nullptr || FindDiagnostic(name)->severity == severity,
            "diagnostic '{}' recorded as {}, catalogued as {}", name, SeverityName(severity),
            SeverityName(FindDiagnostic(name)->severity));
  Add(name, source, location, message);
}

void Diagnostics::Merge(const Diagnostics& other) {
  for (const Diagnostic& o : other.items_) {
    bool merged = false;
    for (Diagnostic& d : items_) {
      if (d.name == o.name && d.source == o.source) {
        d.count += o.count;
        if (o.severity > d.severity) d.severity = o.severity;
        merged = true;
        break;
      }
    }
    if (!merged) items_.push_back(o);
  }
}

bool Diagnostics::HasAtLeast(Severity severity) const {
  for (const Diagnostic& d : items_) {
    if (d.severity >= severity) return true;
  }
  return false;
}

int64_t Diagnostics::Count(std::string_view name) const {
  int64_t total = 0;
  for (const Diagnostic& d : items_) {
    if (d.name == name) total += d.count;
  }
  return total;
}

// Text from inputs (paths, places, quoted bytes) is made printable: a NUL cut the line short, an
// escape sequence would drive the terminal, invalid UTF-8 would garble it.
std::string FormatDiagnostic(const Diagnostic& d) {
  std::string out = fmt::format("{}: {} (", SeverityName(d.severity), d.name);
  if (!d.source.empty()) out += PrintableText(d.source) + ", ";
  out += fmt::format("{} x", d.count);
  if (!d.first_location.empty()) out += ", first at " + PrintableText(d.first_location);
  out += ")";
  if (!d.message.empty()) out += ": " + PrintableText(d.message);
  return out;
}

Status DataLossStatus(const Diagnostics& diagnostics) {
  constexpr size_t kMaxNamed = 10;
  std::string named;
  size_t failing = 0;
  for (const Diagnostic& d : diagnostics.items()) {
    if (d.severity < Severity::kDataLoss) continue;
    if (++failing <= kMaxNamed) named += (named.empty() ? "" : "; ") + FormatDiagnostic(d);
  }
  if (failing == 0) return OkStatus();
  if (failing > kMaxNamed) named += fmt::format("; and {} more", failing - kMaxNamed);
  return DataLossError(
      "data loss in the input: {} (--strict fails on data_loss and error "
      "diagnostics)",
      named);
}

void PrintDiagnostics(const Diagnostics& diagnostics, std::FILE* out) {
  for (const Diagnostic& d : diagnostics.items()) {
    const std::string line = "trainscope: " + FormatDiagnostic(d) + "\n";
    std::fwrite(line.data(), 1, line.size(), out);
  }
}

void WriteDiagnosticsJson(const Diagnostics& diagnostics, JsonWriter& json) {
  json.BeginArray();
  for (const Diagnostic& d : diagnostics.items()) {
    json.BeginObject();
    json.Field("name", d.name).Field("severity", SeverityName(d.severity));
    json.Field("source", d.source).Field("count", d.count);
    json.Field("first_location", d.first_location).Field("message", d.message);
    json.EndObject();
  }
  json.EndArray();
}

}  // namespace trainscope
