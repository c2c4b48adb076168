// SPDX-License-Identifier: Apache-2.0
// The parts of Parquet's footer (FileMetaData) and page headers that a flat-table reader uses,
// decoded from the Thrift compact protocol (apache/parquet-format, src/main/thrift/
// parquet.thrift). Fields not listed here are skipped; a known field of the wrong wire type or
// a missing required field is an error naming the byte offset. Thread safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace trainscope::ingest::parquet_internal {

// parquet.thrift enums (values as on the wire).
enum class PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};
enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };
enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};
enum class Codec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7,
};
enum class PageType : int32_t {
  kDataPage = 0,
  kIndexPage = 1,
  kDictionaryPage = 2,
  kDataPageV2 = 3
};

std::string_view PhysicalTypeName(int32_t type);
std::string_view EncodingName(int32_t encoding);
std::string_view CodecName(int32_t codec);

struct SchemaElement {
  std::optional<int32_t> type;  // PhysicalType; absent for groups
  int32_t type_length = 0;
  std::optional<int32_t> repetition;  // Repetition
  std::string name;
  int32_t num_children = 0;
  uint64_t offset = 0;  // file offset of the element (for messages)
};

struct ColumnMetaData {
  int32_t type = 0;  // PhysicalType
  std::vector<std::string> path_in_schema;
  int32_t codec = 0;  // Codec
  int64_t num_values = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
};

struct ColumnChunk {
  std::string file_path;  // non-empty: the data lives in another file (not supported)
  bool has_meta_data = false;
  ColumnMetaData meta_data;
  uint64_t offset = 0;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t num_rows = 0;
  uint64_t offset = 0;
};

struct FileMetaData {
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::string created_by;
};

struct DataPageHeader {  // v1 and v2 in one: v2-only fields stay 0 for v1
  int32_t num_values = 0;
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  int32_t encoding = 0;
  int32_t definition_level_encoding = static_cast<int32_t>(Encoding::kRle);
  int32_t definition_levels_byte_length = 0;  // v2
  int32_t repetition_levels_byte_length = 0;  // v2
  bool is_compressed = true;                  // v2
};

struct PageHeader {
  int32_t type = 0;  // PageType
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  bool has_data_v1 = false;  // data_page_header present
  bool has_data_v2 = false;  // data_page_header_v2 present
  bool has_dictionary = false;
  DataPageHeader data;
  int32_t dictionary_num_values = 0;
  int32_t dictionary_encoding = 0;
  size_t header_size = 0;  // bytes of the Thrift header itself
};

// Decodes the footer: `bytes` are the footer_length bytes before the trailing length + magic,
// `base` their file offset; `name` names the file in messages.
Result<FileMetaData> ParseFileMetaData(std::string_view bytes, uint64_t base,
                                       const std::string& name);
// Decodes one page header at the start of `bytes` (file offset `base`).
Result<PageHeader> ParsePageHeader(std::string_view bytes, uint64_t base, const std::string& name);

}  // namespace trainscope::ingest::parquet_internal
