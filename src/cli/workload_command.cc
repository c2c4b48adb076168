// SPDX-License-Identifier: Apache-2.0
// `trainscope workload synth CONFIG --steps N --out DIR [--seed S] [--inject FAULT ...]`:
// synthesises per-rank Kineto traces, the what-if op table and per-machine metrics of a job.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/index_ranges.h"
#include "base/json_writer.h"
#include "base/progress.h"
#include "cli/app/output_transaction.h"
#include "cli/command.h"
#include "workload/config_io.h"
#include "workload/synth.h"

namespace trainscope::cli {
namespace {

using namespace trainscope::workload;

struct SynthFlags {
  std::string config, preset, kernels = "per-layer", detail_steps, detail_ranks;
  std::vector<std::string> inject;
  SynthOptions options;
  bool no_metrics = false, no_kineto = false, no_op_table = false, force = false;
};

// What `workload synth` writes in its folder (rank files, op table, metrics, labels).
const std::vector<std::string> kSynthOutputs = {"rank-*.json", "trace-*.csv.gz", "meta-*.yaml",
                                                "metrics.csv.gz", "labels.csv"};

// --detail-steps FIRST[-LAST] (one contiguous window) and --detail-ranks LIST.
Status ParseDetailWindow(SynthFlags& f, const JobConfig& job) {
  if (!f.detail_steps.empty()) {
    TS_ASSIGN_OR_RETURN(std::vector<int> steps,
                        ParseIndexRanges(f.detail_steps, "--detail-steps", f.options.steps));
    for (size_t i = 1; i < steps.size(); ++i) {
      if (steps[i] != steps[i - 1] + 1) {
        return InvalidArgumentError("--detail-steps '{}': one window of steps, FIRST-LAST",
                                    f.detail_steps);
      }
    }
    f.options.detail_first_step = steps.front();
    f.options.detail_steps = static_cast<int>(steps.size());
  }
  if (!f.detail_ranks.empty()) {
    TS_ASSIGN_OR_RETURN(f.options.detail_ranks,
                        ParseIndexRanges(f.detail_ranks, "--detail-ranks", job.cluster.gpus));
  }
  return OkStatus();
}

Status RunSynth(SynthFlags& f) {
  JobConfig job;
  if (!f.config.empty() && !f.preset.empty()) {
    return InvalidArgumentError("workload synth: give CONFIG or --preset, not both");
  }
  if (!f.config.empty()) {
    TS_ASSIGN_OR_RETURN(job, LoadJobConfig(f.config));
  } else if (!f.preset.empty()) {
    TS_ASSIGN_OR_RETURN(job, LoadPreset(f.preset));
  } else {
    return InvalidArgumentError("workload synth: give a job CONFIG or --preset NAME");
  }
  if (f.kernels == "per-layer") {
    f.options.kernels = KernelDetail::kPerLayer;
  } else if (f.kernels == "per-op") {
    f.options.kernels = KernelDetail::kPerOp;
  } else if (f.kernels == "none") {
    f.options.kernels = KernelDetail::kNone;
  } else {
    return InvalidArgumentError("--kernels '{}': expected per-layer, per-op or none", f.kernels);
  }
  for (const std::string& text : f.inject) {
    TS_ASSIGN_OR_RETURN(Fault fault, ParseFault(text));
    f.options.faults.push_back(fault);
  }
  TS_RETURN_IF_ERROR(ParseDetailWindow(f, job));
  f.options.write_metrics = !f.no_metrics;
  f.options.write_kineto = !f.no_kineto;
  f.options.write_op_table = !f.no_op_table;
  // Simulating and the tables first (time spent), then the rank files, most of the time, counted
  // with rate and ETA.
  auto progress = std::make_unique<Progress>("workload synth: " + job.name + ": simulating", 0);
  bool counting = false;
  f.options.on_rank_file = [&](int64_t, int64_t total) {
    if (!counting) {
      progress->Finish();
      progress = std::make_unique<Progress>("workload synth: " + job.name, total, "rank files");
      counting = true;
    }
    progress->Advance(1);
  };
  // All or nothing: the files are written into a staging folder beside --out and moved in at the
  // end, replacing the earlier run's (a failed or interrupted run leaves --out as it was, and a
  // run with fewer ranks leaves no rank files of the last one). A folder holding other files is
  // refused before any work, unless --force.
  const std::string out = f.options.out_dir;
  TS_ASSIGN_OR_RETURN(StagedFolder staged, StagedFolder::Begin(out, kSynthOutputs, f.force));
  SynthOptions options = f.options;
  options.out_dir = staged.staging();
  TS_ASSIGN_OR_RETURN(SynthSummary s, Synthesize(job, options));
  progress->Finish();
  TS_RETURN_IF_ERROR(staged.Publish(Globals().quiet || Globals().json));
  for (std::string& file : s.files) file = staged.Published(file);
  if (Globals().json) {
    JsonWriter w(stdout);
    w.BeginObject();
    w.Field("name", s.name).Field("ranks", s.ranks).Field("workers", s.workers);
    w.Field("machines", s.machines).Field("steps", s.steps);
    w.Field("mean_step_s", s.mean_step_s).Field("predicted_step_s", s.predicted_step_s);
    w.Key("step_s").BeginArray();
    for (double v : s.step_s) w.Double(v);
    w.EndArray();
    w.Field("kineto_events", s.kineto_events).Field("op_rows", s.op_rows);
    w.Key("files").BeginArray();
    for (const std::string& file : s.files) w.String(file);
    w.EndArray();
    w.EndObject();
    w.Flush();
    std::fputc('\n', stdout);
  } else {
    std::printf("%s: %d ranks (%d workers, %d machines), %d steps\n", s.name.c_str(), s.ranks,
                s.workers, s.machines, s.steps);
    std::printf("  mean step %.3f s (predicted %.3f s)\n", s.mean_step_s, s.predicted_step_s);
    std::printf("  %lld op-table rows, %lld Kineto events\n", static_cast<long long>(s.op_rows),
                static_cast<long long>(s.kineto_events));
    for (const std::string& file : s.files) std::printf("  wrote %s\n", file.c_str());
  }
  return OkStatus();
}

void RegisterWorkload(CLI::App& root) {
  CLI::App* cmd =
      root.add_subcommand("workload", "Synthesise traces and metrics of a training job");
  cmd->require_subcommand(1);
  auto f = std::make_shared<SynthFlags>();
  CLI::App* synth = cmd->add_subcommand(
      "synth", "Per-rank Kineto traces, what-if op table and per-machine metrics of a job");
  synth->add_option("config", f->config, "Job YAML (docs/workload.md)");
  synth->add_option("--preset", f->preset, "Built-in job (trainscope plan --list-presets)");
  synth->add_option("--steps", f->options.steps, "Training steps to synthesise")
      ->check(IntAtLeast(1));
  synth->add_option("--out", f->options.out_dir, "Output folder")->required();
  synth->add_option("--seed", f->options.seed, "Random seed (same seed, same output)");
  synth->add_option("--inject", f->inject,
                    "Fault, e.g. straggler:rank=5,factor=1.5,step=2 | slow_stage:stage=3,factor=1.3"
                    " | gc:rank=2,seconds=0.4,every=2 | slow_link:rank=9,factor=4 | "
                    "hang:rank=3,step=5 | dead:rank=3,step=5 | nic:machine=2,factor=4 | "
                    "seqlen:cv=0.4");
  synth->add_option("--kernels", f->kernels, "Kineto detail: per-layer, per-op or none");
  synth->add_option("--detail-steps", f->detail_steps,
                    "Kineto traces for these steps only, FIRST-LAST (0-based; op table and "
                    "metrics keep every step)");
  synth->add_option("--detail-ranks", f->detail_ranks,
                    "Kineto traces for these ranks only, e.g. 0-7,12 (default: all)");
  synth->add_option("--jitter", f->options.launch_jitter_s, "Mean launch delay per op (s)");
  synth->add_flag("--force", f->force, "Write into an output folder that holds other files too");
  synth->add_flag("--no-metrics", f->no_metrics, "Skip the per-machine metrics");
  synth->add_flag("--no-kineto", f->no_kineto, "Skip the per-rank Kineto traces");
  synth->add_flag("--no-op-table", f->no_op_table,
                  "Skip the what-if op table (metric-only jobs of many machines and steps)");
  synth->callback([f] { RunAndSetExit([f] { return RunSynth(*f); }); });
}

}  // namespace

TS_REGISTER_COMMAND(30, RegisterWorkload);

}  // namespace trainscope::cli
