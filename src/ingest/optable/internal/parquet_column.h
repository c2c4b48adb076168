// SPDX-License-Identifier: Apache-2.0
// Decodes the column chunks of one flat Parquet column, row group after row group, into a
// ParquetColumn: page headers, decompression, definition levels, PLAIN and dictionary values.
// Every failure names the file, column, row group and the byte offset of the page.
// Thread safety: one decoder per thread; the file bytes must outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "ingest/optable/internal/parquet_metadata.h"
#include "ingest/optable/parquet_reader.h"

namespace trainscope::ingest::parquet_internal {

class ColumnDecoder {
 public:
  // `file`: the whole file; `data_end`: where the footer starts (pages must end before it).
  // Errors for physical types the reader does not handle (INT96, FIXED_LEN_BYTE_ARRAY without a
  // length).
  static Result<std::unique_ptr<ColumnDecoder>> Create(std::string_view file, uint64_t data_end,
                                                       const std::string& name,
                                                       const SchemaElement& element);
  // The column the values go to (fills its name, type, kind; reserves for `num_rows`).
  void Bind(ParquetColumn& column, int64_t num_rows);
  // Decodes one column chunk holding `num_rows` rows of row group `row_group`.
  Status DecodeChunk(const ColumnChunk& chunk, int64_t row_group, int64_t num_rows);

 private:
  struct Sink {  // where decoded values go: the column or the dictionary
    std::vector<int64_t>* ints;
    std::vector<double>* reals;
    std::vector<int32_t>* ids;
  };

  ColumnDecoder(std::string_view file, uint64_t data_end, const std::string& name,
                const SchemaElement& element)
      : file_(file), data_end_(data_end), name_(name), element_(element) {}

  Status DictionaryPage(const PageHeader& header, std::string_view body);
  Status DataPage(const PageHeader& header, std::string_view body, int64_t rows_left);
  // Decompresses `body` into page_buffer_ (expected `size` bytes), checking the size is
  // plausible for the codec before allocating.
  Result<std::string_view> Inflate(std::string_view body, int64_t size);
  Status DecodeValues(int32_t encoding, std::string_view data, size_t count);
  Status DecodePlain(std::string_view data, size_t count, Sink sink);
  Status DecodeDictionaryIndices(std::string_view data, size_t count);
  // Spreads the `present_count` values just appended after row `base` over `levels_.size()` rows
  // (nulls where a level is 0).
  void ScatterNulls(size_t base, size_t present_count);
  int32_t Intern(std::string_view value);

  // "<file>: column '<c>', row group <g>, page at byte <o>: <what>"
  Status Fail(StatusCode code, const std::string& what) const;

  std::string_view file_;
  uint64_t data_end_;
  const std::string& name_;
  SchemaElement element_;
  int32_t type_ = 0;
  ParquetColumn* column_ = nullptr;
  bool optional_ = false;
  int32_t codec_ = 0;
  int64_t row_group_ = 0;
  uint64_t page_offset_ = 0;
  // Dictionary of the current chunk.
  bool has_dictionary_ = false;
  std::vector<int64_t> dict_ints_;
  std::vector<double> dict_reals_;
  std::vector<int32_t> dict_ids_;
  std::unordered_map<std::string, int32_t> string_ids_;
  // Scratch buffers reused across pages.
  std::string page_buffer_;
  std::vector<uint32_t> levels_;
  std::vector<uint32_t> indices_;
};

}  // namespace trainscope::ingest::parquet_internal
