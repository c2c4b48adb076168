// SPDX-License-Identifier: Apache-2.0
// Fuzz target: arbitrary bytes -> flat Parquet reader (every column) and the Parquet op table.
// Any input must give a Status or a table whose shape is consistent (one slot per row in every
// column, string ids within the interned strings, nulls only where flagged), never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/optable/op_table_parquet.h"
#include "ingest/optable/parquet_reader.h"

namespace {

constexpr int64_t kMaxRows = 1 << 16;  // bounds memory for footers that claim huge tables

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckShape(const trainscope::ingest::ParquetTable& table) {
  using trainscope::ingest::ParquetValueKind;
  const auto rows = static_cast<size_t>(table.num_rows);
  for (const auto& column : table.columns) {
    const size_t slots = column.kind == ParquetValueKind::kInt    ? column.ints.size()
                         : column.kind == ParquetValueKind::kReal ? column.reals.size()
                                                                  : column.string_ids.size();
    Check(slots == rows);
    Check(column.present.empty() || column.present.size() == rows);
    if (column.kind != ParquetValueKind::kString) continue;
    for (size_t row = 0; row < rows; ++row) {
      const int32_t id = column.string_ids[row];
      const bool present = column.present.empty() || column.present[row] != 0;
      Check(present ? id >= 0 && static_cast<size_t>(id) < column.strings.size() : id == -1);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trainscope::ingest;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ParquetReadOptions options;
  options.max_rows = kMaxRows;
  auto table = ParseParquet(bytes, "fuzz.parquet", options);
  if (table) CheckShape(*table);
  OpTable op_table;
  if (ParseOpTableParquet(bytes, "fuzz.parquet", op_table, kMaxRows).ok()) {
    Check(op_table.dur_ns.size() == op_table.size() && op_table.optype.size() == op_table.size());
    for (int16_t type : op_table.optype)
      Check(type >= 0 && static_cast<size_t>(type) < op_table.optype_names.size());
  }
  return 0;
}
