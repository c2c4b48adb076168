// SPDX-License-Identifier: Apache-2.0
// GzipWriter output read back by zlib (an independent gzip reader) and by our ByteSource.
#include "base/gzip_writer.h"

#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include "base/byte_source.h"
#include "support/status_matchers.h"

namespace trainscope {
namespace {

using ::trainscope::testing::StatusIs;

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("ts_gzw_" + std::to_string(::getpid()) + "_" + name)).string();
}

// zlib's gzread, members and all.
std::string ZlibRead(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  std::string out;
  if (f == nullptr) return out;
  char buf[1 << 15];
  for (int n; (n = gzread(f, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

// CSV-like text with some randomness (as the synthesised tables), `n` rows.
std::string Rows(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += std::to_string(i) + ",m" + std::to_string(rng() % 64) + "," + std::to_string(rng() % 100000) + "\n";
  }
  return text;
}

TEST(GzipWriterTest, ZlibAndByteSourceReadBackWhatWasWritten) {
  const std::string path = TempPath("rows.csv.gz");
  const std::string text = Rows(200'000, 7);  // ~3.5 MB: many output chunks
  GzipWriter w;
  ASSERT_OK(w.Open(path));
  // Writes of uneven sizes, down to one byte.
  size_t at = 0;
  for (size_t size : {size_t{1}, size_t{0}, size_t{17}, size_t{65'536}, size_t{1} << 20}) {
    ASSERT_OK(w.Write(std::string_view(text).substr(at, size)));
    at += size;
  }
  ASSERT_OK(w.Write(std::string_view(text).substr(at)));
  ASSERT_OK(w.Close());
  EXPECT_EQ(ZlibRead(path), text);
  ASSERT_OK_AND_ASSIGN(std::string ours, ReadFileToString(path));
  EXPECT_EQ(ours, text);
  EXPECT_LT(std::filesystem::file_size(path), text.size() / 2);  // it does compress
  std::filesystem::remove(path);
}

TEST(GzipWriterTest, EmptyFileIsValidGzip) {
  const std::string path = TempPath("empty.gz");
  GzipWriter w;
  ASSERT_OK(w.Open(path));
  ASSERT_OK(w.Close());
  EXPECT_GT(std::filesystem::file_size(path), 0u);  // header and trailer
  EXPECT_EQ(ZlibRead(path), "");
  std::filesystem::remove(path);
}

TEST(GzipWriterTest, UnwritablePathIsNamed) {
  GzipWriter w;
  EXPECT_THAT(w.Open("/nonexistent/dir/x.gz"), StatusIs(StatusCode::kIo, "/nonexistent/dir/x.gz"));
}

}  // namespace
}  // namespace trainscope
