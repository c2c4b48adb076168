// SPDX-License-Identifier: Apache-2.0
// Plain-file, in-memory and gzip byte sources.
#include "base/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>

#include <algorithm>
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
  ~FdInput() override {
    if (fd_ != STDIN_FILENO) ::close(fd_);
  }
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

// Why isal_inflate stopped, for the error message.
const char* InflateError(int rc) {
  switch (rc) {
    case ISAL_INVALID_BLOCK:
      return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
      return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
      return "invalid back-reference distance";
    case ISAL_INVALID_WRAPPER:
      return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD:
      return "unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM:
      return "CRC mismatch";
    default:
      return "corrupt data";
  }
}

// gzip (RFC 1952), members concatenated as gzip(1) allows, inflated by ISA-L's igzip (Debian
// libisal-dev): 2-4x zlib's inflate speed on trace JSON; the CRC-32 and length of every member
// are checked.
class GzipSource final : public ByteSource {
 public:
  GzipSource(std::string path, std::unique_ptr<RawInput> raw, std::string prefix)
      : raw_(std::move(raw)), in_(kInChunk), state_(std::make_unique<inflate_state>()) {
    path_ = std::move(path);
    std::memcpy(in_.data(), prefix.data(), prefix.size());
    StartMember(reinterpret_cast<uint8_t*>(in_.data()), static_cast<uint32_t>(prefix.size()));
    consumed_ = prefix.size();
  }

  Result<size_t> Read(char* out, size_t capacity) override {
    if (done_ || capacity == 0) return size_t{0};
    inflate_state& s = *state_;
    s.next_out = reinterpret_cast<uint8_t*>(out);
    s.avail_out = static_cast<uint32_t>(std::min<size_t>(capacity, 1u << 30));
    while (s.avail_out > 0) {
      if (s.avail_in == 0 && s.block_state != ISAL_BLOCK_FINISH) {
        TS_ASSIGN_OR_RETURN(size_t n, raw_->Read(in_.data(), in_.size()));
        if (n == 0) {
          if (member_has_data_) {
            return DataLossError("{}: byte {}: truncated gzip stream (unexpected end of file)",
                                 path_, CompressedOffset());
          }
          done_ = true;
          break;
        }
        s.next_in = reinterpret_cast<uint8_t*>(in_.data());
        s.avail_in = static_cast<uint32_t>(n);
        consumed_ += n;
      }
      member_has_data_ = true;
      const uint8_t* in_before = s.next_in;
      const uint8_t* out_before = s.next_out;
      const int rc = isal_inflate(&s);
      if (rc < 0) {
        return DataLossError("{}: byte {}: corrupt gzip data ({})", path_, CompressedOffset(),
                             InflateError(rc));
      }
      // isal_inflate returns when input runs out, output is full or the member ends; a call that
      // moves nothing otherwise would loop forever, so it is reported instead.
      if (s.next_in == in_before && s.next_out == out_before && s.avail_in > 0 && s.avail_out > 0 &&
          s.block_state != ISAL_BLOCK_FINISH) {
        return DataLossError("{}: byte {}: corrupt gzip data (inflate made no progress)", path_,
                             CompressedOffset());
      }
      if (s.block_state == ISAL_BLOCK_FINISH) {
        // The member ended (its CRC and length checked); another may follow.
        member_has_data_ = false;
        StartMember(s.next_in, s.avail_in);
      }
    }
    return static_cast<size_t>(reinterpret_cast<char*>(state_->next_out) - out);
  }
  uint64_t file_offset() const override { return CompressedOffset(); }
  uint64_t file_size() const override { return raw_->size(); }
  bool compressed() const override { return true; }

 private:
  static constexpr size_t kInChunk = 1 << 18;
  uint64_t CompressedOffset() const { return consumed_ - state_->avail_in; }
  // A fresh state for the next member (init clears every field), input and output kept.
  void StartMember(uint8_t* next_in, uint32_t avail_in) {
    uint8_t* next_out = state_->next_out;
    const uint32_t avail_out = state_->avail_out;
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_GZIP;
    state_->next_in = next_in;
    state_->avail_in = avail_in;
    state_->next_out = next_out;
    state_->avail_out = avail_out;
  }

