// SPDX-License-Identifier: Apache-2.0
#include "base/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace trainscope {

OutputFile::~OutputFile() { Abandon(); }

void OutputFile::Abandon() {
  if (file_ == nullptr) return;
  std::fclose(file_);
  file_ = nullptr;
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

Status OutputFile::Open(const std::string& path) {
  Abandon();
  static std::atomic<int> counter{0};
  path_ = path;
  const std::filesystem::path target(path);
  const std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..")
    return IoError("{}: cannot write: not a file name", path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {  // a device, a FIFO, a link
    temp_.clear();
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr)
      return IoError("{}: cannot open for writing: {}", path, std::strerror(errno));
    return OkStatus();
  }
  temp_ = (target.parent_path() /
           ("." + name + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
              .string();
  const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return IoError("{}: cannot open for writing: {}", path, std::strerror(errno));
  file_ = ::fdopen(fd, "wb");
  if (file_ == nullptr) {
    const int error = errno;
    ::close(fd);
    ::unlink(temp_.c_str());
    return IoError("{}: cannot open for writing: {}", path, std::strerror(error));
  }
  return OkStatus();
}

Status OutputFile::Commit() {
  if (file_ == nullptr) return FailedPreconditionError("{}: not open for writing", path_);
  std::FILE* file = file_;
  file_ = nullptr;
  errno = 0;
  const bool write_failed = std::fflush(file) != 0 || std::ferror(file) != 0;
  int error = errno;
  errno = 0;
  const bool close_failed = std::fclose(file) != 0;
  if (error == 0) error = errno;
  if (write_failed || close_failed) {
    if (!temp_.empty()) ::unlink(temp_.c_str());
    // A write that failed in an earlier flush leaves only the stream's error flag behind.
    return IoError("{}: write failed: {}", path_,
                   error != 0 ? std::strerror(error) : "input/output error");
  }
  if (temp_.empty()) return OkStatus();  // written in place
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    error = errno;
    ::unlink(temp_.c_str());
    return IoError("{}: cannot write: {}", path_, std::strerror(error));
  }
  return OkStatus();
}

Status WriteWholeFile(const std::string& path, std::string_view text) {
  OutputFile file;
  TS_RETURN_IF_ERROR(file.Open(path));
  std::fwrite(text.data(), 1, text.size(), file.file());  // Commit() checks the stream
  return file.Commit();
}

}  // namespace trainscope
