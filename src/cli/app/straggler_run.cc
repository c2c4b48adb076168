// SPDX-License-Identifier: Apache-2.0
// Reads an op table and runs the what-if analysis with its diagnostics.
#include "cli/app/straggler_run.h"

#include <fmt/format.h>

#include "ingest/optable/op_table_reader.h"

namespace trainscope::cli {

Result<StragglerRun> RunStragglerAnalysis(const std::string& path, int threads) {
  if (!ingest::LooksLikeOpTable(path)) {
    return UnimplementedError(
        "{}: not an op-table folder or trace-*.csv[.gz]; the what-if analysis of Kineto traces "
        "is not available yet (convert with `trainscope workload synth` style op tables)",
        path);
  }
  StragglerRun run;
  TS_ASSIGN_OR_RETURN(ingest::OpTable table, ingest::ReadOpTable(path));
  run.source = table.source;
  TS_ASSIGN_OR_RETURN(run.job, whatif::OpJobFromTable(std::move(table)));
  TS_ASSIGN_OR_RETURN(run.model, whatif::BuildMegatronModel(run.job));
  const whatif::JobModel& m = run.model;
  if (m.clipped_transfers > 0) {
    run.diagnostics.Add("negative_transfer_clipped", Severity::kInfo, run.source, "",
                        fmt::format("{} transfer times <= -10 ms (clock skew) set to 0",
                                    m.clipped_transfers));
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
  TS_ASSIGN_OR_RETURN(run.result, whatif::AnalyzeWhatIf(run.job, run.model, options));
  run.cause = whatif::ClassifyCause(run.job, run.model, run.result, threads);
  if (run.result.error_median > 0.02 || run.result.error_max > 0.05) {
    run.diagnostics.Add("simulation_error_high", Severity::kWarning, run.source, "",
                        fmt::format("replay error median {:.2f}% / max {:.2f}% exceeds 2% / 5%",
                                    run.result.error_median * 100, run.result.error_max * 100));
  }
  return run;
}

}  // namespace trainscope::cli
