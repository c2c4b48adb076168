// SPDX-License-Identifier: Apache-2.0
// Prometheus `query_range` JSON reader (simdjson on-demand): matrix envelope or bare result array.
#include <cmath>
#include <cstring>

#include <simdjson.h>

#include "base/utf8.h"
#include "ingest/metrics/metric_readers.h"

namespace trainscope::ingest {
namespace {

namespace od = simdjson::ondemand;

// The document being read, so that an error can name the byte where the parser stood: simdjson's
// on-demand iterator finds structural errors where it reads, not when the document is opened.
struct JsonInput {
  std::string_view origin;
  const char* base;  // the padded copy's first byte
  size_t size;
  od::document* doc;

  size_t Where() const {
    const char* at = nullptr;
    if (doc->current_location().get(at) != simdjson::SUCCESS || at < base) return size;
    return std::min(static_cast<size_t>(at - base), size);
  }
  // Where `v` starts (before it is read).
  size_t At(od::value& v) const {
    const char* at = nullptr;
    if (v.current_location().get(at) != simdjson::SUCCESS || at < base) return Where();
    return std::min(static_cast<size_t>(at - base), size);
  }
  Status Error(const char* what, simdjson::error_code ec) const { return Error(what, ec, Where()); }
  Status Error(const char* what, simdjson::error_code ec, size_t offset) const {
    return InvalidArgumentError("{}: byte {}: {}: {}", origin, offset, what,
                                simdjson::error_message(ec));
  }
};

// Offset of the first non-space byte after the first JSON value of `text` (a quick scan that
// matches brackets outside strings), or text.size(): where trailing content starts.
size_t JsonValueEnd(std::string_view text) {
  size_t i = text.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || (text[i] != '{' && text[i] != '[')) return text.size();
  int depth = 0;
  bool in_string = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      const size_t next = text.find_first_not_of(" \t\r\n", i + 1);
      return next == std::string_view::npos ? text.size() : next;
    }
  }
  return text.size();
}

