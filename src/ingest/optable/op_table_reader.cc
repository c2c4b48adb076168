// SPDX-License-Identifier: Apache-2.0
// Op-table CSV streaming parser, meta YAML parser and folder discovery (CSV or Parquet).
#include "ingest/optable/op_table_reader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string_view>

#include "base/line_reader.h"
#include "base/utf8.h"
#include "ingest/optable/op_table_parquet.h"

namespace trainscope::ingest {
namespace {

enum Col { kDp, kStage, kRank, kStep, kOptype, kStart, kDur, kSeq, kMc, kMb, kGmc, kNumCols };
constexpr std::array<std::string_view, kNumCols> kColNames = {
    "dp_rank",  "stage",  "rank", "step",  "optype", "start_ts",
    "duration", "seq_id", "mc",   "mb_id", "gmc"};

class CsvParser {
 public:
  CsvParser(OpTable& table, const std::string& name) : table_(table), name_(name) {}

  Status Line(std::string_view line) {
    ++line_no_;  // `line` comes without its line end (ForEachLine)
    if (line_no_ == 1) return Header(line);
    if (line.empty()) {
      table_.blank_line_rows.push_back(static_cast<int64_t>(table_.size()));
      return OkStatus();
    }
    std::array<std::string_view, kNumCols> cell;
    std::array<size_t, kNumCols> cell_col{};
    size_t field = 0, pos = 0;
    int32_t index = 0;
    while (true) {
      size_t comma = line.find(',', pos);
      std::string_view value =
          line.substr(pos, comma == std::string_view::npos ? comma : comma - pos);
      if (index < static_cast<int32_t>(col_of_field_.size()) && col_of_field_[index] >= 0) {
        cell[col_of_field_[index]] = value;
        cell_col[col_of_field_[index]] = pos + 1;
      }
      ++field;
      ++index;
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    if (field != col_of_field_.size()) {
      return InvalidArgumentError("{}:{}:1: expected {} fields as in the header, got {}", name_,
                                  line_no_, col_of_field_.size(), field);
    }
    int32_t ints[kNumCols];
    for (int c : {kDp, kStage, kRank, kStep, kSeq, kMc, kMb, kGmc}) {
      std::string_view v = cell[c];
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), ints[c]);
      if (ec == std::errc::result_out_of_range && ptr == v.data() + v.size()) {
        return InvalidArgumentError("{}:{}:{}: column '{}': {} digits, out of range (32-bit)",
                                    name_, line_no_, cell_col[c], kColNames[c], v.size());
      }
      if (ec != std::errc() || ptr != v.data() + v.size()) {
        return InvalidArgumentError("{}:{}:{}: column '{}': expected an integer, got '{}'", name_,
                                    line_no_, cell_col[c], kColNames[c], PrintableText(v));
      }
    }
    double secs[2];
    for (int k = 0; k < 2; ++k) {
      int c = k == 0 ? kStart : kDur;
      std::string_view v = cell[c];
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), secs[k]);
      if (ec != std::errc() || ptr != v.data() + v.size() || !std::isfinite(secs[k]) ||
          std::abs(secs[k]) > 1e6) {
        return InvalidArgumentError(
            "{}:{}:{}: column '{}': expected a number of seconds (|value| <= 1e6), got '{}'", name_,
            line_no_, cell_col[c], kColNames[c], v);
      }
    }
    if (secs[1] < 0) {
      return InvalidArgumentError("{}:{}:{}: negative duration {}", name_, line_no_, cell_col[kDur],
                                  secs[1]);
    }
    if (ints[kDp] < 0 || ints[kStage] < 0 || ints[kRank] < 0 || ints[kSeq] < 0) {
      return InvalidArgumentError("{}:{}:1: dp_rank, stage, rank and seq_id must be >= 0", name_,
                                  line_no_);
    }
    std::string_view type = cell[kOptype];
    if (type.empty())
      return InvalidArgumentError("{}:{}:{}: empty optype", name_, line_no_, cell_col[kOptype]);
    // Few distinct optypes: a linear scan without allocation beats hashing a new string per row.
    int16_t type_id = -1;
    for (size_t k = 0; k < table_.optype_names.size(); ++k) {
      if (table_.optype_names[k] == type) {
        type_id = static_cast<int16_t>(k);
        break;
      }
    }
    if (type_id < 0) {
      if (table_.optype_names.size() >= 256) {
        return InvalidArgumentError("{}:{}: more than 256 distinct optypes", name_, line_no_);
      }
      type_id = static_cast<int16_t>(table_.optype_names.size());
      table_.optype_names.emplace_back(type);
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
    return OkStatus();
  }

  Status Finish() const {
    if (line_no_ == 0) return InvalidArgumentError("{}: empty file (no header)", name_);
    return OkStatus();
  }

