// SPDX-License-Identifier: Apache-2.0
// RunEvaluation: recordings, metric-priority tree, calibration, variants, matching, SMD part.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>

#include "base/parallel.h"
#include "minder/decision_tree.h"
#include "minder/eval.h"
#include "minder/eval_internal.h"
#include "minder/inject.h"
#include "minder/synth.h"

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

}  // namespace

Result<EvalReport> RunEvaluation(const EvalOptions& options) {
  auto start = std::chrono::steady_clock::now();
  if (options.models == nullptr) return FailedPreconditionError("evaluation needs a model set");
  EvalReport report;
  std::vector<Recording> recs;
  std::vector<std::unique_ptr<model::MetricTable>> owned;
  for (const NamedTable& t : options.traces) {
    recs.push_back({t.name, "exathlon", internal::ExathlonWindow(t.name), &t.table});
  }
  for (int n : options.synthetic_sizes) {
    auto table = std::make_unique<model::MetricTable>();
    SynthesizeJob(SynthJobOptions{.machines = n, .seconds = options.synthetic_seconds,
                                  .seed = options.seed * 1000 + static_cast<uint64_t>(n)}, table.get());
    recs.push_back({"synthetic_N" + std::to_string(n), "synthetic", "N=" + std::to_string(n), table.get()});
    owned.push_back(std::move(table));
  }
  if (recs.empty()) return InvalidArgumentError("no recordings to evaluate");
  // Healthy scoring (untouched: no injection, no realism).
  std::vector<std::unique_ptr<Scored>> healthy(recs.size());
  for (size_t r = 0; r < recs.size(); ++r) {
    TS_ASSIGN_OR_RETURN(Scored sc, internal::ScoreRecording(*recs[r].table, options.models,
                                                            options.reference_seconds, options.threads, false));
    healthy[r] = std::make_unique<Scored>(std::move(sc));
  }
  auto inject = [&](size_t r, uint64_t seed, bool keep) -> Result<Injected> {
    Injected inj;
    inj.recording = r;
    InjectOptions io;
    io.seed = seed;
    io.from_ns = healthy[r]->grid.t0_ns + 60 * kS;
    model::MetricTable t = InjectFaults(*recs[r].table, DefaultFaultProfiles(), io, &inj.labels);
    TS_ASSIGN_OR_RETURN(Scored sc, internal::ScoreRecording(t, options.models, options.reference_seconds,
                                                            options.threads, keep));
    inj.scored = std::make_unique<Scored>(std::move(sc));
    return inj;
  };
  // Metric priority per family: CART on injected windows of seeds disjoint from the test seeds.
  std::map<std::string, std::vector<std::string>> order;
  std::map<std::string, std::vector<std::vector<double>>> tree_rows;
  std::map<std::string, std::vector<int>> tree_y;
  std::map<std::string, std::vector<std::string>> all_names;
  for (size_t r = 0; r < recs.size(); ++r) {
    auto& names = all_names[recs[r].family];
    if (names.empty()) {
      for (const auto& c : healthy[r]->minder) {
        bool skip = false;
        for (const auto& p : options.exclude_prefixes) skip = skip || c.name.rfind(p, 0) == 0;
        if (!skip) names.push_back(c.name);
      }
    }
    if (!options.metric_order.empty()) continue;
    TS_ASSIGN_OR_RETURN(Injected inj, inject(r, options.seed * 7 + 100003 + r, true));
    AddTreeRows(*inj.scored, inj.labels, names, &tree_rows[recs[r].family], &tree_y[recs[r].family]);
  }
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
    report.learned_order[family] = ordered;
    if (static_cast<int>(ordered.size()) > options.top_metrics) ordered.resize(static_cast<size_t>(options.top_metrics));
    order[family] = ordered;
  }
  // Injected recordings (test seeds).
  std::vector<Injected> injected;
  for (int s = 0; s < options.seeds; ++s) {
    for (size_t r = 0; r < recs.size(); ++r) {
      TS_ASSIGN_OR_RETURN(Injected inj, inject(r, options.seed * 7919 + static_cast<uint64_t>(s) * 104729 + r, false));
      for (const auto& l : inj.labels) if (!l.control) report.faults_injected[recs[r].family]++;
      injected.push_back(std::move(inj));
    }
  }
  // Variants.
  struct Variant {
    std::string name;
    int kind;  // 0 minder, 1 raw, 2 mahalanobis
    int continuity;
    std::string alone;  // single channel
  };
  for (const auto& [family, top] : order) {
    std::vector<Variant> variants = {{"minder", 0, 240, ""}, {"raw_distance", 1, 240, ""},
                                     {"mahalanobis", 2, 240, ""}, {"continuity_off", 0, 1, ""}};
    for (const auto& c : top) variants.push_back({"alone:" + c, 0, 240, c});
    auto pick_for = [&, top_copy = top](int kind, const std::string& alone) {
      return [kind, alone, top_copy](const Scored& sc) {
        if (kind == 2) return std::vector<const ChannelScores*>{&sc.mahalanobis};
        const auto& all = kind == 1 ? sc.raw : sc.minder;
        return alone.empty() ? Pick(all, top_copy) : Pick(all, {alone});
      };
    };
    // Thresholds per group (leave the group out when the family has other groups).
    std::map<std::string, std::array<double, 3>> thr;
    for (size_t r = 0; r < recs.size(); ++r) {
      if (recs[r].family != family || thr.count(recs[r].group)) continue;
      std::vector<const Scored*> cal, same;
      for (size_t q = 0; q < recs.size(); ++q) {
        if (recs[q].family != family) continue;
        (recs[q].group != recs[r].group ? cal : same).push_back(healthy[q].get());
      }
      if (cal.empty()) cal = same;
      for (int kind = 0; kind < 3; ++kind) thr[recs[r].group][static_cast<size_t>(kind)] = internal::Calibrate(cal, pick_for(kind, ""), 240);
    }
    for (const Variant& var : variants) {
      VariantResult v;
      v.name = var.name;
      v.family = family;
      for (const auto& [g, t] : thr) v.thresholds.push_back(t[static_cast<size_t>(var.kind)]);
      auto pick = pick_for(var.kind, var.alone);
      for (const Injected& inj : injected) {
        const Recording& rec = recs[inj.recording];
        if (rec.family != family) continue;
        double t = thr[rec.group][static_cast<size_t>(var.kind)];
        auto channels = pick(*inj.scored);
        Match(internal::Schedule(*inj.scored, channels, t, var.continuity, 480, 900), inj.labels, &v, &v.delay_8min_s);
        VariantResult scratch;
        Match(internal::Schedule(*inj.scored, channels, t, var.continuity, 60, 900), inj.labels, &scratch, &v.delay_1min_s);
      }
      for (size_t r = 0; r < recs.size(); ++r) {
        if (recs[r].family != family) continue;
        double t = thr[recs[r].group][static_cast<size_t>(var.kind)];
        auto events = internal::Schedule(*healthy[r], pick(*healthy[r]), t, var.continuity, 480, 900);
        v.healthy_alerts += static_cast<int>(events.size());
        v.healthy_machine_hours += static_cast<double>(healthy[r]->grid.machines.size()) * healthy[r]->grid.steps / 3600.0;
      }
      report.variants.push_back(std::move(v));
    }
    // The busy-node trap: Minder without a reference on healthy Exathlon (bounds per call).
    if (family == "exathlon") {
      for (size_t r = 0; r < recs.size(); ++r) {
        if (recs[r].family != family) continue;
        auto grid = BuildGrid(*recs[r].table, GridOptions{}, nullptr);
        if (!grid.ok()) continue;
        ReplayOptions ro;
        ro.detect.method = Method::kMinder;
        ro.detect.metric_order = top;
        ro.detect.threads = options.threads;
        ro.detect.threshold = thr[recs[r].group][0];
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
          report.pure_peer_healthy_alerts++;
          report.pure_peer_alerted_machines.push_back(recs[r].name + ":" + ca.alert.machine + ":" + ca.alert.metric);
        }
        report.pure_peer_machine_hours += static_cast<double>(g.machines.size()) * g.steps / 3600.0;
      }
    }
  }
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
        const float lo = static_cast<float>(ch.lo), inv = static_cast<float>(1.0 / (ch.hi - ch.lo));
        Eigen::MatrixXf x(kWindow, static_cast<Eigen::Index>(n - kWindow + 1));
        for (Eigen::Index w = 0; w < x.cols(); ++w) {
          for (int t = 0; t < kWindow; ++t) x(t, w) = std::clamp((cols[m][static_cast<size_t>(w + t)] - lo) * inv, -0.5f, 1.5f);
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
