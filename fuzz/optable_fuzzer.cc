// SPDX-License-Identifier: Apache-2.0
// Fuzz target: op-table CSV -> OpJob -> dependency model -> what-if analysis and cause. Any input
// must give a Status or a result, never a crash.
#include <cstddef>
#include <cstdint>

#include "base/byte_source.h"
#include "ingest/optable/op_table_reader.h"
#include "whatif/analysis.h"
#include "whatif/cause.h"
#include "whatif/megatron_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trainscope;
  auto source = MemoryByteSource("fuzz.csv", reinterpret_cast<const char*>(data), size);
  ingest::OpTable table;
  table.source = "fuzz.csv";
  if (!ingest::ParseOpTableCsv(*source, table).ok() || table.size() > 20000) return 0;
  auto job = whatif::OpJobFromTable(std::move(table));
  if (!job) return 0;
  auto model = whatif::BuildMegatronModel(*job);
  if (!model) return 0;
  whatif::AnalysisOptions options;
  auto result = whatif::AnalyzeWhatIf(*model, options);
  if (!result) return 0;
  whatif::Cause cause = whatif::ClassifyCause(*model, *result, 1);
  (void)cause;
  return 0;
}