 private:
  Status Header(std::string_view line) {
    std::array<bool, kNumCols> seen{};
    size_t pos = 0;
    while (true) {
      size_t comma = line.find(',', pos);
      std::string_view name =
          line.substr(pos, comma == std::string_view::npos ? comma : comma - pos);
      int col = -1;
      for (int c = 0; c < kNumCols; ++c)
        if (kColNames[c] == name) col = c;
      if (col >= 0 && seen[col]) {
        return InvalidArgumentError("{}:1:{}: column '{}' appears twice", name_, pos + 1, name);
      }
      if (col >= 0) seen[col] = true;
      col_of_field_.push_back(col);
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    for (int c = 0; c < kNumCols; ++c) {
      if (!seen[c])
        return InvalidArgumentError("{}:1:1: header lacks column '{}'", name_, kColNames[c]);
    }
    return OkStatus();
  }

  OpTable& table_;
  const std::string& name_;
  int64_t line_no_ = 0;
  std::vector<int> col_of_field_;
};

}  // namespace

Status ParseOpTableCsv(ByteSource& source, OpTable& table) {
  CsvParser parser(table, source.path());
  // Rows are ~60-70 bytes and gzip shrinks this CSV ~4x: reserve to avoid regrowth copies.
  const size_t rows =
      static_cast<size_t>(source.file_size()) * (source.compressed() ? 4 : 1) / 60 + 16;
  for (auto* col : {&table.dp_rank, &table.stage, &table.rank, &table.step, &table.seq_id,
                    &table.mc, &table.mb_id, &table.gmc})
    col->reserve(rows);
  table.optype.reserve(rows);
  table.start_ns.reserve(rows);
  table.dur_ns.reserve(rows);
  TS_RETURN_IF_ERROR(
      ForEachLine(source, [&parser](std::string_view line) { return parser.Line(line); }));
  return parser.Finish();
}

bool OpTableMeta::Has(std::string_view key) const {
  return std::find(size_keys.begin(), size_keys.end(), key) != size_keys.end();
}

Result<OpTableMeta> ParseOpTableMeta(const std::string& text, const std::string& name) {
  OpTableMeta meta;
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) return InvalidArgumentError("{}: expected a YAML mapping at the top", name);
    static constexpr std::string_view kKnown[] = {"trial_name", "run_id",   "dp_size",
                                                  "pp_size",    "tp_size",  "dsp_size",
                                                  "vpp_size",   "world_size"};
    std::vector<std::pair<std::string, int>> seen;  // key, line
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      const int line = entry.first.Mark().line + 1;
      if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
        return InvalidArgumentError(
            "{}:{}: unknown key '{}' (known: trial_name, run_id, dp_size, pp_size, tp_size, "
            "dsp_size, vpp_size, world_size)",
            name, line, key);
      }
      // yaml-cpp keeps the first of two equal keys and drops the other without a word.
      for (const auto& [prev_key, prev_line] : seen) {
        if (prev_key == key) {
          return InvalidArgumentError("{}:{}: key '{}' given twice (first at line {})", name,
                                      line, key, prev_line);
        }
      }
      seen.emplace_back(key, line);
    }
    if (root["trial_name"]) meta.trial_name = root["trial_name"].as<std::string>();
    if (root["run_id"]) meta.run_id = root["run_id"].as<int64_t>();
    struct Field {
      const char* key;
      int32_t* value;
    };
    for (Field f : {Field{"dp_size", &meta.dp_size}, Field{"pp_size", &meta.pp_size},
                    Field{"tp_size", &meta.tp_size}, Field{"dsp_size", &meta.dsp_size},
                    Field{"vpp_size", &meta.vpp_size}, Field{"world_size", &meta.world_size}}) {
      const YAML::Node node = root[f.key];
      if (!node) continue;
      meta.size_keys.emplace_back(f.key);
      if (!node.IsScalar() || !YAML::convert<int32_t>::decode(node, *f.value) || *f.value <= 0) {
        return InvalidArgumentError("{}:{}:{}: {} must be a positive integer, got '{}'", name,
                                    node.Mark().line + 1, node.Mark().column + 1, f.key,
                                    node.IsScalar() ? PrintableText(node.Scalar()) : "a list or map");
      }
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("{}:{}:{}: not valid YAML: {}", name, e.mark.line + 1,
                                e.mark.column + 1, e.msg);
  }
  // In 64 bits: four int32 sizes multiply past int32 (dp_size 65536 x pp_size 65536).
  const int64_t product = int64_t{meta.dp_size} * meta.pp_size * meta.tp_size * meta.dsp_size;
  if (meta.Has("world_size") && meta.world_size != product) {
    return InvalidArgumentError("{}: world_size {} != dp_size*pp_size*tp_size*dsp_size = {}", name,
                                meta.world_size, product);
  }
  if (product > std::numeric_limits<int32_t>::max()) {
    return InvalidArgumentError("{}: dp_size*pp_size*tp_size*dsp_size = {} ranks is more than any "
                                "job has; a typo?", name, product);
  }
  if (!meta.Has("world_size")) meta.world_size = static_cast<int32_t>(product);
  return meta;
}

