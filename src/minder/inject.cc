// SPDX-License-Identifier: Apache-2.0
// Fault profiles, their parser, and injection with realism and negative controls.
#include "minder/inject.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "minder/lstm_vae.h"

namespace trainscope::minder {
namespace {

constexpr int64_t kS = model::kNanosPerSecond;

double U01(uint64_t* s) { return (static_cast<double>(SplitMix64(s) >> 11) + 0.5) / 9007199254740992.0; }
int64_t UniformInt(uint64_t* s, int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(SplitMix64(s) % static_cast<uint64_t>(hi - lo + 1));
}

bool Matches(const std::string& metric, const std::string& sub) {
  return sub == "*" || metric.find(sub) != std::string::npos;
}

// Machines a fault of `type` can visibly change in [from, to): every machine when one of its
// effects is not a reduction (add, missing, scale above 1); else those carrying at least
// `share` of the busiest machine's mean of a reduced metric.
std::vector<int> ActiveVictims(const model::MetricTable& in, const std::vector<FaultEffect>& profiles,
                               const std::string& type, int64_t from, int64_t to, double share) {
  const int32_t machines = in.machines().size();
  std::vector<int> all(static_cast<size_t>(machines));
  for (int32_t m = 0; m < machines; ++m) all[static_cast<size_t>(m)] = m;
  std::vector<int32_t> reduced;  // metric ids
  for (int32_t id = 0; id < in.metrics().size(); ++id) {
    const std::string& name = in.metrics().Name(id);
    for (const FaultEffect& e : profiles) {
      if (e.type != type || !Matches(name, e.metric_substring)) continue;
      // `toward` a level (idle power, 100 % idle) and the peers' part change nothing by
      // themselves on a machine already there; they neither qualify nor disqualify.
      if (e.effect == "toward" || e.effect == "peers") continue;
      if (!((e.effect == "scale" && e.value < 1) || e.effect == "flap")) return all;
      reduced.push_back(id);
    }
  }
  std::sort(reduced.begin(), reduced.end());
  reduced.erase(std::unique(reduced.begin(), reduced.end()), reduced.end());
  if (reduced.empty()) return all;
  std::vector<int> slot(static_cast<size_t>(in.metrics().size()), -1);
  for (size_t k = 0; k < reduced.size(); ++k) slot[static_cast<size_t>(reduced[k])] = static_cast<int>(k);
  std::vector<double> sum(reduced.size() * static_cast<size_t>(machines), 0.0);
  std::vector<int64_t> count(sum.size(), 0);
  for (size_t r = 0; r < in.size(); ++r) {
    if (in.ts()[r] < from || in.ts()[r] >= to) continue;
    int k = slot[static_cast<size_t>(in.metric()[r])];
    if (k < 0 || !std::isfinite(in.value()[r])) continue;
    size_t i = static_cast<size_t>(k) * static_cast<size_t>(machines) + static_cast<size_t>(in.machine()[r]);
    sum[i] += std::fabs(in.value()[r]);
    ++count[i];
  }
  std::vector<int> out;
  for (int32_t m = 0; m < machines; ++m) {
    bool active = false;
    for (size_t k = 0; k < reduced.size() && !active; ++k) {
      double busiest = 0;
      for (int32_t q = 0; q < machines; ++q) {
        size_t i = k * static_cast<size_t>(machines) + static_cast<size_t>(q);
        if (count[i] > 0) busiest = std::max(busiest, sum[i] / static_cast<double>(count[i]));
      }
      size_t i = k * static_cast<size_t>(machines) + static_cast<size_t>(m);
      active = busiest > 0 && count[i] > 0 && sum[i] / static_cast<double>(count[i]) >= share * busiest;
    }
    if (active) out.push_back(m);
  }
  return out;
}

}  // namespace

const std::vector<FaultEffect>& DefaultFaultProfiles() {
  // Weights: Minder Table 1. Effects: brief section 7 signatures (bold ones from the paper, the
  // magnitudes are our modelling choices). Exathlon OS names and Minder's seven names both listed.
  static const std::vector<FaultEffect> kProfiles = {
      {"ecc", 38.9, "gpu_util", "scale", 0.05}, {"ecc", 0, "gpu_power", "toward", 60},
      {"ecc", 0, "tensor", "scale", 0.02}, {"ecc", 0, "gr_engine", "scale", 0.05},
      {"ecc", 0, "CPU_ALL_User%", "scale", 0.1}, {"ecc", 0, "CPU_ALL_Idle%", "toward", 100},
      {"ecc", 0, "PROC_pswitch", "scale", 0.2}, {"ecc", 0, "PROC_Runnable", "scale", 0.1},
      {"ecc", 0, "NET_ib0", "scale", 0.2}, {"ecc", 0, "NETPACKET_ib0", "scale", 0.2},
      {"cuda", 14.6, "gpu_util", "scale", 0.02}, {"cuda", 0, "gpu_power", "toward", 70},
      {"cuda", 0, "tensor", "scale", 0.0}, {"cuda", 0, "gr_engine", "scale", 0.02},
      {"cuda", 0, "nvlink", "scale", 0.05}, {"cuda", 0, "cpu", "add", 0.3},
      {"cuda", 0, "CPU_ALL_User%", "add", 20}, {"cuda", 0, "CPU_ALL_Idle%", "add", -20},
      {"cuda", 0, "PROC_Runnable", "add", 8}, {"cuda", 0, "NET_ib0", "scale", 0.1},
      {"gpu_exec", 7.7, "gpu_util", "scale", 0.3}, {"gpu_exec", 0, "gpu_power", "scale", 0.5},
      {"gpu_exec", 0, "tensor", "scale", 0.3}, {"gpu_exec", 0, "gr_engine", "scale", 0.3},
      {"gpu_exec", 0, "CPU_ALL_User%", "scale", 0.3}, {"gpu_exec", 0, "CPU_ALL_Sys%", "add", 5},
      {"gpu_exec", 0, "PROC_Blocked", "add", 5}, {"gpu_exec", 0, "NET_ib0", "scale", 0.3},
      {"pcie", 6.6, "pfc_tx", "scale", 30}, {"pcie", 0, "nvlink", "scale", 0.5},
      {"pcie", 0, "gpu_util", "scale", 0.6}, {"pcie", 0, "gpu_power", "scale", 0.7},
      {"pcie", 0, "NET_ib0", "scale", 0.35}, {"pcie", 0, "NETPACKET_ib0", "scale", 0.35},
      {"pcie", 0, "NET_em1", "scale", 0.5}, {"pcie", 0, "CPU_ALL_Sys%", "add", 3},
      {"pcie", 0, "infiniband_port_data", "scale", 0.35},
      {"nic", 5.7, "NET_ib0", "scale", 0.0}, {"nic", 0, "NETPACKET_ib0", "scale", 0.0},
      {"nic", 0, "infiniband_port_data", "scale", 0.0}, {"nic", 0, "infiniband_port_data", "peers", 0.5},
      {"nic", 0, "NET_ib0", "peers", 0.5}, {"nic", 0, "pfc_tx", "scale", 0.0},
      {"nic", 0, "nvlink", "scale", 0.2}, {"nic", 0, "gpu_util", "scale", 0.3},
      {"nic", 0, "gpu_util", "peers", 0.7},
      {"hdfs", 5.7, "DISKBUSY_", "add", 40}, {"hdfs", 0, "DISKWRITE_", "scale", 0.1},
      {"hdfs", 0, "CPU_ALL_Wait%", "add", 15}, {"hdfs", 0, "CPU_ALL_User%", "scale", 0.5},
      {"hdfs", 0, "NET_em1", "scale", 0.2}, {"hdfs", 0, "cpu", "add", 0.2},
      {"hdfs", 0, "gpu_util", "scale", 0.5},
      {"unreachable", 6.0, "*", "missing", 0},
      {"gpu_drop", 2.0, "gpu_", "missing_one_gpu", 0}, {"gpu_drop", 0, "tensor", "missing_one_gpu", 0},
      {"gpu_drop", 0, "gr_engine", "missing_one_gpu", 0},
      {"nvlink", 1.7, "nvlink", "scale", 0.1}, {"nvlink", 0, "gpu_util", "scale", 0.8},
      {"aoc", 0.9, "NET_ib0", "flap", 0.0}, {"aoc", 0, "NETPACKET_ib0", "flap", 0.0},
      {"aoc", 0, "pfc_tx", "flap", 0.0}, {"aoc", 0, "nvlink", "flap", 0.0},
      {"aoc", 0, "infiniband_port_data", "flap", 0.0},
  };
  return kProfiles;
}

Result<std::vector<FaultEffect>> ParseFaultProfiles(std::string_view text, std::string_view origin) {
  std::vector<FaultEffect> out;
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> f;
    for (size_t pos = 0; pos <= line.size();) {
      size_t c = line.find(',', pos);
      f.push_back(line.substr(pos, (c == std::string_view::npos ? line.size() : c) - pos));
      pos = c == std::string_view::npos ? line.size() + 1 : c + 1;
    }
    if (f.size() != 5) return InvalidArgumentError("{}:{}: expected type,weight,metric,effect,value", origin, line_no);
    FaultEffect e{std::string(f[0]), 0, std::string(f[2]), std::string(f[3]), 0};
    auto num = [&](std::string_view s, double* v) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
      return ec == std::errc() && p == s.data() + s.size();
    };
    if (!num(f[1], &e.weight) || !num(f[4], &e.value)) {
      return InvalidArgumentError("{}:{}: weight and value must be numbers", origin, line_no);
    }
    static const std::set<std::string> kEffects = {"scale", "toward", "add", "missing", "peers", "missing_one_gpu", "flap"};
    if (kEffects.count(e.effect) == 0) return InvalidArgumentError("{}:{}: unknown effect '{}'", origin, line_no, e.effect);
    out.push_back(std::move(e));
  }
  if (out.empty()) return InvalidArgumentError("{}: no fault effect", origin);
  return out;
}

