// SPDX-License-Identifier: Apache-2.0
// Fuzz target for one metric reader (chosen by TS_FUZZ_READER), followed by counters to rates
// (sorting, duplicate merging), name mapping and grid building: any input must give a table or
// a Status, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/metrics/metric_readers.h"
#include "minder/preprocess.h"
#include "model/metric_names.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trainscope;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  model::MetricTable table;
  Diagnostics diags;
  Status s;
#if TS_FUZZ_READER == 0
  s = ingest::ReadLongCsv(text, "fuzz.csv", &table, &diags);
#elif TS_FUZZ_READER == 1
  s = ingest::ReadPromQueryRange(text, "fuzz.json", &table, &diags);
#else
  s = ingest::ReadPromText(text, "fuzz.txt", 0, model::kNanosPerSecond, &table, &diags);
#endif
  if (!s.ok() || table.size() == 0) return 0;
  model::MetricTable rates = model::CountersToRates(table, &diags);
  model::MetricTable mapped = model::MapMetricNames(rates, model::DefaultMetricMappings(), true, &diags);
  minder::GridOptions options;
  auto grid = minder::BuildGrid(mapped, options, &diags);
  (void)grid;
  return 0;
}
