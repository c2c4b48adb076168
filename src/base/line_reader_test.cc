// SPDX-License-Identifier: Apache-2.0
// Tests for LineReader and ForEachLine: line ends, numbers, offsets, chunk boundaries.
#include "base/line_reader.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace trainscope {
namespace {

using ::trainscope::testing::StatusIs;

std::vector<TextLine> AllLines(std::string_view text, size_t offset = 0, int64_t first = 1) {
  std::vector<TextLine> lines;
  LineReader reader(text, offset, first);
  while (std::optional<TextLine> line = reader.Next()) lines.push_back(*line);
  EXPECT_TRUE(reader.done());
  return lines;
}

TEST(LineReaderTest, SplitsOnNewlineAndDropsCarriageReturn) {
  const std::vector<TextLine> lines = AllLines("a,b\r\n\nlast\r");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "a,b");
  EXPECT_EQ(lines[0].number, 1);
  EXPECT_EQ(lines[0].offset, 0u);
  EXPECT_TRUE(lines[0].terminated);
  EXPECT_EQ(lines[1].text, "");
  EXPECT_EQ(lines[1].offset, 5u);
  EXPECT_EQ(lines[2].text, "last");
  EXPECT_EQ(lines[2].number, 3);
  EXPECT_EQ(lines[2].offset, 6u);
  EXPECT_FALSE(lines[2].terminated);
}

TEST(LineReaderTest, FinalNewlineStartsNoLineAndEmptyTextHasNone) {
  EXPECT_TRUE(AllLines("").empty());
  const std::vector<TextLine> lines = AllLines("x\ny\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].text, "y");
  EXPECT_TRUE(lines[1].terminated);
  ASSERT_EQ(AllLines("\n").size(), 1u);
}

TEST(LineReaderTest, StartsAtAnOffsetWithAGivenNumberAndShowsTheRest) {
  const std::string_view text = "header\nr1\nr2";
  const std::vector<TextLine> lines = AllLines(text, 7, 2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "r1");
  EXPECT_EQ(lines[0].number, 2);
  EXPECT_EQ(lines[1].offset, 10u);
  LineReader reader(text);
  ASSERT_TRUE(reader.Next().has_value());
  EXPECT_EQ(reader.position(), 7u);
  EXPECT_EQ(reader.rest(), "r1\nr2");
}

// A UTF-8 byte order mark at the start is skipped (line 1 starts at byte 3), elsewhere it is text.
TEST(LineReaderTest, ByteOrderMarkAtTheStartIsSkipped) {
  const std::string text = "\xEF\xBB\xBF" "a,b\n\xEF\xBB\xBF" "c\n";
  std::vector<TextLine> lines = AllLines(text);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "a,b");
  EXPECT_EQ(lines[0].offset, 3u);
  EXPECT_EQ(lines[1].text, "\xEF\xBB\xBF" "c");
  std::vector<std::string> got;
  auto source = MemoryByteSource("mem", text.data(), text.size());
  ASSERT_OK(ForEachLine(*source, [&](std::string_view line) {
    got.emplace_back(line);
    return OkStatus();
  }));
  EXPECT_EQ(got, (std::vector<std::string>{"a,b", "\xEF\xBB\xBF" "c"}));
  // Only a mark: no line.
  EXPECT_TRUE(AllLines("\xEF\xBB\xBF").empty());
}

TEST(ForEachLineTest, ChunkedSourceGivesTheLinesOfTheWholeBuffer) {
  // ~3 MiB with lines of growing length (one longer than a chunk), CRLF and LF mixed, no final
  // newline: every chunk boundary falls inside some line.
  std::string text;
  for (int i = 0; text.size() < (size_t{3} << 20); ++i) {
    text += std::string(static_cast<size_t>(i % 977), static_cast<char>('a' + i % 26));
    text += i % 3 == 0 ? "\r\n" : "\n";
    if (i == 500) text += std::string((size_t{1} << 20) + 17, 'L') + "\n";
  }
  text += "tail\r";
  std::vector<std::string_view> expected;
  for (const TextLine& line : AllLines(text)) expected.push_back(line.text);
  std::vector<std::string> got;
  auto source = MemoryByteSource("mem", text.data(), text.size());
  ASSERT_OK(ForEachLine(*source, [&](std::string_view line) {
    got.emplace_back(line);
    return OkStatus();
  }));
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << "line " << i + 1;
  EXPECT_EQ(got.back(), "tail");
}

TEST(ForEachLineTest, StopsAtTheFirstError) {
  const std::string text = "1\n2\nbad\n4\n";
  auto source = MemoryByteSource("mem", text.data(), text.size());
  int calls = 0;
  const Status status = ForEachLine(*source, [&](std::string_view line) {
    ++calls;
    return line == "bad" ? InvalidArgumentError("bad line") : OkStatus();
  });
  EXPECT_THAT(status, StatusIs(StatusCode::kInvalidArgument, "bad line"));
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace trainscope
