// SPDX-License-Identifier: Apache-2.0
// `trainscope demo`: runs on the bundled 4-rank trace (no input needed): summarises it like
// `trace info` and exports it for ui.perfetto.dev. Later issues grow it into the full pipeline.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/byte_source.h"
#include "base/json_writer.h"
#include "cli/command.h"
#include "ingest/kineto/demo_trace.h"
#include "ingest/kineto/kineto_reader.h"
#include "model/perfetto_export.h"
#include "model/trace_summary.h"

namespace trainscope::cli {
namespace {

Status RunDemo(const std::string& out_dir) {
  namespace kineto = ingest::kineto;
  std::vector<std::unique_ptr<ByteSource>> sources;
  for (const kineto::EmbeddedTraceFile& file : kineto::DemoTraceFiles()) {
    sources.push_back(MemoryByteSource(file.name, file.bytes, file.size));
  }
  kineto::ReadOptions options;
  options.threads = Globals().threads;
  TS_ASSIGN_OR_RETURN(model::JobTrace job,
                      kineto::ReadKinetoJobFromSources(std::move(sources), options));
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return IoError("{}: cannot create directory: {}", out_dir, ec.message());
  std::string perfetto = (std::filesystem::path(out_dir) / "trace.perfetto.json").string();
  TS_ASSIGN_OR_RETURN(model::PerfettoExportStats stats, model::WritePerfettoJson(job, perfetto));

  model::JobSummary summary = model::Summarise(job);
  if (Globals().json) {
    JsonWriter out(stdout, /*pretty=*/true);
    out.BeginObject().Field("perfetto_trace", perfetto).Key("trace");
    model::WriteSummaryJson(summary, job.diagnostics, out);
    out.EndObject();
    out.Flush();
    std::fputc('\n', stdout);
    return OkStatus();
  }
  std::printf(
      "trainscope demo: bundled 4-rank PyTorch-profiler trace (rank 2 is a straggler, "
      "rank 3's clock is skewed)\n\n%s\n",
      model::FormatSummaryText(summary, job.diagnostics).c_str());
  std::printf(
      "Perfetto trace: %s (%lld slices, %lld cross-rank collective flows)\n"
      "Open it at https://ui.perfetto.dev\n",
      perfetto.c_str(), static_cast<long long>(stats.slices), static_cast<long long>(stats.flows));
  return OkStatus();
}

void RegisterDemo(CLI::App& root) {
  auto out_dir = std::make_shared<std::string>("trainscope-demo");
  CLI::App* demo = root.add_subcommand(
      "demo", "Run trainscope on its bundled example trace (summary + Perfetto export)");
  demo->add_option("--out", *out_dir, "Output directory")->capture_default_str();
  demo->callback([out_dir] { RunAndSetExit([out_dir] { return RunDemo(*out_dir); }); });
}

}  // namespace

TS_REGISTER_COMMAND(10, RegisterDemo);

}  // namespace trainscope::cli
