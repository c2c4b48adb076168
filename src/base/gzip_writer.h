// SPDX-License-Identifier: Apache-2.0
// GzipWriter: writes one gzip (RFC 1952) file, compressed by ISA-L's igzip at level 1 (Debian
// libisal-dev): several times zlib's level-6 speed for the large CSVs trainscope synthesises
// (op tables of hundreds of MB), at a somewhat lower ratio. Any gzip reader reads the output.
// Errors name the file. Thread safety: one writer per thread.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/output_file.h"
#include "base/status.h"

namespace trainscope {

class GzipWriter {
 public:
  GzipWriter();
  // Without Close() nothing is written: the output goes to a temporary file renamed over the path
  // by Close() (base/output_file.h).
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;

  Status Open(const std::string& path);
  Status Write(std::string_view bytes);
  Status Close();  // writes the gzip trailer, checks every write and puts the file in place

 private:
  Status Deflate(std::string_view bytes, bool last);

  struct State;
  std::unique_ptr<State> state_;
  std::string path_;
  OutputFile output_;
  std::FILE* file_ = nullptr;  // output_.file() while open
  std::vector<unsigned char> out_, level_buf_;
};

}  // namespace trainscope
