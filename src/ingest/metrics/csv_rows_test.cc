// SPDX-License-Identifier: Apache-2.0
// The long CSV read in chunks on several threads (csv_rows.h) against the line-by-line loop:
// same rows, machine numbering, diagnostics and errors on tricky text (quotes, CRLF, empty cells
// and lines, exponents, NaN/Inf, DCGM blanks, fractional timestamps, errors in every place), for
// chunk sizes that put boundaries everywhere; and the plain-decimal fast path against
// std::from_chars, bit for bit.
#include "ingest/metrics/csv_rows.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <charconv>
#include <cstring>
#include <random>
#include <string>

#include "ingest/metrics/metric_readers.h"

namespace trainscope::ingest {
namespace {

void ExpectSameAsFromChars(const std::string& s) {
  double fast = 0;
  if (!internal::ParsePlainDecimal(s.data(), s.data() + s.size(), &fast)) return;  // not taken
  double slow = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), slow);
  ASSERT_TRUE(ec == std::errc() && p == s.data() + s.size()) << s;
  EXPECT_EQ(std::memcmp(&fast, &slow, sizeof(double)), 0) << s << ": " << fast << " vs " << slow;
}

TEST(CsvRowsTest, PlainDecimalIsFromChars) {
  for (const char* s : {"0",
                        "-0",
                        "0.0",
                        "-0.000",
                        "1",
                        "12",
                        "1.5",
                        "-2.25",
                        "1e22",
                        "1E+22",
                        "1e-22",
                        "123.456e-3",
                        "9007199254740992",
                        "0.1",
                        "0.3",
                        "2.0011e+09",
                        "1700000000",
                        "1700000000.25",
                        "599.99",
                        "0.000123",
                        "1e0",
                        "5e-0"}) {
    double v = 0;
    EXPECT_TRUE(internal::ParsePlainDecimal(s, s + std::strlen(s), &v)) << s;
    ExpectSameAsFromChars(s);
  }
  // Not taken: the full parser decides (and rejects the malformed ones).
  for (const char* s : {"",
                        "-",
                        "+1",
                        ".5",
                        "1.",
                        "1e",
                        "1e+",
                        "1e23",
                        "1e-23",
                        "9007199254740993",
                        "12345678901234567890",
                        "NaN",
                        "inf",
                        "1,5",
                        " 1",
                        "1 ",
                        "0x10",
                        "1e00001",
                        "--1",
                        "1.2.3",
                        "1e5.5"}) {
    double v = 0;
    EXPECT_FALSE(internal::ParsePlainDecimal(s, s + std::strlen(s), &v)) << s;
  }
  std::mt19937_64 rng(7);
  for (int k = 0; k < 200000; ++k) {
    std::string s;
    if (rng() % 4 == 0) s += '-';
    const int digits = 1 + static_cast<int>(rng() % 17);
    const int point = static_cast<int>(rng() % static_cast<uint64_t>(digits + 1));
    for (int d = 0; d < digits; ++d) {
      if (d == point && d > 0) s += '.';
      s += static_cast<char>('0' + rng() % 10);
    }
    if (rng() % 3 == 0) s += fmt::format("e{}", static_cast<int>(rng() % 61) - 30);
    ExpectSameAsFromChars(s);
  }
}

struct Read {
  Status status;
  model::MetricTable table;
  Diagnostics diags;
};

// Reads `files` into one table (as LoadMetrics does), line by line (chunk 0) or in chunks.
Read ReadAll(const std::vector<std::string>& files, size_t chunk, int threads) {
  Read r;
  for (size_t i = 0; i < files.size() && r.status.ok(); ++i) {
    r.status = internal::ReadLongCsvRows(files[i], fmt::format("f{}.csv", i), &r.table, &r.diags,
                                         chunk, threads);
  }
  return r;
}

void ExpectSame(const Read& want, const Read& got) {
  EXPECT_EQ(want.status.ok(), got.status.ok());
  EXPECT_EQ(want.status.ToString(), got.status.ToString());
  const model::MetricTable& a = want.table;
  const model::MetricTable& b = got.table;
  EXPECT_EQ(a.machines().names(), b.machines().names());
  EXPECT_EQ(a.metrics().names(), b.metrics().names());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a.ts()[i], b.ts()[i]) << i;
    EXPECT_EQ(a.machine()[i], b.machine()[i]) << i;
    EXPECT_EQ(a.metric()[i], b.metric()[i]) << i;
    EXPECT_EQ(a.gpu()[i], b.gpu()[i]) << i;
    EXPECT_EQ(std::memcmp(&a.value()[i], &b.value()[i], sizeof(double)), 0) << i;
  }
  ASSERT_EQ(want.diags.items().size(), got.diags.items().size());
  for (size_t i = 0; i < want.diags.items().size(); ++i) {
    const Diagnostic& x = want.diags.items()[i];
    const Diagnostic& y = got.diags.items()[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.source, y.source);
    EXPECT_EQ(x.count, y.count);
    EXPECT_EQ(x.first_location, y.first_location);
    EXPECT_EQ(x.message, y.message);
  }
}

void ExpectChunksReadLikeLines(const std::vector<std::string>& files) {
  const Read want = ReadAll(files, 0, 1);
  for (size_t chunk : {1, 2, 7, 50, 333, 4096, 1 << 20}) {
    for (int threads : {1, 3}) {
      SCOPED_TRACE(fmt::format("chunk {} threads {}", chunk, threads));
      ExpectSame(want, ReadAll(files, chunk, threads));
    }
  }
}

