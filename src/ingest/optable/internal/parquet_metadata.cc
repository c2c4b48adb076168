// SPDX-License-Identifier: Apache-2.0
// Parquet footer and page-header decoding (see parquet_metadata.h). Field ids follow
// parquet.thrift; every struct reader skips the fields it does not know.
#include "ingest/optable/internal/parquet_metadata.h"

#include <array>

#include "ingest/optable/internal/thrift_compact.h"

namespace trainscope::ingest::parquet_internal {
namespace {

// Reads the fields of one struct: `on_field(field, handled)` consumes the fields it knows and
// sets `handled`; the others are skipped. `seen` gets bit `id` for every field id below 32.
template <typename OnField>
Status ReadStruct(CompactReader& r, uint32_t& seen, OnField&& on_field) {
  TS_RETURN_IF_ERROR(r.BeginStruct());
  while (true) {
    ThriftField field;
    TS_RETURN_IF_ERROR(r.NextField(field));
    if (field.type == ThriftType::kStop) break;
    bool handled = false;
    TS_RETURN_IF_ERROR(on_field(field, handled));
    if (!handled) TS_RETURN_IF_ERROR(r.Skip(field.type));
    if (field.id >= 0 && field.id < 32) seen |= 1u << field.id;
  }
  r.EndStruct();
  return OkStatus();
}

Status Require(const CompactReader& r, uint32_t seen, uint64_t offset, std::string_view what,
               std::initializer_list<std::pair<int, const char*>> fields) {
  for (const auto& [id, field_name] : fields) {
    if ((seen & (1u << id)) == 0) {
      return DataLossError("{}: byte {}: {} lacks its required field {} ({})", r.name(), offset,
                           what, field_name, id);
    }
  }
  return OkStatus();
}

Status ReadI32Field(CompactReader& r, const ThriftField& f, std::string_view what, int32_t& out) {
  if (f.type != ThriftType::kI32) return r.WrongType(f, what);
  return r.ReadI32(out);
}

Status ReadI64Field(CompactReader& r, const ThriftField& f, std::string_view what, int64_t& out) {
  if (f.type != ThriftType::kI64) return r.WrongType(f, what);
  return r.ReadI64(out);
}

Status ReadStringField(CompactReader& r, const ThriftField& f, std::string_view what,
                       std::string& out) {
  if (f.type != ThriftType::kBinary) return r.WrongType(f, what);
  std::string_view bytes;
  TS_RETURN_IF_ERROR(r.ReadBinary(bytes));
  out.assign(bytes);
  return OkStatus();
}

// A list<struct> field: `read_element(index)` reads one struct.
template <typename ReadElement>
Status ReadStructList(CompactReader& r, const ThriftField& f, std::string_view what,
                      ReadElement&& read_element) {
  if (f.type != ThriftType::kList) return r.WrongType(f, what);
  ThriftList list;
  TS_RETURN_IF_ERROR(r.ReadListHeader(list));
  if (list.element != ThriftType::kStruct && list.size > 0) return r.WrongType(f, what);
  for (uint32_t i = 0; i < list.size; ++i) TS_RETURN_IF_ERROR(read_element(i));
  return OkStatus();
}

Status ReadSchemaElement(CompactReader& r, SchemaElement& e) {
  e.offset = r.offset();
  uint32_t seen = 0;
  // (Not TS_RETURN_IF_ERROR: the lambda's own uses of it would shadow its status.)
  Status status = ReadStruct(r, seen, [&](const ThriftField& f, bool& handled) -> Status {
    int32_t v = 0;
    handled = true;
    switch (f.id) {
      case 1:
        TS_RETURN_IF_ERROR(ReadI32Field(r, f, "SchemaElement.type", v));
        e.type = v;
        break;
      case 2:
        return ReadI32Field(r, f, "SchemaElement.type_length", e.type_length);
      case 3:
        TS_RETURN_IF_ERROR(ReadI32Field(r, f, "SchemaElement.repetition_type", v));
        e.repetition = v;
        break;
      case 4:
        return ReadStringField(r, f, "SchemaElement.name", e.name);
      case 5:
        return ReadI32Field(r, f, "SchemaElement.num_children", e.num_children);
      default:
        handled = false;
    }
    return OkStatus();
  });
  if (!status.ok()) return status;
  return Require(r, seen, e.offset, "SchemaElement", {{4, "name"}});
}

Status ReadColumnMetaData(CompactReader& r, ColumnMetaData& m) {
  const uint64_t offset = r.offset();
  uint32_t seen = 0;
  Status status = ReadStruct(r, seen, [&](const ThriftField& f, bool& handled) -> Status {
    handled = true;
    int64_t v = 0;
    switch (f.id) {
      case 1:
        return ReadI32Field(r, f, "ColumnMetaData.type", m.type);
      case 3: {
        if (f.type != ThriftType::kList) return r.WrongType(f, "ColumnMetaData.path_in_schema");
        ThriftList list;
        TS_RETURN_IF_ERROR(r.ReadListHeader(list));
        if (list.element != ThriftType::kBinary && list.size > 0)
          return r.WrongType(f, "ColumnMetaData.path_in_schema");
        for (uint32_t i = 0; i < list.size; ++i) {
          std::string_view part;
          TS_RETURN_IF_ERROR(r.ReadBinary(part));
          m.path_in_schema.emplace_back(part);
        }
        return OkStatus();
      }
      case 4:
        return ReadI32Field(r, f, "ColumnMetaData.codec", m.codec);
      case 5:
        return ReadI64Field(r, f, "ColumnMetaData.num_values", m.num_values);
      case 7:
        return ReadI64Field(r, f, "ColumnMetaData.total_compressed_size", m.total_compressed_size);
      case 9:
        return ReadI64Field(r, f, "ColumnMetaData.data_page_offset", m.data_page_offset);
      case 11:
        TS_RETURN_IF_ERROR(ReadI64Field(r, f, "ColumnMetaData.dictionary_page_offset", v));
        m.dictionary_page_offset = v;
        return OkStatus();
      default:
        handled = false;
    }
    return OkStatus();
  });
  if (!status.ok()) return status;
  return Require(r, seen, offset, "ColumnMetaData",
                 {{1, "type"},
                  {3, "path_in_schema"},
                  {4, "codec"},
                  {5, "num_values"},
                  {7, "total_compressed_size"},
                  {9, "data_page_offset"}});
}

Status ReadColumnChunk(CompactReader& r, ColumnChunk& c) {
  c.offset = r.offset();
  uint32_t seen = 0;
  return ReadStruct(r, seen, [&](const ThriftField& f, bool& handled) -> Status {
    handled = true;
    switch (f.id) {
      case 1:
        return ReadStringField(r, f, "ColumnChunk.file_path", c.file_path);
      case 3:
        if (f.type != ThriftType::kStruct) return r.WrongType(f, "ColumnChunk.meta_data");
        c.has_meta_data = true;
        return ReadColumnMetaData(r, c.meta_data);
      default:
        handled = false;
    }
    return OkStatus();
  });
}

Status ReadRowGroup(CompactReader& r, RowGroup& g) {
  g.offset = r.offset();
  uint32_t seen = 0;
  Status status = ReadStruct(r, seen, [&](const ThriftField& f, bool& handled) -> Status {
    handled = true;
    switch (f.id) {
      case 1:
        return ReadStructList(r, f, "RowGroup.columns", [&](uint32_t) -> Status {
          return ReadColumnChunk(r, g.columns.emplace_back());
        });
      case 3:
        return ReadI64Field(r, f, "RowGroup.num_rows", g.num_rows);
      default:
        handled = false;
    }
    return OkStatus();
  });
  if (!status.ok()) return status;
  return Require(r, seen, g.offset, "RowGroup", {{1, "columns"}, {3, "num_rows"}});
}

}  // namespace

std::string_view PhysicalTypeName(int32_t type) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "BOOLEAN", "INT32",  "INT64",      "INT96",
      "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  return type >= 0 && type < 8 ? kNames[static_cast<size_t>(type)] : "unknown type";
}