  std::unique_ptr<RawInput> raw_;
  std::vector<char> in_;
  std::unique_ptr<inflate_state> state_;  // ~100 KB (history and Huffman tables)
  uint64_t consumed_ = 0;
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

namespace {

std::string_view FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// The reason an open or a stat of `path` failed with `error`, in words.
Status OpenError(const std::string& path, int error) {
  struct stat link {};
  switch (error) {
    case ENOENT:
      if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode))
        return NotFoundError("{}: a symbolic link to a missing file", path);
      return NotFoundError("{}: no such file or directory", path);
    case ELOOP:
      return InvalidArgumentError("{}: too many levels of symbolic links (a symlink loop?)", path);
    case EACCES:
    case EPERM:
      return IoError("{}: permission denied", path);
    case ENOTDIR:
      return NotFoundError("{}: a part of the path is not a folder", path);
    default:
      return IoError("{}: cannot open: {}", path, std::strerror(error));
  }
}

}  // namespace

Result<OpenedFile> OpenRegularFile(const std::string& path) {
  if (path == "-") return OpenedFile{STDIN_FILENO, 0};
  // Non-blocking, so that a FIFO without a writer does not hang the open; regular files ignore
  // the flag, which is cleared again below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return OpenError(path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return OpenError(path, error);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    const std::string_view kind = FileKind(st.st_mode);
    if (kind == "not a regular file") return InvalidArgumentError("{}: not a regular file", path);
    return InvalidArgumentError("{}: {}, not a regular file", path, kind);
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return OpenedFile{fd, static_cast<uint64_t>(st.st_size)};
}

std::string FolderProblem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::string(OpenError(path, errno).message());
  if (!S_ISDIR(st.st_mode)) return path + ": not a folder";
  if (::access(path.c_str(), R_OK | X_OK) != 0) return path + ": permission denied";
  return "";
}

Result<std::unique_ptr<ByteSource>> OpenByteSource(const std::string& path) {
  TS_ASSIGN_OR_RETURN(const OpenedFile file, OpenRegularFile(path));
  if (file.fd != STDIN_FILENO) ::posix_fadvise(file.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return WrapRaw(path, std::make_unique<FdInput>(file.fd, file.size, path));
}

std::unique_ptr<ByteSource> MemoryByteSource(std::string name, const char* data, size_t size) {
  auto result = WrapRaw(std::move(name), std::make_unique<MemInput>(data, size));
  return std::move(result).value();  // memory reads cannot fail
}

namespace {

// The decompressed size `source` announces: a gzip file's last member states its length (mod
// 2^32) in its last 4 bytes, exact for the usual single member under 4 GiB; a plain file its
// size. Capped at deflate's largest ratio (1032:1), since a damaged trailer may say anything.
uint64_t AnnouncedSize(const std::string& path, const ByteSource& source) {
  if (!source.compressed()) return source.file_size();
  const uint64_t file_size = source.file_size();
  if (file_size < 18) return 0;  // header and trailer of one member
  if (path == "-") return 0;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  unsigned char trailer[4] = {0, 0, 0, 0};
  const ssize_t n = ::pread(fd, trailer, 4, static_cast<off_t>(file_size - 4));
  ::close(fd);
  if (n != 4) return 0;
  const uint64_t isize = uint64_t{trailer[0]} | uint64_t{trailer[1]} << 8 |
                         uint64_t{trailer[2]} << 16 | uint64_t{trailer[3]} << 24;
  return std::min(isize, file_size * 1032);
}

}  // namespace

Result<std::string> ReadFileToString(const std::string& path) {
  TS_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, OpenByteSource(path));
  // Sized once from the announced size (plus room to see the end), so every byte is written once
  // into memory touched once: doubling from 64 KB touched and copied about three times the text,
  // and first touches of fresh pages cost more than inflating into them. More bytes than
  // announced (several gzip members, 4 GiB or more) grow the buffer by half each time.
  std::string out;
  out.resize(std::max<size_t>(AnnouncedSize(path, *source) + 4096, size_t{1} << 16));
  size_t used = 0;
  while (true) {
    if (used == out.size()) out.resize(out.size() + out.size() / 2);
    TS_ASSIGN_OR_RETURN(size_t n, source->Read(out.data() + used, out.size() - used));
    if (n == 0) break;
    used += n;
  }
  out.resize(used);
  return out;
}

}  // namespace trainscope
