// SPDX-License-Identifier: Apache-2.0
// UTF-8 validation and escaping, against hand-made sequences (RFC 3629 table 3.7 boundaries).
#include "base/utf8.h"

#include <gtest/gtest.h>

#include "base/json_writer.h"

namespace trainscope {
namespace {

TEST(Utf8Test, ValidSequencesAndTheirBoundaries) {
  for (const char* valid : {"", "ascii", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF",
                            "\xEE\x80\x80", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF",
                            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9A\x80"}) {
    EXPECT_EQ(FirstInvalidUtf8(valid), std::string_view::npos) << valid;
  }
}

TEST(Utf8Test, FirstInvalidByteIsFound) {
  EXPECT_EQ(FirstInvalidUtf8("ab\x80"), 2u);                 // lone continuation
  EXPECT_EQ(FirstInvalidUtf8("\xC0\xAF"), 0u);               // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("x\xE0\x9F\xBF"), 1u);          // overlong 3-byte
  EXPECT_EQ(FirstInvalidUtf8("\xED\xA0\x80"), 0u);           // surrogate U+D800
  EXPECT_EQ(FirstInvalidUtf8("\xF4\x90\x80\x80"), 0u);       // above U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("ok \xE2\x82"), 3u);            // truncated at the end
  EXPECT_EQ(FirstInvalidUtf8("\xC3\xA9\xFF"), 2u);           // FF never appears
  EXPECT_EQ(FirstInvalidUtf8("node-\xE9t\xE9"), 5u);         // Latin-1 "node-été"
}

TEST(Utf8Test, EscapingKeepsValidTextAndNamesBadBytes) {
  std::string out;
  EXPECT_EQ(AppendUtf8Escaped(out, "node-\xE9t\xE9 \xE2\x82\xAC"), 2u);
  EXPECT_EQ(out, "node-\\xe9t\\xe9 \xE2\x82\xAC");
  EXPECT_EQ(FirstInvalidUtf8(out), std::string_view::npos);
  std::string json;
  JsonWriter::AppendEscaped(json, "h\xE9\"");
  EXPECT_EQ(json, "\"h\\\\xe9\\\"\"");
  json.clear();
  JsonWriter::AppendEscaped(json, "caf\xC3\xA9");  // valid UTF-8 passes through
  EXPECT_EQ(json, "\"caf\xC3\xA9\"");
}

TEST(Utf8Test, PrintableTextEscapesControlAndInvalidBytes) {
  EXPECT_EQ(PrintableText(std::string("a\0b\x1b[31m caf\xC3\xA9 \xFF", 16)),
            "a\\x00b\\x1b[31m caf\xC3\xA9 \\xff");
  EXPECT_EQ(PrintableAscii("PA\xC3\xA9\n"), "PA\\xc3\\xa9\\x0a");
}

}  // namespace
}  // namespace trainscope