// Reads one `{"metric":{...},"values":[[t,"v"],...]}` (or `"value":[t,"v"]`) series. A series
// without `__name__` is named `unnamed`.
Status ReadSeries(od::object series, const JsonInput& in, std::string_view unnamed,
                  std::string_view group_label, model::MetricTable* out, Diagnostics* diags) {
  const std::string_view origin = in.origin;
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  bool seen_values = false;
  internal::SeriesIdentity id;
  int32_t machine = -1, metric = -1;
  int16_t device = model::kNoGpu;
  auto offset = [&](od::value& v) {
    const char* loc = nullptr;
    if (v.current_location().get(loc) == simdjson::SUCCESS) return static_cast<size_t>(loc - in.base);
    return size_t{0};
  };
  for (auto field : series) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return in.Error("series key", ec);
    od::value v;
    if (auto ec = field.value().get(v)) return in.Error("series value", ec);
    if (key == "metric") {
      const size_t metric_at = offset(v);
      od::object lo;
      if (auto ec = v.get_object().get(lo)) return in.Error("'metric' must be an object", ec, offset(v));
      for (auto lf : lo) {
        std::string_view lk, lv;
        if (auto ec = lf.unescaped_key().get(lk)) return in.Error("label key", ec);
        if (auto ec = lf.value().get_string().get(lv)) return in.Error("label value", ec);
        if (lk == "__name__") {
          name = std::string(lv);
        } else {
          labels.emplace_back(std::string(lk), std::string(lv));
        }
      }
      if (name.empty()) {
        name = std::string(unnamed);
        if (diags) diags->Add("unnamed_series", origin, fmt::format("byte {}", metric_at),
                              fmt::format("series without __name__ (a query result) named '{}'; "
                                          "--metric NAME names them", name));
      }
      id = internal::IdentifySeries(name, labels, internal::MachineFromPath(origin), group_label);
      machine = out->InternMachine(id.machine);
      if (Status s = out->SetMachineGroup(machine, id.group); !s.ok()) {
        return s.WithPrefix(fmt::format("{}: byte {}: label {}", origin, metric_at, group_label));
      }
      metric = out->InternMetric(id.metric_key);
      if (!id.device.empty()) {
        Result<int16_t> index = out->InternDevice(machine, id.device, id.device_kind);
        if (!index.has_value()) return index.error().WithPrefix(fmt::format("{}: byte {}", origin, metric_at));
        device = *index;
      }
      if (internal::LooksLikeCounter(name)) out->SetCounter(metric, true);
    } else if (key == "values" || key == "value") {
      if (metric < 0) {
        return InvalidArgumentError("{}: byte {}: 'values' before 'metric' in a series", origin, offset(v));
      }
      seen_values = true;
      auto read_point = [&](od::array point) -> Status {
        double t = 0;
        std::string_view s;
        auto it = point.begin();
        if (it == point.end()) return InvalidArgumentError("{}: empty sample pair", origin);
        od::value tv, sv;
        if (auto ec = (*it).get(tv)) return in.Error("sample time", ec);
        const size_t t_at = in.At(tv);
        if (auto ec = tv.get_double().get(t)) return in.Error("sample time", ec, t_at);
        ++it;
        if (it == point.end()) return InvalidArgumentError("{}: sample pair without value", origin);
        if (auto ec = (*it).get(sv)) return in.Error("sample value", ec);
        const size_t s_at = in.At(sv);
        if (sv.get_string().get(s) != simdjson::SUCCESS) {
          return InvalidArgumentError(
              "{}: byte {}: sample value is not a string (Prometheus writes values as \"90\")",
              origin, s_at);
        }
        double value = 0;
        if (!internal::ParseSampleValue(s, &value)) {
          return InvalidArgumentError("{}: byte {}: bad sample value '{}' at t={}", origin, s_at,
                                      PrintableText(s), t);
        }
        if (!std::isfinite(t) || std::fabs(t) > 9e9) {
          return InvalidArgumentError("{}: byte {}: bad sample time {}", origin, t_at, t);
        }
        if (!std::isfinite(value)) {
          if (diags) diags->Add("non_finite_value", origin, fmt::format("t={}", t),
                                "NaN/Inf sample read as missing");
        } else if (model::IsDcgmBlank(value)) {
          if (diags) diags->Add("dcgm_blank", origin, fmt::format("t={}", t),
                                "DCGM blank sentinel (~2^63) read as missing");
        } else {
          out->Append(std::llround(t * 1e9), machine, metric, device, value);
        }
        return OkStatus();
      };
      od::array arr;
      if (auto ec = v.get_array().get(arr)) return in.Error("'values' must be an array", ec);
      if (key == "value") {
        TS_RETURN_IF_ERROR(read_point(arr));
        continue;
      }
      for (auto p : arr) {
        od::array point;
        if (auto ec = p.get_array().get(point)) return in.Error("sample must be [t, \"v\"]", ec);
        TS_RETURN_IF_ERROR(read_point(point));
      }
    }
  }
  if (!seen_values) return InvalidArgumentError("{}: a series has no 'values'", origin);
  return OkStatus();
}

Status ReadResultArray(od::array result, const JsonInput& in, std::string_view unnamed,
                       std::string_view group_label, model::MetricTable* out, Diagnostics* diags) {
  for (auto s : result) {
    od::object series;
    if (auto ec = s.get_object().get(series)) return in.Error("series must be an object", ec);
    TS_RETURN_IF_ERROR(ReadSeries(series, in, unnamed, group_label, out, diags));
  }
  return OkStatus();
}

}  // namespace

