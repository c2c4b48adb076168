// SPDX-License-Identifier: Apache-2.0
// Reads an op table or Kineto traces and runs the what-if analysis with its diagnostics.
#include "cli/app/straggler_run.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <fmt/format.h>

#include <filesystem>

#include "ingest/kineto/kineto_reader.h"
#include "ingest/optable/op_table_reader.h"

namespace trainscope::cli {

Result<StragglerRun> RunStragglerAnalysis(const std::string& path, int threads,
                                          whatif::TaskDistributor* distributor) {
#if defined(__GLIBC__)
  // The analysis allocates and frees many op-sized arrays; keeping freed memory in the heap (not
  // returned to the kernel) avoids paying first-touch page faults for each of them again.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  if (!ingest::LooksLikeOpTable(path)) {
    return UnimplementedError(
        "{}: not an op-table folder or .csv[.gz] file (this analysis needs the op table; "
        "`trainscope whatif` also reads Kineto traces)",
        path);
  }
  StragglerRun run;
  TS_ASSIGN_OR_RETURN(ingest::OpTable table, ingest::ReadOpTable(path));
  run.source = table.source;
  const bool meta_found = table.meta_found;
  TS_ASSIGN_OR_RETURN(run.job, whatif::OpJobFromTable(std::move(table)));
  TS_ASSIGN_OR_RETURN(run.model, whatif::BuildMegatronModel(run.job));
  if (!meta_found) {
    run.diagnostics.Add("meta_missing", Severity::kWarning, run.source, "",
                        "no meta YAML beside the op table: DP/PP sizes taken from the rows, TP = "
                        "1, world size = DP x PP (GPU-hours may be undercounted)");
  }
  const whatif::JobModel& m = run.model;
  if (m.clipped_transfers > 0) {
    run.diagnostics.Add(
        "negative_transfer_clipped", Severity::kInfo, run.source, "",
        fmt::format("{} transfer times <= -10 ms (clock skew) set to 0", m.clipped_transfers));
  }
  if (m.negative_transfers > 0) {
    run.diagnostics.Add("small_negative_transfer", Severity::kInfo, run.source, "",
                        fmt::format("{} transfer times in (-10 ms, 0) kept as measured (clock "
                                    "skew)",
                                    m.negative_transfers));
  }
  if (m.clipped_delays > 0) {
    run.diagnostics.Add("negative_launch_delay_clipped", Severity::kInfo, run.source, "",
                        fmt::format("{} launch delays <= -10 ms set to 0", m.clipped_delays));
  }
  whatif::AnalysisOptions options;
  options.threads = threads;
  options.distributor = distributor;
  TS_ASSIGN_OR_RETURN(run.result, whatif::AnalyzeWhatIf(run.job, run.model, options));
  TS_ASSIGN_OR_RETURN(run.cause,
                      whatif::ClassifyCause(run.job, run.model, run.result, threads, distributor));
  if (run.result.error_median > 0.02 || run.result.error_max > 0.05) {
    run.diagnostics.Add("simulation_error_high", Severity::kWarning, run.source, "",
                        fmt::format("replay error median {:.2f}% / max {:.2f}% exceeds 2% / 5%",
                                    run.result.error_median * 100, run.result.error_max * 100));
  }
  return run;
}

bool IsOpTableInput(const std::string& path) { return ingest::LooksLikeOpTable(path); }

Result<KinetoStragglerRun> RunKinetoStragglerAnalysis(const std::string& path, int threads,
                                                      whatif::TaskDistributor* distributor) {
  KinetoStragglerRun run;
  ingest::kineto::ReadOptions read;
  read.threads = threads;
  TS_ASSIGN_OR_RETURN(run.trace, ingest::kineto::ReadKinetoJob(path, read));
  run.source = path;
  run.diagnostics.Merge(run.trace.diagnostics);
  std::string name = std::filesystem::path(path).filename().string();
  if (name.empty()) name = std::filesystem::path(path).parent_path().filename().string();
  TS_ASSIGN_OR_RETURN(run.model, whatif::BuildKinetoModel(run.trace, name, &run.diagnostics));
  const whatif::KinetoJobModel& m = run.model;
  if (!m.dropped_steps.empty()) {
    std::string steps;
    for (int64_t s : m.dropped_steps) steps += (steps.empty() ? "" : ", ") + std::to_string(s);
    run.diagnostics.Add("steps_not_simulated", Severity::kWarning, name, "",
                        fmt::format("steps {} are not traced by every present rank; only the "
                                    "steps all ranks traced are simulated",
                                    steps));
  }
  if (m.stats.clipped_transfers > 0 || m.stats.negative_transfers > 0 ||
      m.stats.clipped_delays > 0) {
    run.diagnostics.Add(
        "negative_times", Severity::kInfo, name, "",
        fmt::format("{} transfer times <= -10 ms set to 0, {} small negative "
                    "transfers kept, {} launch delays <= -10 ms set to 0 (clock "
                    "skew)",
                    m.stats.clipped_transfers, m.stats.negative_transfers, m.stats.clipped_delays));
  }
  whatif::AnalysisOptions options;
  options.threads = threads;
  options.distributor = distributor;
  TS_ASSIGN_OR_RETURN(run.result, whatif::AnalyzeKinetoWhatIf(run.model, options));
  run.cause = whatif::ClassifyKinetoCause(run.model, run.result);
  if (run.result.error_median > 0.02 || run.result.error_max > 0.05) {
    run.diagnostics.Add("simulation_error_high", Severity::kWarning, name, "",
                        fmt::format("replay error median {:.2f}% / max {:.2f}% exceeds 2% / 5%",
                                    run.result.error_median * 100, run.result.error_max * 100));
  }
  return run;
}

}  // namespace trainscope::cli
