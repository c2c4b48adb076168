// SPDX-License-Identifier: Apache-2.0
// GzipWriter over isal_deflate (see gzip_writer.h).
#include "base/gzip_writer.h"

#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace trainscope {

struct GzipWriter::State {
  isal_zstream stream{};
};

GzipWriter::GzipWriter() : state_(std::make_unique<State>()) {}

GzipWriter::~GzipWriter() = default;  // an uncommitted OutputFile removes its temporary

Status GzipWriter::Open(const std::string& path) {
  path_ = path;
  TS_RETURN_IF_ERROR(output_.Open(path));
  file_ = output_.file();
  out_.resize(size_t{1} << 20);
  level_buf_.resize(ISAL_DEF_LVL1_DEFAULT);
  isal_zstream& s = state_->stream;
  isal_deflate_init(&s);
  s.level = 1;
  s.level_buf = level_buf_.data();
  s.level_buf_size = static_cast<uint32_t>(level_buf_.size());
  s.gzip_flag = IGZIP_GZIP;
  s.flush = NO_FLUSH;
  return OkStatus();
}

Status GzipWriter::Deflate(std::string_view bytes, bool last) {
  if (file_ == nullptr) return FailedPreconditionError("{}: gzip writer is not open", path_);
  isal_zstream& s = state_->stream;
  // avail_in is 32-bit: feed at most 1 GiB at a time.
  do {
    const size_t take = std::min(bytes.size(), size_t{1} << 30);
    s.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(bytes.data()));
    s.avail_in = static_cast<uint32_t>(take);
    bytes.remove_prefix(take);
    s.end_of_stream = last && bytes.empty() ? 1 : 0;
    do {
      s.next_out = out_.data();
      s.avail_out = static_cast<uint32_t>(out_.size());
      if (isal_deflate(&s) != COMP_OK) return InternalError("{}: isal_deflate failed", path_);
      const size_t produced = out_.size() - s.avail_out;
      if (produced > 0 && std::fwrite(out_.data(), 1, produced, file_) != produced) {
        return IoError("{}: write failed: {}", path_, std::strerror(errno));
      }
      // Input left, or the stream's end (header, final block, trailer) not yet all written.
    } while (s.avail_in > 0 || (s.end_of_stream && s.internal_state.state != ZSTATE_END));
  } while (!bytes.empty());
  return OkStatus();
}

Status GzipWriter::Write(std::string_view bytes) {
  if (bytes.empty()) return OkStatus();
  return Deflate(bytes, false);
}

Status GzipWriter::Close() {
  if (file_ == nullptr) return OkStatus();
  Status status = Deflate({}, true);
  file_ = nullptr;
  if (!status.ok()) return status;  // output_'s destructor removes the temporary
  return output_.Commit();
}

}  // namespace trainscope