namespace {

namespace fs = std::filesystem;

bool IsTraceCsv(const fs::path& p) {
  std::string name = p.filename().string();
  return name.starts_with("trace-") && (name.ends_with(".csv") || name.ends_with(".csv.gz"));
}

bool IsTraceParquet(const fs::path& p) {
  std::string name = p.filename().string();
  return name.starts_with("trace-") && IsParquetPath(name);
}

bool IsOpTableFile(const fs::path& p) {
  std::string name = p.filename().string();
  return name.ends_with(".csv") || name.ends_with(".csv.gz") || IsParquetPath(name);
}

// "trace-ST" for trace-ST.csv, trace-ST.csv.gz and trace-ST.parquet.
std::string TableStem(const fs::path& table) {
  std::string name = table.filename().string();
  if (IsParquetPath(name)) return name.substr(0, name.size() - 8);
  return name.substr(0, name.find(".csv"));
}

fs::path MetaPathFor(const fs::path& table) {
  std::string stem = TableStem(table);
  if (stem.starts_with("trace-"))
    return table.parent_path() / ("meta-" + stem.substr(6) + ".yaml");
  return table.parent_path() / (stem + ".yaml");
}

// The op tables of a folder: one trace-*.csv[.gz] and/or one trace-*.parquet of the same name
// (the artifact's two copies of one table).
struct FolderTables {
  fs::path csv, parquet;
};

Result<FolderTables> FindOpTables(const std::string& folder) {
  if (std::string problem = FolderProblem(folder); !problem.empty())
    return InvalidArgumentError("{}", problem);
  std::error_code ec;
  FolderTables found;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const bool is_csv = IsTraceCsv(entry.path());
    if (!is_csv && !IsTraceParquet(entry.path())) continue;
    fs::path& slot = is_csv ? found.csv : found.parquet;
    if (!slot.empty()) {
      return InvalidArgumentError(
          "{}: more than one op table (trace-*.csv[.gz] or trace-*.parquet) in the folder: {} "
          "and {}",
          folder, slot.filename().string(), entry.path().filename().string());
    }
    slot = entry.path();
  }
  if (!found.csv.empty() && !found.parquet.empty() &&
      TableStem(found.csv) != TableStem(found.parquet)) {
    return InvalidArgumentError(
        "{}: more than one op table (trace-*.csv[.gz] or trace-*.parquet) in the folder: {} and {}",
        folder, found.csv.filename().string(), found.parquet.filename().string());
  }
  if (found.csv.empty() && found.parquet.empty()) {
    return NotFoundError(
        "{}: no op table (trace-*.csv, trace-*.csv.gz or trace-*.parquet) in the folder", folder);
  }
  return found;
}

Status ReadRows(const fs::path& file, OpTable& table, int threads) {
  table.source = file.string();
  if (IsParquetPath(table.source)) return ReadOpTableParquet(table.source, table, threads);
  TS_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, OpenByteSource(table.source));
  return ParseOpTableCsv(*source, table);
}

// Both copies: the Parquet file (typed columns, no text to parse: AR reads in 60% of the CSV's
// time); the CSV when the Parquet file is outside the reader's subset or damaged.
Status ReadFolderRows(const FolderTables& tables, OpTable& table, int threads) {
  if (tables.parquet.empty()) return ReadRows(tables.csv, table, threads);
  Status parquet = ReadRows(tables.parquet, table, threads);
  if (parquet.ok() || tables.csv.empty()) return parquet;
  OpTable from_csv;
  from_csv.meta = std::move(table.meta);
  from_csv.meta_found = table.meta_found;
  from_csv.parquet_fallback = parquet.message();
  table = std::move(from_csv);
  return ReadRows(tables.csv, table, threads);
}

}  // namespace

bool LooksLikeOpTable(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (IsTraceCsv(entry.path()) || IsTraceParquet(entry.path())) return true;
    return false;
  }
  return IsOpTableFile(fs::path(path));
}

Result<OpTable> ReadOpTable(const std::string& path, int threads) {
  std::error_code ec;
  FolderTables tables;
  if (fs::is_directory(path, ec)) {
    TS_ASSIGN_OR_RETURN(tables, FindOpTables(path));
  } else {
    (IsParquetPath(path) ? tables.parquet : tables.csv) = path;  // the open says what is wrong
  }
  const fs::path meta_path = MetaPathFor(tables.parquet.empty() ? tables.csv : tables.parquet);
  OpTable table;
  table.meta_found = fs::exists(meta_path, ec);
  if (table.meta_found) {
    TS_ASSIGN_OR_RETURN(std::string meta_text, ReadFileToString(meta_path.string()));
    TS_ASSIGN_OR_RETURN(table.meta, ParseOpTableMeta(meta_text, meta_path.string()));
  }
  TS_RETURN_IF_ERROR(ReadFolderRows(tables, table, threads));
  if (!table.meta_found) {
    int32_t dp = 0, pp = 0;
    for (size_t i = 0; i < table.size(); ++i) {
      dp = std::max(dp, table.dp_rank[i] + 1);
      pp = std::max(pp, table.stage[i] + 1);
    }
    table.meta.dp_size = std::max(dp, 1);
    table.meta.pp_size = std::max(pp, 1);
    table.meta.world_size = table.meta.dp_size * table.meta.pp_size;
  }
  return table;
}

}  // namespace trainscope::ingest
