// SPDX-License-Identifier: Apache-2.0
// ByteSource: streams the bytes of a file, transparently inflating gzip (detected by its magic
// bytes, not the file name; multi-member gzip allowed). Readers pull chunks into their own
// reused buffers, so a multi-GB trace never has to sit in memory whole.
// Errors name the file and the byte offset (in the compressed file for gzip).
// Thread safety: one source per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace trainscope {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `capacity` bytes into `out`; returns 0 at end of input.
  virtual Result<size_t> Read(char* out, size_t capacity) = 0;
  // Bytes of the underlying file consumed so far (compressed bytes for gzip).
  virtual uint64_t file_offset() const = 0;
  // Total size of the underlying file in bytes.
  virtual uint64_t file_size() const = 0;
  virtual bool compressed() const = 0;
  const std::string& path() const { return path_; }

 protected:
  std::string path_;
};

// Opens `path`; gzip is detected from the first two bytes.
Result<std::unique_ptr<ByteSource>> OpenByteSource(const std::string& path);

// A source over bytes already in memory (tests, fuzzers, embedded data). `name` is used in
// error messages. The bytes must outlive the source. Gzip is detected as for files.
std::unique_ptr<ByteSource> MemoryByteSource(std::string name, const char* data, size_t size);

// Reads the whole (decompressed) content of `path`. For small files (configs, metadata).
Result<std::string> ReadFileToString(const std::string& path);

}  // namespace trainscope
