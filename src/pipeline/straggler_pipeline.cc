// SPDX-License-Identifier: Apache-2.0
// RunStragglerAnalysis: read, build the ReplayModel, analyse, classify (straggler_pipeline.h).
#include "pipeline/straggler_pipeline.h"

#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "ingest/kineto/kineto_reader.h"
#include "ingest/optable/op_table_reader.h"
#include "whatif/kineto_model.h"
#include "whatif/megatron_model.h"
#include "whatif/op_job.h"

namespace trainscope::pipeline {
namespace {

Result<whatif::ReplayModel> ReadOpTableModel(const std::string& path, int threads,
                                             StragglerRun& run) {
  TS_ASSIGN_OR_RETURN(ingest::OpTable table, ingest::ReadOpTable(path, threads));
  run.source = table.source;
  if (!table.parquet_fallback.empty()) {
    run.diagnostics.Add("parquet_copy_unreadable", run.source, "",
                        fmt::format("the Parquet copy was not read ({}); the CSV copy was",
                                    table.parquet_fallback));
  }
  if (!table.meta_found) {
    run.diagnostics.Add("meta_missing", run.source, "",
                        "no meta YAML beside the op table: the job's sizes come from the rows");
  }
  TS_ASSIGN_OR_RETURN(whatif::OpJob job, whatif::OpJobFromTable(std::move(table)));
  TS_ASSIGN_OR_RETURN(whatif::ReplayModel model, whatif::BuildMegatronModel(job));
  whatif::ReconcileJobSize(job, run.source, model, run.diagnostics);
  return model;
}

// Above this share of a trace's events dropped by the reader (data_loss diagnostics), the
// replay stands for a different job than the one that ran: S and its cause are not trusted.
constexpr double kMaxDroppedShare = 0.10;

std::string InputLoss(const model::JobTrace& trace) {
  int64_t kept = 0, dropped = 0;
  for (const model::RankTrace& rank : trace.ranks) kept += static_cast<int64_t>(rank.events.size());
  std::string first;
  for (const Diagnostic& d : trace.diagnostics.items()) {
    if (d.severity != Severity::kDataLoss) continue;
    dropped += d.count;
    if (first.empty()) first = d.name;
  }
  const double share =
      kept + dropped > 0 ? static_cast<double>(dropped) / static_cast<double>(kept + dropped) : 0;
  if (share <= kMaxDroppedShare) return "";
  return fmt::format(
      "the trace reader dropped {} of {} events ({:.0f}%, first {}), more than {:.0f}%: the "
      "replay would stand for a job other than the one traced, so neither S nor a cause is "
      "trusted",
      dropped, kept + dropped, share * 100, first, kMaxDroppedShare * 100);
}

Result<whatif::ReplayModel> ReadKinetoModel(const std::string& path, int threads,
                                            StragglerRun& run) {
  ingest::kineto::ReadOptions read;
  read.threads = threads;
  Result<model::JobTrace> read_trace = ingest::kineto::ReadKinetoJob(path, read);
  if (!read_trace.ok() && read_trace.status().code() == StatusCode::kNotFound &&
      std::filesystem::is_directory(path)) {
    // Neither input: say both were looked for (the op table is tried first).
    return NotFoundError("{}; and no op table either (trace-*.csv[.gz] or trace-*.parquet with "
                         "meta-*.yaml)",
                         read_trace.status().message());
  }
  TS_ASSIGN_OR_RETURN(model::JobTrace trace, std::move(read_trace));
  run.source = path;
  run.input_loss = InputLoss(trace);
  run.diagnostics.Merge(trace.diagnostics);
  std::string name = std::filesystem::path(path).filename().string();
  if (name.empty()) name = std::filesystem::path(path).parent_path().filename().string();
  return whatif::BuildKinetoModel(trace, name, &run.diagnostics);
}

}  // namespace

Result<StragglerRun> RunStragglerAnalysis(const std::string& path,
                                          const StragglerOptions& options) {
  StragglerRun run;
  if (ingest::LooksLikeOpTable(path)) {
    TS_ASSIGN_OR_RETURN(run.model, ReadOpTableModel(path, options.threads, run));
  } else {
    TS_ASSIGN_OR_RETURN(run.model, ReadKinetoModel(path, options.threads, run));
  }
  whatif::AddModelDiagnostics(run.model, run.source, run.diagnostics);
  whatif::AnalysisOptions analysis;
  analysis.threads = options.threads;
  analysis.distributor = options.distributor;
  analysis.straggling_threshold = options.straggling_threshold;
  TS_ASSIGN_OR_RETURN(run.result, whatif::AnalyzeWhatIf(run.model, analysis));
  if (!run.input_loss.empty() && run.result.inconclusive.empty()) {
    run.result.inconclusive = run.input_loss;
    run.result.straggling = false;
  }
  TS_ASSIGN_OR_RETURN(run.cause, whatif::ClassifyCause(run.model, run.result, options.threads,
                                                       options.distributor, options.thresholds));
  whatif::AddResultDiagnostics(run.model, run.result, run.source, run.diagnostics);
  return run;
}

}  // namespace trainscope::pipeline
