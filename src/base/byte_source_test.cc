// SPDX-License-Identifier: Apache-2.0
// Tests for plain and gzip byte sources, including truncated and corrupt gzip.
#include "base/byte_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/status_matchers.h"

namespace trainscope {
namespace {

using ::trainscope::testing::StatusIs;

std::string Gzip(const std::string& text) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, text.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Result<std::string> Drain(ByteSource& source, size_t chunk) {
  std::string out;
  std::string buf(chunk, '\0');
  while (true) {
    TS_ASSIGN_OR_RETURN(size_t n, source.Read(buf.data(), buf.size()));
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  return out;
}

std::string Text() {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "{\"name\":\"kernel\",\"ts\":" + std::to_string(i) + "},";
  return text;
}

TEST(ByteSourceTest, PlainPassesThrough) {
  std::string text = Text();
  auto source = MemoryByteSource("mem", text.data(), text.size());
  EXPECT_FALSE(source->compressed());
  ASSERT_OK_AND_ASSIGN(std::string got, Drain(*source, 1000));
  EXPECT_EQ(got, text);
}

TEST(ByteSourceTest, GzipIsDetectedAndInflated) {
  std::string text = Text();
  std::string gz = Gzip(text);
  auto source = MemoryByteSource("mem.gz", gz.data(), gz.size());
  EXPECT_TRUE(source->compressed());
  ASSERT_OK_AND_ASSIGN(std::string got, Drain(*source, 777));
  EXPECT_EQ(got, text);
}

TEST(ByteSourceTest, ConcatenatedMembers) {
  std::string gz = Gzip("hello ") + Gzip("world");
  auto source = MemoryByteSource("two.gz", gz.data(), gz.size());
  ASSERT_OK_AND_ASSIGN(std::string got, Drain(*source, 4));
  EXPECT_EQ(got, "hello world");
}

TEST(ByteSourceTest, TruncatedGzipIsDataLoss) {
  std::string gz = Gzip(Text());
  gz.resize(gz.size() / 2);
  auto source = MemoryByteSource("cut.gz", gz.data(), gz.size());
  EXPECT_THAT(Drain(*source, 4096), StatusIs(StatusCode::kDataLoss, "cut.gz: byte"));
}

TEST(ByteSourceTest, CorruptGzipIsDataLoss) {
  std::string gz = Gzip(Text());
  for (size_t i = 20; i < 60; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  auto source = MemoryByteSource("bad.gz", gz.data(), gz.size());
  EXPECT_THAT(Drain(*source, 4096), StatusIs(StatusCode::kDataLoss, "corrupt gzip"));
}

// The trailer's CRC-32 (the 8 bytes before the last 4) no longer matches the data.
TEST(ByteSourceTest, CrcMismatchIsDataLoss) {
  std::string gz = Gzip(Text());
  gz[gz.size() - 8] = static_cast<char>(gz[gz.size() - 8] ^ 1);
  auto source = MemoryByteSource("crc.gz", gz.data(), gz.size());
  EXPECT_THAT(Drain(*source, 4096), StatusIs(StatusCode::kDataLoss, "CRC mismatch"));
}

// Members of different sizes, read in chunks of every size from 1 byte (inflate resumes in the
// middle of a member, of its header and of its trailer) and against zlib's own inflate.
TEST(ByteSourceTest, ManyMembersAnyChunkSize) {
  std::string text = Text(), gz;
  std::vector<size_t> cuts = {0, 1, 7, 4096, 65'536, 131'071, text.size()};
  for (size_t k = 1; k < cuts.size(); ++k)
    gz += Gzip(text.substr(cuts[k - 1], cuts[k] - cuts[k - 1]));
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{4096}, size_t{1} << 20}) {
    if (chunk == 1 && text.size() > 100'000) {  // byte by byte: a prefix is enough
      std::string small = Gzip(text.substr(0, 5000)) + Gzip(text.substr(5000, 3000));
      auto source = MemoryByteSource("small.gz", small.data(), small.size());
      ASSERT_OK_AND_ASSIGN(std::string got, Drain(*source, chunk));
      EXPECT_EQ(got, text.substr(0, 8000));
      continue;
    }
    auto source = MemoryByteSource("many.gz", gz.data(), gz.size());
    ASSERT_OK_AND_ASSIGN(std::string got, Drain(*source, chunk));
    EXPECT_EQ(got, text) << "chunk " << chunk;
  }
  // zlib inflates the same bytes to the same text (the reference).
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string ref(text.size() + 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(gz.data());
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(ref.data());
  zs.avail_out = static_cast<uInt>(ref.size());
  while (zs.avail_in > 0) {
    int rc = inflate(&zs, Z_NO_FLUSH);
    ASSERT_TRUE(rc == Z_OK || rc == Z_STREAM_END) << rc;
    if (rc == Z_STREAM_END) inflateReset(&zs);
  }
  ref.resize(static_cast<size_t>(reinterpret_cast<char*>(zs.next_out) - ref.data()));
  inflateEnd(&zs);
  EXPECT_EQ(ref, text);
}

TEST(ByteSourceTest, MissingFileIsNotFound) {
  EXPECT_THAT(
      OpenByteSource("/nonexistent/trace.json"),
      StatusIs(StatusCode::kNotFound, "/nonexistent/trace.json: no such file or directory"));
}

// Anything but a regular file is refused by name, at once: a FIFO without a writer used to block
// the open forever (`trace info`, `minder detect`).
TEST(ByteSourceTest, NonRegularFilesAreNamedNotOpened) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "byte_source_hostile";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "folder");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  std::filesystem::create_symlink("loop_b", dir / "loop_a");
  std::filesystem::create_symlink("loop_a", dir / "loop_b");
  std::filesystem::create_symlink("missing", dir / "dangling");
  const auto path = [&](const char* name) { return (dir / name).string(); };
  EXPECT_THAT(OpenByteSource(path("fifo")),
              StatusIs(StatusCode::kInvalidArgument, "a FIFO (named pipe), not a regular file"));
  EXPECT_THAT(ReadFileToString(path("fifo")), StatusIs(StatusCode::kInvalidArgument, "FIFO"));
  EXPECT_THAT(OpenByteSource(path("folder")),
              StatusIs(StatusCode::kInvalidArgument, "a folder, not a regular file"));
  EXPECT_THAT(OpenByteSource(path("loop_a")),
              StatusIs(StatusCode::kInvalidArgument, "symlink loop"));
  EXPECT_THAT(OpenByteSource(path("dangling")),
              StatusIs(StatusCode::kNotFound, "a symbolic link to a missing file"));
  EXPECT_EQ(FolderProblem(path("folder")), "");
  EXPECT_EQ(FolderProblem(path("fifo")), path("fifo") + ": not a folder");
  EXPECT_EQ(FolderProblem(path("nothing")), path("nothing") + ": no such file or directory");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trainscope
