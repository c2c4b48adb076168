// SPDX-License-Identifier: Apache-2.0
// Column-chunk decoding of the flat Parquet reader (see parquet_column.h).
#include "ingest/optable/internal/parquet_column.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "ingest/optable/internal/parquet_encoding.h"

namespace trainscope::ingest::parquet_internal {
namespace {

ParquetValueKind KindOf(int32_t type) {
  switch (static_cast<PhysicalType>(type)) {
    case PhysicalType::kFloat:
    case PhysicalType::kDouble:
      return ParquetValueKind::kReal;
    case PhysicalType::kByteArray:
    case PhysicalType::kFixedLenByteArray:
      return ParquetValueKind::kString;
    default:
      return ParquetValueKind::kInt;
  }
}

}  // namespace

Result<std::unique_ptr<ColumnDecoder>> ColumnDecoder::Create(std::string_view file,
                                                             uint64_t data_end,
                                                             const std::string& name,
                                                             const SchemaElement& element) {
  const int32_t type = element.type.value_or(-1);
  if (type == static_cast<int32_t>(PhysicalType::kInt96)) {
    return InvalidArgumentError(
        "{}: byte {}: column '{}' has physical type INT96 (legacy timestamps), not supported; {}",
        name, element.offset, element.name, ParquetConversionHint(name));
  }
  if (type < 0 || type > static_cast<int32_t>(PhysicalType::kFixedLenByteArray)) {
    return DataLossError("{}: byte {}: column '{}' has unknown physical type {}", name,
                         element.offset, element.name, type);
  }
  if (type == static_cast<int32_t>(PhysicalType::kFixedLenByteArray) && element.type_length <= 0) {
    return DataLossError("{}: byte {}: FIXED_LEN_BYTE_ARRAY column '{}' has type_length {}", name,
                         element.offset, element.name, element.type_length);
  }
  std::unique_ptr<ColumnDecoder> decoder(new ColumnDecoder(file, data_end, name, element));
  decoder->type_ = type;
  decoder->optional_ = element.repetition == static_cast<int32_t>(Repetition::kOptional);
  return decoder;
}

void ColumnDecoder::Bind(ParquetColumn& column, int64_t num_rows) {
  column_ = &column;
  column.physical_type = PhysicalTypeName(type_);
  column.kind = KindOf(type_);
  column.optional = optional_;
  // Reserve for the rows the footer claims, but no more than the file could plausibly hold: a
  // corrupt count must not allocate gigabytes before the pages disagree with it.
  const auto rows = static_cast<size_t>(
      std::min<int64_t>(num_rows, static_cast<int64_t>(file_.size()) * 8 + 1024));
  switch (column.kind) {
    case ParquetValueKind::kInt:
      column.ints.reserve(rows);
      break;
    case ParquetValueKind::kReal:
      column.reals.reserve(rows);
      break;
    case ParquetValueKind::kString:
      column.string_ids.reserve(rows);
      break;
  }
}

Status ColumnDecoder::Fail(StatusCode code, const std::string& what) const {
  return Status(code, fmt::format("{}: column '{}', row group {}, page at byte {}: {}", name_,
                                  element_.name, row_group_, page_offset_, what));
}

Status ColumnDecoder::DecodeChunk(const ColumnChunk& chunk, int64_t row_group, int64_t num_rows) {
  row_group_ = row_group;
  has_dictionary_ = false;
  dict_ints_.clear();
  dict_reals_.clear();
  dict_ids_.clear();
  auto chunk_error = [&](StatusCode code, const std::string& what) {
    return Status(
        code, fmt::format("{}: column '{}', row group {}, column chunk (footer byte {}): {}", name_,
                          element_.name, row_group, chunk.offset, what));
  };
  if (!chunk.file_path.empty()) {
    return chunk_error(StatusCode::kInvalidArgument,
                       fmt::format("its data is in another file ('{}'), not supported; {}",
                                   chunk.file_path, ParquetConversionHint(name_)));
  }
  if (!chunk.has_meta_data) return chunk_error(StatusCode::kDataLoss, "no ColumnMetaData");
  const ColumnMetaData& m = chunk.meta_data;
  if (m.type != type_) {
    return chunk_error(StatusCode::kDataLoss,
                       fmt::format("physical type {} differs from the schema's {}",
                                   PhysicalTypeName(m.type), PhysicalTypeName(type_)));
  }
  if (m.path_in_schema.size() != 1 || m.path_in_schema[0] != element_.name) {
    return chunk_error(StatusCode::kDataLoss,
                       fmt::format("path_in_schema '{}' does not name the column",
                                   fmt::join(m.path_in_schema, ".")));
  }
  if (!CodecSupported(m.codec)) {
    return chunk_error(
        StatusCode::kInvalidArgument,
        fmt::format("compression codec {} ({}) is not supported (UNCOMPRESSED, SNAPPY and GZIP "
                    "are); {}",
                    CodecName(m.codec), m.codec, ParquetConversionHint(name_)));
  }
  if (m.num_values != num_rows) {
    return chunk_error(
        StatusCode::kDataLoss,
        fmt::format("holds {} values for the row group's {} rows", m.num_values, num_rows));
  }
  int64_t start = m.data_page_offset;
  if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 &&
      *m.dictionary_page_offset < start)
    start = *m.dictionary_page_offset;
  if (start < 4 || static_cast<uint64_t>(start) > data_end_ || m.total_compressed_size < 0 ||
      static_cast<uint64_t>(m.total_compressed_size) > data_end_ - static_cast<uint64_t>(start)) {
    return chunk_error(
        StatusCode::kDataLoss,
        fmt::format("its pages at bytes [{}, {}) lie outside the data (bytes [4, {}) before the "
                    "footer; file of {} bytes)",
                    start, static_cast<int64_t>(start) + m.total_compressed_size, data_end_,
                    file_.size()));
  }
  codec_ = m.codec;
  uint64_t pos = static_cast<uint64_t>(start);
  const uint64_t end = pos + static_cast<uint64_t>(m.total_compressed_size);
  int64_t done = 0;
  bool data_seen = false;
  while (done < num_rows) {
    page_offset_ = pos;
    if (pos >= end) {
      return Fail(StatusCode::kDataLoss,
                  fmt::format("the column chunk ends (byte {}) after {} of its {} values", end,
                              done, num_rows));
    }
    Result<PageHeader> parsed = ParsePageHeader(file_.substr(pos, end - pos), pos, name_);
    if (!parsed) {
      return Status(parsed.error().code(),
                    fmt::format("{} (page header of column '{}', row group {})",
                                parsed.error().message(), element_.name, row_group));
    }
    const PageHeader& h = *parsed;
    const uint64_t body_start = pos + h.header_size;
    if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0) {
      return Fail(StatusCode::kDataLoss,
                  fmt::format("negative page size ({} compressed, {} uncompressed)",
                              h.compressed_page_size, h.uncompressed_page_size));
    }
    if (static_cast<uint64_t>(h.compressed_page_size) > end - body_start) {
      return Fail(StatusCode::kDataLoss,
                  fmt::format("its {} bytes after the {}-byte header go beyond the column "
                              "chunk's end at byte {} (file of {} bytes)",
                              h.compressed_page_size, h.header_size, end, file_.size()));
    }
    const std::string_view body =
        file_.substr(body_start, static_cast<size_t>(h.compressed_page_size));
    switch (static_cast<PageType>(h.type)) {
      case PageType::kDictionaryPage:
        if (has_dictionary_ || data_seen)
          return Fail(StatusCode::kDataLoss, "a dictionary page after the chunk's first page");
        if (!h.has_dictionary)
          return Fail(StatusCode::kDataLoss, "dictionary page without a DictionaryPageHeader");
        TS_RETURN_IF_ERROR(DictionaryPage(h, body));
        break;
      case PageType::kDataPage:
      case PageType::kDataPageV2: {
        const bool v2 = h.type == static_cast<int32_t>(PageType::kDataPageV2);
        if (v2 ? !h.has_data_v2 : !h.has_data_v1)
          return Fail(StatusCode::kDataLoss, "data page without its data page header");
        TS_RETURN_IF_ERROR(DataPage(h, body, num_rows - done));
        done += h.data.num_values;
        data_seen = true;
        break;
      }
      default:
        break;  // index pages and unknown page types carry no values
    }
    pos = body_start + static_cast<uint64_t>(h.compressed_page_size);
  }
  return OkStatus();
}