std::string_view EncodingName(int32_t encoding) {
  static constexpr std::array<std::string_view, 11> kNames = {"PLAIN",
                                                              "GROUP_VAR_INT",
                                                              "PLAIN_DICTIONARY",
                                                              "RLE",
                                                              "BIT_PACKED",
                                                              "DELTA_BINARY_PACKED",
                                                              "DELTA_LENGTH_BYTE_ARRAY",
                                                              "DELTA_BYTE_ARRAY",
                                                              "RLE_DICTIONARY",
                                                              "BYTE_STREAM_SPLIT",
                                                              "ALP"};
  return encoding >= 0 && encoding < 11 ? kNames[static_cast<size_t>(encoding)]
                                        : "unknown encoding";
}

std::string_view CodecName(int32_t codec) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
  return codec >= 0 && codec < 8 ? kNames[static_cast<size_t>(codec)] : "unknown codec";
}

Result<FileMetaData> ParseFileMetaData(std::string_view bytes, uint64_t base,
                                       const std::string& name) {
  CompactReader r(bytes, base, name);
  FileMetaData meta;
  uint32_t seen = 0;
  Status status = ReadStruct(r, seen, [&](const ThriftField& f, bool& handled) -> Status {
    handled = true;
    switch (f.id) {
      case 2:
        return ReadStructList(r, f, "FileMetaData.schema", [&](uint32_t) -> Status {
          return ReadSchemaElement(r, meta.schema.emplace_back());
        });
      case 3:
        return ReadI64Field(r, f, "FileMetaData.num_rows", meta.num_rows);
      case 4:
        return ReadStructList(r, f, "FileMetaData.row_groups", [&](uint32_t) -> Status {
          return ReadRowGroup(r, meta.row_groups.emplace_back());
        });
      case 6:
        return ReadStringField(r, f, "FileMetaData.created_by", meta.created_by);
      default:
        handled = false;
    }
    return OkStatus();
  });
  if (!status.ok()) return status;
  TS_RETURN_IF_ERROR(Require(r, seen, base, "FileMetaData (the footer)",
                             {{2, "schema"}, {3, "num_rows"}, {4, "row_groups"}}));
  return meta;
}

