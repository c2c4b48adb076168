// SPDX-License-Identifier: Apache-2.0
// Flat Parquet reader: footer and schema checks, then each selected column chunk page by page
// (see parquet_reader.h for what is supported).
#include "ingest/optable/parquet_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "base/byte_source.h"
#include "base/parallel.h"
#include "base/utf8.h"
#include "ingest/optable/internal/parquet_column.h"
#include "ingest/optable/internal/parquet_metadata.h"

namespace trainscope::ingest {
namespace {

using namespace parquet_internal;  // NOLINT(google-build-using-namespace): private helpers

constexpr std::string_view kMagic = "PAR1";
constexpr size_t kMinFileSize = 12;  // "PAR1" + footer length (4) + "PAR1"

uint32_t LoadLe32(const char* p) {
  uint32_t v = 0;
  std::memcpy(&v, p, 4);
  return v;  // little-endian hosts only (x86-64, aarch64)
}

std::string Printable(std::string_view bytes) { return PrintableAscii(bytes); }

// The leaves of a flat schema; errors for groups and repeated fields.
Status CheckFlatSchema(const FileMetaData& meta, const std::string& name) {
  if (meta.schema.empty()) return DataLossError("{}: the footer's schema is empty", name);
  const SchemaElement& root = meta.schema[0];
  if (root.num_children < 0 || static_cast<size_t>(root.num_children) + 1 != meta.schema.size()) {
    return InvalidArgumentError(
        "{}: byte {}: the schema root has {} children but {} schema elements follow: nested "
        "columns are not supported ({})",
        name, root.offset, root.num_children, meta.schema.size() - 1, ParquetConversionHint(name));
  }
  for (size_t i = 1; i < meta.schema.size(); ++i) {
    const SchemaElement& e = meta.schema[i];
    if (e.num_children > 0 || !e.type) {
      return InvalidArgumentError(
          "{}: byte {}: column '{}' is a group (nested data); only flat tables are read ({})", name,
          e.offset, e.name, ParquetConversionHint(name));
    }
    if (e.repetition == static_cast<int32_t>(Repetition::kRepeated)) {
      return InvalidArgumentError(
          "{}: byte {}: column '{}' is REPEATED (a list); only flat tables are read ({})", name,
          e.offset, e.name, ParquetConversionHint(name));
    }
  }
  return OkStatus();
}

}  // namespace

const ParquetColumn* ParquetTable::Find(std::string_view name) const {
  for (const ParquetColumn& column : columns)
    if (column.name == name) return &column;
  return nullptr;
}

int64_t ParquetTable::RowGroupOf(int64_t row) const {
  auto it = std::upper_bound(row_group_starts.begin(), row_group_starts.end(), row);
  return std::max<int64_t>(0, (it - row_group_starts.begin()) - 1);
}

std::string ParquetConversionHint(const std::string& name) {
  std::string csv = name;
  if (csv.ends_with(".parquet")) csv.resize(csv.size() - 8);
  csv += ".csv.gz";
  std::string hint = "convert it with python3 -c \"import pandas; pandas.read_parquet('";
  hint += name;
  hint += "').to_csv('";
  hint += csv;
  hint += "', index=False)\" and read the CSV";
  return hint;
}

Result<ParquetTable> ParseParquet(std::string_view bytes, const std::string& name,
                                  const ParquetReadOptions& options) {
  if (bytes.size() < kMinFileSize) {
    return DataLossError(
        "{}: {} bytes is too short for a Parquet file (at least {}: PAR1, footer, length, PAR1); "
        "truncated?",
        name, bytes.size(), kMinFileSize);
  }
  if (bytes.substr(0, 4) != kMagic) {
    return InvalidArgumentError("{}: byte 0: bad magic '{}', expected 'PAR1': not a Parquet file",
                                name, Printable(bytes.substr(0, 4)));
  }
  const size_t size = bytes.size();
  const std::string_view tail = bytes.substr(size - 4);
  if (tail == "PARE") {
    return InvalidArgumentError("{}: byte {}: the footer is encrypted (PARE), not supported ({})",
                                name, size - 4, ParquetConversionHint(name));
  }
  if (tail != kMagic) {
    return DataLossError(
        "{}: byte {}: bad trailing magic '{}', expected 'PAR1': the file is truncated or not "
        "Parquet",
        name, size - 4, Printable(tail));
  }
  const uint64_t footer_length = LoadLe32(bytes.data() + size - 8);
  if (footer_length > size - kMinFileSize) {
    return DataLossError(
        "{}: byte {}: footer length {} goes beyond the file ({} bytes, at most {} for a footer); "
        "truncated?",
        name, size - 8, footer_length, size, size - kMinFileSize);
  }
  const uint64_t footer_start = size - 8 - footer_length;
  TS_ASSIGN_OR_RETURN(
      FileMetaData meta,
      ParseFileMetaData(bytes.substr(footer_start, footer_length), footer_start, name));
  TS_RETURN_IF_ERROR(CheckFlatSchema(meta, name));
  if (meta.num_rows < 0 || meta.num_rows > options.max_rows) {
    return InvalidArgumentError("{}: byte {}: the footer says {} rows (limit {})", name,
                                footer_start, meta.num_rows, options.max_rows);
  }
  int64_t rows = 0;
  for (const RowGroup& group : meta.row_groups) {
    if (group.num_rows < 0 || group.num_rows > meta.num_rows - rows) {
      return DataLossError("{}: byte {}: row groups hold more rows than the footer's {}", name,
                           group.offset, meta.num_rows);
    }
    rows += group.num_rows;
  }
  if (rows != meta.num_rows) {
    return DataLossError("{}: byte {}: row groups hold {} rows, the footer says {}", name,
                         footer_start, rows, meta.num_rows);
  }

  ParquetTable table;
  table.source = name;
  table.num_rows = meta.num_rows;
  table.num_row_groups = static_cast<int64_t>(meta.row_groups.size());
  table.created_by = meta.created_by;
  std::vector<std::unique_ptr<ColumnDecoder>> decoders;  // one per leaf; null: not selected
  for (size_t leaf = 1; leaf < meta.schema.size(); ++leaf) {
    const SchemaElement& e = meta.schema[leaf];
    const bool selected =
        options.columns.empty() ||
        std::find(options.columns.begin(), options.columns.end(), e.name) != options.columns.end();
    if (!selected) {
      decoders.emplace_back();
      continue;
    }
    for (const ParquetColumn& column : table.columns) {
      if (column.name == e.name) {
        return InvalidArgumentError("{}: byte {}: column '{}' appears twice in the schema", name,
                                    e.offset, e.name);
      }
    }
    ParquetColumn& column = table.columns.emplace_back();
    column.name = e.name;
    TS_ASSIGN_OR_RETURN(auto decoder, ColumnDecoder::Create(bytes, footer_start, name, e));
    decoders.push_back(std::move(decoder));
  }
  // table.columns no longer grows: the decoders may keep references into it.
  {
    size_t out = 0;
    for (auto& decoder : decoders)
      if (decoder) decoder->Bind(table.columns[out++], meta.num_rows);
  }
  int64_t row_base = 0;
  for (size_t g = 0; g < meta.row_groups.size(); ++g) {
    const RowGroup& group = meta.row_groups[g];
    table.row_group_starts.push_back(row_base);
    if (group.columns.size() != decoders.size()) {
      return DataLossError("{}: byte {}: row group {} has {} column chunks, the schema {} columns",
                           name, group.offset, g, group.columns.size(), decoders.size());
    }
    std::vector<Status> status(decoders.size());
    ParallelFor(decoders.size(), options.threads, [&](size_t c) {
      if (decoders[c])
        status[c] =
            decoders[c]->DecodeChunk(group.columns[c], static_cast<int64_t>(g), group.num_rows);
    });
    for (const Status& s : status) TS_RETURN_IF_ERROR(s);
    row_base += group.num_rows;
  }
  return table;
}

Result<ParquetTable> ReadParquetFile(const std::string& path, const ParquetReadOptions& options) {
  TS_ASSIGN_OR_RETURN(const OpenedFile opened, OpenRegularFile(path));
  std::unique_ptr<FILE, int (*)(FILE*)> file(::fdopen(opened.fd, "rb"), &std::fclose);
  if (!file) {
    ::close(opened.fd);
    return IoError("{}: cannot open: {}", path, std::strerror(errno));
  }
  std::string bytes;
  bytes.reserve(static_cast<size_t>(opened.size));
  char buffer[1 << 16];
  while (true) {
    const size_t n = std::fread(buffer, 1, sizeof(buffer), file.get());
    bytes.append(buffer, n);
    if (n < sizeof(buffer)) break;
  }
  if (std::ferror(file.get())) {
    return IoError("{}: byte {}: read failed: {}", path, bytes.size(), std::strerror(errno));
  }
  return ParseParquet(bytes, path, options);
}

}  // namespace trainscope::ingest
