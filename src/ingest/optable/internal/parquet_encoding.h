// SPDX-License-Identifier: Apache-2.0
// Parquet value-level decoding pieces: the RLE / bit-packing hybrid (definition levels,
// dictionary indices, RLE booleans) and page decompression (SNAPPY, GZIP).
//
// The hybrid (apache/parquet-format Encodings.md, "Run Length Encoding / Bit-Packing Hybrid") is
// a sequence of runs, each starting with a ULEB128 header h: h & 1 == 0 is an RLE run of h >> 1
// copies of one value stored in ceil(bit_width / 8) little-endian bytes; h & 1 == 1 is a
// bit-packed run of (h >> 1) groups of 8 values, bit_width bits each, packed from the least
// significant bit of each byte. The last bit-packed run may hold padding values past the end.
// Errors are plain messages (no place); the caller adds file, column and page.
// Thread safety: values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace trainscope::ingest::parquet_internal {

class RleBitPackedDecoder {
 public:
  // `bit_width` in [0, 32]; checked by the caller.
  RleBitPackedDecoder(std::string_view data, int bit_width) : data_(data), bit_width_(bit_width) {}

  // Decodes exactly `count` values into `out`. Errors: the data ends first, a run header is
  // malformed, a value is wider than bit_width.
  Status Decode(uint32_t* out, size_t count);

 private:
  Status NextRun();

  std::string_view data_;
  int bit_width_;
  size_t pos_ = 0;
  // Current run: RLE (repeat `rle_value_` `remaining_` times) or bit-packed (values left in
  // [packed_, packed_ + packed_bytes_) starting at value `packed_index_`).
  bool rle_ = true;
  uint64_t remaining_ = 0;
  uint32_t rle_value_ = 0;
  const uint8_t* packed_ = nullptr;
  size_t packed_bytes_ = 0;
  uint64_t packed_index_ = 0;
};

// Decompresses a page body of codec `codec` (Codec values) into `out`, which must become exactly
// `expected_size` bytes. Unsupported codecs give kInvalidArgument naming the codec.
Status DecompressPage(int32_t codec, std::string_view in, size_t expected_size, std::string& out);

// True for the codecs DecompressPage reads.
bool CodecSupported(int32_t codec);

}  // namespace trainscope::ingest::parquet_internal
