// SPDX-License-Identifier: Apache-2.0
// Diagnostics: input oddities that a documented recovery handles (skip a malformed event,
// clamp a negative duration, ...). They are recorded, counted and always shown (text report and
// --json), never silently dropped. `--strict` turns data_loss diagnostics into errors (exit 3).
// Modelled on Perfetto's trace_processor stats table.
// Thread safety: not thread-safe; give each worker thread its own and Merge() afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trainscope {

enum class Severity { kInfo, kWarning, kDataLoss, kError };
std::string_view SeverityName(Severity severity);

struct Diagnostic {
  std::string name;            // stable identifier, e.g. "negative_duration"
  Severity severity = Severity::kInfo;
  std::string source;          // file (or rank) it came from
  int64_t count = 0;           // how many times it happened
  std::string first_location;  // place of the first occurrence ("event 1234", "byte 99")
  std::string message;         // human explanation of the first occurrence and the recovery
};

class Diagnostics {
 public:
  // Records one occurrence; occurrences with the same (name, source) are merged and counted.
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

}  // namespace trainscope
