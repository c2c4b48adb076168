// SPDX-License-Identifier: Apache-2.0
// RunEvaluation: recordings, metric-priority tree, calibration, variants, matching, SMD part.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/parallel.h"
#include "base/progress.h"
#include "minder/decision_tree.h"
#include "minder/eval.h"
#include "minder/eval_internal.h"
#include "minder/inject.h"
#include "minder/synth.h"

#include <cstdio>

#include <fmt/core.h>

namespace trainscope::minder {
namespace {

using internal::Event;
using internal::Scored;
constexpr int64_t kS = model::kNanosPerSecond;

struct Recording {
  std::string name, family, group;
  const model::MetricTable* table;
};

struct Injected {
  size_t recording;
  std::vector<FaultLabel> labels;
  std::unique_ptr<Scored> scored;
};

std::vector<const ChannelScores*> Pick(const std::vector<ChannelScores>& all,
                                       const std::vector<std::string>& names) {
  std::vector<const ChannelScores*> out;
  for (const std::string& n : names) {
    for (const ChannelScores& c : all) if (c.name == n) out.push_back(&c);
  }
  return out;
}

// Tree features per window: per channel, max over machines of the machine's Z-score.
void AddTreeRows(const Scored& sc, const std::vector<FaultLabel>& labels, const std::vector<std::string>& names,
                 std::vector<std::vector<double>>* rows, std::vector<int>* y) {
  const size_t windows = sc.minder.empty() ? 0 : sc.minder[0].candidate.size();
  for (size_t w = 0; w < windows; w += 5) {
    int64_t t0 = sc.grid.t0_ns + static_cast<int64_t>(w) * kS, t1 = t0 + kWindow * kS;
    int label = 0;
    bool near = false;
    for (const FaultLabel& f : labels) {
      if (f.control) continue;
      if (t0 >= f.start_ns + 30 * kS && t1 <= f.end_ns) label = 1;
      if (t1 > f.start_ns - 120 * kS && t0 < f.end_ns + 120 * kS) near = true;
    }
    if (near && label == 0) continue;
    std::vector<double> x;
    for (const std::string& n : names) {
      double best = 0;
      for (const ChannelScores& c : sc.minder) {
        if (c.name != n || c.machine_score.empty()) continue;
        const auto& s = c.machine_score[w];
        double mean = 0, sq = 0;
        int cnt = 0;
        for (float v : s) if (!std::isnan(v)) mean += v, sq += double(v) * v, ++cnt;
        if (cnt < 2) continue;
        mean /= cnt;
        double sd = std::sqrt(std::max(0.0, sq / cnt - mean * mean)) + 1e-6;
        for (float v : s) if (!std::isnan(v)) best = std::max(best, (v - mean) / sd);
      }
      x.push_back(best);
    }
    rows->push_back(std::move(x));
    y->push_back(label);
  }
}

void Match(const std::vector<Event>& events, const std::vector<FaultLabel>& labels, VariantResult* v,
           std::vector<double>* delays) {
  std::vector<uint8_t> detected(labels.size(), 0);
  for (const FaultLabel& f : labels) {
    if (f.control) continue;
    v->overall.faults++;
    v->per_type[f.type].faults++;
  }
  for (const Event& e : events) {
    bool matched = false;
    for (size_t k = 0; k < labels.size() && !matched; ++k) {
      const FaultLabel& f = labels[k];
      if (f.control || f.machine != e.machine) continue;
      if (e.start_ns >= f.end_ns + 120 * kS || e.end_ns <= f.start_ns) continue;
      matched = true;
      if (!detected[k]) {
        detected[k] = 1;
        v->overall.tp_events++;
        v->overall.detected++;
        v->per_type[f.type].tp_events++;
        v->per_type[f.type].detected++;
        if (delays) delays->push_back(static_cast<double>(e.call_ns - f.start_ns) / kS);
      }
    }
    if (matched) continue;
    v->overall.fp_events++;
    std::string type = "none";
    for (const FaultLabel& f : labels) {
      if (e.start_ns < f.end_ns + 120 * kS && e.end_ns > f.start_ns) {
        if (f.control) v->control_alerts++;
        type = f.control ? "control" : f.type;
      }
    }
    v->per_type[type].fp_events++;
  }
}

std::vector<SmdMachineResult> EvaluateSmd(const EvalOptions& options);

// `table` with only the machines whose index (in name order) is in [first, first + k) mod n.
model::MetricTable KeepMachines(const model::MetricTable& table, int first, int k) {
  std::vector<std::string> names = table.machines().names();
  std::sort(names.begin(), names.end());
  const int n = static_cast<int>(names.size());
  std::vector<uint8_t> keep(names.size(), 0);
  for (int j = 0; j < k; ++j) {
    keep[static_cast<size_t>(*table.machines().Find(names[static_cast<size_t>((first + j) % n)]))] = 1;
  }
  model::MetricTable out;
  for (int32_t m = 0; m < table.metrics().size(); ++m) {
    out.SetCounter(out.InternMetric(table.metrics().Name(m)), table.IsCounter(m));
  }
  std::vector<int32_t> machine_id(names.size(), -1);
  for (size_t i = 0; i < table.size(); ++i) {
    const auto m = static_cast<size_t>(table.machine()[i]);
    if (!keep[m]) continue;
    if (machine_id[m] < 0) machine_id[m] = out.InternMachine(table.machines().Name(static_cast<int32_t>(m)));
    out.Append(table.ts()[i], machine_id[m], table.metric()[i], table.gpu()[i], table.value()[i]);
  }
  return out;
}

// One CSV row per (fault, channel): injected effect on the faulty machine (mean |injected -
// healthy| in normalised units), the share of fault windows where that machine is the top
// candidate and where it passes `thr`, the median z when it is top, and its longest run.
void LogFault(std::FILE* out, const std::string& family, const std::string& recording, const Scored& healthy,
              const Scored& sc, const FaultLabel& f, bool detected, const DetectOptions& detect,
              const std::vector<std::string>& top) {
  const Grid& g = sc.grid;
  int m = -1;
  for (size_t k = 0; k < g.machines.size(); ++k) if (g.machines[k] == f.machine) m = static_cast<int>(k);
  if (m < 0 || sc.minder.empty()) return;
  const int windows = static_cast<int>(sc.minder[0].candidate.size());
  int w0 = std::max(0, static_cast<int>((f.start_ns - g.t0_ns) / kS));
  int w1 = std::min(windows, static_cast<int>((f.end_ns - g.t0_ns) / kS) - kWindow + 1);
  if (w1 <= w0) return;
  const int shift = static_cast<int>((g.t0_ns - healthy.grid.t0_ns) / kS);
  for (size_t c = 0; c < sc.minder.size(); ++c) {
    const ChannelScores& cs = sc.minder[c];
    const double thr = detect.ThresholdFor(cs.name);
    double effect = 0;
    int effect_n = 0;
    for (int t = w0; t < w1 + kWindow - 1 && c < healthy.grid.channels.size(); ++t) {
      int u = t + shift;
      if (u < 0 || u >= healthy.grid.steps || t >= g.steps) continue;
      float a = g.At(c, static_cast<size_t>(m), static_cast<size_t>(t));
      float b = healthy.grid.At(c, static_cast<size_t>(m), static_cast<size_t>(u));
      if (std::isnan(a) || std::isnan(b)) continue;
      effect += std::fabs(a - b);
      ++effect_n;
    }
    int n_top = 0, n_hit = 0, raw_hit = 0;
    std::vector<float> z_top;
    for (int w = w0; w < w1; ++w) {
      size_t i = static_cast<size_t>(w);
      if (cs.candidate[i] == m) {
        ++n_top;
        if (cs.missing[i] || cs.z[i] >= thr) ++n_hit;
        if (!cs.missing[i]) z_top.push_back(cs.z[i]);
      }
      const ChannelScores& rs = sc.raw[c];
      if (rs.candidate[i] == m && (rs.missing[i] || rs.z[i] >= thr)) ++raw_hit;
    }
    Grid shell;
    shell.t0_ns = g.t0_ns + static_cast<int64_t>(w0) * kS;
    shell.machines = g.machines;
    DetectOptions one = detect;
    one.continuity_windows = 1;
    int run = 0;
    for (const Alert& a : FindAlerts(shell, internal::SliceScores(cs, w0, w1 - w0), one)) {
      if (a.machine == f.machine) run = std::max(run, a.windows);
    }
    std::sort(z_top.begin(), z_top.end());
    double med = z_top.empty() ? 0 : z_top[z_top.size() / 2];
    bool in_top = std::find(top.begin(), top.end(), cs.name) != top.end();
    const double n = w1 - w0;
    fmt::print(out, "{},{},{},{},{},{},{},{},{},{:.4f},{:.3f},{:.3f},{:.2f},{},{:.3f},{:.2f}\n", family, recording,
               f.type, f.machine, f.start_ns / kS, (f.end_ns - f.start_ns) / kS, detected ? 1 : 0, cs.name,
               in_top ? 1 : 0, effect_n ? effect / effect_n : 0.0, n_top / n, n_hit / n, med, run, raw_hit / n, thr);
  }
}


// The recordings of one evaluation, their healthy scores, and the options: what every step of
// RunEvaluation reads.
struct EvalContext {
  explicit EvalContext(const EvalOptions& o) : options(o) {}
  const EvalOptions& options;
  std::vector<Recording> recs;
  std::vector<std::unique_ptr<model::MetricTable>> owned;  // tables made here (subsets, synthetic)
  std::vector<std::unique_ptr<Scored>> healthy;             // per recording, untouched
  Progress* scoring = nullptr;  // advanced once per scored recording (healthy or injected)
};

// Thresholds per group of recordings and per (variant kind, calibration).
using GroupThresholds = std::map<std::string, std::map<std::pair<int, int>, DetectOptions>>;
using ChannelPick = std::function<std::vector<const ChannelScores*>(const Scored&)>;

// One evaluated variant of the detector (an ablation or a baseline).
struct Variant {
  std::string name;
  int kind;  // 0 minder, 1 raw, 2 mahalanobis, 3 minder on the latent mean
  int continuity;
  std::string alone;  // single channel
  int calibration = 0;  // 0 per channel with hysteresis, 1 one threshold for all, 2 no hysteresis
};

// Exathlon traces (and machine subsets of them), workload jobs and synthetic jobs, in that order.
void CollectRecordings(EvalContext& ctx) {
  const EvalOptions& options = ctx.options;
  for (const NamedTable& t : options.traces) {
    ctx.recs.push_back({t.name, "exathlon", internal::ExathlonWindow(t.name), &t.table});
  }
  for (int k : options.exathlon_subsets) {
    for (size_t i = 0; i < options.traces.size(); ++i) {
      const NamedTable& t = options.traces[i];
      if (k < 2 || k >= t.table.machines().size()) continue;
      auto table = std::make_unique<model::MetricTable>(KeepMachines(t.table, static_cast<int>(i), k));
      ctx.recs.push_back({t.name, "exathlon-n" + std::to_string(k), internal::ExathlonWindow(t.name), table.get()});
      ctx.owned.push_back(std::move(table));
    }
  }
  for (const NamedTable& t : options.workload_jobs) {
    ctx.recs.push_back({t.name, "workload", t.name, &t.table});
  }
  for (int n : options.synthetic_sizes) {
    if (n < 2) continue;  // `--synthetic 0`: none
    auto table = std::make_unique<model::MetricTable>();
    SynthesizeJob(SynthJobOptions{.machines = n, .seconds = options.synthetic_seconds,
                                  .seed = options.seed * 1000 + static_cast<uint64_t>(n)}, table.get());
    ctx.recs.push_back({"synthetic_N" + std::to_string(n), "synthetic", "N=" + std::to_string(n), table.get()});
    ctx.owned.push_back(std::move(table));
  }
}

// Healthy scoring (untouched: no injection, no realism).
Status ScoreHealthy(EvalContext& ctx) {
  ctx.healthy.resize(ctx.recs.size());
  for (size_t r = 0; r < ctx.recs.size(); ++r) {
    TS_ASSIGN_OR_RETURN(Scored sc, internal::ScoreRecording(*ctx.recs[r].table, ctx.options.models,
                                                            ctx.options.reference_seconds,
                                                            ctx.options.threads, false));
    ctx.healthy[r] = std::make_unique<Scored>(std::move(sc));
    if (ctx.scoring != nullptr) ctx.scoring->Advance();
  }
  return OkStatus();
}

// Recording `r` with faults injected from a minute after its reference period, scored.
Result<Injected> InjectAndScore(const EvalContext& ctx, size_t r, uint64_t seed, bool keep) {
  const EvalOptions& options = ctx.options;
  Injected inj;
  inj.recording = r;
  InjectOptions io;
  io.seed = seed;
  io.from_ns = ctx.healthy[r]->grid.t0_ns + 60 * kS;
  io.uniform_victims = options.uniform_victims;
  model::MetricTable t = InjectFaults(*ctx.recs[r].table, options.profiles.empty() ? DefaultFaultProfiles() : options.profiles,
                                      io, &inj.labels);
  TS_ASSIGN_OR_RETURN(Scored sc, internal::ScoreRecording(t, options.models, options.reference_seconds,
                                                          options.threads, keep));
  inj.scored = std::make_unique<Scored>(std::move(sc));
  if (ctx.scoring != nullptr) ctx.scoring->Advance();
  return inj;
}

// Metric priority per family: the fixed order given, or CART on injected windows of seeds
// disjoint from the test seeds. Records the whole order in the report and returns its top.
Result<std::map<std::string, std::vector<std::string>>> LearnMetricOrder(const EvalContext& ctx,
                                                                         EvalReport* report) {
  const EvalOptions& options = ctx.options;
  std::map<std::string, std::vector<std::vector<double>>> tree_rows;
  std::map<std::string, std::vector<int>> tree_y;
  std::map<std::string, std::vector<std::string>> all_names;
  for (size_t r = 0; r < ctx.recs.size(); ++r) {
    auto& names = all_names[ctx.recs[r].family];
    if (names.empty()) {
      for (const auto& c : ctx.healthy[r]->minder) {
        bool skip = false;
        for (const auto& p : options.exclude_prefixes) skip = skip || c.name.rfind(p, 0) == 0;
        if (!skip) names.push_back(c.name);
      }
    }
    if (!options.metric_order.empty()) continue;
    for (int k = 0; k < options.tree_seeds; ++k) {
      TS_ASSIGN_OR_RETURN(Injected inj, InjectAndScore(ctx, r, options.seed * 7 + 100003 + r + 7919ULL * static_cast<uint64_t>(k), true));
      AddTreeRows(*inj.scored, inj.labels, names, &tree_rows[ctx.recs[r].family], &tree_y[ctx.recs[r].family]);
    }
  }
  std::map<std::string, std::vector<std::string>> order;
  for (auto& [family, names] : all_names) {
    std::vector<std::string> ordered;
    if (!options.metric_order.empty()) {
      for (const auto& n : options.metric_order) {
        for (const auto& c : names) if (c == n || c.rfind(n + "[", 0) == 0) ordered.push_back(c);
      }
    } else {
      DecisionTree tree = TrainTree(tree_rows[family], tree_y[family]);
      for (int f : PriorityOrder(tree, static_cast<int>(names.size()))) ordered.push_back(names[static_cast<size_t>(f)]);
    }
    report->learned_order[family] = ordered;
    if (static_cast<int>(ordered.size()) > options.top_metrics) ordered.resize(static_cast<size_t>(options.top_metrics));
    order[family] = ordered;
  }
  return order;
}

// Injected recordings of the test seeds; counts their faults per family in the report.
Result<std::vector<Injected>> InjectTestSeeds(const EvalContext& ctx, EvalReport* report) {
  std::vector<Injected> injected;
  for (int s = 0; s < ctx.options.seeds; ++s) {
    for (size_t r = 0; r < ctx.recs.size(); ++r) {
      TS_ASSIGN_OR_RETURN(Injected inj, InjectAndScore(ctx, r, ctx.options.seed * 7919 + static_cast<uint64_t>(s) * 104729 + r, false));
      for (const auto& l : inj.labels) if (!l.control) report->faults_injected[ctx.recs[r].family]++;
      injected.push_back(std::move(inj));
    }
  }
  return injected;
}

std::vector<Variant> VariantsFor(const std::vector<std::string>& top) {
  std::vector<Variant> variants = {{"minder", 0, 240, "", 0}, {"raw_distance", 1, 240, "", 0},
                                   {"mahalanobis", 2, 240, "", 0}, {"continuity_off", 0, 1, "", 0},
                                   {"minder_one_threshold", 0, 240, "", 1}, {"minder_no_hysteresis", 0, 240, "", 2},
                                   {"minder_latent", 3, 240, "", 0}};
  for (const auto& c : top) variants.push_back({"alone:" + c, 0, 240, c, 0});
  return variants;
}

// The channels a variant looks at: the top channels (or `alone`) of its kind of score.
ChannelPick PickFor(int kind, const std::string& alone, const std::vector<std::string>& top) {
  return [kind, alone, top](const Scored& sc) {
    if (kind == 2) return std::vector<const ChannelScores*>{&sc.mahalanobis};
    const auto& all = kind == 1 ? sc.raw : kind == 3 ? sc.latent : sc.minder;
    return alone.empty() ? Pick(all, top) : Pick(all, {alone});
  };
}

// Thresholds per group, calibrated on the healthy recordings of the family's other groups
// (leave-one-group-out; the group itself when it is the only one): per channel (each
// channel alone raises no alert), or one for all channels (the older scheme, an ablation).
GroupThresholds CalibrateThresholds(const EvalContext& ctx, const std::string& family,
                                    const std::vector<std::string>& top) {
  const std::vector<Recording>& recs = ctx.recs;
  GroupThresholds thr;
  for (size_t r = 0; r < recs.size(); ++r) {
    if (recs[r].family != family || thr.count(recs[r].group)) continue;
    std::vector<const Scored*> cal, same;
    for (size_t q = 0; q < recs.size(); ++q) {
      if (recs[q].family != family) continue;
      (recs[q].group != recs[r].group ? cal : same).push_back(ctx.healthy[q].get());
    }
    if (cal.empty()) cal = same;
    for (int kind = 0; kind < 4; ++kind) {
      for (int calibration = 0; calibration < 3; ++calibration) {
        if (kind != 0 && calibration != 0) continue;
        DetectOptions base;
        base.continuity_windows = 240;
        base.hold_fraction = calibration == 2 ? 1.0 : 0.5;
        if (calibration == 1) {
          base.threshold = internal::Calibrate(cal, PickFor(kind, "", top), base);
        } else {
          base.threshold = 0;
          std::vector<std::string> names = kind == 2 ? std::vector<std::string>{"mahalanobis"} : top;
          for (const std::string& n : names) {
            double t = internal::Calibrate(cal, PickFor(kind == 2 ? 2 : kind, kind == 2 ? "" : n, top), base);
            base.channel_thresholds[n] = t;
            base.threshold = std::max(base.threshold, t);
          }
        }
        thr[recs[r].group][{kind, calibration}] = base;
      }
    }
  }
  return thr;
}

// One variant on the family's injected recordings (detections, delays at 8-min and 1-min call
// periods) and on its healthy recordings (false alerts per machine-hour).
VariantResult EvaluateVariant(const EvalContext& ctx, const std::string& family, const Variant& var,
                              const std::vector<std::string>& top, const GroupThresholds& thr,
                              const std::vector<Injected>& injected, EvalReport* report) {
  const std::vector<Recording>& recs = ctx.recs;
  VariantResult v;
  v.name = var.name;
  v.family = family;
  for (const auto& [g, t] : thr) {
    const DetectOptions& o = t.at({var.kind, var.calibration});
    v.thresholds.push_back(var.alone.empty() ? o.threshold : o.ThresholdFor(var.alone));
    if (var.name == "minder") {
      for (const auto& [n, z] : o.channel_thresholds) report->channel_thresholds[family][n].push_back(z);
    }
  }
  const ChannelPick pick = PickFor(var.kind, var.alone, top);
  auto options_for = [&](const std::string& group) {
    DetectOptions o = thr.at(group).at({var.kind, var.calibration});
    o.continuity_windows = var.continuity;
    return o;
  };
  for (const Injected& inj : injected) {
    const Recording& rec = recs[inj.recording];
    if (rec.family != family) continue;
    DetectOptions o = options_for(rec.group);
    auto channels = pick(*inj.scored);
    Match(internal::Schedule(*inj.scored, channels, o, 480, 900), inj.labels, &v, &v.delay_8min_s);
    VariantResult scratch;
    Match(internal::Schedule(*inj.scored, channels, o, 60, 900), inj.labels, &scratch, &v.delay_1min_s);
  }
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<int64_t, int64_t>>> covered, alerted;
  for (size_t r = 0; r < recs.size(); ++r) {
    if (recs[r].family != family) continue;
    const Scored& healthy = *ctx.healthy[r];
    const Grid& grid = healthy.grid;
    auto events = internal::Schedule(healthy, pick(healthy), options_for(recs[r].group), 480, 900);
    v.healthy_alerts += static_cast<int>(events.size());
    v.healthy_machine_hours += static_cast<double>(grid.machines.size()) * grid.steps / 3600.0;
    const int64_t end_ns = grid.t0_ns + static_cast<int64_t>(grid.steps) * model::kNanosPerSecond;
    for (const std::string& m : grid.machines) covered[{recs[r].group, m}].push_back({grid.t0_ns, end_ns});
    for (const Event& e : events) alerted[{recs[r].group, e.machine}].push_back({e.start_ns, e.end_ns});
  }
  for (auto& [key, spans] : covered) {
    for (const auto& [a, b] : internal::MergeSpans(spans, 0)) v.healthy_distinct_machine_hours += static_cast<double>(b - a) / 3.6e12;
  }
  for (auto& [key, spans] : alerted) {
    v.healthy_distinct_alerts += static_cast<int>(internal::MergeSpans(spans, 60 * model::kNanosPerSecond).size());
  }
  return v;
}

// --fault-log: a CSV row per (injected fault, channel) of the full method (LogFault), then its
// alerts on the untouched healthy recordings (all false alarms). The first family creates the
// file and writes the header; the others append.
void WriteFaultLog(const EvalContext& ctx, const std::string& family, bool first_family,
                   const std::vector<std::string>& top, const GroupThresholds& thr,
                   const std::vector<Injected>& injected) {
  const std::vector<Recording>& recs = ctx.recs;
  std::FILE* log = std::fopen(ctx.options.fault_log.c_str(), first_family ? "w" : "a");
  if (log == nullptr) return;
  if (first_family) {
    fmt::print(log, "family,recording,type,machine,start_s,dur_s,detected,channel,in_top,effect,frac_top,"
                    "frac_hit,median_z_top,longest_run,raw_frac_hit,threshold\n");
  }
  const ChannelPick pick = PickFor(0, "", top);
  for (const Injected& inj : injected) {
    const Recording& rec = recs[inj.recording];
    if (rec.family != family) continue;
    const DetectOptions& o = thr.at(rec.group).at({0, 0});
    auto events = internal::Schedule(*inj.scored, pick(*inj.scored), o, 480, 900);
    for (const FaultLabel& f : inj.labels) {
      if (f.control) continue;
      bool hit = false;
      for (const Event& e : events) {
        hit = hit || (e.machine == f.machine && e.start_ns < f.end_ns + 120 * kS && e.end_ns > f.start_ns);
      }
      LogFault(log, family, rec.name, *ctx.healthy[inj.recording], *inj.scored, f, hit, o, top);
    }
  }
  for (size_t r = 0; r < recs.size(); ++r) {
    if (recs[r].family != family) continue;
    const DetectOptions& o = thr.at(recs[r].group).at({0, 0});
    for (const Event& e : internal::Schedule(*ctx.healthy[r], pick(*ctx.healthy[r]), o, 480, 900)) {
      fmt::print(log, "{},{},healthy_alert,{},{},{},0,{},1,0,0,0,0,0,0,{:.2f}\n", family, recs[r].name, e.machine,
                 e.start_ns / kS, (e.end_ns - e.start_ns) / kS, e.metric, o.ThresholdFor(e.metric));
    }
  }
  std::fclose(log);
}

// The busy-node trap: Minder without a reference on healthy Exathlon (bounds per call); alerts
// counted once per machine and 10-minute slot.
void CountPurePeerAlerts(const EvalContext& ctx, const std::string& family,
                         const std::vector<std::string>& top, const GroupThresholds& thr,
                         EvalReport* report) {
  const std::vector<Recording>& recs = ctx.recs;
  const EvalOptions& options = ctx.options;
  for (size_t r = 0; r < recs.size(); ++r) {
    if (recs[r].family != family) continue;
    auto grid = BuildGrid(*recs[r].table, GridOptions{}, nullptr);
    if (!grid.ok()) continue;
    ReplayOptions ro;
    ro.detect.method = Method::kMinder;
    ro.detect.metric_order = top;
    ro.detect.threads = options.threads;
    ro.detect.threshold = thr.at(recs[r].group).at({0, 0}).threshold;
    ro.detect.channel_thresholds = thr.at(recs[r].group).at({0, 0}).channel_thresholds;
    Grid g = SliceGrid(*grid, options.reference_seconds, grid->steps - options.reference_seconds);
    // Only the top channels take part, as in the full method.
    std::vector<Channel> keep;
    for (auto& c : g.channels) if (std::find(top.begin(), top.end(), c.name) != top.end()) keep.push_back(std::move(c));
    g.channels = std::move(keep);
    auto rr = Replay(g, options.models, ro);
    if (!rr.ok()) continue;
    std::vector<std::string> seen;
    for (const auto& ca : rr->alerts) {
      bool dup = false;
      for (const auto& s : seen) dup = dup || s == ca.alert.machine + "@" + std::to_string(ca.alert.start_ns / kS / 600);
      if (dup) continue;
      seen.push_back(ca.alert.machine + "@" + std::to_string(ca.alert.start_ns / kS / 600));
      report->pure_peer_healthy_alerts++;
      report->pure_peer_alerted_machines.push_back(recs[r].name + ":" + ca.alert.machine + ":" + ca.alert.metric);
    }
    report->pure_peer_machine_hours += static_cast<double>(g.machines.size()) * g.steps / 3600.0;
  }
}

}  // namespace

Result<EvalReport> RunEvaluation(const EvalOptions& options) {
  auto start = std::chrono::steady_clock::now();
  if (options.models == nullptr) return FailedPreconditionError("evaluation needs a model set");
  EvalReport report;
  EvalContext ctx(options);
  CollectRecordings(ctx);
  if (ctx.recs.empty()) return InvalidArgumentError("no recordings to evaluate");
  // Scoring (the LSTM-VAE over every window) is most of the time: once healthy, tree_seeds
  // times for the metric order (unless fixed), `seeds` times for the test injections.
  const int64_t recordings = static_cast<int64_t>(ctx.recs.size());
  const int64_t passes =
      1 + (options.metric_order.empty() ? options.tree_seeds : 0) + options.seeds;
  Progress scoring("minder eval: scoring recordings", recordings * passes, "recordings");
  ctx.scoring = &scoring;
  TS_RETURN_IF_ERROR(ScoreHealthy(ctx));
  TS_ASSIGN_OR_RETURN(const auto order, LearnMetricOrder(ctx, &report));
  TS_ASSIGN_OR_RETURN(const std::vector<Injected> injected, InjectTestSeeds(ctx, &report));
  scoring.Finish();
  ctx.scoring = nullptr;
  int64_t variant_count = 0;
  for (const auto& [family, top] : order) variant_count += static_cast<int64_t>(VariantsFor(top).size());
  Progress evaluating("minder eval: evaluating variants", variant_count, "variants");
  for (const auto& [family, top] : order) {
    const GroupThresholds thr = CalibrateThresholds(ctx, family, top);
    for (const Variant& var : VariantsFor(top)) {
      report.variants.push_back(EvaluateVariant(ctx, family, var, top, thr, injected, &report));
      evaluating.Advance();
    }
    if (!options.fault_log.empty()) {
      WriteFaultLog(ctx, family, family == order.begin()->first, top, thr, injected);
    }
    if (family == "exathlon") CountPurePeerAlerts(ctx, family, top, thr, &report);
  }
  evaluating.Finish();
  report.smd = EvaluateSmd(options);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

namespace {

std::vector<SmdMachineResult> EvaluateSmd(const EvalOptions& options) {
  std::vector<SmdMachineResult> out;
  const MetricModel* generic = options.models->Find(ModelSet::kGeneric);
  if (generic == nullptr) return out;
  for (size_t k = 0; k < options.smd_test.size() && k < options.smd_train.size(); ++k) {
    // Columns in row order (SMD is one sample per minute, no grid needed).
    auto columns = [](const model::MetricTable& t, std::vector<std::vector<float>>* cols, std::vector<int>* label) {
      cols->assign(static_cast<size_t>(t.metrics().size()), {});
      for (size_t r = 0; r < t.size(); ++r) {
        const std::string& name = t.metrics().Name(t.metric()[r]);
        if (name == "label") label->push_back(t.value()[r] > 0.5 ? 1 : 0);
        else (*cols)[static_cast<size_t>(t.metric()[r])].push_back(static_cast<float>(t.value()[r]));
      }
    };
    std::vector<std::vector<float>> train, test;
    std::vector<int> unused, label;
    columns(options.smd_train[k].table, &train, &unused);
    columns(options.smd_test[k].table, &test, &label);
    auto scores = [&](const std::vector<std::vector<float>>& cols, const std::vector<std::vector<float>>& fit) {
      size_t n = 0;
      for (const auto& c : cols) n = std::max(n, c.size());
      std::vector<double> s(n, 0.0);
      for (size_t m = 0; m < cols.size(); ++m) {
        if (cols[m].size() != n || n < kWindow) continue;
        Channel ch;
        ch.values = fit[m];
        FitBounds(&ch);
        if (ch.hi - ch.lo < 1e-3) continue;  // constant metric
        std::vector<float> v = cols[m];
        NormaliseValues(v.data(), v.size(), ch.lo, ch.hi);
        Eigen::MatrixXf x(kWindow, static_cast<Eigen::Index>(n - kWindow + 1));
        for (Eigen::Index w = 0; w < x.cols(); ++w) {
          for (int t = 0; t < kWindow; ++t) x(t, w) = v[static_cast<size_t>(w + t)];
        }
        Eigen::MatrixXf y = generic->vae.ReconstructFloat(x);
        for (Eigen::Index w = 0; w < x.cols(); ++w) {
          double err = (y.col(w) - x.col(w)).squaredNorm() / kWindow;
          size_t at = static_cast<size_t>(w) + kWindow - 1;
          s[at] = std::max(s[at], err);
        }
      }
      return s;
    };
    std::vector<double> train_s = scores(train, train), test_s = scores(test, train);
    std::vector<double> sorted = train_s;
    std::sort(sorted.begin(), sorted.end());
    SmdMachineResult res;
    res.machine = options.smd_test[k].name;
    res.threshold = sorted.empty() ? 0 : sorted[static_cast<size_t>(0.995 * static_cast<double>(sorted.size() - 1))];
    std::vector<int> pred(test_s.size());
    for (size_t i = 0; i < test_s.size(); ++i) pred[i] = test_s[i] > res.threshold;
    auto prf = [&](const std::vector<int>& p) {
      double tp = 0, fp = 0, fn = 0;
      for (size_t i = 0; i < p.size() && i < label.size(); ++i) {
        tp += p[i] && label[i];
        fp += p[i] && !label[i];
        fn += !p[i] && label[i];
      }
      double pr = tp + fp > 0 ? tp / (tp + fp) : 0, rc = tp + fn > 0 ? tp / (tp + fn) : 0;
      return std::array<double, 3>{pr, rc, pr + rc > 0 ? 2 * pr * rc / (pr + rc) : 0};
    };
    auto a = prf(pred);
    res.precision = a[0];
    res.recall = a[1];
    res.f1 = a[2];
    // Point-adjusted: a detected point marks its whole labelled segment detected.
    std::vector<int> adj = pred;
    for (size_t i = 0; i < label.size() && i < adj.size();) {
      if (!label[i]) { ++i; continue; }
      size_t j = i;
      bool hit = false;
      while (j < label.size() && label[j]) hit = hit || pred[j], ++j;
      if (hit) for (size_t q = i; q < j && q < adj.size(); ++q) adj[q] = 1;
      i = j;
    }
    res.f1_point_adjusted = prf(adj)[2];
    out.push_back(res);
  }
  return out;
}

}  // namespace
}  // namespace trainscope::minder
