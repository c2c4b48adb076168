// SPDX-License-Identifier: Apache-2.0
// Event scanner: boundaries found by hand-counting offsets in small strings.
#include "ingest/kineto/event_scanner.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace trainscope::ingest::kineto {
namespace {

// Copies `text` into a buffer with the 64 bytes of padding the scanner may read.
std::string Padded(const std::string& text) { return text + std::string(64, '\0'); }

TEST(EventScannerTest, FindsCompleteEventsAndArrayEnd) {
  //                 0         1         2
  //                 0123456789012345678901234567
  std::string b = Padded(R"({"a":"}{"} , {"b":[1,{}]} ])");
  ScanResult r = ScanEventArray(b.data(), 0, 27, 1 << 20, false);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.count, 2u);
  EXPECT_EQ(r.first_start, 0u);
  EXPECT_EQ(r.batch_end, 25u);  // just past the second event
  EXPECT_TRUE(r.array_closed);
  EXPECT_EQ(r.resume, 27u);
}

TEST(EventScannerTest, EscapedQuoteInsideStringDoesNotEndIt) {
  std::string text = R"({"n":"a\"}b"}, {"x":1)";  // second event incomplete
  std::string b = Padded(text);
  ScanResult r = ScanEventArray(b.data(), 0, text.size(), 1 << 20, false);
  EXPECT_EQ(r.count, 1u);
  EXPECT_EQ(r.batch_end, 13u);
  EXPECT_FALSE(r.array_closed);
  EXPECT_EQ(r.resume, 13u);
  EXPECT_TRUE(r.need_comma);
}

TEST(EventScannerTest, LongStringsAcrossBlocks) {
  // A 200-byte name spans several 64-byte blocks, with a '}' inside it.
  std::string name(200, 'k');
  name[130] = '}';
  std::string text = "{\"name\":\"" + name + "\"}]";
  std::string b = Padded(text);
  ScanResult r = ScanEventArray(b.data(), 0, text.size(), 1 << 20, false);
  EXPECT_EQ(r.count, 1u);
  EXPECT_EQ(r.batch_end, text.size() - 1);
  EXPECT_TRUE(r.array_closed);
}

TEST(EventScannerTest, RejectsMissingCommaAndNonObjects) {
  std::string b = Padded(R"({} {})");
  ScanResult r = ScanEventArray(b.data(), 0, 5, 1 << 20, false);
  EXPECT_EQ(r.error_offset, 3u);
  EXPECT_NE(r.error.find("expected ','"), std::string::npos);
  std::string c = Padded(R"(42, {})");
  r = ScanEventArray(c.data(), 0, 6, 1 << 20, false);
  EXPECT_NE(r.error.find("not a JSON object"), std::string::npos);
}

TEST(EventScannerTest, StopsAtBatchLimit) {
  std::string b = Padded(R"({},{},{}])");
  ScanResult r = ScanEventArray(b.data(), 0, 9, 3, false);
  EXPECT_EQ(r.count, 2u);  // the second event ends at 5 >= limit 3
  EXPECT_EQ(r.batch_end, 5u);
  EXPECT_EQ(ElementStarts(b.data(), 0, 8), (std::vector<size_t>{0, 3, 6}));
}

// Every instruction set the CPU has gives the SSE2 answer, on random arrays of events whose
// strings hold brackets, quotes and backslash runs at every alignment, cut at every length.
TEST(EventScannerTest, InstructionSetsAgree) {
  std::mt19937 rng(7);
  const std::string pieces[] = {"{", "}", "[", "]", "\\\\", "\\\"", "x", "{}", "[1,2]", " "};
  std::vector<ScannerIsa> isas = {ScannerIsa::kSse2};
  if (BestScannerIsa() >= ScannerIsa::kAvx2) isas.push_back(ScannerIsa::kAvx2);
  if (BestScannerIsa() >= ScannerIsa::kAvx512) isas.push_back(ScannerIsa::kAvx512);
  for (int trial = 0; trial < 40; ++trial) {
    std::string text;
    for (int event = 0; event < 6; ++event) {
      if (event > 0) text += " ,\n ";
      text += "{\"name\":\"";
      for (int k = static_cast<int>(rng() % 40); k > 0; --k) text += pieces[rng() % 10];
      text += "\",\"args\":{\"a\":[[1],[2,{}]]}}";
    }
    text += "]";
    std::string b = Padded(text);
    for (size_t end = 0; end <= text.size(); end += 1 + rng() % 7) {
      ScanResult want = ScanEventArrayWith(ScannerIsa::kSse2, b.data(), 0, end, 1 << 20, false);
      for (ScannerIsa isa : isas) {
        ScanResult got = ScanEventArrayWith(isa, b.data(), 0, end, 1 << 20, false);
        EXPECT_EQ(got.count, want.count) << text.substr(0, end);
        EXPECT_EQ(got.batch_end, want.batch_end);
        EXPECT_EQ(got.resume, want.resume);
        EXPECT_EQ(got.array_closed, want.array_closed);
        EXPECT_EQ(got.error, want.error);
      }
      if (end == text.size()) {
        EXPECT_EQ(want.count, 6u) << text;
        EXPECT_TRUE(want.array_closed);
      }
    }
  }
}

}  // namespace
}  // namespace trainscope::ingest::kineto
