// SPDX-License-Identifier: Apache-2.0
// Plain-file, in-memory and gzip byte sources.
#include "base/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace trainscope {
namespace {

// Raw bytes of a file or a memory block, before any decompression.
class RawInput {
 public:
  virtual ~RawInput() = default;
  virtual Result<size_t> Read(char* out, size_t capacity) = 0;
  virtual uint64_t size() const = 0;
};

class FdInput final : public RawInput {
 public:
  FdInput(int fd, uint64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
  ~FdInput() override { ::close(fd_); }
  Result<size_t> Read(char* out, size_t capacity) override {
    while (true) {
      ssize_t n = ::read(fd_, out, capacity);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      return IoError("{}: read failed: {}", path_, std::strerror(errno));
    }
  }
  uint64_t size() const override { return size_; }

 private:
  int fd_;
  uint64_t size_;
  std::string path_;
};

class MemInput final : public RawInput {
 public:
  MemInput(const char* data, size_t size) : data_(data), size_(size) {}
  Result<size_t> Read(char* out, size_t capacity) override {
    size_t n = std::min(capacity, size_ - pos_);
    if (n > 0) std::memcpy(out, data_ + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t size() const override { return size_; }

 private:
  const char* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Input that is not compressed: bytes pass straight through, after the sniffed prefix.
class PlainSource final : public ByteSource {
 public:
  PlainSource(std::string path, std::unique_ptr<RawInput> raw, std::string prefix)
      : raw_(std::move(raw)), prefix_(std::move(prefix)) {
    path_ = std::move(path);
  }
  Result<size_t> Read(char* out, size_t capacity) override {
    if (prefix_pos_ < prefix_.size()) {
      size_t n = std::min(capacity, prefix_.size() - prefix_pos_);
      std::memcpy(out, prefix_.data() + prefix_pos_, n);
      prefix_pos_ += n;
      offset_ += n;
      return n;
    }
    TS_ASSIGN_OR_RETURN(size_t n, raw_->Read(out, capacity));
    offset_ += n;
    return n;
  }
  uint64_t file_offset() const override { return offset_; }
  uint64_t file_size() const override { return raw_->size(); }
  bool compressed() const override { return false; }

 private:
  std::unique_ptr<RawInput> raw_;
  std::string prefix_;
  size_t prefix_pos_ = 0;
  uint64_t offset_ = 0;
};

// gzip (RFC 1952) through zlib, members concatenated as gzip(1) allows.
class GzipSource final : public ByteSource {
 public:
  GzipSource(std::string path, std::unique_ptr<RawInput> raw, std::string prefix)
      : raw_(std::move(raw)), in_(kInChunk) {
    path_ = std::move(path);
    std::memcpy(in_.data(), prefix.data(), prefix.size());
    stream_.next_in = reinterpret_cast<Bytef*>(in_.data());
    stream_.avail_in = static_cast<uInt>(prefix.size());
    consumed_ = prefix.size();
    init_ok_ = inflateInit2(&stream_, 15 + 16) == Z_OK;
  }
  ~GzipSource() override { inflateEnd(&stream_); }

  Result<size_t> Read(char* out, size_t capacity) override {
    if (!init_ok_) return InternalError("{}: zlib initialisation failed", path_);
    if (done_ || capacity == 0) return size_t{0};
    stream_.next_out = reinterpret_cast<Bytef*>(out);
    stream_.avail_out = static_cast<uInt>(std::min<size_t>(capacity, 1u << 30));
    while (stream_.avail_out > 0) {
      if (stream_.avail_in == 0) {
        TS_ASSIGN_OR_RETURN(size_t n, raw_->Read(in_.data(), in_.size()));
        if (n == 0) {
          if (member_has_data_) {
            return DataLossError("{}: byte {}: truncated gzip stream (unexpected end of file)",
                                 path_, CompressedOffset());
          }
          done_ = true;
          break;
        }
        stream_.next_in = reinterpret_cast<Bytef*>(in_.data());
        stream_.avail_in = static_cast<uInt>(n);
        consumed_ += n;
      }
      member_has_data_ = true;
      int rc = inflate(&stream_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_has_data_ = false;
        // Another member may follow; trailing zero padding is tolerated.
        if (inflateReset(&stream_) != Z_OK) return InternalError("{}: inflateReset", path_);
        continue;
      }
      if (rc == Z_BUF_ERROR && stream_.avail_in == 0) continue;  // need more input
      if (rc != Z_OK) {
        const char* why = stream_.msg != nullptr ? stream_.msg : "corrupt data";
        return DataLossError("{}: byte {}: corrupt gzip data ({})", path_, CompressedOffset(),
                             why);
      }
    }
    return static_cast<size_t>(reinterpret_cast<char*>(stream_.next_out) - out);
  }
  uint64_t file_offset() const override { return CompressedOffset(); }
  uint64_t file_size() const override { return raw_->size(); }
  bool compressed() const override { return true; }

 private:
  static constexpr size_t kInChunk = 1 << 18;
  uint64_t CompressedOffset() const { return consumed_ - stream_.avail_in; }

  std::unique_ptr<RawInput> raw_;
  std::vector<char> in_;
  z_stream stream_{};
  uint64_t consumed_ = 0;
  bool init_ok_ = false;
  bool done_ = false;
  bool member_has_data_ = false;
};

Result<std::unique_ptr<ByteSource>> WrapRaw(std::string name, std::unique_ptr<RawInput> raw) {
  char magic[2] = {0, 0};
  size_t got = 0;
  while (got < 2) {
    TS_ASSIGN_OR_RETURN(size_t n, raw->Read(magic + got, 2 - got));
    if (n == 0) break;
    got += n;
  }
  std::string prefix(magic, got);
  if (got == 2 && static_cast<unsigned char>(magic[0]) == 0x1f &&
      static_cast<unsigned char>(magic[1]) == 0x8b) {
    return std::unique_ptr<ByteSource>(
        std::make_unique<GzipSource>(std::move(name), std::move(raw), std::move(prefix)));
  }
  return std::unique_ptr<ByteSource>(
      std::make_unique<PlainSource>(std::move(name), std::move(raw), std::move(prefix)));
}

}  // namespace

Result<std::unique_ptr<ByteSource>> OpenByteSource(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError("{}: no such file", path);
    return IoError("{}: cannot open: {}", path, std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgumentError("{}: not a regular file", path);
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return WrapRaw(path, std::make_unique<FdInput>(fd, static_cast<uint64_t>(st.st_size), path));
}

std::unique_ptr<ByteSource> MemoryByteSource(std::string name, const char* data, size_t size) {
  auto result = WrapRaw(std::move(name), std::make_unique<MemInput>(data, size));
  return std::move(result).value();  // memory reads cannot fail
}

Result<std::string> ReadFileToString(const std::string& path) {
  TS_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, OpenByteSource(path));
  std::string out;
  size_t used = 0;
  while (true) {
    if (out.size() - used < (1 << 16)) out.resize(std::max<size_t>(out.size() * 2, 1 << 16));
    TS_ASSIGN_OR_RETURN(size_t n, source->Read(out.data() + used, out.size() - used));
    if (n == 0) break;
    used += n;
  }
  out.resize(used);
  return out;
}

}  // namespace trainscope
