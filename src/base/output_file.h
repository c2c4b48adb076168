// SPDX-License-Identifier: Apache-2.0
// OutputFile: a file written under a temporary name beside its final path and renamed over it by
// Commit(). A reader never sees half a file, and a failed or abandoned run leaves whatever was at
// the path before. Only a new path or a regular file is replaced that way: a path that names
// something else (/dev/null, /dev/stdout, a FIFO, or a symlink the user pointed at one) is
// written in place, as asked; renaming over it would replace the device node itself (as root, a
// test once turned /dev/full into a plain file). Output folders keep symlinks out beforehand
// (cli OutputTransaction). Used by the trace-event and gzip writers, so every Perfetto trace,
// synthesised rank file and metrics table gets this. Thread safety: one writer per object.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "base/status.h"

namespace trainscope {

class OutputFile {
 public:
  OutputFile() = default;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();  // without Commit(): closes and removes the temporary file

  // Creates the temporary file "<dir>/.<name>.tmp-<pid>-<k>" (exclusively, mode 0644 before the
  // umask). Errors: kIo naming `path`.
  Status Open(const std::string& path);
  std::FILE* file() const { return file_; }
  const std::string& path() const { return path_; }

  // Flushes, checks every write, closes and renames onto the path. Errors (a full disk, a
  // folder that went away): kIo naming the path; the temporary file is removed.
  Status Commit();

 private:
  void Abandon();
  std::string path_, temp_;
  std::FILE* file_ = nullptr;
};

// Writes `text` to `path` through an OutputFile: the whole text or, on any error, nothing.
Status WriteWholeFile(const std::string& path, std::string_view text);

}  // namespace trainscope
