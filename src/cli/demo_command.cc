// SPDX-License-Identifier: Apache-2.0
// `trainscope demo`: the whole loop on an embedded default, no input and no network needed.
// 1. plan: predict the seed15vl-demo job (Seed1.5-VL stage 1 on 64 GPUs, 8 machines);
// 2. synth: synthesise 40 steps of it with a straggling worker (rank 13, compute x1.3) and,
//    later in the run, a faulty machine (node0005's NIC slowed x4 from step 20);
// 3. whatif: straggler what-if analysis of its op table;
// 4. minder: faulty-machine detection on its per-second metrics, production call schedule;
// 5. report: savings, report.html, Perfetto traces, demo.json.
// The synthesised job's own Kineto traces (one machine, one step) are read back and exported, to
// show the Kineto path.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/byte_source.h"
#include "base/json_writer.h"
#include "base/progress.h"
#include "cli/app/output_transaction.h"
#include "cli/app/report_builder.h"
#include "cli/app/report_output.h"
#include "cli/command.h"
#include "ingest/kineto/kineto_reader.h"
#include "ingest/metrics/metric_readers.h"
#include "minder/fault_pipeline.h"
#include "minder/model_set.h"
#include "model/perfetto_export.h"
#include "model/trace_summary.h"
#include "whatif/perfetto_export.h"
#include "workload/config_io.h"
#include "workload/synth.h"

