// SPDX-License-Identifier: Apache-2.0
// Fuzz target for the YAML readers (chosen by TS_FUZZ_READER): 0 = a job config, parsed,
// validated and then planned, so that "bounded memory and time for any config" is fuzzed too;
// 1 = an op-table meta file. Any input must give a result or a Status, never a crash, a hang or
// an allocation libFuzzer's -rss_limit_mb rejects.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/optable/op_table_reader.h"
#include "workload/config_io.h"
#include "workload/predictor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trainscope;
  std::string_view text(reinterpret_cast<const char*>(data), size);
#if TS_FUZZ_READER == 0
  auto job = workload::ParseJobConfig(text, "fuzz.yaml");
  if (!job.ok()) return 0;
  auto prediction = workload::Predict(*job);
  (void)prediction;
#else
  auto meta = ingest::ParseOpTableMeta(std::string(text), "fuzz_meta.yaml");
  (void)meta;
#endif
  return 0;
}
