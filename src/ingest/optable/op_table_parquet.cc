// SPDX-License-Identifier: Apache-2.0
// Parquet op table -> OpTable: column lookup and types, then the CSV reader's row checks.
#include "ingest/optable/op_table_parquet.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>

#include "ingest/optable/parquet_reader.h"

namespace trainscope::ingest {
namespace {

enum Col { kDp, kStage, kRank, kStep, kSeq, kMc, kMb, kGmc, kOptype, kStart, kDur, kNumCols };
constexpr std::array<std::string_view, kNumCols> kColNames = {
    "dp_rank", "stage", "rank",   "step",     "seq_id",  "mc",
    "mb_id",   "gmc",   "optype", "start_ts", "duration"};
constexpr int kNumIntCols = kOptype;

class Filler {
 public:
  Filler(const ParquetTable& parquet, OpTable& table) : parquet_(parquet), table_(table) {}

  Status Run() {
    TS_RETURN_IF_ERROR(FindColumns());
    const auto rows = static_cast<size_t>(parquet_.num_rows);
    for (auto* col : {&table_.dp_rank, &table_.stage, &table_.rank, &table_.step, &table_.seq_id,
                      &table_.mc, &table_.mb_id, &table_.gmc})
      col->reserve(col->size() + rows);
    table_.optype.reserve(table_.optype.size() + rows);
    table_.start_ns.reserve(table_.start_ns.size() + rows);
    table_.dur_ns.reserve(table_.dur_ns.size() + rows);
    std::vector<int16_t> optype_of_string(column_[kOptype]->strings.size(), -1);
    for (size_t row = 0; row < rows; ++row) {
      int32_t ints[kNumIntCols];
      for (int c = 0; c < kNumIntCols; ++c) {
        const int64_t v = column_[c]->ints[row];
        if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
          return RowError(row, c, fmt::format("value {} does not fit 32 bits", v));
        ints[c] = static_cast<int32_t>(v);
      }
      double secs[2];
      for (int k = 0; k < 2; ++k) {
        const ParquetColumn& column = *column_[kStart + k];
        secs[k] = column.kind == ParquetValueKind::kReal ? column.reals[row]
                                                         : static_cast<double>(column.ints[row]);
        if (!std::isfinite(secs[k]) || std::abs(secs[k]) > 1e6) {
          return RowError(
              row, kStart + k,
              fmt::format("expected a number of seconds (|value| <= 1e6), got {}", secs[k]));
        }
      }
      if (secs[1] < 0) return RowError(row, kDur, fmt::format("negative duration {}", secs[1]));
      for (int c : {kDp, kStage, kRank, kSeq}) {
        if (ints[c] < 0) {
          return RowError(
              row, c,
              fmt::format("{} < 0 (dp_rank, stage, rank and seq_id must be >= 0)", ints[c]));
        }
      }
      const int32_t string_id = column_[kOptype]->string_ids[row];
      int16_t& type_id = optype_of_string[static_cast<size_t>(string_id)];
      if (type_id < 0) {  // first row of this optype: intern in order of appearance, as the CSV
        const std::string& type = column_[kOptype]->strings[static_cast<size_t>(string_id)];
        if (type.empty()) return RowError(row, kOptype, "empty optype");
        if (table_.optype_names.size() >= 256)
          return RowError(row, kOptype, "more than 256 distinct optypes");
        type_id = static_cast<int16_t>(table_.optype_names.size());
        table_.optype_names.push_back(type);
      }
      table_.dp_rank.push_back(ints[kDp]);
      table_.stage.push_back(ints[kStage]);
      table_.rank.push_back(ints[kRank]);
      table_.step.push_back(ints[kStep]);
      table_.seq_id.push_back(ints[kSeq]);
      table_.mc.push_back(ints[kMc]);
      table_.mb_id.push_back(ints[kMb]);
      table_.gmc.push_back(ints[kGmc]);
      table_.optype.push_back(type_id);
      table_.start_ns.push_back(std::llround(secs[0] * 1e9));
      table_.dur_ns.push_back(std::llround(secs[1] * 1e9));
    }
    return OkStatus();
  }

 private:
  Status FindColumns() {
    for (int c = 0; c < kNumCols; ++c) {
      const ParquetColumn* column = parquet_.Find(kColNames[c]);
      if (column == nullptr) {
        std::vector<std::string_view> names;
        for (const ParquetColumn& present : parquet_.columns) names.push_back(present.name);
        return InvalidArgumentError("{}: lacks column '{}' (op-table columns found: {})",
                                    parquet_.source, kColNames[c], fmt::join(names, ", "));
      }
      const bool ok = c < kNumIntCols ? column->kind == ParquetValueKind::kInt &&
                                            column->physical_type != "BOOLEAN"
                      : c == kOptype ? column->kind == ParquetValueKind::kString
                                     : column->kind != ParquetValueKind::kString &&
                                           column->physical_type != "BOOLEAN";
      if (!ok) {
        return InvalidArgumentError("{}: column '{}' has physical type {}, expected {}",
                                    parquet_.source, kColNames[c], column->physical_type,
                                    c < kNumIntCols ? "INT32 or INT64"
                                    : c == kOptype  ? "BYTE_ARRAY (strings)"
                                                    : "FLOAT, DOUBLE or an integer");
      }
      if (!column->present.empty()) {
        return RowError(static_cast<size_t>(column->first_null_row), c, "null value");
      }
      column_[c] = column;
    }
    return OkStatus();
  }

  Status RowError(size_t row, int col, const std::string& what) const {
    const auto file_row = static_cast<int64_t>(row);
    const int64_t group = parquet_.RowGroupOf(file_row);
    return InvalidArgumentError("{}: row {} (row group {}, row {} in it): column '{}': {}",
                                parquet_.source, file_row, group,
                                file_row - parquet_.row_group_starts[static_cast<size_t>(group)],
                                kColNames[col], what);
  }

  const ParquetTable& parquet_;
  OpTable& table_;
  std::array<const ParquetColumn*, kNumCols> column_{};
};

ParquetReadOptions OpTableOptions(int64_t max_rows, int threads = 1) {
  ParquetReadOptions options;
  options.columns.assign(kColNames.begin(), kColNames.end());
  options.max_rows = max_rows;
  options.threads = threads;
  return options;
}

}  // namespace

bool IsParquetPath(std::string_view path) { return path.ends_with(".parquet"); }

Status ParseOpTableParquet(std::string_view bytes, const std::string& name, OpTable& table,
                           int64_t max_rows) {
  TS_ASSIGN_OR_RETURN(ParquetTable parquet, ParseParquet(bytes, name, OpTableOptions(max_rows)));
  return Filler(parquet, table).Run();
}

Status ReadOpTableParquet(const std::string& path, OpTable& table, int threads) {
  TS_ASSIGN_OR_RETURN(ParquetTable parquet, ReadParquetFile(path, OpTableOptions(
                                                                      ParquetReadOptions{}.max_rows,
                                                                      threads)));
  return Filler(parquet, table).Run();
}

}  // namespace trainscope::ingest