namespace trainscope::cli {
namespace {

struct DemoOptions {
  std::string out = "trainscope-demo";
  uint64_t seed = 2026;
  int steps = 40;
  bool force = false;
  int perfetto_steps = kDefaultPerfettoSteps;
};

// Progress lines on a terminal only (never in pipes, CI logs or --json runs).
void Stage(int index, const char* what) {
  if (!ProgressEnabled()) return;
  std::fprintf(stderr, "\033[1m[%d/5]\033[0m %s\n", index, what);
}

struct SampleExport {
  std::string path;          // Perfetto JSON
  std::string summary_json;  // `trace info --json` of the sample
};

// The synthesised job's own Kineto traces (its detail window: kDetailRanks in step
// kDetailStep), read back by the Kineto reader and exported for ui.perfetto.dev.
constexpr int kDetailStep = 1;
constexpr int kDetailRanks[] = {8, 15};  // node0001, whose rank 13 straggles

Result<SampleExport> ExportSynthesisedTraces(const std::string& job_dir,
                                             const std::string& out_dir) {
  namespace kineto = ingest::kineto;
  std::vector<std::unique_ptr<ByteSource>> sources;
  for (int r = kDetailRanks[0]; r <= kDetailRanks[1]; ++r) {
    TS_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source,
                        OpenByteSource(fmt::format("{}/rank-{}.json", job_dir, r)));
    sources.push_back(std::move(source));
  }
  kineto::ReadOptions options;
  options.threads = Globals().threads;
  TS_ASSIGN_OR_RETURN(model::JobTrace job,
                      kineto::ReadKinetoJobFromSources(std::move(sources), options));
  TS_RETURN_IF_ERROR(ApplyStrict(job.diagnostics));
  SampleExport out;
  out.path = (std::filesystem::path(out_dir) / "trace.perfetto.json").string();
  TS_ASSIGN_OR_RETURN(model::PerfettoExportStats stats, model::WritePerfettoJson(job, out.path));
  (void)stats;
  JsonWriter summary;
  model::WriteSummaryJson(model::Summarise(job), job.diagnostics, summary);
  out.summary_json = summary.TakeString();
  return out;
}

Status RunDemo(const DemoOptions& opt) {
  const GlobalOptions& g = Globals();
  // The shipped Minder models first: without them (an incomplete install) nothing is written.
  minder::FaultRunOptions fault_options;
  fault_options.threads = g.threads;
  TS_ASSIGN_OR_RETURN(fault_options.models_dir, minder::FindModelsDir());
  // All or nothing: a failed demo leaves --out as it was (earlier outputs of the same names are
  // moved aside until the run succeeds; a symlink among them is never written through).
  TS_ASSIGN_OR_RETURN(OutputTransaction transaction,
                      OutputTransaction::Begin(opt.out, {"job", "whatif.perfetto.json",
                                                         "trace.perfetto.json", "report.html",
                                                         "demo.json"},
                                                opt.force));
  const std::filesystem::path out(opt.out);
  const std::string job_dir = (out / "job").string();
  std::error_code ec;
  std::filesystem::create_directories(job_dir, ec);
  if (ec) return IoError("{}: cannot create directory: {}", job_dir, ec.message());

  Stage(1, "plan: predicting the Seed1.5-VL stage-1 job on 64 GPUs");
  PlanInput plan;
  TS_ASSIGN_OR_RETURN(plan.config, workload::LoadPreset("seed15vl-demo"));
  workload::Planner planner;
  TS_ASSIGN_OR_RETURN(plan.prediction, planner.Predict(plan.config));

  Stage(2, "synth: 40 steps with a straggling worker and, later, a faulty machine");
  workload::SynthOptions synth;
  synth.steps = opt.steps;
  synth.seed = opt.seed;
  synth.out_dir = job_dir;
  synth.kernels = workload::KernelDetail::kPerLayer;
  synth.detail_first_step = kDetailStep;
  synth.detail_steps = 1;
  for (int r = kDetailRanks[0]; r <= kDetailRanks[1]; ++r) synth.detail_ranks.push_back(r);
  TS_ASSIGN_OR_RETURN(workload::Fault straggler,
                      workload::ParseFault("straggler:rank=13,factor=1.3,step=0"));
  TS_ASSIGN_OR_RETURN(workload::Fault nic, workload::ParseFault(fmt::format(
                                               "slow_link:rank=42,factor=4,step={}", opt.steps / 2)));
  synth.faults = {straggler, nic};
  TS_ASSIGN_OR_RETURN(workload::SynthSummary synthesised, workload::Synthesize(plan.config, synth));

  Stage(3, "whatif: replaying every step with stragglers idealised");
  pipeline::StragglerOptions straggler_options;
  straggler_options.threads = g.threads;
  TS_ASSIGN_OR_RETURN(StragglerRun stragglers,
                      pipeline::RunStragglerAnalysis(job_dir, straggler_options));
  TS_RETURN_IF_ERROR(ApplyStrict(stragglers.diagnostics));
  const std::string whatif_trace = (out / "whatif.perfetto.json").string();
  TS_RETURN_IF_ERROR(
      whatif::WritePerfettoTimelines(
          stragglers.model, stragglers.result, whatif_trace,
          whatif::SlowestStepsWindow(stragglers.model, stragglers.result, opt.perfetto_steps)));

  Stage(4, "minder: comparing the 8 machines' per-second metrics");
  Diagnostics reading;
  TS_ASSIGN_OR_RETURN(
      model::MetricTable metrics,
      ingest::LoadMetrics({(std::filesystem::path(job_dir) / "metrics.csv.gz").string()}, {}, &reading));
  TS_ASSIGN_OR_RETURN(minder::FaultRun faults,
                      minder::RunFaultDetection(std::move(metrics), fault_options, std::move(reading)));
  TS_RETURN_IF_ERROR(ApplyStrict(faults.diagnostics));

  Stage(5, "report: savings, HTML, Perfetto traces");
  TS_ASSIGN_OR_RETURN(SampleExport sample, ExportSynthesisedTraces(job_dir, opt.out));
  const std::string& sample_trace = sample.path;
  ReportInputs inputs;
  inputs.title = "trainscope demo: Seed1.5-VL stage 1 on 64 GPUs";
  inputs.subtitle = fmt::format(
      "Synthesised job ({} steps, seed {}): injected a straggling worker (rank 13, compute "
      "x1.3 from step 0) and a faulty machine (node0005, NIC x4 slower from step {}). The "
      "verdict below is what trainscope found, not what was injected.",
      opt.steps, opt.seed, opt.steps / 2);
  inputs.stragglers = &stragglers;
  inputs.faults = &faults;
  inputs.plan = &plan;
  inputs.trace_links = {{"whatif.perfetto.json", "What-if: actual and ideal timelines side by side"},
                        {"trace.perfetto.json",
                         fmt::format("The synthesised PyTorch-profiler traces of node0001 (ranks "
                                     "{}-{}, step {}), read back by the Kineto reader",
                                     kDetailRanks[0], kDetailRanks[1], kDetailStep)}};
  report::JobReport report = BuildJobReport(inputs);
  TS_ASSIGN_OR_RETURN(std::string html, WriteReportHtml(report, opt.out));

  // demo.json: the same document --json prints (the golden test reads it).
  JsonWriter json;
  json.BeginObject().Field("report", html).Field("whatif_perfetto", whatif_trace);
  json.Field("perfetto_trace", sample_trace).Key("trace").Raw(sample.summary_json);
  json.Field("steps", synthesised.steps);
  json.Field("mean_step_s", synthesised.mean_step_s).Field("seed", opt.seed);
  WriteReportJsonFields(report, json);
  json.EndObject();
  const std::string json_path = (out / "demo.json").string();
  {
    std::ofstream json_file(json_path, std::ios::binary | std::ios::trunc);
    json_file << json.str() << "\n";
    json_file.close();
    if (!json_file) return IoError("{}: write failed", json_path);
  }
  transaction.Commit();
  NoteReplaced(transaction, opt.out, g.quiet || g.json);
  if (g.json) {
    std::fputs(json.str().c_str(), stdout);
    std::fputc('\n', stdout);
    return OkStatus();
  }
  PrintReportSummary(report, html, false, g.quiet);
  if (!g.quiet) {
    std::printf("Perfetto traces: %s, %s (open at https://ui.perfetto.dev)\nJSON: %s\n",
                whatif_trace.c_str(), sample_trace.c_str(), json_path.c_str());
  }
  return OkStatus();
}

void RegisterDemo(CLI::App& root) {
  auto opt = std::make_shared<DemoOptions>();
  CLI::App* demo = root.add_subcommand(
      "demo", "The whole loop on an embedded job: plan, synth, whatif, minder, report");
  demo->add_option("--out", opt->out, "Output directory")->capture_default_str();
  demo->add_option("--seed", opt->seed, "Random seed of the synthesised job")->capture_default_str();
  demo->add_option("--steps", opt->steps, "Steps to synthesise")
      ->check(IntInRange(4, 400))
      ->capture_default_str();
  AddPerfettoStepsFlag(demo, &opt->perfetto_steps);
  demo->add_flag("--force", opt->force, "Write into an output folder that holds other files too");
  demo->callback([opt] { RunAndSetExit([opt] { return RunDemo(*opt); }); });
}

}  // namespace

TS_REGISTER_COMMAND(10, RegisterDemo);

}  // namespace trainscope::cli
