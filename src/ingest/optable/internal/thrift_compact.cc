// SPDX-License-Identifier: Apache-2.0
// Thrift compact protocol reader (see thrift_compact.h).
#include "ingest/optable/internal/thrift_compact.h"

namespace trainscope::ingest::parquet_internal {
namespace {

int64_t ZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

Status CompactReader::ReadByte(uint8_t& out) {
  if (pos_ >= data_.size()) return Error("unexpected end of the Thrift structure");
  out = static_cast<uint8_t>(data_[pos_++]);
  return OkStatus();
}

Status CompactReader::ReadVarint(uint64_t& out) {
  out = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    uint8_t byte = 0;
    TS_RETURN_IF_ERROR(ReadByte(byte));
    out |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return OkStatus();
  }
  return Error("varint longer than 10 bytes");
}

Status CompactReader::BeginStruct() {
  if (depth_ >= kMaxDepth) return Error("Thrift structures nested deeper than {}", kMaxDepth);
  last_id_[++depth_] = 0;
  return OkStatus();
}

void CompactReader::EndStruct() {
  if (depth_ > 0) --depth_;
}

Status CompactReader::NextField(ThriftField& field) {
  field.offset = offset();
  uint8_t header = 0;
  TS_RETURN_IF_ERROR(ReadByte(header));
  field.type = static_cast<ThriftType>(header & 0x0f);
  if (field.type == ThriftType::kStop) {
    field.id = 0;
    return OkStatus();
  }
  if (header & 0x0f0) {
    field.id = static_cast<int16_t>(last_id_[depth_] + (header >> 4));
  } else {
    uint64_t raw = 0;
    TS_RETURN_IF_ERROR(ReadVarint(raw));
    const int64_t id = ZigZag(raw);
    if (id < INT16_MIN || id > INT16_MAX) return Error("field id {} out of range", id);
    field.id = static_cast<int16_t>(id);
  }
  if (static_cast<uint8_t>(field.type) > static_cast<uint8_t>(ThriftType::kStruct)) {
    pos_ = field.offset - base_;
    return Error("unknown Thrift compact type {} in a field header", header & 0x0f);
  }
  last_id_[depth_] = field.id;
  return OkStatus();
}

Status CompactReader::ReadI32(int32_t& out) {
  int64_t v = 0;
  TS_RETURN_IF_ERROR(ReadI64(v));
  if (v < INT32_MIN || v > INT32_MAX) return Error("i32 value {} out of range", v);
  out = static_cast<int32_t>(v);
  return OkStatus();
}

Status CompactReader::ReadI64(int64_t& out) {
  uint64_t raw = 0;
  TS_RETURN_IF_ERROR(ReadVarint(raw));
  out = ZigZag(raw);
  return OkStatus();
}

Status CompactReader::ReadBinary(std::string_view& out) {
  uint64_t size = 0;
  TS_RETURN_IF_ERROR(ReadVarint(size));
  if (size > data_.size() - pos_) {
    return Error("binary of {} bytes goes beyond the structure's end ({} bytes left)", size,
                 data_.size() - pos_);
  }
  out = data_.substr(pos_, size);
  pos_ += size;
  return OkStatus();
}

Status CompactReader::ReadListHeader(ThriftList& out) {
  uint8_t header = 0;
  TS_RETURN_IF_ERROR(ReadByte(header));
  out.element = static_cast<ThriftType>(header & 0x0f);
  uint64_t size = header >> 4;
  if (size == 15) TS_RETURN_IF_ERROR(ReadVarint(size));
  // Every element takes at least one byte: a larger count is a corrupt length, caught here
  // before anyone reserves memory for it.
  if (size > data_.size() - pos_) {
    return Error("list of {} elements cannot fit in the {} bytes left", size, data_.size() - pos_);
  }
  out.size = static_cast<uint32_t>(size);
  return OkStatus();
}

Status CompactReader::WrongType(const ThriftField& field, std::string_view what) const {
  return DataLossError("{}: byte {}: field {} ({}) has Thrift type {}, not the expected one", name_,
                       field.offset, field.id, what, static_cast<int>(field.type));
}

Status CompactReader::Skip(ThriftType type) { return SkipDepth(type, 0); }

Status CompactReader::SkipDepth(ThriftType type, int depth) {
  if (depth > kMaxDepth) return Error("Thrift values nested deeper than {}", kMaxDepth);
  uint8_t byte = 0;
  uint64_t raw = 0;
  std::string_view bytes;
  switch (type) {
    case ThriftType::kBoolTrue:
    case ThriftType::kBoolFalse:
      return OkStatus();  // the value is in the field header
    case ThriftType::kByte:
      return ReadByte(byte);
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64:
      return ReadVarint(raw);
    case ThriftType::kDouble:
      if (data_.size() - pos_ < 8) return Error("unexpected end of the Thrift structure");
      pos_ += 8;
      return OkStatus();
    case ThriftType::kBinary:
      return ReadBinary(bytes);
    case ThriftType::kList:
    case ThriftType::kSet: {
      ThriftList list;
      TS_RETURN_IF_ERROR(ReadListHeader(list));
      for (uint32_t i = 0; i < list.size; ++i) {
        // Bools inside containers are one byte each.
        if (list.element == ThriftType::kBoolTrue || list.element == ThriftType::kBoolFalse) {
          TS_RETURN_IF_ERROR(ReadByte(byte));
        } else {
          TS_RETURN_IF_ERROR(SkipDepth(list.element, depth + 1));
        }
      }
      return OkStatus();
    }
    case ThriftType::kMap: {
      TS_RETURN_IF_ERROR(ReadVarint(raw));
      if (raw == 0) return OkStatus();
      if (raw > data_.size() - pos_) return Error("map of {} entries cannot fit", raw);
      TS_RETURN_IF_ERROR(ReadByte(byte));
      const auto key = static_cast<ThriftType>(byte >> 4);
      const auto value = static_cast<ThriftType>(byte & 0x0f);
      for (uint64_t i = 0; i < raw; ++i) {
        for (ThriftType t : {key, value}) {
          if (t == ThriftType::kBoolTrue || t == ThriftType::kBoolFalse) {
            TS_RETURN_IF_ERROR(ReadByte(byte));
          } else {
            TS_RETURN_IF_ERROR(SkipDepth(t, depth + 1));
          }
        }
      }
      return OkStatus();
    }
    case ThriftType::kStruct: {
      TS_RETURN_IF_ERROR(BeginStruct());
      while (true) {
        ThriftField field;
        TS_RETURN_IF_ERROR(NextField(field));
        if (field.type == ThriftType::kStop) break;
        TS_RETURN_IF_ERROR(SkipDepth(field.type, depth + 1));
      }
      EndStruct();
      return OkStatus();
    }
    case ThriftType::kStop:
      break;
  }
  return Error("cannot skip a value of Thrift compact type {}", static_cast<int>(type));
}

}  // namespace trainscope::ingest::parquet_internal
