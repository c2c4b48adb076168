// SPDX-License-Identifier: Apache-2.0
// Fuzz target for the Kineto reader: any bytes (plain or gzip) must give a JobTrace or an error
// Status, never a crash, hang or sanitizer report. Also renders the summary of what loaded.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/byte_source.h"
#include "ingest/kineto/kineto_reader.h"
#include "model/trace_summary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trainscope;
  std::vector<std::unique_ptr<ByteSource>> sources;
  sources.push_back(MemoryByteSource("fuzz.json", reinterpret_cast<const char*>(data), size));
  ingest::kineto::ReadOptions options;
  options.threads = 1;
  auto job = ingest::kineto::ReadKinetoJobFromSources(std::move(sources), options);
  if (job.has_value()) {
    model::JobSummary summary = model::Summarise(*job);
    (void)model::FormatSummaryText(summary, job->diagnostics);
  }
  return 0;
}