Status ReadPromQueryRange(std::string_view text, std::string_view origin, model::MetricTable* out,
                          Diagnostics* diags, std::string_view unnamed_metric,
                          std::string_view group_label) {
  const std::string unnamed =
      unnamed_metric.empty() ? internal::MetricNameFromPath(origin) : std::string(unnamed_metric);
  simdjson::padded_string padded(text);
  // A UTF-8 byte order mark becomes JSON whitespace: accepted, and byte offsets stay the file's.
  if (text.starts_with("\xEF\xBB\xBF")) std::memset(padded.data(), ' ', 3);
  od::parser parser;
  od::document doc;
  if (auto ec = parser.iterate(padded).get(doc)) {
    if (ec == simdjson::UNCLOSED_STRING || ec == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
      return DataLossError("{}: byte {}: truncated JSON (the input ends inside a string, array or "
                           "object): {}", origin, text.size(), simdjson::error_message(ec));
    }
    if (const size_t bad = FirstInvalidUtf8(text); bad != std::string_view::npos)
      return InvalidArgumentError("{}: byte {}: invalid UTF-8", origin, bad);
    // A whole-document check failed before any value was read: no place is known.
    return InvalidArgumentError("{}: not JSON: {}", origin, simdjson::error_message(ec));
  }
  const JsonInput in{origin, padded.data(), text.size(), &doc};
  od::json_type type;
  if (auto ec = doc.type().get(type)) return in.Error("not JSON", ec);
  if (type == od::json_type::array) {
    od::array arr;
    if (auto ec = doc.get_array().get(arr)) return in.Error("result array", ec);
    TS_RETURN_IF_ERROR(ReadResultArray(arr, in, unnamed, group_label, out, diags));
    return OkStatus();
  }
  od::object root;
  if (auto ec = doc.get_object().get(root)) {
    if (const size_t end = JsonValueEnd(text); end < text.size()) {
      return InvalidArgumentError("{}: byte {}: unexpected '{}' after the end of the JSON document",
                                  origin, end, PrintableAscii(text.substr(end, 1)));
    }
    return in.Error("expected an object", ec);
  }
  std::string status, error_type, error;
  bool have_data = false;
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return in.Error("key", ec);
    if (key == "status") {
      std::string_view s;
      if (auto ec = field.value().get_string().get(s)) return in.Error("'status'", ec);
      status = std::string(s);
    } else if (key == "errorType" || key == "error") {
      std::string_view s;
      if (auto ec = field.value().get_string().get(s)) return in.Error("'error'", ec);
      (key == "error" ? error : error_type) = std::string(s);
    } else if (key == "warnings") {
      od::array w;
      if (field.value().get_array().get(w) == simdjson::SUCCESS) {
        for (auto item : w) {
          std::string_view s;
          if (item.get_string().get(s) == simdjson::SUCCESS && diags) {
            diags->Add("prometheus_warning", origin, "", s);
          }
        }
      }
    } else if (key == "data") {
      od::object data;
      if (auto ec = field.value().get_object().get(data)) return in.Error("'data'", ec);
      std::string result_type;
      for (auto df : data) {
        std::string_view dk;
        if (auto ec = df.unescaped_key().get(dk)) return in.Error("key", ec);
        if (dk == "resultType") {
          std::string_view s;
          od::value rv;
          if (auto ec = df.value().get(rv)) return in.Error("'resultType'", ec);
          const size_t at = in.At(rv);
          if (auto ec = rv.get_string().get(s)) return in.Error("'resultType'", ec, at);
          result_type = std::string(s);
          if (result_type != "matrix" && result_type != "vector") {
            return InvalidArgumentError(
                "{}: byte {}: resultType '{}' is not a matrix (use query_range)", origin, at,
                PrintableText(result_type));
          }
        } else if (dk == "result") {
          od::array arr;
          if (auto ec = df.value().get_array().get(arr)) return in.Error("'result'", ec);
          TS_RETURN_IF_ERROR(ReadResultArray(arr, in, unnamed, group_label, out, diags));
          have_data = true;
        }
      }
    }
  }
  if (status == "error") {
    return FailedPreconditionError("{}: Prometheus returned an error: {}: {}", origin,
                                   error_type.empty() ? "unknown" : error_type, error);
  }
  if (status != "success") {
    return InvalidArgumentError("{}: missing or unknown 'status' ('{}')", origin, status);
  }
  if (!have_data) return InvalidArgumentError("{}: no 'data.result' array", origin);
  return OkStatus();
}

}  // namespace trainscope::ingest
