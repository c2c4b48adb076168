// SPDX-License-Identifier: Apache-2.0
// `trainscope report`: one HTML report from the user's own inputs (an op-table folder, a metrics
// recording, a plan config or preset; any subset). Sections appear for what was given.
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "base/json_writer.h"
#include "base/progress.h"
#include "cli/app/output_transaction.h"
#include "cli/app/report_builder.h"
#include "cli/app/report_output.h"
#include "cli/command.h"
#include "ingest/metrics/metric_readers.h"
#include "minder/fault_pipeline.h"
#include "whatif/perfetto_export.h"
#include "workload/config_io.h"

namespace trainscope::cli {
namespace {

struct ReportOptions {
  std::string trace;
  std::vector<std::string> metrics;
  std::string plan;
  std::string preset;
  std::string out = "trainscope-report";
  std::string minder_models;
  bool force = false;
  int perfetto_steps = kDefaultPerfettoSteps;
};

Status RunReport(const ReportOptions& opt) {
  const GlobalOptions& g = Globals();
  if (opt.trace.empty() && opt.metrics.empty() && opt.plan.empty() && opt.preset.empty()) {
    return InvalidArgumentError(
        "nothing to report on: give --trace (op table or Kineto traces), --metrics (CSV or Prometheus "
        "files) and/or --plan CONFIG / --preset NAME");
  }
  // All or nothing, as the demo: a failed report leaves --out as it was (no empty folder), and a
  // symlink already there under an output's name is moved aside, never written through (a
  // report.html -> ../victim.txt link overwrote a file outside the folder).
  TS_ASSIGN_OR_RETURN(OutputTransaction transaction,
                      OutputTransaction::Begin(opt.out, {"report.html", "whatif.perfetto.json"}, opt.force));
  ReportInputs inputs;
  inputs.title = "trainscope report";
  std::unique_ptr<PlanInput> plan;
  if (!opt.plan.empty() || !opt.preset.empty()) {
    plan = std::make_unique<PlanInput>();
    if (!opt.plan.empty()) {
      TS_ASSIGN_OR_RETURN(plan->config, workload::LoadJobConfig(opt.plan));
    } else {
      TS_ASSIGN_OR_RETURN(plan->config, workload::LoadPreset(opt.preset));
    }
    workload::Planner planner;
    TS_ASSIGN_OR_RETURN(plan->prediction, planner.Predict(plan->config));
    inputs.plan = plan.get();
    inputs.subtitle = fmt::format("Plan {} on {} GPUs", plan->prediction.name, plan->prediction.gpus);
  }
  std::unique_ptr<StragglerRun> stragglers;
  if (!opt.trace.empty()) {
    Progress progress("what-if analysis", 0);
    pipeline::StragglerOptions straggler_options;
    straggler_options.threads = g.threads;
    TS_ASSIGN_OR_RETURN(StragglerRun run, pipeline::RunStragglerAnalysis(opt.trace, straggler_options));
    stragglers = std::make_unique<StragglerRun>(std::move(run));
    TS_RETURN_IF_ERROR(ApplyStrict(stragglers->diagnostics));
    inputs.stragglers = stragglers.get();
    std::string perfetto = opt.out + "/whatif.perfetto.json";
    TS_RETURN_IF_ERROR(
        whatif::WritePerfettoTimelines(stragglers->model, stragglers->result, perfetto,
                                       whatif::SlowestStepsWindow(stragglers->model,
                                                                  stragglers->result,
                                                                  opt.perfetto_steps)));
    inputs.trace_links.push_back({"whatif.perfetto.json",
                                  "Actual and ideal timelines side by side (what-if)"});
  }
  std::unique_ptr<minder::FaultRun> faults;
  if (!opt.metrics.empty()) {
    Progress progress("Minder", 0);
    minder::FaultRunOptions fo;
    fo.models_dir = opt.minder_models;
    fo.threads = g.threads;
    Diagnostics reading;
    TS_ASSIGN_OR_RETURN(model::MetricTable table, ingest::LoadMetrics(opt.metrics, {}, &reading));
    TS_ASSIGN_OR_RETURN(minder::FaultRun run,
                        minder::RunFaultDetection(std::move(table), fo, std::move(reading)));
    faults = std::make_unique<minder::FaultRun>(std::move(run));
    TS_RETURN_IF_ERROR(ApplyStrict(faults->diagnostics));
    inputs.faults = faults.get();
  }
  report::JobReport report = BuildJobReport(inputs);
  TS_ASSIGN_OR_RETURN(std::string html_path, WriteReportHtml(report, opt.out));
  transaction.Commit();
  NoteReplaced(transaction, opt.out, g.quiet || g.json);
  PrintReportSummary(report, html_path, g.json, g.quiet);
  return OkStatus();
}

void RegisterReport(CLI::App& root) {
  auto opt = std::make_shared<ReportOptions>();
  CLI::App* cmd = root.add_subcommand(
      "report", "One self-contained HTML report from your trace, metrics and plan (any subset)");
  cmd->add_option("--trace", opt->trace,
                  "What-if input: op-table folder (trace-*.csv[.gz] + meta-*.yaml) or CSV, or a "
                  "Kineto trace (.json[.gz]) or folder of per-rank Kineto traces");
  cmd->add_option("--metrics", opt->metrics, "Minder input: metrics files (long CSV, Prometheus JSON/text)");
  cmd->add_option("--plan", opt->plan, "Plan config (YAML)");
  cmd->add_option("--preset", opt->preset, "Plan preset name (see `trainscope plan --help`)");
  cmd->add_option("--out", opt->out, "Output folder (report.html, Perfetto traces)")->capture_default_str();
  cmd->add_option("--minder-models", opt->minder_models, "Minder models folder (default: shipped)");
  AddPerfettoStepsFlag(cmd, &opt->perfetto_steps);
  cmd->add_flag("--force", opt->force, "Write into an output folder that holds other files too");
  cmd->callback([opt] { RunAndSetExit([opt] { return RunReport(*opt); }); });
}

}  // namespace

TS_REGISTER_COMMAND(70, RegisterReport);

}  // namespace trainscope::cli
