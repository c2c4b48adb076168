// SPDX-License-Identifier: Apache-2.0
// One Minder alert as JSON fields or a line of text (minder detect, replay, watch).
#include "cli/app/minder_alert_output.h"

#include <fmt/core.h>

#include <charconv>

namespace trainscope::cli {

void WriteAlertFields(const minder::Alert& a, JsonWriter* json, int64_t call_ns) {
  json->Field("machine", a.machine).Field("metric", a.metric);
  json->Field("start", static_cast<double>(a.start_ns) / 1e9)
      .Field("end", static_cast<double>(a.end_ns) / 1e9);
  json->Field("score", a.score)
      .Field("margin", a.margin)
      .Field("windows", a.windows)
      .Field("missing", a.missing);
  // "gpu": the GPU's number (its name when that is one, as GPUs keep their number as index).
  if (a.gpu >= 0 && (a.device_kind.empty() || a.device_kind == "gpu")) {
    int number = a.gpu;
    auto [p, ec] = std::from_chars(a.device.data(), a.device.data() + a.device.size(), number);
    if (ec != std::errc() || p != a.device.data() + a.device.size()) number = a.gpu;
    json->Field("gpu", number);
  }
  if (!a.device.empty()) json->Field("device", a.device).Field("device_kind", a.device_kind);
  if (call_ns >= 0) json->Field("call", static_cast<double>(call_ns) / 1e9);
}

void WriteAlert(const minder::Alert& a, JsonWriter* json, int64_t call_ns) {
  json->BeginObject();
  WriteAlertFields(a, json, call_ns);
  json->EndObject();
}

std::string AlertText(const minder::Alert& a) {
  std::string device;
  if (!a.device.empty()) {
    device = fmt::format(" ({} {})", a.device_kind == "gpu" ? "GPU" : a.device_kind, a.device);
  } else if (a.gpu >= 0) {
    device = fmt::format(" (GPU {})", a.gpu);
  }
  return fmt::format(
      "ALERT machine {} metric {}{} from {} to {} ({} windows): score {:.2f}, margin {:.2f}{}",
      a.machine, a.metric, device, a.start_ns / 1'000'000'000, a.end_ns / 1'000'000'000, a.windows,
      a.score, a.margin, a.missing ? " [machine missing]" : "");
}

}  // namespace trainscope::cli
