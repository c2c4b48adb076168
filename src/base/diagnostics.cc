// SPDX-License-Identifier: Apache-2.0
// Diagnostics collection and merging.
#include "base/diagnostics.h"

namespace trainscope {

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kDataLoss: return "data_loss";
    case Severity::kError: return "error";
  }
  return "unknown";
}

void Diagnostics::Add(std::string_view name, Severity severity, std::string_view source,
                      std::string_view location, std::string_view message) {
  for (Diagnostic& d : items_) {
    if (d.name == name && d.source == source) {
      ++d.count;
      if (severity > d.severity) d.severity = severity;
      return;
    }
  }
  items_.push_back(Diagnostic{std::string(name), severity, std::string(source), 1,
                              std::string(location), std::string(message)});
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

}  // namespace trainscope