// Cells in every form the reader meets.
// A random decimal: up to 24 digits (leading zeros too), a point anywhere, an exponent or not.
std::string RandomDecimal(std::mt19937_64& rng) {
  std::string s;
  if (rng() % 4 == 0) s += '-';
  const int digits = 1 + static_cast<int>(rng() % 24);
  const int point = static_cast<int>(rng() % static_cast<uint64_t>(digits + 1));
  const bool zeros = rng() % 3 == 0;
  for (int d = 0; d < digits; ++d) {
    if (d == point && d > 0) s += '.';
    s += static_cast<char>(zeros && d < digits - 3 ? '0' : '0' + rng() % 10);
  }
  if (rng() % 3 == 0)
    s += fmt::format("{}{}", rng() % 2 ? "e" : "E", static_cast<int>(rng() % 61) - 30);
  return s;
}

std::string TrickyCell(std::mt19937_64& rng) {
  switch (rng() % 24) {
    case 16:
      return RandomDecimal(rng);
    case 17:
      return RandomDecimal(rng);
    case 18:
      return "-0";
    case 19:
      return "2147483640";  // DCGM int32 blank range
    case 20:
      return "2147483631";  // just below it
    case 21:
      return "0.00000000000000000000123";
    case 22:
      return "1e+0001";
    case 0:
      return "";
    case 1:
      return "NaN";
    case 2:
      return "+Inf";
    case 3:
      return "-inf";
    case 4:
      return "9223372036854775792";  // DCGM blank
    case 5:
      return "\"42.5\"";
    case 6:
      return fmt::format("{}e{}", rng() % 1000, static_cast<int>(rng() % 40) - 20);
    case 7:
      return fmt::format("{:.17g}", std::ldexp(static_cast<double>(rng() % 1000000), -20));
    case 8:
      return "+3.25";
    case 9:
      return "1e400";
    case 10:
      return "0.1234567890123456789";
    default:
      return fmt::format("{:.5g}", static_cast<double>(rng() % 100000) / 7.0);
  }
}

std::string TrickyFile(uint64_t seed, int lines, bool crlf, bool terminated) {
  std::mt19937_64 rng(seed);
  std::string out = crlf ? "timestamp,\"machine\",cpu,gpu_util,\"nvlink\"\r\n"
                         : "timestamp,machine,cpu,gpu_util,nvlink\n";
  for (int i = 0; i < lines; ++i) {
    if (rng() % 50 == 0) {
      out += crlf ? "\r\n" : "\n";  // an empty line
      continue;
    }
    const uint64_t machine = rng() % 37;
    out += rng() % 5 == 0 ? fmt::format("{}.{}", 1700000000 + i / 10, rng() % 1000)
                          : fmt::format("{}", 1700000000 + i / 10);
    out += machine % 3 == 0 ? fmt::format(",\"m{}\"", machine) : fmt::format(",m{}", machine);
    for (int c = 0; c < 3; ++c) {
      out += ',';
      out += TrickyCell(rng);
    }
    out += crlf ? "\r\n" : "\n";
  }
  if (!terminated) out += "1700009999,m1,1,2,3";
  return out;
}

TEST(CsvRowsTest, ChunksReadLikeLines) {
  ExpectChunksReadLikeLines({TrickyFile(1, 3000, false, true)});
  ExpectChunksReadLikeLines({TrickyFile(2, 3000, true, true)});
  ExpectChunksReadLikeLines({TrickyFile(3, 500, false, false)});
  // A second file adds to a table that has machines and rows already.
  ExpectChunksReadLikeLines({TrickyFile(4, 700, false, true), TrickyFile(5, 900, true, true)});
  ExpectChunksReadLikeLines({"timestamp,machine,cpu\n"});
  ExpectChunksReadLikeLines({"timestamp,machine,cpu"});
  ExpectChunksReadLikeLines({"timestamp,machine,cpu\n\n\n1,a,2\n\r\n"});
}

TEST(CsvRowsTest, ErrorsAndTheirPlaceAsLineByLine) {
  const std::string good = TrickyFile(6, 400, false, true);
  // Each bad line put after line `at` of the good file: the error, the rows before it and the
  // diagnostics up to it must be those of the line-by-line loop.
  const char* bad_lines[] = {
      "1700000000,m1,1,abc,3\n",    // bad number
      "17000x0000,m1,1,2,3\n",      // bad timestamp
      "1e10,m1,1,2,3\n",            // timestamp out of range
      "1700000000,,1,2,3\n",        // empty machine name
      "1700000000,m1,1,2,3,4\n",    // more fields than the header
      "1700000000,m1,1,2\n",        // fewer fields
      "1700000000,m1,1,\"\",3,\n",  // one field too many, quoted empty cell
      "\"\",m1,1,2,3\n",            // empty quoted timestamp
  };
  for (const char* bad : bad_lines) {
    for (size_t at : {size_t{0}, size_t{1}, size_t{137}, size_t{399}}) {
      SCOPED_TRACE(fmt::format("'{}' after line {}", bad, at));
      size_t pos = good.find('\n') + 1;
      for (size_t k = 0; k < at; ++k) pos = good.find('\n', pos) + 1;
      std::string text = good;
      text.insert(pos, bad);
      ExpectChunksReadLikeLines({text});
    }
  }
  // A last line cut short (no newline), with fewer and with enough fields.
  for (const char* cut : {"1700000000,m1,1", "1700000000,m1,1,2,"}) {
    std::string text = good;
    text += cut;
    ExpectChunksReadLikeLines({text});
  }
}

}  // namespace
}  // namespace trainscope::ingest