Result<PageHeader> ParsePageHeader(std::string_view bytes, uint64_t base, const std::string& name) {
  CompactReader r(bytes, base, name);
  PageHeader h;
  uint32_t seen = 0;
  Status status = ReadStruct(r, seen, [&](const ThriftField& f, bool& handled) -> Status {
    handled = true;
    uint32_t sub_seen = 0;
    const uint64_t sub_offset = r.offset();
    switch (f.id) {
      case 1:
        return ReadI32Field(r, f, "PageHeader.type", h.type);
      case 2:
        return ReadI32Field(r, f, "PageHeader.uncompressed_page_size", h.uncompressed_page_size);
      case 3:
        return ReadI32Field(r, f, "PageHeader.compressed_page_size", h.compressed_page_size);
      case 5:  // DataPageHeader
        if (f.type != ThriftType::kStruct) return r.WrongType(f, "PageHeader.data_page_header");
        h.has_data_v1 = true;
        TS_RETURN_IF_ERROR(ReadStruct(r, sub_seen, [&](const ThriftField& g, bool& g_handled) {
          g_handled = true;
          switch (g.id) {
            case 1:
              return ReadI32Field(r, g, "DataPageHeader.num_values", h.data.num_values);
            case 2:
              return ReadI32Field(r, g, "DataPageHeader.encoding", h.data.encoding);
            case 3:
              return ReadI32Field(r, g, "DataPageHeader.definition_level_encoding",
                                  h.data.definition_level_encoding);
            default:
              g_handled = false;
          }
          return OkStatus();
        }));
        return Require(r, sub_seen, sub_offset, "DataPageHeader",
                       {{1, "num_values"}, {2, "encoding"}});
      case 7:  // DictionaryPageHeader
        if (f.type != ThriftType::kStruct)
          return r.WrongType(f, "PageHeader.dictionary_page_header");
        h.has_dictionary = true;
        TS_RETURN_IF_ERROR(ReadStruct(r, sub_seen, [&](const ThriftField& g, bool& g_handled) {
          g_handled = true;
          switch (g.id) {
            case 1:
              return ReadI32Field(r, g, "DictionaryPageHeader.num_values", h.dictionary_num_values);
            case 2:
              return ReadI32Field(r, g, "DictionaryPageHeader.encoding", h.dictionary_encoding);
            default:
              g_handled = false;
          }
          return OkStatus();
        }));
        return Require(r, sub_seen, sub_offset, "DictionaryPageHeader",
                       {{1, "num_values"}, {2, "encoding"}});
      case 8:  // DataPageHeaderV2
        if (f.type != ThriftType::kStruct) return r.WrongType(f, "PageHeader.data_page_header_v2");
        h.has_data_v2 = true;
        TS_RETURN_IF_ERROR(ReadStruct(r, sub_seen, [&](const ThriftField& g, bool& g_handled) {
          g_handled = true;
          DataPageHeader& d = h.data;
          switch (g.id) {
            case 1:
              return ReadI32Field(r, g, "DataPageHeaderV2.num_values", d.num_values);
            case 2:
              return ReadI32Field(r, g, "DataPageHeaderV2.num_nulls", d.num_nulls);
            case 3:
              return ReadI32Field(r, g, "DataPageHeaderV2.num_rows", d.num_rows);
            case 4:
              return ReadI32Field(r, g, "DataPageHeaderV2.encoding", d.encoding);
            case 5:
              return ReadI32Field(r, g, "DataPageHeaderV2.definition_levels_byte_length",
                                  d.definition_levels_byte_length);
            case 6:
              return ReadI32Field(r, g, "DataPageHeaderV2.repetition_levels_byte_length",
                                  d.repetition_levels_byte_length);
            case 7:
              if (g.type != ThriftType::kBoolTrue && g.type != ThriftType::kBoolFalse)
                return r.WrongType(g, "DataPageHeaderV2.is_compressed");
              d.is_compressed = CompactReader::BoolOfField(g);
              return OkStatus();
            default:
              g_handled = false;
          }
          return OkStatus();
        }));
        return Require(r, sub_seen, sub_offset, "DataPageHeaderV2",
                       {{1, "num_values"},
                        {4, "encoding"},
                        {5, "definition_levels_byte_length"},
                        {6, "repetition_levels_byte_length"}});
      default:
        handled = false;
    }
    return OkStatus();
  });
  if (!status.ok()) return status;
  TS_RETURN_IF_ERROR(
      Require(r, seen, base, "PageHeader",
              {{1, "type"}, {2, "uncompressed_page_size"}, {3, "compressed_page_size"}}));
  h.header_size = r.pos();
  return h;
}

}  // namespace trainscope::ingest::parquet_internal