model::MetricTable InjectFaults(const model::MetricTable& in, const std::vector<FaultEffect>& profiles,
                                const InjectOptions& options, std::vector<FaultLabel>* labels) {
  uint64_t rng = options.seed * 0xD1B54A32D192ED03ULL + 99;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  bool has_gpu_rows = false;
  for (size_t r = 0; r < in.size(); ++r) {
    lo = std::min(lo, in.ts()[r]);
    hi = std::max(hi, in.ts()[r]);
    has_gpu_rows = has_gpu_rows || in.gpu()[r] != model::kNoGpu;
  }
  const int32_t machines = in.machines().size();
  // Types available on these metrics, with their weights.
  std::map<std::string, double> weight;
  std::vector<std::string> types;
  for (const FaultEffect& e : profiles) {
    if (e.weight > 0 && weight.count(e.type) == 0) weight[e.type] = e.weight, types.push_back(e.type);
  }
  std::vector<std::string> usable;
  for (const std::string& type : types) {
    bool ok = false;
    for (const FaultEffect& e : profiles) {
      if (e.type != type || (e.effect == "missing_one_gpu" && !has_gpu_rows)) continue;
      for (const std::string& m : in.metrics().names()) ok = ok || Matches(m, e.metric_substring);
    }
    if (ok) usable.push_back(type);
  }
  std::vector<FaultLabel> faults;
  std::vector<int> fault_machine;
  std::vector<int64_t> fault_lag;
  std::vector<int16_t> fault_gpu;
  double total = 0;
  for (const auto& t : usable) total += weight[t];
  int64_t cursor = std::max(lo, options.from_ns) + UniformInt(&rng, 60, 300) * kS;
  while (!usable.empty() && static_cast<int>(faults.size()) < options.max_faults) {
    int64_t dur = UniformInt(&rng, options.min_fault_s, options.max_fault_s) * kS;
    if (cursor + dur > hi) break;
    double pick = U01(&rng) * total;
    std::string type = usable.back();
    for (const auto& t : usable) {
      if ((pick -= weight[t]) <= 0) { type = t; break; }
    }
    std::vector<int> eligible = options.uniform_victims ? std::vector<int>{}
                                                        : ActiveVictims(in, profiles, type, cursor, cursor + dur,
                                                                        options.active_share);
    if (!options.uniform_victims && eligible.empty()) {
      cursor += 60 * kS;  // nothing this fault could change here: try a minute later
      continue;
    }
    int m = options.uniform_victims ? static_cast<int>(UniformInt(&rng, 0, machines - 1))
                                    : eligible[static_cast<size_t>(UniformInt(&rng, 0, static_cast<int64_t>(eligible.size()) - 1))];
    faults.push_back(FaultLabel{in.machines().Name(m), type, cursor, cursor + dur, false});
    fault_machine.push_back(m);
    fault_lag.push_back(UniformInt(&rng, 10, 60) * kS);
    fault_gpu.push_back(static_cast<int16_t>(UniformInt(&rng, 0, 7)));
    cursor += dur + options.min_gap_s * kS + UniformInt(&rng, 0, 300) * kS;
  }
  // Negative control: a switch-level event, every machine's network (or GPU) drops together.
  std::vector<std::pair<int64_t, int64_t>> controls;
  for (int c = 0; c < options.controls && !faults.empty(); ++c) {
    size_t k = static_cast<size_t>(UniformInt(&rng, 0, static_cast<int64_t>(faults.size()) - 1));
    int64_t start = faults[k].end_ns + 120 * kS, end = start + UniformInt(&rng, 120, 240) * kS;
    if (k + 1 < faults.size() && end + 120 * kS > faults[k + 1].start_ns) continue;
    if (end > hi) continue;
    controls.emplace_back(start, end);
    faults.push_back(FaultLabel{"*", "control_all_machines", start, end, true});
    fault_machine.push_back(-1);
    fault_lag.push_back(0);
    fault_gpu.push_back(0);
  }
  // Realism: per-machine skew, gap seconds and spikes.
  std::vector<int64_t> skew(static_cast<size_t>(machines), 0);
  std::set<std::pair<int32_t, int64_t>> gap_seconds;
  struct Spike { int32_t machine; int32_t metric; int64_t start, end; };
  std::vector<Spike> spikes;
  if (options.realism) {
    for (auto& s : skew) s = UniformInt(&rng, -2, 2) * kS;
    for (int32_t m = 0; m < machines; ++m) {
      for (int64_t t = lo / kS; t < hi / kS; t += UniformInt(&rng, 100, 400)) {
        int64_t len = UniformInt(&rng, 1, 3);
        for (int64_t k = 0; k < len; ++k) gap_seconds.insert({m, t + k});
      }
    }
    for (int64_t t = lo + 300 * kS; t < hi; t += UniformInt(&rng, 400, 900) * kS) {
      int32_t metric = static_cast<int32_t>(UniformInt(&rng, 0, in.metrics().size() - 1));
      spikes.push_back(Spike{static_cast<int32_t>(UniformInt(&rng, 0, machines - 1)), metric, t,
                             t + UniformInt(&rng, 10, 50) * kS});
    }
  }
  model::MetricTable out;
  for (const auto& m : in.machines().names()) out.InternMachine(m);
  for (int32_t id = 0; id < in.metrics().size(); ++id) {
    out.InternMetric(in.metrics().Name(id));
    out.SetCounter(id, in.IsCounter(id));
  }
  out.Reserve(in.size());
  for (size_t r = 0; r < in.size(); ++r) {
    int64_t ts = in.ts()[r];
    int32_t m = in.machine()[r];
    const std::string& metric = in.metrics().Name(in.metric()[r]);
    double v = in.value()[r];
    bool drop = false;
    for (size_t k = 0; k < faults.size() && !drop; ++k) {
      const FaultLabel& f = faults[k];
      if (ts < f.start_ns || ts >= f.end_ns) continue;
      bool self = fault_machine[k] == m || f.control;
      for (const FaultEffect& e : profiles) {
        if (e.type != f.type && !(f.control && e.type == "nic")) continue;
        if (!Matches(metric, e.metric_substring)) continue;
        if (f.control && e.effect != "scale") continue;  // controls: the scale part, everywhere
        if (e.effect == "peers") {
          if (!self && ts >= f.start_ns + fault_lag[k]) v *= e.value;
          continue;
        }
        if (!self) continue;
        if (e.effect == "scale") v *= e.value;
        else if (e.effect == "toward") v += (e.value - v) * 0.9;
        else if (e.effect == "add") v += e.value;
        else if (e.effect == "missing") drop = true;
        else if (e.effect == "missing_one_gpu") drop = drop || in.gpu()[r] == fault_gpu[k];
        else if (e.effect == "flap" && ((ts - f.start_ns) / (20 * kS)) % 2 == 0) v *= e.value;
      }
    }
    if (drop) continue;
    if (options.realism) {
      if (gap_seconds.count({m, ts / kS}) != 0) continue;
      for (const Spike& s : spikes) {
        if (s.machine == m && s.metric == in.metric()[r] && ts >= s.start && ts < s.end) v = v * 3 + 1;
      }
    }
    out.Append(ts + skew[static_cast<size_t>(m)], m, in.metric()[r], in.gpu()[r], v);
  }
  std::sort(faults.begin(), faults.end(), [](const FaultLabel& a, const FaultLabel& b) { return a.start_ns < b.start_ns; });
  labels->insert(labels->end(), faults.begin(), faults.end());
  return out;
}

}  // namespace trainscope::minder
