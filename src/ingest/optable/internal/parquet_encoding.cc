// SPDX-License-Identifier: Apache-2.0
// RLE / bit-packing hybrid decoder and page decompression (see parquet_encoding.h).
#include "ingest/optable/internal/parquet_encoding.h"

#include <snappy.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "ingest/optable/internal/parquet_metadata.h"

namespace trainscope::ingest::parquet_internal {

Status RleBitPackedDecoder::NextRun() {
  uint64_t header = 0;
  for (int shift = 0;; shift += 7) {
    if (pos_ >= data_.size()) return DataLossError("run header beyond the end of the data");
    if (shift > 35) return DataLossError("run header varint longer than 5 bytes");
    const auto byte = static_cast<uint8_t>(data_[pos_++]);
    header |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  if ((header & 1) == 0) {
    rle_ = true;
    remaining_ = header >> 1;
    const size_t value_bytes = static_cast<size_t>((bit_width_ + 7) / 8);
    if (data_.size() - pos_ < value_bytes) return DataLossError("RLE run value beyond the data");
    uint32_t value = 0;
    for (size_t b = 0; b < value_bytes; ++b)
      value |= static_cast<uint32_t>(static_cast<uint8_t>(data_[pos_ + b])) << (8 * b);
    pos_ += value_bytes;
    if (bit_width_ < 32 && (value >> bit_width_) != 0)
      return DataLossError("RLE run value {} wider than {} bits", value, bit_width_);
    rle_value_ = value;
  } else {
    rle_ = false;
    const uint64_t groups = header >> 1;
    remaining_ = groups * 8;
    packed_bytes_ = static_cast<size_t>(groups) * static_cast<size_t>(bit_width_);
    // A writer may end the data before the padding of the last group: use what is there and
    // fail only if a value actually needed lies beyond it.
    if (packed_bytes_ > data_.size() - pos_) packed_bytes_ = data_.size() - pos_;
    packed_ = reinterpret_cast<const uint8_t*>(data_.data()) + pos_;
    packed_index_ = 0;
    pos_ += packed_bytes_;
  }
  return OkStatus();
}

Status RleBitPackedDecoder::Decode(uint32_t* out, size_t count) {
  size_t done = 0;
  const uint64_t mask = bit_width_ == 0 ? 0 : (uint64_t{1} << bit_width_) - 1;
  while (done < count) {
    if (remaining_ == 0) {
      TS_RETURN_IF_ERROR(NextRun());
      continue;
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, count - done));
    if (rle_) {
      std::fill(out + done, out + done + take, rle_value_);
    } else {
      const uint64_t last_bit = (packed_index_ + take) * static_cast<uint64_t>(bit_width_);
      if (last_bit > uint64_t{packed_bytes_} * 8)
        return DataLossError("bit-packed run beyond the end of the data");
      // A value of <= 32 bits starting at any bit lies within the 8 bytes from its first byte;
      // near the run's end fewer bytes are left and the load is shortened.
      for (size_t k = 0; k < take; ++k) {
        const uint64_t bit = (packed_index_ + k) * static_cast<uint64_t>(bit_width_);
        const size_t byte = static_cast<size_t>(bit / 8);
        uint64_t word = 0;
        if (packed_bytes_ - byte >= 8) {
          std::memcpy(&word, packed_ + byte, 8);
        } else {
          std::memcpy(&word, packed_ + byte, packed_bytes_ - byte);
        }
        out[done + k] = static_cast<uint32_t>((word >> (bit % 8)) & mask);
      }
      packed_index_ += take;
    }
    remaining_ -= take;
    done += take;
  }
  return OkStatus();
}

bool CodecSupported(int32_t codec) {
  return codec == static_cast<int32_t>(Codec::kUncompressed) ||
         codec == static_cast<int32_t>(Codec::kSnappy) ||
         codec == static_cast<int32_t>(Codec::kGzip);
}

Status DecompressPage(int32_t codec, std::string_view in, size_t expected_size, std::string& out) {
  out.resize(expected_size);
  switch (static_cast<Codec>(codec)) {
    case Codec::kUncompressed:
      if (in.size() != expected_size)
        return DataLossError("uncompressed page of {} bytes, header says {}", in.size(),
                             expected_size);
      std::memcpy(out.data(), in.data(), in.size());
      return OkStatus();
    case Codec::kSnappy: {
      size_t length = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &length))
        return DataLossError("corrupt SNAPPY page (no valid length)");
      if (length != expected_size)
        return DataLossError("SNAPPY page inflates to {} bytes, header says {}", length,
                             expected_size);
      if (!snappy::RawUncompress(in.data(), in.size(), out.data()))
        return DataLossError("corrupt SNAPPY page");
      return OkStatus();
    }
    case Codec::kGzip: {
      z_stream z{};
      if (inflateInit2(&z, 15 + 32) != Z_OK) return InternalError("zlib inflateInit2 failed");
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      z.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), std::numeric_limits<uInt>::max()));
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(expected_size);
      const int rc = inflate(&z, Z_FINISH);
      const size_t produced = z.total_out;
      inflateEnd(&z);
      if (rc != Z_STREAM_END || produced != expected_size)
        return DataLossError("corrupt GZIP page (zlib code {}, {} of {} bytes)", rc, produced,
                             expected_size);
      return OkStatus();
    }
    default:
      break;
  }
  return InvalidArgumentError("compression codec {} ({}) is not supported", CodecName(codec),
                              codec);
}

}  // namespace trainscope::ingest::parquet_internal