Result<std::string_view> ColumnDecoder::Inflate(std::string_view body, int64_t size) {
  if (codec_ == static_cast<int32_t>(Codec::kUncompressed)) {
    if (static_cast<int64_t>(body.size()) != size) {
      return Fail(StatusCode::kDataLoss,
                  fmt::format("uncompressed page of {} bytes but uncompressed_page_size {}",
                              body.size(), size));
    }
    return body;
  }
  // Largest expansion each codec can produce (snappy: a 3-byte copy of 64 bytes; deflate:
  // about 1032:1): a header claiming more is corrupt, and must not make us allocate it.
  const int64_t ratio = codec_ == static_cast<int32_t>(Codec::kSnappy) ? 24 : 1040;
  if (size > static_cast<int64_t>(body.size()) * ratio + 1024) {
    return Fail(StatusCode::kDataLoss,
                fmt::format("header says {} compressed bytes inflate to {}, more than {} can",
                            body.size(), size, CodecName(codec_)));
  }
  Status status = DecompressPage(codec_, body, static_cast<size_t>(size), page_buffer_);
  if (!status.ok()) return Fail(status.code(), status.message());
  return std::string_view(page_buffer_);
}

Status ColumnDecoder::DictionaryPage(const PageHeader& h, std::string_view body) {
  if (h.dictionary_encoding != static_cast<int32_t>(Encoding::kPlain) &&
      h.dictionary_encoding != static_cast<int32_t>(Encoding::kPlainDictionary)) {
    return Fail(StatusCode::kInvalidArgument,
                fmt::format("dictionary in encoding {} ({}), not supported (PLAIN is); {}",
                            EncodingName(h.dictionary_encoding), h.dictionary_encoding,
                            ParquetConversionHint(name_)));
  }
  if (h.dictionary_num_values < 0) return Fail(StatusCode::kDataLoss, "negative dictionary size");
  TS_ASSIGN_OR_RETURN(std::string_view page, Inflate(body, h.uncompressed_page_size));
  TS_RETURN_IF_ERROR(DecodePlain(page, static_cast<size_t>(h.dictionary_num_values),
                                 Sink{&dict_ints_, &dict_reals_, &dict_ids_}));
  has_dictionary_ = true;
  return OkStatus();
}

}  // namespace trainscope::ingest::parquet_internal
