// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the op-table and Kineto what-if outputs (shared_output.h).
#include "whatif/internal/shared_output.h"

#include <fmt/format.h>

namespace trainscope::whatif::internal {

std::vector<double> ToSeconds(const std::vector<int64_t>& ns) {
  std::vector<double> s(ns.size());
  for (size_t i = 0; i < ns.size(); ++i) s[i] = static_cast<double>(ns[i]) * 1e-9;
  return s;
}

void WriteCause(const Cause& cause, JsonWriter& w) {
  w.Key("cause").BeginObject();
  w.Field("pattern", PatternName(cause.pattern));
  w.Field("evidence", cause.evidence);
  w.Field("persistent", cause.persistent);
  w.Field("persistence", PersistenceName(cause.persistence));
  w.Key("also").BeginArray();
  for (const Finding& f : cause.secondary) {
    w.BeginObject()
        .Field("pattern", PatternName(f.pattern))
        .Field("evidence", f.evidence)
        .EndObject();
  }
  w.EndArray();
  if (!cause.not_applicable.empty()) w.Field("not_applicable", cause.not_applicable);
  w.Key("metrics").BeginObject();
  for (const auto& [name, value] : cause.metrics) w.Field(name, value);
  w.EndObject();
  w.EndObject();
}

std::string ErrorAndCauseLines(double error_median, double error_max, const Cause& cause) {
  std::string out = fmt::format(
      "  simulation error    median {:.2f}%, max {:.2f}% (replay vs measured step time)\n",
      error_median * 100, error_max * 100);
  const char* persistence = cause.pattern == Pattern::kInconclusive ? ""
                            : cause.persistence == Persistence::kPersistent
                                ? " (persistent across steps)"
                            : cause.persistence == Persistence::kVaries
                                ? " (varies across steps)"
                                : " (one traced step: whether it persists cannot be told)";
  out += fmt::format("  cause               {}{}\n    {}\n", PatternName(cause.pattern),
                     persistence, cause.evidence);
  for (const Finding& f : cause.secondary)
    out += fmt::format("  also                {}\n    {}\n", PatternName(f.pattern), f.evidence);
  return out;
}

}  // namespace trainscope::whatif::internal
