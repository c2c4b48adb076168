// SPDX-License-Identifier: Apache-2.0
// `trainscope whatif PATH`: straggler what-if analysis (Lin et al., OSDI'25) of an op table
// (trace-*.csv[.gz] + meta-*.yaml) or of PyTorch-profiler (Kineto) traces, with summary,
// tables, --json and --perfetto output.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "base/diagnostics.h"
#include "base/json_writer.h"
#include "cli/command.h"
#include "pipeline/straggler_pipeline.h"
#include "whatif/cause.h"
#include "whatif/perfetto_export.h"
#include "whatif/result_json.h"
#include "whatif/result_text.h"
#include "whatif/scenario.h"
#if defined(TS_WHATIF_HAVE_MPI)
#include "whatif/mpi/mpi_distributor.h"
#endif

namespace trainscope::cli {
namespace {

struct WhatIfOptions {
  std::string path;
  std::string perfetto;
  int perfetto_steps = kDefaultPerfettoSteps;
  int top = 10;
  std::vector<std::string> scale;
  std::vector<int32_t> fix_rank, fix_step;
  double straggling_threshold = 1.1;
  whatif::CauseThresholds thresholds;
};

// Under mpirun the replays are split over the MPI processes (identical results); only the
// first process writes output. Without an MPI launcher: this process alone.
struct Distribution {
  whatif::TaskDistributor* distributor = nullptr;
  bool writes_output = true;
#if defined(TS_WHATIF_HAVE_MPI)
  std::unique_ptr<whatif::mpi::MpiTaskDistributor> mpi;
#endif
};

Result<Distribution> MakeDistribution() {
  Distribution d;
#if defined(TS_WHATIF_HAVE_MPI)
  TS_ASSIGN_OR_RETURN(d.mpi, whatif::mpi::DistributorIfLaunchedByMpi());
  d.distributor = d.mpi.get();
  d.writes_output = !d.mpi || d.mpi->is_root();
#endif
  return d;
}

// The user's scenarios: --scale, then --fix-rank and --fix-step.
Result<std::vector<whatif::Scenario>> Scenarios(const WhatIfOptions& opt) {
  std::vector<whatif::Scenario> scenarios;
  for (const std::string& text : opt.scale) {
    TS_ASSIGN_OR_RETURN(whatif::Scenario sc, whatif::ParseScaleSyntax(text));
    scenarios.push_back(sc);
  }
  for (int32_t rank : opt.fix_rank)
    scenarios.push_back({whatif::Scenario::Kind::kFixRank, "", 1, rank});
  for (int32_t step : opt.fix_step)
    scenarios.push_back({whatif::Scenario::Kind::kFixStep, "", 1, step});
  return scenarios;
}

Status RunWhatIf(const WhatIfOptions& opt) {
  const GlobalOptions& g = Globals();
  TS_ASSIGN_OR_RETURN(Distribution dist, MakeDistribution());
  TS_ASSIGN_OR_RETURN(std::vector<whatif::Scenario> scenarios, Scenarios(opt));
  if (!opt.perfetto.empty()) {
    TS_RETURN_IF_ERROR(CheckOutputIsNotInput("--perfetto", opt.perfetto, opt.path, false));
  }
  TS_ASSIGN_OR_RETURN(
      pipeline::StragglerRun run,
      pipeline::RunStragglerAnalysis(
          opt.path, {g.threads, dist.distributor, opt.straggling_threshold, opt.thresholds}));
  TS_RETURN_IF_ERROR(ApplyStrict(run.diagnostics));
  std::vector<whatif::ScenarioResult> scenario_results;
  if (!scenarios.empty()) {
    TS_ASSIGN_OR_RETURN(scenario_results,
                        whatif::RunScenarios(run.model, run.result, scenarios, g.threads));
  }
  if (!dist.writes_output) return OkStatus();
  if (!opt.perfetto.empty()) {
    TS_RETURN_IF_ERROR(whatif::WritePerfettoTimelines(
        run.model, run.result, opt.perfetto,
        whatif::SlowestStepsWindow(run.model, run.result, opt.perfetto_steps)));
  }
  if (g.json) {
    JsonWriter w(stdout, false);
    whatif::WriteWhatIfJson(run.model, run.result, run.cause, run.diagnostics, w, scenario_results);
    w.Flush();
    std::fputc('\n', stdout);
  } else {
    std::string text = whatif::RenderWhatIfText(run.model, run.result, run.cause, run.diagnostics,
                                                opt.top, scenario_results);
    std::fputs(text.c_str(), stdout);
  }
  if (!run.result.inconclusive.empty()) SetExitCode(kExitInconclusive);
  return OkStatus();
}

void RegisterWhatIf(CLI::App& root) {
  auto opt = std::make_shared<WhatIfOptions>();
  CLI::App* cmd = root.add_subcommand(
      "whatif", "Straggler what-if analysis of a multi-rank trace (OSDI'25 method)");
  cmd->add_option("path", opt->path,
                  "Op-table folder (trace-*.csv[.gz] + meta-*.yaml) or the CSV itself, or a "
                  "Kineto trace (.json[.gz]) or folder of per-rank traces")
      ->required();
  cmd->add_option("--perfetto", opt->perfetto,
                  "Write actual and ideal timelines side by side (Perfetto JSON)");
  AddPerfettoStepsFlag(cmd, &opt->perfetto_steps);
  cmd->add_option("--top", opt->top, "Rows in the op-class and worker tables")
      ->check(IntAtLeast(1));
  cmd->add_option("--scale", opt->scale,
                  "Scenario: scale an op class, CLASS=FACTOR (comm, compute, an op class of the "
                  "tables or an op kind; comm=0.5: 2x faster)");
  cmd->add_option("--fix-rank", opt->fix_rank,
                  "Scenario: this global rank's ops at ideal durations");
  cmd->add_option("--fix-step", opt->fix_step, "Scenario: this step's ops at ideal durations");
  cmd->add_option("--straggling-threshold", opt->straggling_threshold,
                  "S at or above which the job straggles")
      ->check(NumberInRange(1.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--worker-ratio", opt->thresholds.worker_ratio,
                  "one_slow_worker: compute per step at least this times the peers' median")
      ->check(NumberInRange(1.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--min-impact", opt->thresholds.min_impact,
                  "A worker or stage finding: alone it slows the job by at least this fraction")
      ->check(NumberInRange(0.0, 10.0))
      ->capture_default_str();
  cmd->add_option("--primary-impact", opt->thresholds.primary_impact,
                  "Below the straggling threshold a worker, stage or work-imbalance finding is "
                  "the main cause when alone it slows the job by at least this fraction")
      ->check(NumberInRange(0.0, 10.0))
      ->capture_default_str();
  cmd->callback([opt] { RunAndSetExit([opt] { return RunWhatIf(*opt); }); });
}

}  // namespace

TS_REGISTER_COMMAND(40, RegisterWhatIf);

}  // namespace trainscope::cli
