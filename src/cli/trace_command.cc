// SPDX-License-Identifier: Apache-2.0
// `trainscope trace info PATH`, `trainscope trace check PATH` and `trainscope trace export
// --perfetto OUT PATH`: load a PyTorch-profiler (Kineto) trace (a file or a directory of
// per-rank files), summarise it, validate it, or export it for ui.perfetto.dev.
#include <fmt/core.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "base/json_writer.h"
#include "cli/command.h"
#include "ingest/kineto/kineto_reader.h"
#include "model/perfetto_export.h"
#include "model/trace_check.h"
#include "model/trace_summary.h"

namespace trainscope::cli {
namespace {

struct TraceArgs {
  std::string path;
  std::string perfetto_out;
  int64_t examples = 10;
  bool all = false;
  double stream_tolerance_us = 1;
  double end_tolerance_us = 100;
  double end_tolerance_share = 0.02;
};

Result<model::JobTrace> LoadJob(const std::string& path) {
  ingest::kineto::ReadOptions options;
  options.threads = Globals().threads;
  TS_ASSIGN_OR_RETURN(model::JobTrace job, ingest::kineto::ReadKinetoJob(path, options));
  TS_RETURN_IF_ERROR(ApplyStrict(job.diagnostics));
  return job;
}

Status RunInfo(const TraceArgs& args) {
  TS_ASSIGN_OR_RETURN(model::JobTrace job, LoadJob(args.path));
  model::JobSummary summary = model::Summarise(job);
  if (Globals().json) {
    JsonWriter out(stdout, /*pretty=*/true);
    model::WriteSummaryJson(summary, job.diagnostics, out);
    out.Flush();
    std::fputc('\n', stdout);
  } else {
    std::fputs(model::FormatSummaryText(summary, job.diagnostics).c_str(), stdout);
  }
  return OkStatus();
}

Status RunCheck(const TraceArgs& args) {
  TS_ASSIGN_OR_RETURN(model::JobTrace job, LoadJob(args.path));
  model::TraceCheckOptions options;
  options.stream_tolerance_ns = std::llround(args.stream_tolerance_us * 1e3);
  options.end_tolerance_ns = std::llround(args.end_tolerance_us * 1e3);
  options.end_tolerance_share = args.end_tolerance_share;
  options.max_examples_per_kind = args.all ? -1 : args.examples;
  const model::TraceCheckResult result = model::CheckTrace(job, options);
  if (Globals().json) {
    JsonWriter out(stdout, /*pretty=*/true);
    model::WriteTraceCheckJson(result, job.diagnostics, out);
    out.Flush();
    std::fputc('\n', stdout);
  } else {
    std::fputs(model::FormatTraceCheckText(result, job.diagnostics).c_str(), stdout);
  }
  if (result.violations > 0) SetExitCode(kExitBadInput);
  return OkStatus();
}

Status RunExport(const TraceArgs& args) {
  TS_RETURN_IF_ERROR(CheckOutputIsNotInput("--perfetto", args.perfetto_out, args.path, true));
  TS_ASSIGN_OR_RETURN(model::JobTrace job, LoadJob(args.path));
  TS_ASSIGN_OR_RETURN(model::PerfettoExportStats stats,
                      model::WritePerfettoJson(job, args.perfetto_out));
  if (Globals().json) {
    JsonWriter out(stdout);
    out.BeginObject().Field("perfetto", args.perfetto_out).Field("ranks", job.ranks.size());
    out.Field("slices", stats.slices).Field("flows", stats.flows).Field("bytes", stats.bytes);
    out.EndObject();
    out.Flush();
    std::fputc('\n', stdout);
  } else if (!Globals().quiet) {
    std::printf(
        "wrote %s: %zu rank(s), %lld slices, %lld cross-rank collective flows\n"
        "open it at https://ui.perfetto.dev\n",
        args.perfetto_out.c_str(), job.ranks.size(), static_cast<long long>(stats.slices),
        static_cast<long long>(stats.flows));
  }
  PrintDiagnosticsUnlessQuiet(job.diagnostics);
  return OkStatus();
}

void RegisterTrace(CLI::App& root) {
  auto args = std::make_shared<TraceArgs>();
  CLI::App* trace = root.add_subcommand("trace", "Inspect and export PyTorch-profiler traces");
  trace->require_subcommand(1);

  CLI::App* info = trace->add_subcommand(
      "info",
      "Ranks, world size, steps, time span, events per kind, collectives per process "
      "group, clock offsets and warnings of a trace (file or directory of rank files)");
  info->add_option("PATH", args->path, "Kineto JSON(.gz) file or directory of per-rank files")
      ->required();
  info->callback([args] { RunAndSetExit([args] { return RunInfo(*args); }); });

  CLI::App* check = trace->add_subcommand(
      "check",
      "Validate a trace: GPU ops overlapping on one CUDA stream, collective members that do not "
      "overlap or do not end together, process groups whose members or sizes disagree "
      "(docs/trace-model.md). Exit 0: no violation; 3: violations found (or unreadable input)");
  check->add_option("PATH", args->path, "Kineto JSON(.gz) file or directory of per-rank files")
      ->required();
  check->add_option("--examples", args->examples, "Violations listed per kind (default 10)")
      ->check(IntAtLeast(0));
  check->add_flag("--all", args->all, "List every violation");
  check
      ->add_option("--stream-tolerance-us", args->stream_tolerance_us,
                   "Overlap on one stream tolerated as rounding (default 1 us)")
      ->check(NumberAtLeast(0));
  check
      ->add_option("--end-tolerance-us", args->end_tolerance_us,
                   "How far apart members of one collective may end (default 100 us) ...")
      ->check(NumberAtLeast(0));
  check
      ->add_option("--end-tolerance-share", args->end_tolerance_share,
                   "... or this share of the shortest member's duration, if more (default "
                   "0.02: ring algorithms finish rank after rank)")
      ->check(NumberAtLeast(0));
  check->callback([args] { RunAndSetExit([args] { return RunCheck(*args); }); });

  CLI::App* exporter = trace->add_subcommand(
      "export", "Write the whole job as one Chrome-JSON trace for ui.perfetto.dev");
  exporter->add_option("--perfetto", args->perfetto_out, "Output file (Chrome trace JSON)")
      ->required();
  exporter->add_option("PATH", args->path, "Kineto JSON(.gz) file or directory")->required();
  exporter->callback([args] { RunAndSetExit([args] { return RunExport(*args); }); });
}

}  // namespace

TS_REGISTER_COMMAND(80, RegisterTrace);

}  // namespace trainscope::cli
