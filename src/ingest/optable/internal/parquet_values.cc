// SPDX-License-Identifier: Apache-2.0
// Data pages of the flat Parquet reader: definition levels, PLAIN and dictionary-encoded values,
// nulls spread over their rows (ColumnDecoder, see parquet_column.h).
#include <algorithm>
#include <cstring>
#include <limits>

#include "ingest/optable/internal/parquet_column.h"
#include "ingest/optable/internal/parquet_encoding.h"

namespace trainscope::ingest::parquet_internal {
namespace {

template <typename T>
T LoadLe(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;  // little-endian hosts only (x86-64, aarch64)
}

}  // namespace

Status ColumnDecoder::DataPage(const PageHeader& h, std::string_view body, int64_t rows_left) {
  const DataPageHeader& d = h.data;
  const bool v2 = h.type == static_cast<int32_t>(PageType::kDataPageV2);
  if (d.num_values < 0) return Fail(StatusCode::kDataLoss, "negative num_values");
  if (d.num_values > rows_left) {
    return Fail(StatusCode::kDataLoss,
                fmt::format("the page holds {} values but only {} rows of the row group are left "
                            "(more values than rows)",
                            d.num_values, rows_left));
  }
  const auto n = static_cast<size_t>(d.num_values);
  std::string_view levels, values;
  if (!v2) {  // v1: levels and values compressed together; levels prefixed by their length
    TS_ASSIGN_OR_RETURN(std::string_view page, Inflate(body, h.uncompressed_page_size));
    values = page;
    if (optional_) {
      if (d.definition_level_encoding != static_cast<int32_t>(Encoding::kRle)) {
        return Fail(StatusCode::kInvalidArgument,
                    fmt::format("definition levels in encoding {} ({}), not supported (RLE is); {}",
                                EncodingName(d.definition_level_encoding),
                                d.definition_level_encoding, ParquetConversionHint(name_)));
      }
      if (page.size() < 4)
        return Fail(StatusCode::kDataLoss, "page too short for its definition-level length");
      const uint32_t length = LoadLe<uint32_t>(page.data());
      if (length > page.size() - 4) {
        return Fail(StatusCode::kDataLoss,
                    fmt::format("definition levels of {} bytes go beyond the page's {} bytes",
                                length, page.size()));
      }
      levels = page.substr(4, length);
      values = page.substr(4 + length);
    }
  } else {  // v2: levels first and never compressed, no length prefix; then the values
    const int64_t rep = d.repetition_levels_byte_length, def = d.definition_levels_byte_length;
    if (rep < 0 || def < 0 || rep + def > static_cast<int64_t>(body.size()) ||
        rep + def > h.uncompressed_page_size) {
      return Fail(StatusCode::kDataLoss,
                  fmt::format("level lengths {} + {} go beyond the page's {} bytes", rep, def,
                              body.size()));
    }
    if (rep != 0) return Fail(StatusCode::kDataLoss, "repetition levels in a flat column");
    if (!optional_ && def != 0)
      return Fail(StatusCode::kDataLoss, "definition levels in a REQUIRED column");
    levels = body.substr(static_cast<size_t>(rep), static_cast<size_t>(def));
    const std::string_view rest = body.substr(static_cast<size_t>(rep + def));
    const int64_t expected = h.uncompressed_page_size - rep - def;
    if (d.is_compressed) {
      TS_ASSIGN_OR_RETURN(values, Inflate(rest, expected));
    } else if (static_cast<int64_t>(rest.size()) != expected) {
      return Fail(StatusCode::kDataLoss,
                  fmt::format("uncompressed values of {} bytes but the header says {}", rest.size(),
                              expected));
    } else {
      values = rest;
    }
  }
  size_t present = n;
  if (optional_) {
    levels_.resize(n);
    RleBitPackedDecoder decoder(levels, 1);
    Status status = decoder.Decode(levels_.data(), n);
    if (!status.ok()) return Fail(StatusCode::kDataLoss, "definition levels: " + status.message());
    present = static_cast<size_t>(std::count(levels_.begin(), levels_.end(), 1u));
    if (v2 && static_cast<size_t>(d.num_nulls) != n - present) {
      return Fail(
          StatusCode::kDataLoss,
          fmt::format("header says {} nulls, the definition levels {}", d.num_nulls, n - present));
    }
  }
  // Every row so far has one slot in the column's vector: its size is this page's first row.
  const size_t base = column_->ints.size() + column_->reals.size() + column_->string_ids.size();
  TS_RETURN_IF_ERROR(DecodeValues(d.encoding, values, present));
  if (present < n) {
    ScatterNulls(base, present);
  } else if (!column_->present.empty()) {
    column_->present.resize(base + n, 1);
  }
  return OkStatus();
}

void ColumnDecoder::ScatterNulls(size_t base, size_t present_count) {
  const size_t n = levels_.size();
  auto scatter = [&](auto& v, auto null_value) {
    v.resize(base + n);
    size_t from = base + present_count;
    for (size_t i = n; i-- > 0;) v[base + i] = levels_[i] != 0 ? v[--from] : null_value;
  };
  switch (column_->kind) {
    case ParquetValueKind::kInt:
      scatter(column_->ints, int64_t{0});
      break;
    case ParquetValueKind::kReal:
      scatter(column_->reals, std::numeric_limits<double>::quiet_NaN());
      break;
    case ParquetValueKind::kString:
      scatter(column_->string_ids, int32_t{-1});
      break;
  }
  std::vector<uint8_t>& present = column_->present;
  if (present.empty()) present.assign(base, 1);
  for (size_t i = 0; i < n; ++i) {
    present.push_back(levels_[i] != 0);
    if (levels_[i] == 0 && column_->first_null_row < 0)
      column_->first_null_row = static_cast<int64_t>(base + i);
  }
}

int32_t ColumnDecoder::Intern(std::string_view value) {
  auto [it, inserted] =
      string_ids_.try_emplace(std::string(value), static_cast<int32_t>(column_->strings.size()));
  if (inserted) column_->strings.emplace_back(value);
  return it->second;
}

Status ColumnDecoder::DecodeValues(int32_t encoding, std::string_view data, size_t count) {
  switch (static_cast<Encoding>(encoding)) {
    case Encoding::kPlain:
      return DecodePlain(data, count, Sink{&column_->ints, &column_->reals, &column_->string_ids});
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary:
      if (!has_dictionary_) {
        return Fail(StatusCode::kDataLoss,
                    "dictionary-encoded values without a dictionary page before them");
      }
      return DecodeDictionaryIndices(data, count);
    case Encoding::kRle:
      if (type_ == static_cast<int32_t>(PhysicalType::kBoolean)) {
        if (data.size() < 4) return Fail(StatusCode::kDataLoss, "RLE booleans without a length");
        const uint32_t length = LoadLe<uint32_t>(data.data());
        if (length > data.size() - 4)
          return Fail(StatusCode::kDataLoss, "RLE booleans beyond the page");
        indices_.resize(count);
        RleBitPackedDecoder decoder(data.substr(4, length), 1);
        Status status = decoder.Decode(indices_.data(), count);
        if (!status.ok()) return Fail(StatusCode::kDataLoss, "RLE booleans: " + status.message());
        column_->ints.insert(column_->ints.end(), indices_.begin(), indices_.end());
        return OkStatus();
      }
      break;
    default:
      break;
  }
  return Fail(StatusCode::kInvalidArgument,
              fmt::format("encoding {} ({}) of {} values is not supported (PLAIN, PLAIN_DICTIONARY "
                          "and RLE_DICTIONARY are); {}",
                          EncodingName(encoding), encoding, PhysicalTypeName(type_),
                          ParquetConversionHint(name_)));
}

Status ColumnDecoder::DecodePlain(std::string_view data, size_t count, Sink sink) {
  auto need = [&](size_t width) -> Status {
    const size_t bytes = width == 0 ? (count + 7) / 8 : count * width;
    if (bytes > data.size()) {
      return Fail(StatusCode::kDataLoss,
                  fmt::format("{} PLAIN {} values need {} bytes, the page has {}", count,
                              PhysicalTypeName(type_), bytes, data.size()));
    }
    return OkStatus();
  };
  const char* p = data.data();
  switch (static_cast<PhysicalType>(type_)) {
    case PhysicalType::kBoolean:  // one bit each, least significant bit first
      TS_RETURN_IF_ERROR(need(0));
      for (size_t i = 0; i < count; ++i)
        sink.ints->push_back((static_cast<uint8_t>(p[i / 8]) >> (i % 8)) & 1);
      return OkStatus();
    case PhysicalType::kInt32:
      TS_RETURN_IF_ERROR(need(4));
      for (size_t i = 0; i < count; ++i) sink.ints->push_back(LoadLe<int32_t>(p + 4 * i));
      return OkStatus();
    case PhysicalType::kInt64:
      TS_RETURN_IF_ERROR(need(8));
      for (size_t i = 0; i < count; ++i) sink.ints->push_back(LoadLe<int64_t>(p + 8 * i));
      return OkStatus();
    case PhysicalType::kFloat:
      TS_RETURN_IF_ERROR(need(4));
      for (size_t i = 0; i < count; ++i) sink.reals->push_back(LoadLe<float>(p + 4 * i));
      return OkStatus();
    case PhysicalType::kDouble:
      TS_RETURN_IF_ERROR(need(8));
      for (size_t i = 0; i < count; ++i) sink.reals->push_back(LoadLe<double>(p + 8 * i));
      return OkStatus();
    case PhysicalType::kFixedLenByteArray: {
      const auto width = static_cast<size_t>(element_.type_length);
      TS_RETURN_IF_ERROR(need(width));
      for (size_t i = 0; i < count; ++i) sink.ids->push_back(Intern(data.substr(i * width, width)));
      return OkStatus();
    }
    case PhysicalType::kByteArray: {  // each value: 4-byte length, then its bytes
      size_t pos = 0;
      for (size_t i = 0; i < count; ++i) {
        if (data.size() - pos < 4 || LoadLe<uint32_t>(p + pos) > data.size() - pos - 4) {
          return Fail(StatusCode::kDataLoss,
                      fmt::format("PLAIN BYTE_ARRAY value {} of {} goes beyond the page's {} bytes",
                                  i, count, data.size()));
        }
        const uint32_t length = LoadLe<uint32_t>(p + pos);
        sink.ids->push_back(Intern(data.substr(pos + 4, length)));
        pos += 4 + length;
      }
      return OkStatus();
    }
    default:
      break;
  }
  return Fail(StatusCode::kInvalidArgument,
              fmt::format("PLAIN values of type {}, not supported", PhysicalTypeName(type_)));
}

Status ColumnDecoder::DecodeDictionaryIndices(std::string_view data, size_t count) {
  if (count == 0) return OkStatus();
  if (data.empty()) return Fail(StatusCode::kDataLoss, "dictionary indices without a bit width");
  const int bit_width = static_cast<uint8_t>(data[0]);
  if (bit_width > 32)
    return Fail(StatusCode::kDataLoss, fmt::format("dictionary index bit width {}", bit_width));
  indices_.resize(count);
  RleBitPackedDecoder decoder(data.substr(1), bit_width);
  Status status = decoder.Decode(indices_.data(), count);
  if (!status.ok()) return Fail(StatusCode::kDataLoss, "dictionary indices: " + status.message());
  const size_t dict_size = dict_ints_.size() + dict_reals_.size() + dict_ids_.size();
  uint32_t largest = 0;
  for (size_t i = 0; i < count; ++i) largest = std::max(largest, indices_[i]);
  for (size_t i = 0; largest >= dict_size && i < count; ++i) {
    if (indices_[i] >= dict_size) {
      return Fail(StatusCode::kDataLoss,
                  fmt::format("dictionary index {} of value {} is out of range (dictionary of {} "
                              "values)",
                              indices_[i], i, dict_size));
    }
  }
  auto gather = [&](auto& to, const auto& from) {
    const size_t base = to.size();
    to.resize(base + count);
    for (size_t i = 0; i < count; ++i) to[base + i] = from[indices_[i]];
  };
  switch (column_->kind) {
    case ParquetValueKind::kInt:
      gather(column_->ints, dict_ints_);
      break;
    case ParquetValueKind::kReal:
      gather(column_->reals, dict_reals_);
      break;
    case ParquetValueKind::kString:
      gather(column_->string_ids, dict_ids_);
      break;
  }
  return OkStatus();
}

}  // namespace trainscope::ingest::parquet_internal
