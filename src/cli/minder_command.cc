// SPDX-License-Identifier: Apache-2.0
// `trainscope minder train|detect|replay|inject|eval`: find the faulty machine of a training job
// from per-second metrics (Minder, NSDI'25). Thin: parse flags, load, call trainscope::minder.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <cmath>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/core.h>

#include "base/byte_source.h"
#include "base/json_writer.h"
#include "base/output_file.h"
#include "base/progress.h"
#include "base/utf8.h"
#include "cli/app/minder_alert_output.h"
#include "cli/app/output_transaction.h"
#include "cli/command.h"
#include "ingest/metrics/metric_readers.h"
#include "minder/detector.h"
#include "minder/eval.h"
#include "minder/eval_roce.h"
#include "minder/inject.h"
#include "minder/replay.h"
#include "minder/sampling.h"
#include "minder/synth.h"
#include "minder/train.h"
#include "model/metric_names.h"
#if defined(TS_MINDER_HAVE_MPI)
#include "minder/mpi/mpi_backend.h"
#endif

namespace trainscope::cli {
namespace {

namespace mi = ::trainscope::minder;

struct InputFlags {
  std::vector<std::string> files;
  std::string names_file;   // extra name-mapping rules
  bool raw_names = false;   // keep exporter names (no mapping to Minder's seven)
  std::vector<std::string> machines;  // expected machines (absent ones are reported)
  std::vector<std::string> metric_names;  // --metric: names of series without __name__, per file
  std::string group_label;  // --group-label: Prometheus label naming each machine's peer group
};

struct DetectFlags {
  std::string models;  // "": the shipped models (minder::FindModelsDir)
  std::vector<std::string> metrics;
  std::string method = "minder";
  double threshold = 0;  // 0: the models' detector.txt
  int continuity = 240;
  bool role_aware = false;
  double relative_spread_floor = 0.5;        // DetectOptions::relative_spread_floor
  std::string groups_file;                   // machine,group lines
  bool no_groups = false;                    // compare every machine with every other
  std::vector<std::string> reference_files;  // detect: a healthy recording of the same job
  int reference_seconds = 0;                 // detect: the first N s of the input are healthy
};

// `f` with its models folder resolved: --models as given, else the shipped models. A method
// without models (raw, mahalanobis) runs on built-in detector defaults when none are found.
Result<DetectFlags> WithModels(const DetectFlags& f) {
  DetectFlags out = f;
  if (!out.models.empty()) return out;
  Result<std::string> shipped = mi::FindModelsDir();
  if (shipped.ok()) {
    out.models = *shipped;
  } else if (out.method == "minder") {
    return shipped.error();
  }
  return out;
}

void AddInputFlags(CLI::App* cmd, InputFlags* in) {
  cmd->add_option("files", in->files, "Metric files: long CSV (.csv/.csv.gz), Prometheus query_range "
                  "JSON, or Prometheus text exposition")->required();
  cmd->add_option("--names", in->names_file, "Extra name-mapping rules (minder,source,label_filter,transform,aggregate)");
  cmd->add_flag("--raw-names", in->raw_names, "Do not map exporter names to Minder's seven metrics");
  cmd->add_option("--machines", in->machines, "Machines expected in the job (absent ones are reported)")
      ->delimiter(',')
      ->allow_extra_args(false)  // one comma-separated list: a metric file after it stays a file
      ->check(CLI::Validator([](std::string& name) { return name.empty() ? std::string("an empty machine name") : std::string(); },
                             "NAME,...", "machine names"));
  cmd->add_option("--metric", in->metric_names,
                  "Names of Prometheus series without __name__ (query results), one per file in file "
                  "order (default: each file's name)")
      ->delimiter(',')
      ->allow_extra_args(false);
}

void AddDetectFlags(CLI::App* cmd, DetectFlags* d) {
  cmd->add_option("--models", d->models,
                  "Directory of *.vae models and detector.txt (default: the shipped models, "
                  "share/trainscope/models/minder or $TRAINSCOPE_DATA_DIR/models/minder)");
  cmd->add_option("--metrics", d->metrics, "Metric priority order (comma-separated); default: learned")->delimiter(',');
  cmd->add_option("--method", d->method, "minder | raw | mahalanobis")->capture_default_str();
  cmd->add_option("--threshold", d->threshold, "Robust outlier threshold (default: calibrated, detector.txt)")
      ->check(NumberAbove(0));
  cmd->add_option("--continuity", d->continuity, "Windows (s) the same candidate must persist; 1 = off")
      ->capture_default_str()->check(IntInRange(1, 86400));
  cmd->add_option("--groups", d->groups_file, "Peer groups you know: lines 'machine,group' (default: found from the data)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--no-groups", d->no_groups, "Compare every machine with every other (one group)");
  cmd->add_option("--spread-floor", d->relative_spread_floor,
                  "Peers' spread is taken as at least this fraction of their median distance")
      ->capture_default_str()->check(NumberInRange(0.0, 10.0));
}

// --group-label NAME (detect, replay): peer groups from a label the series carry. Excludes
// --groups and --no-groups (usage error).
void AddGroupLabelFlag(CLI::App* cmd, InputFlags* in) {
  cmd->add_option("--group-label", in->group_label,
                  "Peer groups from a Prometheus label the series carry (e.g. role, stage); it is taken "
                  "out of the metric names. Machines without it are not judged")
      ->excludes(cmd->get_option("--groups"))
      ->excludes(cmd->get_option("--no-groups"));
}

Result<model::MetricTable> LoadInput(const InputFlags& in, Diagnostics* diags) {
  ingest::LoadOptions options;
  options.unnamed_metrics = in.metric_names;
  options.group_label = in.group_label;
  TS_ASSIGN_OR_RETURN(model::MetricTable table, ingest::LoadMetrics(in.files, options, diags));
  if (in.raw_names) return table;
  std::vector<model::MetricMapping> rules;
  if (!in.names_file.empty()) {
    TS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(in.names_file));
    TS_ASSIGN_OR_RETURN(rules, model::ParseMetricMappings(text, in.names_file));
  }
  const auto& defaults = model::DefaultMetricMappings();
  rules.insert(rules.end(), defaults.begin(), defaults.end());
  return model::MapMetricNames(std::move(table), rules, /*keep_unmapped=*/true, diags);
}

Result<mi::DetectOptions> MakeDetectOptions(const DetectFlags& f, mi::DetectorDefaults* defaults,
                                            Diagnostics* diags) {
  mi::DetectOptions o;
  if (f.models.empty()) {  // raw or mahalanobis with no shipped models found (WithModels)
    *defaults = mi::DetectorDefaults{};
    diags->Add("detector_defaults_absent", "shipped models", "",
               fmt::format("no shipped models folder found: built-in defaults used (threshold {:g}, "
                           "no learned metric order)",
                           defaults->threshold));
  } else {
    TS_ASSIGN_OR_RETURN(*defaults, mi::LoadDetectorDefaultsOrBuiltIn(f.models, diags));
  }
  o.threshold = f.threshold > 0 ? f.threshold : defaults->threshold;
  if (f.threshold <= 0) o.channel_thresholds = defaults->channel_thresholds;  // --threshold: one for all
  o.metric_order = f.metrics.empty() ? defaults->order : f.metrics;
  o.continuity_windows = std::max(1, f.continuity);
  o.relative_spread_floor = f.relative_spread_floor;
  o.threads = Globals().threads;
  if (f.method == "minder") {
    o.method = mi::Method::kMinder;
  } else if (f.method == "raw") {
    o.method = mi::Method::kRawDistance;
  } else if (f.method == "mahalanobis") {
    o.method = mi::Method::kMahalanobis;
  } else {
    return InvalidArgumentError("--method must be minder, raw or mahalanobis (got '{}')", f.method);
  }
  return o;
}

// --metrics names metrics of the input (or channels such as "gpu_util[min]"): a name that matches
// none was skipped without a word, and the default order judged instead.
Status CheckRequestedMetrics(const mi::Grid& grid, const std::vector<std::string>& requested) {
  std::set<std::string> known;
  for (const mi::Channel& c : grid.channels) known.insert(c.metric), known.insert(c.name);
  for (const std::string& name : requested) {
    if (known.count(name) > 0) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    return InvalidArgumentError("--metrics: '{}' is not a metric of the input (it has: {})", name,
                                list);
  }
  return OkStatus();
}

// The healthy reference of a detect call: --reference FILES (a healthy recording of the same
// job), or the first --reference-seconds of the input, which are then cut off `grid`.
Result<std::optional<mi::Reference>> ReferenceFor(const InputFlags& in, const DetectFlags& f, const mi::ModelSet* models,
                                                  const mi::DetectOptions& opt, mi::Grid* grid, Diagnostics* diags) {
  if (!f.reference_files.empty()) {
    InputFlags ref_in = in;
    ref_in.files = f.reference_files;
    ref_in.machines.clear();
    TS_ASSIGN_OR_RETURN(model::MetricTable table, LoadInput(ref_in, diags));
    TS_ASSIGN_OR_RETURN(mi::Grid ref_grid, mi::BuildGrid(table, mi::GridOptions{}, diags));
    return std::optional<mi::Reference>(mi::LearnReference(std::move(ref_grid), models, opt, f.role_aware));
  }
  if (f.reference_seconds <= 0) return std::optional<mi::Reference>();
  if (f.reference_seconds >= grid->steps) {
    return InvalidArgumentError("--reference-seconds {} leaves nothing to judge: the input holds {} s",
                                f.reference_seconds, grid->steps);
  }
  mi::Reference ref = mi::LearnReference(mi::SliceGrid(*grid, 0, f.reference_seconds), models, opt, f.role_aware);
  *grid = mi::SliceGrid(*grid, f.reference_seconds, grid->steps - f.reference_seconds);
  return std::optional<mi::Reference>(std::move(ref));
}

// What one detect or replay run found, for the writers.
struct DetectOutcome {
  std::vector<mi::CallAlert> alerts;
  std::vector<std::string> tried;
  int calls = 1, inconclusive_calls = 0;
  mi::Verdict verdict = mi::Verdict::kHealthy;
  std::vector<std::string> inconclusive;
  std::vector<mi::PeerGroup> groups;
  std::vector<mi::SkippedChannel> skipped;
  const mi::Reference* reference = nullptr;
};

void WriteGroupsJson(const mi::Grid& grid, const DetectOutcome& o, JsonWriter* json) {
  json->Key("groups").BeginArray();
  for (const mi::PeerGroup& g : o.groups) {
    json->BeginObject().Field("label", g.label).Field("judged", g.judged).Field("size", g.machines.size());
    if (!g.judged) json->Field("reason", g.reason);
    json->Field("mean_correlation", g.mean_correlation);
    json->Key("per_machine_scaled").BeginArray();
    for (const auto& c : g.per_machine_scaled) json->String(c);
    json->EndArray();
    json->Key("machines").BeginArray();
    for (int m : g.machines) json->String(grid.machines[static_cast<size_t>(m)]);
    json->EndArray().EndObject();
  }
  json->EndArray();
  json->Key("skipped_channels").BeginArray();
  for (const mi::SkippedChannel& c : o.skipped) {
    json->BeginObject().Field("channel", c.channel).Field("group", c.group).Field("reason", c.reason);
    if (!c.machines.empty()) {
      json->Key("machines").BeginArray();
      for (const auto& m : c.machines) json->String(m);
      json->EndArray();
    }
    json->EndObject();
  }
  json->EndArray();
}

// "No faulty machine found": machines of groups that were not judged (too few peers, static)
// were never compared, so the verdict covers the judged ones only, and says so.
void PrintNoFaultText(const mi::Grid& grid, const DetectOutcome& o) {
  size_t unjudged = 0;
  for (const mi::PeerGroup& g : o.groups) unjudged += g.judged ? 0 : g.machines.size();
  const std::string scope =
      unjudged > 0 ? fmt::format(" among the {} judged machine(s); {} not judged (see their groups)",
                                 grid.machines.size() - unjudged, unjudged)
                   : "";
  fmt::print("no faulty machine found{}{}\n", scope,
             o.inconclusive_calls > 0 ? fmt::format(" ({} of {} calls inconclusive)", o.inconclusive_calls, o.calls) : "");
}

void PrintGroupsText(const mi::Grid& grid, const DetectOutcome& o) {
  if (Globals().quiet) return;
  for (const mi::PeerGroup& g : o.groups) {
    std::string names;
    for (size_t k = 0; k < g.machines.size() && k < 6; ++k) names += (k ? ", " : "") + PrintableText(grid.machines[static_cast<size_t>(g.machines[k])]);
    if (g.machines.size() > 6) names += fmt::format(", ... ({} more)", g.machines.size() - 6);
    fmt::print("group {}: {} machine(s){}{}: {}\n", PrintableText(g.label), g.machines.size(),
               g.judged ? fmt::format(", mean correlation {:.2f}", g.mean_correlation) : "",
               g.per_machine_scaled.empty() ? "" : ", each machine scaled by its own level", names);
    if (!g.judged) fmt::print("  not judged: {}\n", g.reason);
  }
  for (const mi::SkippedChannel& c : o.skipped) {
    if (c.machines.empty()) {
      fmt::print("channel {} skipped in group {}: {}\n", c.channel, c.group, c.reason);
    } else {
      fmt::print("channel {} not compared for {} machine(s) of group {} ({}{}): {}\n", c.channel, c.machines.size(), c.group,
                 PrintableText(c.machines[0]), c.machines.size() > 1 ? ", ..." : "", c.reason);
    }
  }
}

Status RunDetect(const InputFlags& in, const DetectFlags& flags, int last_seconds, bool replay, int every,
                 int pull, int reference_seconds) {
  TS_ASSIGN_OR_RETURN(const DetectFlags f, WithModels(flags));
  // Under mpirun the pairwise distances are split over the MPI processes (identical results on
  // every process, for any count); only the first one writes output.
  bool writes_output = true;
#if defined(TS_MINDER_HAVE_MPI)
  TS_ASSIGN_OR_RETURN(std::unique_ptr<mi::mpi::MpiDistanceBackend> mpi,
                      mi::mpi::BackendIfLaunchedByMpi(Globals().threads));
  writes_output = !mpi || mpi->is_root();
#endif
  Diagnostics diags;
  TS_ASSIGN_OR_RETURN(model::MetricTable table, LoadInput(in, &diags));
  mi::DetectorDefaults defaults;
  TS_ASSIGN_OR_RETURN(mi::DetectOptions opt, MakeDetectOptions(f, &defaults, &diags));
#if defined(TS_MINDER_HAVE_MPI)
  opt.distance_backend = mpi.get();
#endif
  std::map<std::string, std::string> group_of;
  if (!f.groups_file.empty()) {
    TS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(f.groups_file));
    TS_ASSIGN_OR_RETURN(group_of, mi::ParseGroupsFile(text, f.groups_file));
    opt.group_of = &group_of;
  } else if (!in.group_label.empty()) {
    // Groups named by a label the series carry (`role`, `stage`); machines without it end in the
    // unassigned group (GroupsFromMap).
    group_of = table.MachineGroups();
    if (group_of.empty()) {
      return InvalidArgumentError("--group-label {}: no series of {} carries the label", in.group_label,
                                  in.files.empty() ? std::string("the input") : in.files.front());
    }
    opt.group_of = &group_of;
  }
  opt.find_groups = !f.no_groups;
  std::unique_ptr<mi::ModelSet> models;
  if (opt.method == mi::Method::kMinder) {
    TS_ASSIGN_OR_RETURN(mi::ModelSet loaded, mi::ModelSet::Load(f.models));
    models = std::make_unique<mi::ModelSet>(std::move(loaded));
  }
  const std::string coarse = mi::CoarseSamplingReason(table);
  mi::GridOptions go;
  go.expected_machines = in.machines;
  TS_ASSIGN_OR_RETURN(mi::Grid grid, mi::BuildGrid(table, go, &diags));
  TS_RETURN_IF_ERROR(CheckRequestedMetrics(grid, f.metrics));
  // The table (26 bytes a sample, 168 MB for 1,024 machines x 15 min) is not needed past the
  // grid: its memory goes to the detection's buffers instead of fresh pages.
  table = model::MetricTable();
  TS_RETURN_IF_ERROR(ApplyStrict(diags));
  DetectOutcome o;
  std::optional<mi::Reference> reference;
  if (!replay) {
    TS_ASSIGN_OR_RETURN(reference, ReferenceFor(in, f, models.get(), opt, &grid, &diags));
    TS_RETURN_IF_ERROR(ApplyStrict(diags));  // the reference's input too
    if (reference) {
      opt.reference = &*reference;
      o.reference = opt.reference;
    }
    if (last_seconds > 0 && grid.steps > last_seconds) grid = mi::SliceGrid(grid, grid.steps - last_seconds, last_seconds);
  }
  if (!coarse.empty()) {
    o.inconclusive.push_back(coarse);  // a grid of mostly filled seconds: no call is made on it
    o.calls = 0;
    o.verdict = mi::Verdict::kInconclusive;
  } else if (replay) {
    mi::ReplayOptions ro;
    ro.detect = opt;
    ro.every_seconds = every;
    ro.pull_seconds = pull;
    ro.reference_seconds = reference_seconds;
    TS_ASSIGN_OR_RETURN(mi::ReplayResult rr, mi::Replay(grid, models.get(), ro));
    o.alerts = std::move(rr.alerts);
    o.calls = rr.calls;
    o.inconclusive_calls = rr.inconclusive_calls;
    o.inconclusive = std::move(rr.inconclusive);
    o.groups = std::move(rr.groups);
    o.skipped = std::move(rr.skipped_channels);
    o.verdict = mi::VerdictOf(rr);
    reference = std::move(rr.reference);
    if (reference_seconds > 0) o.reference = &*reference;
  } else {
    TS_ASSIGN_OR_RETURN(mi::Detection det, mi::Detect(grid, models.get(), opt));
    for (const auto& a : det.alerts) o.alerts.push_back({grid.t0_ns + static_cast<int64_t>(grid.steps) * 1'000'000'000, a});
    o.tried = det.channels_tried;
    o.verdict = mi::VerdictOf(det);
    o.inconclusive = std::move(det.inconclusive);
    o.inconclusive_calls = o.verdict == mi::Verdict::kInconclusive ? 1 : 0;
    o.groups = std::move(det.groups);
    o.skipped = std::move(det.skipped_channels);
  }
  if (o.verdict == mi::Verdict::kInconclusive) SetExitCode(kExitInconclusive);
  if (!writes_output) return OkStatus();
  if (Globals().json) {
    JsonWriter json(stdout);
    json.BeginObject();
    json.Field("verdict", mi::VerdictName(o.verdict));
    json.Key("inconclusive").BeginArray();
    for (const auto& r : o.inconclusive) json.String(r);
    json.EndArray();
    json.Key("alerts").BeginArray();
    for (const auto& ca : o.alerts) WriteAlert(ca.alert, &json, replay ? ca.call_ns : -1);
    json.EndArray();
    json.Field("machines", grid.machines.size()).Field("seconds", grid.steps).Field("calls", o.calls);
    json.Field("inconclusive_calls", o.inconclusive_calls);
    json.Field("threshold", opt.threshold).Field("continuity_windows", opt.continuity_windows);
    if (o.reference != nullptr) {
      json.Key("reference").BeginObject().Field("seconds", o.reference->seconds);
      json.Field("excluded_seconds", o.reference->excluded_seconds).Field("grouped_machines", o.reference->group_of.size());
      json.EndObject();
    }
    WriteGroupsJson(grid, o, &json);
    json.Key("absent_machines").BeginArray();
    for (const auto& a : grid.absent) json.String(a);
    json.EndArray();
    json.Key("clock_skew_s").BeginObject();
    for (size_t m = 0; m < grid.machines.size(); ++m) {
      if (grid.skew_seconds[m] != 0) json.Field(grid.machines[m], grid.skew_seconds[m]);
    }
    json.EndObject();
    json.Key("channels_tried").BeginArray();
    for (const auto& c : o.tried) json.String(c);
    json.EndArray();
    json.Key("diagnostics");
    WriteDiagnosticsJson(diags, json);
    json.EndObject();
    json.Flush();
    std::fputc('\n', stdout);
    return OkStatus();
  }
  PrintDiagnosticsUnlessQuiet(diags);
  fmt::print("{} machines, {} s, {} call(s); threshold {:.3g} (robust z), continuity {} windows\n",
             grid.machines.size(), grid.steps, o.calls, opt.threshold, opt.continuity_windows);
  if (o.reference != nullptr) {
    fmt::print("reference: {} s, {} s left out (fewer than {:.0f}% of machines had data), {} machines in its groups\n",
               o.reference->seconds, o.reference->excluded_seconds, 100 * opt.min_present_fraction,
               o.reference->group_of.size());
  }
  for (const auto& a : grid.absent) fmt::print("machine {} is absent from the whole pull (not compared)\n", PrintableText(a));
  PrintGroupsText(grid, o);
  for (const auto& ca : o.alerts) {
    fmt::print("{}{}\n", replay ? fmt::format("call at {}: ", ca.call_ns / 1'000'000'000) : "", PrintableText(AlertText(ca.alert)));
  }
  if (o.verdict == mi::Verdict::kInconclusive) {
    fmt::print("inconclusive: the data cannot support a verdict\n");
    for (const auto& r : o.inconclusive) fmt::print("  - {}\n", r);
  } else if (o.alerts.empty()) {
    PrintNoFaultText(grid, o);
  }
  return OkStatus();
}

Status RunTrain(const std::vector<std::string>& files, const std::string& out, int synthetic_jobs,
                const mi::TrainOptions& topt_in, bool raw_names, const std::vector<std::string>& metric_names,
                bool force) {
  // A model folder holds models (and detector.txt); checked before the training time is spent.
  TS_RETURN_IF_ERROR(CheckOutputFolder(out, {"*.vae", "detector.txt"}, force));
  mi::TrainOptions topt = topt_in;
  topt.threads = Globals().threads;
  std::vector<mi::Grid> grids;
  Diagnostics diags;
  if (!metric_names.empty() && metric_names.size() != files.size()) {
    return InvalidArgumentError("--metric: {} name(s) for {} file(s); give one name per file, in file order",
                                metric_names.size(), files.size());
  }
  for (size_t file_idx = 0; file_idx < files.size(); ++file_idx) {
    const std::string& file = files[file_idx];
    InputFlags in;
    in.files = {file};
    in.raw_names = raw_names;
    if (!metric_names.empty()) in.metric_names = {metric_names[file_idx]};
    TS_ASSIGN_OR_RETURN(model::MetricTable t, LoadInput(in, &diags));
    // Minute data (SMD) is windowed on a 60 s grid: the model learns shapes of 8 samples.
    mi::GridOptions go;
    if (t.size() > 1 && t.ts()[t.size() - 1] - t.ts()[0] > 0) {
      int64_t first = t.ts()[0], gap = 0;
      for (size_t r = 1; r < t.size() && gap == 0; ++r) gap = t.ts()[r] - first;
      if (gap >= 60'000'000'000) go.step_ns = gap;
    }
    go.align_skew = false;
    TS_ASSIGN_OR_RETURN(mi::Grid g, mi::BuildGrid(t, go, &diags));
    grids.push_back(std::move(g));
  }
  for (int k = 0; k < synthetic_jobs; ++k) {
    model::MetricTable t;
    mi::SynthesizeJob(mi::SynthJobOptions{.machines = 8, .seconds = 1800, .step_seconds = 5.0 + k,
                                          .seed = 500 + static_cast<uint64_t>(k)}, &t);
    TS_ASSIGN_OR_RETURN(mi::Grid g, mi::BuildGrid(t, mi::GridOptions{}, &diags));
    grids.push_back(std::move(g));
  }
  if (grids.empty()) return InvalidArgumentError("no training data: give files or --synthetic-jobs");
  TS_RETURN_IF_ERROR(ApplyStrict(diags));
  std::vector<mi::TrainedMetric> reports;
  TS_ASSIGN_OR_RETURN(mi::ModelSet set, mi::TrainModels(grids, topt, &reports));
  TS_RETURN_IF_ERROR(set.Save(out));
  if (Globals().json) {
    JsonWriter json(stdout);
    json.BeginObject().Key("models").BeginArray();
    for (const auto& r : reports) {
      json.BeginObject().Field("metric", r.metric).Field("windows", r.report.windows).Field("epochs", r.report.epochs);
      json.Field("mse", r.report.final_mse).Field("seconds", r.report.seconds).EndObject();
    }
    json.EndArray().Field("out", out).EndObject();
    json.Flush();
    std::fputc('\n', stdout);
    return OkStatus();
  }
  PrintDiagnosticsUnlessQuiet(diags);
  for (const auto& r : reports) {
    fmt::print("{:<24} {:>7} windows {:>3} epochs  reconstruction MSE {:.3g}  {:.1f} s\n", r.metric,
               r.report.windows, r.report.epochs, r.report.final_mse, r.report.seconds);
  }
  fmt::print("models written to {}\n", out);
  return OkStatus();
}

std::string CsvOf(const model::MetricTable& t) {
  // Long CSV: one row per (timestamp, machine, gpu), one column per metric.
  std::map<std::tuple<int64_t, int32_t, int16_t>, std::vector<std::string>> rows;
  const size_t metrics = static_cast<size_t>(t.metrics().size());
  bool gpu = false;
  for (size_t r = 0; r < t.size(); ++r) {
    auto& row = rows[{t.ts()[r], t.machine()[r], t.gpu()[r]}];
    row.resize(metrics);
    row[static_cast<size_t>(t.metric()[r])] = fmt::format("{:.6g}", t.value()[r]);
    gpu = gpu || t.gpu()[r] != model::kNoGpu;
  }
  std::string out = gpu ? "timestamp,machine,gpu" : "timestamp,machine";
  for (const auto& m : t.metrics().names()) out += "," + m;
  out += "\n";
  for (const auto& [key, row] : rows) {
    out += fmt::format("{},{}", static_cast<double>(std::get<0>(key)) / 1e9, t.machines().Name(std::get<1>(key)));
    if (gpu) out += std::get<2>(key) >= 0 ? fmt::format(",{}", std::get<2>(key)) : ",";
    for (const auto& v : row) out += "," + v;
    out += "\n";
  }
  return out;
}

Status WriteText(const std::string& path, const std::string& text) {
  return WriteWholeFile(path, text);
}

Status RunInject(const InputFlags& in, const std::string& out, const std::string& labels_out,
                 const std::string& profiles, const mi::InjectOptions& io) {
  Diagnostics diags;
  InputFlags raw = in;
  raw.raw_names = true;
  TS_ASSIGN_OR_RETURN(model::MetricTable table, LoadInput(raw, &diags));
  TS_RETURN_IF_ERROR(ApplyStrict(diags));
  PrintDiagnosticsUnlessQuiet(diags);
  std::vector<mi::FaultEffect> effects = mi::DefaultFaultProfiles();
  if (!profiles.empty()) {
    TS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(profiles));
    TS_ASSIGN_OR_RETURN(effects, mi::ParseFaultProfiles(text, profiles));
  }
  std::vector<mi::FaultLabel> labels;
  model::MetricTable injected = mi::InjectFaults(table, effects, io, &labels);
  TS_RETURN_IF_ERROR(WriteText(out, CsvOf(injected)));
  std::string text = "machine,type,start,end\n";
  for (const auto& l : labels) text += fmt::format("{},{},{},{}\n", l.machine, l.type, l.start_ns / 1'000'000'000, l.end_ns / 1'000'000'000);
  TS_RETURN_IF_ERROR(WriteText(labels_out, text));
  if (Globals().json) {
    JsonWriter json(stdout);
    json.BeginObject().Key("faults").BeginArray();
    for (const auto& l : labels) {
      json.BeginObject().Field("machine", l.machine).Field("type", l.type).Field("start", l.start_ns / 1'000'000'000);
      json.Field("end", l.end_ns / 1'000'000'000).Field("control", l.control).EndObject();
    }
    json.EndArray().Field("out", out).Field("labels", labels_out).EndObject();
    json.Flush();
    std::fputc('\n', stdout);
  } else {
    fmt::print("{} faults injected; data {} labels {}\n", labels.size(), out, labels_out);
  }
  return OkStatus();
}

std::vector<std::string> CsvFilesIn(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string p = e.path().string();
    if (p.ends_with(suffix)) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Defaults relative to the working directory: a checkout beside ../shared (the README's set-up).
constexpr const char* kDefaultExathlon = "../shared/data/metrics/exathlon-spark4/traces";
constexpr const char* kDefaultSmd = "../shared/data/metrics/smd-subset";

struct EvalFlags {
  std::string exathlon = kDefaultExathlon;
  std::string smd = kDefaultSmd;
  std::vector<int> synth = {16, 64};
  std::vector<int> subsets = {3, 2};
  int seeds = 3;
  DetectFlags detect;
  std::string save_defaults, fault_log, profiles;
  std::vector<std::string> workload;
  bool uniform_victims = false;
  int top_metrics = 7;
  std::string zhejiang;     // real RoCE telemetry: run that family (alone)
  std::string roce_groups;  // its populations (machine,population), else found by the tool
};

// `minder eval --zhejiang FILE`: Minder and its baselines on real RoCE telemetry with NIC faults.
Status RunRoceEval(const EvalFlags& e) {
  TS_ASSIGN_OR_RETURN(mi::ModelSet models, mi::ModelSet::Load(e.detect.models));
  Diagnostics diags;
  InputFlags in;
  in.files = {e.zhejiang};
  in.raw_names = true;
  TS_ASSIGN_OR_RETURN(model::MetricTable table, LoadInput(in, &diags));
  TS_RETURN_IF_ERROR(ApplyStrict(diags));
  PrintDiagnosticsUnlessQuiet(diags);
  mi::RoceEvalOptions ro;
  ro.models = &models;
  ro.seeds = e.seeds;
  mi::DetectorDefaults defaults;
  TS_ASSIGN_OR_RETURN(ro.detect, MakeDetectOptions(e.detect, &defaults, &diags));
  if (!e.roce_groups.empty()) {
    TS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(e.roce_groups));
    TS_ASSIGN_OR_RETURN(auto group_of, mi::ParseGroupsFile(text, e.roce_groups));
    for (const auto& [machine, population] : group_of) ro.populations[population].push_back(machine);
  }
  TS_ASSIGN_OR_RETURN(mi::RoceEvalReport report, mi::RunRoceEvaluation(table, ro));
  if (Globals().json) {
    JsonWriter json(stdout);
    mi::WriteRoceEvaluationJson(report, &json);
    json.Flush();
    std::fputc('\n', stdout);
  } else {
    mi::PrintRoceEvaluation(report, stdout);
  }
  return OkStatus();
}

// A data folder of `minder eval` (--exathlon, --smd; "" = none): kNotFound when it is not a
// folder, so a wrong or default path run outside the checkout says so instead of "no traces".
Status CheckEvalFolder(const std::string& dir, const char* flag, const char* default_dir) {
  if (dir.empty()) return OkStatus();
  std::error_code ec;
  const auto status = std::filesystem::status(dir, ec);
  if (status.type() == std::filesystem::file_type::directory) return OkStatus();
  const bool is_default = dir == default_dir;
  return NotFoundError(
      "{} {}: {} ({}; give {} DIR, or {} '' to leave that data set out)", flag, dir,
      status.type() == std::filesystem::file_type::not_found ? "folder does not exist"
                                                             : "not a folder",
      is_default ? fmt::format("the default, relative to the working directory {}",
                               std::filesystem::current_path(ec).string())
                 : "as given",
      flag, flag);
}

// A synthetic job is machines x 3,600 s x channels in memory: N = 1e9 ran past any timeout
// instead of saying so. No seeds injects nothing and printed precision and recall 0 as results.
Status CheckEvalSizes(const EvalFlags& e) {
  constexpr int kMaxSyntheticMachines = 4096;
  for (int n : e.synth) {
    if (n > kMaxSyntheticMachines) {
      return InvalidArgumentError(
          "--synthetic {}: at most {} machines per synthetic job (each holds 3,600 s of every "
          "channel in memory)",
          n, kMaxSyntheticMachines);
    }
  }
  if (e.seeds < 1) {
    return InvalidArgumentError("--seeds {}: at least 1 injection seed per recording", e.seeds);
  }
  return OkStatus();
}

Status RunEval(const EvalFlags& flags) {
  EvalFlags e = flags;
  TS_ASSIGN_OR_RETURN(e.detect, WithModels(flags.detect));
  if (!e.zhejiang.empty()) return RunRoceEval(e);
  TS_RETURN_IF_ERROR(CheckEvalSizes(e));
  TS_RETURN_IF_ERROR(CheckEvalFolder(e.exathlon, "--exathlon", kDefaultExathlon));
  TS_RETURN_IF_ERROR(CheckEvalFolder(e.smd, "--smd", kDefaultSmd));
  const std::string& exathlon = e.exathlon;
  const std::string& smd = e.smd;
  const std::string& save_defaults = e.save_defaults;
  const std::vector<std::string>& workload = e.workload;
  TS_ASSIGN_OR_RETURN(mi::ModelSet models, mi::ModelSet::Load(e.detect.models));
  mi::EvalOptions eo;
  eo.models = &models;
  eo.seeds = e.seeds;
  eo.synthetic_sizes = e.synth;
  eo.exathlon_subsets = e.subsets;
  eo.metric_order = e.detect.metrics;
  eo.threads = Globals().threads;
  eo.fault_log = e.fault_log;
  eo.uniform_victims = e.uniform_victims;
  eo.top_metrics = e.top_metrics;
  if (!e.profiles.empty()) {
    TS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(e.profiles));
    TS_ASSIGN_OR_RETURN(eo.profiles, mi::ParseFaultProfiles(text, e.profiles));
  }
  Diagnostics diags;
  auto load = [&](const std::string& path) -> Result<mi::NamedTable> {
    TS_ASSIGN_OR_RETURN(model::MetricTable t, ingest::LoadMetrics({path}, {}, &diags));
    return mi::NamedTable{ingest::internal::MachineFromPath(path), std::move(t)};
  };
  const std::vector<std::string> exathlon_files =
      exathlon.empty() ? std::vector<std::string>() : CsvFilesIn(exathlon, ".csv.gz");
  if (!exathlon.empty() && exathlon_files.empty()) {
    return NotFoundError("--exathlon {}: the folder holds no *.csv.gz traces", exathlon);
  }
  const std::vector<std::string> smd_files =
      smd.empty() ? std::vector<std::string>() : CsvFilesIn(smd, "_test.csv.gz");
  const int64_t files = static_cast<int64_t>(exathlon_files.size() + 2 * smd_files.size());
  std::optional<Progress> reading;
  if (files > 0) reading.emplace("minder eval: reading recordings", files, "files");
  for (const std::string& p : exathlon_files) {
    TS_ASSIGN_OR_RETURN(mi::NamedTable t, load(p));
    eo.traces.push_back(std::move(t));
    reading->Advance();
  }
  for (const std::string& p : smd_files) {
    std::string train = p.substr(0, p.size() - 12) + "_train.csv.gz";
    TS_ASSIGN_OR_RETURN(mi::NamedTable te, load(p));
    TS_ASSIGN_OR_RETURN(mi::NamedTable tr, load(train));
    eo.smd_test.push_back(std::move(te));
    eo.smd_train.push_back(std::move(tr));
    reading->Advance(2);
  }
  reading.reset();
  for (const std::string& path : workload) {
    InputFlags in;
    in.files = {path};
    TS_ASSIGN_OR_RETURN(model::MetricTable t, LoadInput(in, &diags));
    std::string name = std::filesystem::path(path).parent_path().filename().string();
    eo.workload_jobs.push_back(mi::NamedTable{name.empty() ? path : name, std::move(t)});
  }
  TS_RETURN_IF_ERROR(ApplyStrict(diags));
  PrintDiagnosticsUnlessQuiet(diags);
  TS_ASSIGN_OR_RETURN(mi::EvalReport report, mi::RunEvaluation(eo));
  if (!save_defaults.empty()) {
    // GPU-job defaults: the order learned on the workload-model jobs when evaluated (else the
    // simple synthetic jobs); per-channel thresholds calibrated on the healthy GPU jobs of both
    // families (max over groups); the fallback for other channels is the largest of those.
    // Other metric sets (OS metrics) should be calibrated on their own healthy data.
    mi::DetectorDefaults d;
    d.threshold = 0;
    const std::string gpu_family = report.learned_order.count("workload") ? "workload" : "synthetic";
    auto it = report.learned_order.find(gpu_family);
    if (it != report.learned_order.end()) d.order = it->second;
    for (const char* family : {"workload", "synthetic"}) {
      auto ct = report.channel_thresholds.find(family);
      if (ct == report.channel_thresholds.end()) continue;
      for (const auto& [channel, zs] : ct->second) {
        for (double z : zs) {
          d.channel_thresholds[channel] = std::max(d.channel_thresholds[channel], z);
          d.threshold = std::max(d.threshold, z);
        }
      }
    }
    if (d.channel_thresholds.empty()) {
      for (const auto& v : report.variants) {
        if (v.name == "minder") for (double t : v.thresholds) d.threshold = std::max(d.threshold, t);
      }
    }
    TS_RETURN_IF_ERROR(mi::SaveDetectorDefaults(d, "written by trainscope minder eval --save-defaults", save_defaults));
  }
  if (Globals().json) {
    JsonWriter json(stdout);
    mi::WriteEvaluationJson(report, &json);
    json.Flush();
    std::fputc('\n', stdout);
  } else {
    mi::PrintEvaluation(report, stdout);
  }
  return OkStatus();
}

void RegisterMinder(CLI::App& root) {
  CLI::App* minder = root.add_subcommand("minder", "Find the faulty machine of a training job from per-second metrics");
  minder->require_subcommand(1);

  auto* detect = minder->add_subcommand("detect", "One detection call on a pull (default: its last 15 min)");
  static InputFlags din;
  static DetectFlags dflags;
  static int last = 900;
  AddInputFlags(detect, &din);
  AddDetectFlags(detect, &dflags);
  detect->add_option("--last", last, "Seconds at the end of the input to analyse (0 = all)")
      ->capture_default_str()->check(IntAtLeast(0));
  detect->add_option("--reference", dflags.reference_files,
                     "Healthy recording(s) of the same job: peer groups, bounds and per-machine baselines")
      ->check(CLI::ExistingPath);
  detect->add_option("--reference-seconds", dflags.reference_seconds,
                     "The first N s of the input are a healthy reference; the rest is judged")
      ->check(IntAtLeast(0));
  AddGroupLabelFlag(detect, &din);
  detect->callback([] { RunAndSetExit([] { return RunDetect(din, dflags, last, false, 0, 0, 0); }); });

  auto* replay = minder->add_subcommand("replay", "Simulate the production schedule (every 8 min on the last 15 min)");
  static InputFlags rin;
  static DetectFlags rflags;
  static int every = 480, pull = 900, reference = 0;
  AddInputFlags(replay, &rin);
  AddDetectFlags(replay, &rflags);
  replay->add_option("--every", every, "Seconds between calls")->capture_default_str()->check(IntInRange(1, 86400 * 30));
  replay->add_option("--pull", pull, "Seconds of data per call")->capture_default_str()->check(IntInRange(mi::kWindow, 86400 * 30));
  replay->add_option("--reference-seconds", reference,
                     "Healthy reference at the start (per-machine baselines for role differences)")
      ->capture_default_str()->check(IntAtLeast(0));
  AddGroupLabelFlag(replay, &rin);
  replay->callback([] { RunAndSetExit([] { return RunDetect(rin, rflags, 0, true, every, pull, reference); }); });

  auto* train = minder->add_subcommand("train", "Train one LSTM-VAE per metric (+ a generic one) on healthy data");
  static std::vector<std::string> tfiles;
  static std::string tout;
  static int synth_jobs = 0;
  static mi::TrainOptions topt;
  static bool traw = false;
  static std::vector<std::string> tmetric;
  train->add_option("files", tfiles, "Healthy metric files (each one job)");
  train->add_option("--out", tout, "Output model directory")->required();
  train->add_option("--synthetic-jobs", synth_jobs, "Also train on this many synthetic lock-step jobs");
  train->add_option("--epochs", topt.vae.max_epochs, "Maximum epochs")->capture_default_str();
  train->add_option("--max-windows", topt.vae.max_windows, "Windows sampled per metric")->capture_default_str();
  train->add_option("--seed", topt.vae.seed, "Random seed")->capture_default_str();
  train->add_option("--lr", topt.vae.learning_rate, "Adam learning rate")->capture_default_str();
  train->add_option("--beta", topt.vae.beta, "KL weight")->capture_default_str();
  train->add_option("--metrics", topt.metrics, "Metrics to train own models for (default: all)")->delimiter(',');
  train->add_option("--provenance", topt.provenance, "Training-data note stored in each model file");
  train->add_flag("--raw-names", traw, "Do not map exporter names to Minder's seven");
  train->add_option("--metric", tmetric, "Names of Prometheus series without __name__, one per file")
      ->delimiter(',');
  static bool tforce = false;
  train->add_flag("--force", tforce, "Write into an output folder that holds other files too");
  train->callback([] {
    RunAndSetExit([] { return RunTrain(tfiles, tout, synth_jobs, topt, traw, tmetric, tforce); });
  });

  auto* inject = minder->add_subcommand("inject", "Inject labelled faults into a healthy recording");
  static InputFlags iin;
  static std::string iout, ilabels, iprofiles;
  static mi::InjectOptions iopt;
  static bool no_realism = false;
  AddInputFlags(inject, &iin);
  inject->add_option("--out", iout, "Output long CSV")->required();
  inject->add_option("--labels", ilabels, "Output labels CSV (machine,type,start,end)")->required();
  inject->add_option("--profiles", iprofiles, "Fault profile file (type,weight,metric,effect,value)");
  inject->add_option("--seed", iopt.seed, "Random seed")->capture_default_str();
  inject->add_flag("--no-realism", no_realism, "No random gaps, clock skew or short spikes");
  inject->add_flag("--uniform-victims", iopt.uniform_victims,
                   "Any machine may be the victim, even one a stall cannot change (idle)");
  inject->callback([] {
    iopt.realism = !no_realism;
    RunAndSetExit([] { return RunInject(iin, iout, ilabels, iprofiles, iopt); });
  });

  auto* eval = minder->add_subcommand("eval", "Full Minder vs baselines on injected faults, one run");
  static EvalFlags ef;
  eval->add_option("--exathlon", ef.exathlon, "Directory of healthy Exathlon traces ('' = none)")->capture_default_str();
  eval->add_option("--exathlon-machines", ef.subsets,
                   "Also evaluate Exathlon with only this many of its 4 machines (0 = none)")
      ->delimiter(',')->capture_default_str();
  eval->add_option("--smd", ef.smd, "smd-subset directory for the per-machine part ('' = none)")->capture_default_str();
  eval->add_option("--synthetic", ef.synth, "Synthetic job sizes N")->delimiter(',')->capture_default_str();
  eval->add_option("--seeds", ef.seeds, "Injection seeds per recording")->capture_default_str();
  eval->add_option("--models", ef.detect.models,
                   "Model directory (default: the shipped models, share/trainscope/models/minder)");
  eval->add_option("--metrics", ef.detect.metrics, "Fixed metric order instead of the learned one")->delimiter(',');
  eval->add_option("--save-defaults", ef.save_defaults, "Write detector.txt (threshold, learned order) here");
  eval->add_option("--workload", ef.workload, "metrics.csv.gz of jobs from `trainscope workload synth` (family 'workload')")->delimiter(',');
  eval->add_option("--top-metrics", ef.top_metrics, "Channels Minder tries, from the top of the learned order")
      ->capture_default_str()->check(IntAtLeast(1));
  eval->add_flag("--uniform-victims", ef.uniform_victims, "Inject on any machine (also idle ones a stall cannot change)");
  eval->add_option("--fault-log", ef.fault_log, "Write a CSV row per (injected fault, channel): effect, outlier-test hits");
  eval->add_option("--profiles", ef.profiles,
                   "Fault profile file (type,weight,metric,effect,value) instead of the default signatures");
  eval->add_option("--spread-floor", ef.detect.relative_spread_floor,
                   "Peers' spread is taken as at least this fraction of their median distance")
      ->capture_default_str()->check(NumberInRange(0.0, 10.0));
  eval->add_option("--zhejiang", ef.zhejiang,
                   "Real RoCE telemetry (zhejiang-a100-roce CSV.gz): NIC faults injected into it, this family alone")
      ->check(CLI::ExistingFile);
  eval->add_option("--roce-groups", ef.roce_groups, "Populations for --zhejiang (machine,population lines)")
      ->check(CLI::ExistingFile);
  eval->callback([] { RunAndSetExit([] { return RunEval(ef); }); });
}

}  // namespace

TS_REGISTER_COMMAND(50, RegisterMinder);

}  // namespace trainscope::cli
