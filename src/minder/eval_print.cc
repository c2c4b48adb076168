// SPDX-License-Identifier: Apache-2.0
// Text table and JSON of an evaluation report (delay medians and p90s: base/stats.h Quantile).
#include <algorithm>
#include <set>

#include <fmt/core.h>

#include "base/stats.h"
#include "minder/eval.h"

namespace trainscope::minder {
namespace {

double PerHour(const VariantResult& v) {
  return v.healthy_machine_hours > 0 ? v.healthy_alerts / v.healthy_machine_hours : 0;
}

}  // namespace

void PrintEvaluation(const EvalReport& report, std::FILE* out) {
  for (const auto& [family, order] : report.learned_order) {
    std::string s;
    for (size_t k = 0; k < order.size(); ++k) s += (k ? ", " : "") + order[k];
    fmt::print(out, "Metric priority ({}; CART on injected windows): {}\n", family, s);
  }
  for (const auto& [family, n] : report.faults_injected) fmt::print(out, "Faults injected ({}): {}\n", family, n);
  for (const auto& [family, channels] : report.channel_thresholds) {
    std::string s;
    for (const auto& [name, zs] : channels) {
      s += (s.empty() ? "" : ", ") + name + " ";
      for (size_t k = 0; k < zs.size(); ++k) s += fmt::format("{}{:.1f}", k ? "/" : "", zs[k]);
    }
    fmt::print(out, "Calibrated thresholds ({}; per channel, one per calibration group): {}\n", family, s);
  }
  fmt::print(out, "\n{:<12} {:<34} {:>5} {:>5} {:>5} {:>8} {:>13} {:>13} {:>10} {:>8}\n", "family", "variant",
             "P", "R", "F1", "thr", "delay8 med/p90", "delay1 med/p90", "FA/mach-h", "ctrl-al");
  for (const VariantResult& v : report.variants) {
    double thr = v.thresholds.empty() ? 0 : *std::max_element(v.thresholds.begin(), v.thresholds.end());
    fmt::print(out, "{:<12} {:<34} {:5.3f} {:5.3f} {:5.3f} {:8.2f} {:6.0f}/{:<6.0f} {:6.0f}/{:<6.0f} {:10.4f} {:8d}\n",
               v.family, v.name, v.overall.Precision(), v.overall.Recall(), v.overall.F1(), thr,
               Quantile(v.delay_8min_s, 0.5), Quantile(v.delay_8min_s, 0.9), Quantile(v.delay_1min_s, 0.5),
               Quantile(v.delay_1min_s, 0.9), PerHour(v), v.control_alerts);
  }
  // False alarms without double counting, where recordings of a group overlap in wall time.
  for (const VariantResult& v : report.variants) {
    if (v.healthy_distinct_machine_hours <= 0 || v.healthy_distinct_machine_hours > 0.99 * v.healthy_machine_hours) continue;
    if (v.name != "minder" && v.name != "raw_distance" && v.name != "mahalanobis") continue;
    fmt::print(out, "Healthy {} {} counted once (overlapping recordings): {} alert episodes in {:.1f} distinct "
               "machine-hours ({:.4f}/machine-hour, {:.2f} per 24)\n", v.family, v.name, v.healthy_distinct_alerts,
               v.healthy_distinct_machine_hours, v.healthy_distinct_alerts / v.healthy_distinct_machine_hours,
               24 * v.healthy_distinct_alerts / v.healthy_distinct_machine_hours);
  }
  // Per fault type for the four main variants.
  std::vector<std::string> families;
  for (const VariantResult& v : report.variants) {
    if (std::find(families.begin(), families.end(), v.family) == families.end()) families.push_back(v.family);
  }
  for (const std::string& family : families) {
    std::set<std::string> types;
    for (const auto& v : report.variants) {
      if (v.family != family) continue;
      for (const auto& [t, p] : v.per_type) types.insert(t);
    }
    if (types.empty()) continue;
    fmt::print(out, "\nPer fault type ({}), P/R/F1 (faults):\n{:<22}", family, "type");
    for (const char* name : {"minder", "raw_distance", "mahalanobis", "continuity_off"}) fmt::print(out, " {:>20}", name);
    fmt::print(out, "\n");
    for (const std::string& t : types) {
      int faults = 0;
      std::string line;
      for (const char* name : {"minder", "raw_distance", "mahalanobis", "continuity_off"}) {
        for (const auto& v : report.variants) {
          if (v.family != family || v.name != name) continue;
          auto it = v.per_type.find(t);
          if (it == v.per_type.end()) { line += fmt::format(" {:>20}", "-"); continue; }
          faults = it->second.faults;
          line += fmt::format(" {:>6.2f}/{:4.2f}/{:4.2f}   ", it->second.Precision(), it->second.Recall(), it->second.F1());
        }
      }
      fmt::print(out, "{:<22}{} ({})\n", t, line, faults);
    }
  }
  if (report.pure_peer_machine_hours > 0) {
    fmt::print(out, "\nPure peer comparison (no per-job reference) on healthy Exathlon: {} alerts in {:.1f} "
               "machine-hours ({:.3f}/machine-hour)\n", report.pure_peer_healthy_alerts,
               report.pure_peer_machine_hours, report.pure_peer_healthy_alerts / report.pure_peer_machine_hours);
    for (const auto& m : report.pure_peer_alerted_machines) fmt::print(out, "  alert: {}\n", m);
  }
  if (!report.smd.empty()) {
    fmt::print(out, "\nSMD per-machine (generic LSTM-VAE reconstruction error, threshold = train p99.5):\n");
    double f1 = 0, f1pa = 0;
    for (const auto& s : report.smd) {
      fmt::print(out, "  {:<12} P {:.3f} R {:.3f} F1 {:.3f} F1(point-adjusted) {:.3f}\n", s.machine, s.precision,
                 s.recall, s.f1, s.f1_point_adjusted);
      f1 += s.f1;
      f1pa += s.f1_point_adjusted;
    }
    fmt::print(out, "  mean F1 {:.3f}, mean point-adjusted F1 {:.3f}\n", f1 / static_cast<double>(report.smd.size()),
               f1pa / static_cast<double>(report.smd.size()));
  }
  fmt::print(out, "\nEvaluation took {:.1f} s\n", report.seconds);
}

void WriteEvaluationJson(const EvalReport& report, JsonWriter* json) {
  json->BeginObject();
  json->Key("learned_order").BeginObject();
  for (const auto& [family, order] : report.learned_order) {
    json->Key(family).BeginArray();
    for (const auto& o : order) json->String(o);
    json->EndArray();
  }
  json->EndObject();
  json->Key("faults_injected").BeginObject();
  for (const auto& [family, n] : report.faults_injected) json->Field(family, n);
  json->EndObject();
  json->Key("channel_thresholds").BeginObject();
  for (const auto& [family, channels] : report.channel_thresholds) {
    json->Key(family).BeginObject();
    for (const auto& [name, zs] : channels) {
      json->Key(name).BeginArray();
      for (double z : zs) json->Double(z);
      json->EndArray();
    }
    json->EndObject();
  }
  json->EndObject();
  json->Key("variants").BeginArray();
  for (const VariantResult& v : report.variants) {
    json->BeginObject();
    json->Field("family", v.family).Field("variant", v.name);
    json->Field("precision", v.overall.Precision()).Field("recall", v.overall.Recall()).Field("f1", v.overall.F1());
    json->Field("faults", v.overall.faults).Field("true_alerts", v.overall.tp_events).Field("false_alerts", v.overall.fp_events);
    json->Key("thresholds").BeginArray();
    for (double t : v.thresholds) json->Double(t);
    json->EndArray();
    json->Field("delay_8min_median_s", Quantile(v.delay_8min_s, 0.5)).Field("delay_8min_p90_s", Quantile(v.delay_8min_s, 0.9));
    json->Field("delay_1min_median_s", Quantile(v.delay_1min_s, 0.5)).Field("delay_1min_p90_s", Quantile(v.delay_1min_s, 0.9));
    json->Field("healthy_alerts", v.healthy_alerts).Field("healthy_machine_hours", v.healthy_machine_hours);
    json->Field("false_alarms_per_machine_hour", PerHour(v)).Field("control_alerts", v.control_alerts);
    json->Field("healthy_distinct_alerts", v.healthy_distinct_alerts);
    json->Field("healthy_distinct_machine_hours", v.healthy_distinct_machine_hours);
    json->Key("per_type").BeginObject();
    for (const auto& [t, p] : v.per_type) {
      json->Key(t).BeginObject();
      json->Field("precision", p.Precision()).Field("recall", p.Recall()).Field("f1", p.F1()).Field("faults", p.faults);
      json->EndObject();
    }
    json->EndObject();
    json->EndObject();
  }
  json->EndArray();
  json->Field("pure_peer_healthy_alerts", report.pure_peer_healthy_alerts);
  json->Field("pure_peer_machine_hours", report.pure_peer_machine_hours);
  json->Key("smd").BeginArray();
  for (const auto& s : report.smd) {
    json->BeginObject().Field("machine", s.machine).Field("precision", s.precision).Field("recall", s.recall);
    json->Field("f1", s.f1).Field("f1_point_adjusted", s.f1_point_adjusted).Field("threshold", s.threshold).EndObject();
  }
  json->EndArray();
  json->Field("seconds", report.seconds);
  json->EndObject();
}

}  // namespace trainscope::minder
