// SPDX-License-Identifier: Apache-2.0
// Default exporter-to-Minder name table, user rule parsing and the mapping pass.
#include "model/metric_names.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <tuple>

#include <fmt/core.h>

#include "base/line_reader.h"

namespace trainscope::model {
namespace {

using T = MetricTransform;
using A = MetricAggregate;

bool LabelsMatch(std::string_view labels, std::string_view filter) {
  // Every `k="v"` pair of the filter must occur in the label text.
  while (!filter.empty()) {
    size_t comma = filter.find(',');
    std::string_view pair = filter.substr(0, comma);
    if (!pair.empty() && labels.find(pair) == std::string_view::npos) return false;
    if (comma == std::string_view::npos) break;
    filter.remove_prefix(comma + 1);
  }
  return true;
}

double Apply(const MetricMapping& rule, double v) {
  switch (rule.transform) {
    case T::kIdentity: return v;
    case T::kOneMinus: return 1.0 - v;
    case T::kOneMinusPercent: return 1.0 - v / 100.0;
    case T::kScale: return v * rule.scale;
  }
  return v;
}

// Per metric of `in`: the first rule it follows (-1 = none).
std::vector<int> RuleOfMetric(const MetricTable& in, const std::vector<MetricMapping>& rules) {
  std::vector<int> rule_of(static_cast<size_t>(in.metrics().size()), -1);
  for (int32_t id = 0; id < in.metrics().size(); ++id) {
    auto [base, labels] = SplitMetricKey(in.metrics().Name(id));
    for (size_t r = 0; r < rules.size(); ++r) {
      if (rules[r].source == base && LabelsMatch(labels, rules[r].label_filter)) {
        rule_of[static_cast<size_t>(id)] = static_cast<int>(r);
        break;
      }
    }
  }
  return rule_of;
}

void ReportUnmapped(std::string_view metric, bool keep_unmapped, Diagnostics* diags) {
  if (diags == nullptr) return;
  diags->Add("unmapped_metric", metric, "",
             keep_unmapped ? "no Minder name rule matches this metric; it is compared under "
                             "its own name (the generic model denoises it)"
                           : "no Minder name rule matches this metric; it is not used");
}

// True when MapMetricNames would copy every row under its own name: no rule matches a metric.
bool KeepsEveryRow(const std::vector<int>& rule_of, bool keep_unmapped) {
  return keep_unmapped && std::all_of(rule_of.begin(), rule_of.end(), [](int r) { return r < 0; });
}

}  // namespace

const std::vector<MetricMapping>& DefaultMetricMappings() {
  static const std::vector<MetricMapping> kRules = [] {
    std::vector<MetricMapping> rules = {
        // PFC Tx pause frames on the RoCE priority (3): node_exporter ethtool collector, mlx5 and
        // Broadcom spellings. Counters, so they arrive here as rates.
        {"pfc_tx", "node_ethtool_transmitted_prio3_pause", "", T::kIdentity, 1, A::kSum},
        {"pfc_tx", "node_ethtool_tx_prio3_pause", "", T::kIdentity, 1, A::kSum},
        {"pfc_tx", "node_ethtool_tx_pfc_ena_frames_pri3", "", T::kIdentity, 1, A::kSum},
        // CPU usage = 1 - idle share, averaged over CPUs (node_exporter) or from nmon's CPU_ALL.
        {"cpu", "node_cpu_seconds_total", "mode=\"idle\"", T::kOneMinus, 1, A::kMean},
        {"cpu", "CPU_ALL_Idle%", "", T::kOneMinusPercent, 1, A::kMean},
        {"gpu_util", "DCGM_FI_DEV_GPU_UTIL", "", T::kIdentity, 1, A::kMean},
        {"gpu_power", "DCGM_FI_DEV_POWER_USAGE", "", T::kIdentity, 1, A::kMean},
        {"gr_engine", "DCGM_FI_PROF_GR_ENGINE_ACTIVE", "", T::kIdentity, 1, A::kMean},
        {"tensor", "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", "", T::kIdentity, 1, A::kMean},
        {"nvlink", "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL", "", T::kIdentity, 1, A::kSum},
        {"nvlink", "DCGM_FI_PROF_NVLINK_TX_BYTES", "", T::kIdentity, 1, A::kSum},
    };
    // DCGM names also arrive lower-cased (dcgm-exporter's own lower-case option, remote-write
    // pipelines that normalise names): `dcgm_fi_dev_gpu_util` follows the same rule.
    const size_t upper = rules.size();
    for (size_t r = 0; r < upper; ++r) {
      if (!rules[r].source.starts_with("DCGM_")) continue;
      MetricMapping lower = rules[r];
      for (char& c : lower.source) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      rules.push_back(std::move(lower));
    }
    return rules;
  }();
  return kRules;
}

Result<std::vector<MetricMapping>> ParseMetricMappings(std::string_view text,
                                                       std::string_view origin) {
  std::vector<MetricMapping> rules;
  LineReader lines(text);
  while (std::optional<TextLine> text_line = lines.Next()) {
    const int64_t line_no = text_line->number;
    const std::string_view line = text_line->text;
    if (line.empty() || line.front() == '#') continue;
    // The label filter may itself hold commas inside quotes: split on the first two and last two.
    size_t c1 = line.find(','), c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
    size_t c4 = line.rfind(','), c3 = c4 == std::string_view::npos || c4 == 0 ? c4 : line.rfind(',', c4 - 1);
    if (c1 == std::string_view::npos || c2 == std::string_view::npos || c3 == std::string_view::npos ||
        c3 < c2 || c4 <= c3) {
      return InvalidArgumentError("{}:{}: expected 5 fields minder,source,label_filter,transform,"
                                  "aggregate", origin, line_no);
    }
    MetricMapping rule;
    rule.minder = std::string(line.substr(0, c1));
    rule.source = std::string(line.substr(c1 + 1, c2 - c1 - 1));
    rule.label_filter = c3 > c2 ? std::string(line.substr(c2 + 1, c3 - c2 - 1)) : "";
    std::string_view transform = line.substr(c3 + 1, c4 - c3 - 1);
    std::string_view aggregate = line.substr(c4 + 1);
    if (rule.minder.empty() || rule.source.empty()) {
      return InvalidArgumentError("{}:{}: empty minder or source name", origin, line_no);
    }
    if (transform == "identity") {
      rule.transform = T::kIdentity;
    } else if (transform == "one_minus") {
      rule.transform = T::kOneMinus;
    } else if (transform == "one_minus_percent") {
      rule.transform = T::kOneMinusPercent;
    } else if (transform.starts_with("scale:")) {
      rule.transform = T::kScale;
      std::string_view num = transform.substr(6);
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), rule.scale);
      if (ec != std::errc() || p != num.data() + num.size()) {
        return InvalidArgumentError("{}:{}:{}: bad scale factor '{}'", origin, line_no, c3 + 8, num);
      }
    } else {
      return InvalidArgumentError("{}:{}:{}: unknown transform '{}' (identity, one_minus, "
                                  "one_minus_percent, scale:<k>)", origin, line_no, c3 + 2, transform);
    }
    if (aggregate == "mean") {
      rule.aggregate = A::kMean;
    } else if (aggregate == "sum") {
      rule.aggregate = A::kSum;
    } else {
      return InvalidArgumentError("{}:{}:{}: unknown aggregate '{}' (mean, sum)", origin, line_no,
                                  c4 + 2, aggregate);
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

MetricTable MapMetricNames(MetricTable&& in, const std::vector<MetricMapping>& rules,
                           bool keep_unmapped, Diagnostics* diags) {
  if (!KeepsEveryRow(RuleOfMetric(in, rules), keep_unmapped)) {
    return MapMetricNames(static_cast<const MetricTable&>(in), rules, keep_unmapped, diags);
  }
  // Every row stays, in its order; metrics are numbered (and reported) in the order of their
  // first row, as the copying pass numbers them; metrics without rows are dropped.
  const size_t metrics = static_cast<size_t>(in.metrics().size());
  std::vector<int32_t> new_id(metrics, -1);
  std::vector<std::string> names;
  for (size_t row = 0; row < in.size() && names.size() < metrics; ++row) {
    const auto metric = static_cast<size_t>(in.metric()[row]);
    if (new_id[metric] >= 0) continue;
    new_id[metric] = static_cast<int32_t>(names.size());
    names.push_back(in.metrics().Name(static_cast<int32_t>(metric)));
    ReportUnmapped(names.back(), keep_unmapped, diags);
  }
  in.RenumberMetrics(new_id, names);
  return std::move(in);
}

MetricTable MapMetricNames(const MetricTable& in, const std::vector<MetricMapping>& rules,
                           bool keep_unmapped, Diagnostics* diags) {
  const std::vector<int> rule_of = RuleOfMetric(in, rules);
  if (KeepsEveryRow(rule_of, keep_unmapped)) {
    return MapMetricNames(MetricTable(in), rules, keep_unmapped, diags);  // one bulk copy
  }
  MetricTable out;
  for (const std::string& m : in.machines().names()) out.InternMachine(m);
  out.CopyDevices(in);
  // (target metric, machine, gpu, ts) -> (sum, count); std::map keeps the output time-sorted.
  using Key = std::tuple<int32_t, int32_t, int16_t, int64_t>;
  std::map<Key, std::pair<double, int>> mapped;
  std::vector<int32_t> target(rules.size(), -1);
  std::vector<uint8_t> reported(static_cast<size_t>(in.metrics().size()), 0);  // unmapped, once
  for (size_t row = 0; row < in.size(); ++row) {
    int32_t metric = in.metric()[row];
    int r = rule_of[static_cast<size_t>(metric)];
    if (r < 0) {
      if (!reported[static_cast<size_t>(metric)]) {
        reported[static_cast<size_t>(metric)] = 1;
        ReportUnmapped(in.metrics().Name(metric), keep_unmapped, diags);
      }
      if (keep_unmapped) {
        int32_t id = out.InternMetric(in.metrics().Name(metric));
        out.Append(in.ts()[row], in.machine()[row], id, in.gpu()[row], in.value()[row]);
      }
      continue;
    }
    const MetricMapping& rule = rules[static_cast<size_t>(r)];
    int32_t& t = target[static_cast<size_t>(r)];
    if (t < 0) t = out.InternMetric(rule.minder);
    auto& acc = mapped[Key{t, in.machine()[row], in.gpu()[row], in.ts()[row]}];
    acc.first += Apply(rule, in.value()[row]);
    acc.second += 1;
  }
  // Mean or sum: the aggregate of the first rule naming the target decides.
  for (const auto& [key, acc] : mapped) {
    int32_t t = std::get<0>(key);
    MetricAggregate agg = MetricAggregate::kMean;
    for (size_t r = 0; r < rules.size(); ++r) {
      if (target[r] == t) {
        agg = rules[r].aggregate;
        break;
      }
    }
    double v = agg == MetricAggregate::kSum ? acc.first : acc.first / acc.second;
    out.Append(std::get<3>(key), std::get<1>(key), t, std::get<2>(key), v);
  }
  return out;
}

}  // namespace trainscope::model
