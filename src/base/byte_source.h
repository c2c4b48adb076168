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

// Opens `path` for reading if it is a regular file (following symlinks), or "-" for standard
// input. Anything else is an error naming what it is, without blocking: a FIFO is opened
// non-blocking and refused ("a FIFO (named pipe), not a regular file"), as are folders, sockets
// and devices; a symlink loop, a dangling symlink and a permission problem each say so. Returns
// the descriptor (close it) and the file's size (0 for "-").
struct OpenedFile {
  int fd = -1;
  uint64_t size = 0;
};
Result<OpenedFile> OpenRegularFile(const std::string& path);

// Why `path` cannot be listed as a folder (empty when it can: "no such file or directory", "not a
// folder", "permission denied", ...) so a reader can say that instead of "no trace files in it".
std::string FolderProblem(const std::string& path);

// Opens `path` (OpenRegularFile: a regular file, or "-" for standard input); gzip is detected
// from the first two bytes.
Result<std::unique_ptr<ByteSource>> OpenByteSource(const std::string& path);

// A source over bytes already in memory (tests, fuzzers, embedded data). `name` is used in
// error messages. The bytes must outlive the source. Gzip is detected as for files.
std::unique_ptr<ByteSource> MemoryByteSource(std::string name, const char* data, size_t size);

// Reads the whole (decompressed) content of `path`. For small files (configs, metadata).
Result<std::string> ReadFileToString(const std::string& path);

}  // namespace trainscope
