// SPDX-License-Identifier: Apache-2.0
// Minder on real RoCE telemetry with injected NIC faults (see eval_roce.h).
#include "minder/eval_roce.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <set>

#include <fmt/core.h>

#include "base/progress.h"
#include "base/stats.h"
#include "minder/replay.h"

namespace trainscope::minder {
namespace {

constexpr int64_t kS = model::kNanosPerSecond;

struct Fault {
  std::string type;
  int32_t victim = -1;      // machine id in the table
  int16_t nic = model::kNoGpu;  // one_nic_down
  int64_t start_ns = 0, end_ns = 0;
  int64_t lag_ns = 0;       // nic_collapse: peers slow after this
};

// Mean traffic (sum of every metric over its devices, per second of data) per machine id, and per
// (machine, device).
struct Traffic {
  std::map<int32_t, double> machine;
  std::map<std::pair<int32_t, int16_t>, double> nic;
};

Traffic MeasureTraffic(const model::MetricTable& t, const std::set<int32_t>& members) {
  Traffic out;
  std::map<int32_t, std::set<int64_t>> seconds;
  std::map<std::pair<int32_t, int16_t>, std::set<int64_t>> nic_seconds;
  for (size_t r = 0; r < t.size(); ++r) {
    const int32_t m = t.machine()[r];
    if (!members.count(m)) continue;
    out.machine[m] += t.value()[r];
    out.nic[{m, t.gpu()[r]}] += t.value()[r];
    seconds[m].insert(t.ts()[r] / kS);
    nic_seconds[{m, t.gpu()[r]}].insert(t.ts()[r] / kS);
  }
  for (auto& [m, v] : out.machine) v /= static_cast<double>(std::max<size_t>(1, seconds[m].size()));
  for (auto& [k, v] : out.nic) v /= static_cast<double>(std::max<size_t>(1, nic_seconds[k].size()));
  return out;
}

// The population's rows, with `fault` applied (no fault: type empty).
model::MetricTable Inject(const model::MetricTable& in, const std::set<int32_t>& members, const Fault& fault) {
  model::MetricTable out;
  for (const auto& name : in.machines().names()) out.InternMachine(name);
  for (const auto& name : in.metrics().names()) out.InternMetric(name);
  out.CopyDevices(in);
  for (size_t r = 0; r < in.size(); ++r) {
    const int32_t m = in.machine()[r];
    if (!members.count(m)) continue;
    const int64_t ts = in.ts()[r];
    double v = in.value()[r];
    const bool during = ts >= fault.start_ns && ts < fault.end_ns;
    if (during && m == fault.victim) {
      if (fault.type == "unreachable") continue;
      if (fault.type == "nic_collapse") v *= 0.02;
      if (fault.type == "half_rate") v *= 0.5;
      if (fault.type == "one_nic_down" && in.gpu()[r] == fault.nic) v = 0;
    } else if (during && fault.type == "nic_collapse" && ts >= fault.start_ns + fault.lag_ns) {
      v *= 0.5;  // the job waits behind the victim
    }
    out.Append(ts, m, in.metric()[r], in.gpu()[r], v);
  }
  return out;
}

// Seconds of healthy reference the "minder_reference" variant learns from (the start of the hour).
constexpr int kReferenceSeconds = 900;

DetectOptions MethodOptions(const DetectOptions& base, const std::string& method) {
  DetectOptions o = base;
  o.method = method == "raw_distance" ? Method::kRawDistance
             : method == "mahalanobis" ? Method::kMahalanobis
                                       : Method::kMinder;
  if (method == "continuity_off") o.continuity_windows = 1;
  return o;
}

// End times (ns) of the replay's calls, as Replay schedules them after `start` s of reference.
std::vector<int64_t> CallEnds(const Grid& grid, int pull, int every, int start) {
  std::vector<int64_t> ends;
  for (int end = start + pull;; end += every) {
    const int clipped = std::min(end, grid.steps);
    if (clipped - std::max(start, clipped - pull) < kWindow) break;
    ends.push_back(grid.t0_ns + static_cast<int64_t>(clipped) * kS);
    if (clipped >= grid.steps) break;
  }
  return ends;
}

// Populations found by the tool: machines the detector itself puts in one group in every
// 15-min pull of the healthy hour (its groups change where the cluster's jobs do; a population
// is what stays together). "lock-step" is the largest whose members share one level (p90/p10 of
// their mean traffic <= 1.5), "mixed-role" the largest whose levels differ (> 2), found at a
// looser correlation (0.5).
std::map<std::string, std::vector<std::string>> FindPopulations(const Grid& grid, int pull) {
  std::map<std::string, std::vector<std::string>> out;
  const int machines = static_cast<int>(grid.machines.size());
  auto pick = [&](double min_correlation, bool want_scaled, const char* name) {
    GroupingOptions g;
    g.min_correlation = min_correlation;
    std::vector<int> together(static_cast<size_t>(machines) * static_cast<size_t>(machines), 0);
    int pulls = 0;
    for (int first = 0; first + pull <= grid.steps; first += pull, ++pulls) {
      for (const PeerGroup& group : FindPeerGroups(SliceGrid(grid, first, pull), g)) {
        if (!group.judged) continue;
        for (int a : group.machines) {
          for (int b : group.machines) ++together[static_cast<size_t>(a) * static_cast<size_t>(machines) + static_cast<size_t>(b)];
        }
      }
    }
    // Components of "in one group in every pull".
    std::vector<int> component(static_cast<size_t>(machines), -1);
    std::vector<std::vector<int>> members;
    for (int a = 0; a < machines; ++a) {
      if (component[static_cast<size_t>(a)] >= 0 || together[static_cast<size_t>(a) * static_cast<size_t>(machines) + static_cast<size_t>(a)] < pulls) continue;
      std::vector<int> stack = {a}, found;
      component[static_cast<size_t>(a)] = static_cast<int>(members.size());
      while (!stack.empty()) {
        const int x = stack.back();
        stack.pop_back();
        found.push_back(x);
        for (int y = 0; y < machines; ++y) {
          if (component[static_cast<size_t>(y)] < 0 && together[static_cast<size_t>(x) * static_cast<size_t>(machines) + static_cast<size_t>(y)] >= pulls) {
            component[static_cast<size_t>(y)] = static_cast<int>(members.size());
            stack.push_back(y);
          }
        }
      }
      members.push_back(std::move(found));
    }
    size_t best = 0;
    for (std::vector<int>& group : members) {
      if (group.size() < 8 || group.size() <= best) continue;
      std::sort(group.begin(), group.end());
      // One level or several: p90 / p10 of the members' mean traffic (mean channels only).
      std::vector<double> level;
      for (int m : group) {
        double sum = 0;
        for (const Channel& ch : grid.channels) {
          if (ch.is_min) continue;
          double s = 0;
          int n = 0;
          for (int t = 0; t < grid.steps; ++t) {
            const float x = ch.values[static_cast<size_t>(m) * static_cast<size_t>(grid.steps) + static_cast<size_t>(t)];
            if (!std::isnan(x)) s += x, ++n;
          }
          sum += n > 0 ? s / n : 0;
        }
        level.push_back(sum);
      }
      std::sort(level.begin(), level.end());
      const double ratio = level[level.size() * 9 / 10] / std::max(1e-9, level[level.size() / 10]);
      if (want_scaled ? ratio <= 2.0 : ratio > 1.5) continue;
      best = group.size();
      std::vector<std::string> chosen;
      for (int m : group) chosen.push_back(grid.machines[static_cast<size_t>(m)]);
      out[name] = std::move(chosen);
    }
  };
  pick(0.7, false, "lock-step");
  pick(0.5, true, "mixed-role");
  return out;
}

// Replay settings of one method; minder_reference gets the healthy reference period.
ReplayOptions ReplayOptionsFor(const RoceEvalOptions& options, const std::string& method) {
  ReplayOptions ro;
  ro.detect = MethodOptions(options.detect, method);
  ro.pull_seconds = options.pull_seconds;
  ro.every_seconds = options.every_seconds;
  if (method == "minder_reference") ro.reference_seconds = kReferenceSeconds;
  return ro;
}

// One population of the recording and what every trial of it shares.
struct Population {
  const model::MetricTable& table;
  std::set<int32_t> members;
  Traffic traffic;
  std::vector<int32_t> busy;  // machines with at least a quarter of the median traffic
};

// The machines' traffic levels (p10, p90 in the report) and the busy machines, faults' victims.
Result<Population> MeasurePopulation(const model::MetricTable& table, const std::string& name,
                                     const std::vector<std::string>& machine_names,
                                     RocePopulationResult* pop) {
  Population p{table, {}, {}, {}};
  for (const std::string& m : machine_names) {
    auto id = table.machines().Find(m);
    if (!id) return InvalidArgumentError("population {}: machine '{}' is not in the recording", name, m);
    p.members.insert(*id);
  }
  p.traffic = MeasureTraffic(table, p.members);
  std::vector<double> levels;
  for (const auto& [m, v] : p.traffic.machine) levels.push_back(v);
  if (levels.empty()) return FailedPreconditionError("population {}: its machines have no samples", name);
  pop->level_p10_mbps = Quantile(levels, 0.1);
  pop->level_p90_mbps = Quantile(levels, 0.9);
  const double median_level = Median(levels);
  for (const auto& [m, v] : p.traffic.machine) {
    if (v >= 0.25 * median_level) p.busy.push_back(m);
  }
  return p;
}

// The healthy hour: alerted machines per method (all false), and the mean in-group correlation
// of Minder's own groups in its last call. Returns the healthy grid.
Result<Grid> ScoreHealthyHour(const Population& p, const RoceEvalOptions& options,
                              Diagnostics* diags, RocePopulationResult* pop) {
  TS_ASSIGN_OR_RETURN(Grid healthy, BuildGrid(Inject(p.table, p.members, Fault{}), GridOptions{}, diags));
  pop->healthy_machine_hours = static_cast<double>(healthy.machines.size()) * healthy.steps / 3600.0;
  for (const std::string& method : options.methods) {
    TS_ASSIGN_OR_RETURN(ReplayResult rr, Replay(healthy, options.models, ReplayOptionsFor(options, method)));
    std::set<std::string> alerted;
    for (const CallAlert& ca : rr.alerts) alerted.insert(ca.alert.machine);
    pop->healthy_alerts[method] = static_cast<int>(alerted.size());
    if (method == "minder") {
      double s = 0;
      int n = 0;
      for (const PeerGroup& g : rr.groups) {
        if (g.judged) s += g.mean_correlation * static_cast<double>(g.machines.size()), n += static_cast<int>(g.machines.size());
      }
      pop->mean_correlation = n > 0 ? s / n : 0;
    }
  }
  return healthy;
}

// Machines that can take a fault of `type`: the busy ones (one_nic_down: with >= 2 active NICs).
std::vector<int32_t> EligibleVictims(const Population& p, const std::string& type) {
  if (type != "one_nic_down") return p.busy;
  std::vector<int32_t> eligible;
  for (int32_t m : p.busy) {
    double top = 0;
    int active = 0;
    for (const auto& [key, v] : p.traffic.nic) if (key.first == m) top = std::max(top, v);
    for (const auto& [key, v] : p.traffic.nic) if (key.first == m && v >= 0.1 * top && top > 0) ++active;
    if (active >= 2) eligible.push_back(m);
  }
  return eligible;
}

// A random fault of `type` on one of `eligible` within the hour [t0, t0 + span s); draws, in
// order, the victim, its NIC (one_nic_down), the duration, the start and the peers' lag.
// `*start_s`: the start in seconds from t0.
Fault DrawFault(const Population& p, const std::string& type, const std::vector<int32_t>& eligible,
                int64_t t0, int64_t span, std::mt19937_64& rng, int64_t* start_s) {
  Fault f;
  f.type = type;
  f.victim = eligible[std::uniform_int_distribution<size_t>(0, eligible.size() - 1)(rng)];
  if (type == "one_nic_down") {
    std::vector<int16_t> nics;
    double top = 0;
    for (const auto& [key, v] : p.traffic.nic) if (key.first == f.victim) top = std::max(top, v);
    for (const auto& [key, v] : p.traffic.nic) if (key.first == f.victim && v >= 0.1 * top) nics.push_back(key.second);
    f.nic = nics[std::uniform_int_distribution<size_t>(0, nics.size() - 1)(rng)];
  }
  const int64_t duration = std::uniform_int_distribution<int64_t>(300, 1200)(rng);
  const int64_t start = std::uniform_int_distribution<int64_t>(120, std::max<int64_t>(121, span - 420))(rng);
  f.start_ns = t0 + start * kS;
  f.end_ns = t0 + std::min(span, start + duration) * kS;
  f.lag_ns = std::uniform_int_distribution<int64_t>(10, 60)(rng) * kS;
  *start_s = start;
  return f;
}

// One injected fault through every method: found when the victim is alerted in one of the first
// two calls that end at least 4 min (+ a window) after the onset; other alerted machines are
// false alerts.
Status RunFaultTrial(const Population& p, const RoceEvalOptions& options, const Fault& f,
                     int64_t t0, int64_t start_s, Diagnostics* diags, RocePopulationResult* pop) {
  TS_ASSIGN_OR_RETURN(Grid grid, BuildGrid(Inject(p.table, p.members, f), GridOptions{}, diags));
  const std::string victim = p.table.machines().Name(f.victim);
  auto deciding_calls = [&](int reference_s) {
    std::vector<int64_t> deciding;
    for (int64_t end : CallEnds(grid, options.pull_seconds, options.every_seconds, reference_s)) {
      if (end >= f.start_ns + (240 + kWindow) * kS && deciding.size() < 2) deciding.push_back(end);
    }
    return deciding;
  };
  for (const std::string& method : options.methods) {
    // minder_reference: only faults that start after the healthy reference (and its first call).
    if (method == "minder_reference" && f.start_ns < t0 + static_cast<int64_t>(kReferenceSeconds + 60) * kS) continue;
    const ReplayOptions ro = ReplayOptionsFor(options, method);
    TS_ASSIGN_OR_RETURN(ReplayResult rr, Replay(grid, options.models, ro));
    const std::vector<int64_t> deciding = deciding_calls(ro.reference_seconds);
    RoceCell& cell = pop->cells[method][f.type];
    ++cell.faults;
    bool found = false;
    std::set<std::string> wrong;
    for (const CallAlert& ca : rr.alerts) {
      if (ca.alert.machine == victim) {
        found = found || std::find(deciding.begin(), deciding.end(), ca.call_ns) != deciding.end();
      } else {
        wrong.insert(ca.alert.machine);
      }
    }
    cell.found += found ? 1 : 0;
    cell.false_alerts += static_cast<int>(wrong.size());
    if (!found && method == "minder") {
      pop->missed.push_back(fmt::format("{} {} from {} s for {} s{}", f.type, victim, start_s, (f.end_ns - f.start_ns) / kS,
                                        f.nic >= 0 ? fmt::format(" (NIC {})", p.table.DeviceOf(f.victim, f.nic).name) : ""));
    }
  }
  return OkStatus();
}

Result<RocePopulationResult> EvaluatePopulation(const model::MetricTable& table, const std::string& name,
                                                const std::vector<std::string>& machine_names,
                                                const RoceEvalOptions& options, std::mt19937_64& rng,
                                                Diagnostics* diags, Progress* progress) {
  RocePopulationResult pop;
  pop.name = name;
  pop.machines = machine_names;
  TS_ASSIGN_OR_RETURN(const Population p, MeasurePopulation(table, name, machine_names, &pop));
  TS_ASSIGN_OR_RETURN(const Grid healthy, ScoreHealthyHour(p, options, diags, &pop));
  progress->Advance();
  const int64_t t0 = healthy.t0_ns, span = static_cast<int64_t>(healthy.steps);
  for (const std::string& type : options.fault_types) {
    for (int trial = 0; trial < options.seeds; ++trial) {
      const std::vector<int32_t> eligible = EligibleVictims(p, type);
      if (!eligible.empty()) {
        int64_t start_s = 0;
        const Fault f = DrawFault(p, type, eligible, t0, span, rng, &start_s);
        TS_RETURN_IF_ERROR(RunFaultTrial(p, options, f, t0, start_s, diags, &pop));
      }
      progress->Advance();
    }
  }
  return pop;
}

}  // namespace

Result<RoceEvalReport> RunRoceEvaluation(const model::MetricTable& table, const RoceEvalOptions& options) {
  const auto t_start = std::chrono::steady_clock::now();
  Diagnostics diags;
  TS_ASSIGN_OR_RETURN(Grid full, BuildGrid(table, GridOptions{}, &diags));
  std::map<std::string, std::vector<std::string>> populations =
      options.populations.empty() ? FindPopulations(full, options.pull_seconds) : options.populations;
  if (populations.empty()) return FailedPreconditionError("no population of at least 8 alike machines found");
  RoceEvalReport report;
  std::mt19937_64 rng(options.seed);
  // Per population: its healthy hour, then one trial per (fault type, seed).
  const int64_t steps_per_population =
      1 + static_cast<int64_t>(options.fault_types.size()) * options.seeds;
  Progress progress("minder eval: RoCE trials",
                    static_cast<int64_t>(populations.size()) * steps_per_population, "trials");
  for (const auto& [name, machine_names] : populations) {
    TS_ASSIGN_OR_RETURN(RocePopulationResult pop, EvaluatePopulation(table, name, machine_names,
                                                                     options, rng, &diags, &progress));
    report.populations.push_back(std::move(pop));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return report;
}

void PrintRoceEvaluation(const RoceEvalReport& report, std::FILE* out) {
  for (const RocePopulationResult& pop : report.populations) {
    fmt::print(out, "population {}: {} machines, traffic p10-p90 {:.0f}-{:.0f} MB/s, mean in-group correlation {:.2f}\n",
               pop.name, pop.machines.size(), pop.level_p10_mbps, pop.level_p90_mbps, pop.mean_correlation);
    fmt::print(out, "  {:<16}", "method");
    std::vector<std::string> types;
    if (!pop.cells.empty()) {
      for (const auto& [type, cell] : pop.cells.begin()->second) types.push_back(type);
    }
    for (const std::string& t : types) fmt::print(out, " {:>14}", t);
    fmt::print(out, " {:>14} {:>18}\n", "false alerts", "healthy FA/m-h");
    for (const auto& [method, by_type] : pop.cells) {
      fmt::print(out, "  {:<16}", method);
      int wrong = 0;
      for (const std::string& t : types) {
        const auto found = by_type.find(t);
        const RoceCell c = found == by_type.end() ? RoceCell{} : found->second;
        fmt::print(out, " {:>14}", fmt::format("{}/{}", c.found, c.faults));
        wrong += c.false_alerts;
      }
      const int h = pop.healthy_alerts.count(method) ? pop.healthy_alerts.at(method) : 0;
      fmt::print(out, " {:>14} {:>18}\n", wrong,
                 fmt::format("{} ({:.3f})", h, pop.healthy_machine_hours > 0 ? h / pop.healthy_machine_hours : 0.0));
    }
    for (const std::string& m : pop.missed) fmt::print(out, "  minder missed: {}\n", m);
  }
  fmt::print(out, "{:.1f} s\n", report.seconds);
}

void WriteRoceEvaluationJson(const RoceEvalReport& report, JsonWriter* json) {
  json->BeginObject().Key("populations").BeginArray();
  for (const RocePopulationResult& pop : report.populations) {
    json->BeginObject().Field("name", pop.name).Field("machines", pop.machines.size());
    json->Field("level_p10_mbps", pop.level_p10_mbps).Field("level_p90_mbps", pop.level_p90_mbps);
    json->Field("mean_correlation", pop.mean_correlation).Field("healthy_machine_hours", pop.healthy_machine_hours);
    json->Key("methods").BeginObject();
    for (const auto& [method, by_type] : pop.cells) {
      json->Key(method).BeginObject();
      for (const auto& [type, c] : by_type) {
        json->Key(type).BeginObject().Field("faults", c.faults).Field("found", c.found);
        json->Field("false_alerts", c.false_alerts).EndObject();
      }
      json->Field("healthy_alerts", pop.healthy_alerts.count(method) ? pop.healthy_alerts.at(method) : 0);
      json->EndObject();
    }
    json->EndObject();
    json->Key("missed").BeginArray();
    for (const std::string& m : pop.missed) json->String(m);
    json->EndArray().EndObject();
  }
  json->EndArray().Field("seconds", report.seconds).EndObject();
}

}  // namespace trainscope::minder
