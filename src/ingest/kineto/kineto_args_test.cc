// SPDX-License-Identifier: Apache-2.0
// Known-args lookup and the exact us -> ns conversion, against independent references.
#include "ingest/kineto/kineto_args.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace trainscope::ingest::kineto {
namespace {

TEST(KinetoArgsTest, FindArgFindsEveryKnownKeyAndNothingElse) {
  for (int i = 0; i < kKnownArgCount; ++i) {
    EXPECT_EQ(FindArg(kKnownArgs[i].raw_name), &kKnownArgs[i]) << kKnownArgs[i].raw_name;
  }
  for (std::string_view other : {"", "c", "Correlation", "correlatio", "correlationn", "Ev Idx",
                                 "Input Dims", "Record function id", "stream ", "Seq2", "nam"}) {
    EXPECT_EQ(FindArg(other), nullptr) << other;
  }
}

// FindArgAt sees keys as they lie in the JSON text (after the opening quote, with padding).
TEST(KinetoArgsTest, FindArgAtMatchesOnlyWholeKeys) {
  for (int i = 0; i < kKnownArgCount; ++i) {
    std::string text = std::string(kKnownArgs[i].raw_name) + "\": 1}" + std::string(64, ' ');
    EXPECT_EQ(FindArgAt(text.c_str()), &kKnownArgs[i]) << kKnownArgs[i].raw_name;
  }
  for (std::string_view other :
       {"\"", "c\"", "Correlation\"", "correlatio\"", "correlationn\"", "Ev Idx\"", "Input Dims\"",
        "Record function id\"", "stream \"", "Seq2\"", "Sequence number\"", "nam\"",
        "correlation\\\"x\"", "Process Group\""}) {
    std::string text = std::string(other) + ": 1}" + std::string(64, ' ');
    EXPECT_EQ(FindArgAt(text.c_str()), nullptr) << other;
  }
}

// Reference: the token's digits as one integer (__int128), scaled to ns and rounded half up
// (the value's fraction of a ns is >= 1/2 exactly when its 4th fraction digit is >= 5).
int64_t ReferenceNanos(const std::string& whole, const std::string& frac) {
  __int128 value = 0;
  for (char c : whole + frac) value = value * 10 + (c - '0');
  int scale = 3 - static_cast<int>(frac.size());
  for (; scale > 0; --scale) value *= 10;
  __int128 divisor = 1;
  for (; scale < 0; ++scale) divisor *= 10;
  return static_cast<int64_t>((value * 2 + divisor) / (divisor * 2));
}

TEST(KinetoArgsTest, MicrosToNanosIsExactForRandomDecimals) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 20000; ++trial) {
    std::string whole, frac;
    int whole_digits = 1 + static_cast<int>(rng() % 16), frac_digits = static_cast<int>(rng() % 10);
    for (int k = 0; k < whole_digits; ++k) whole += static_cast<char>('0' + rng() % 10);
    for (int k = 0; k < frac_digits; ++k) frac += static_cast<char>('0' + rng() % 10);
    if (whole.size() == 16 && whole > "9000000000000000") continue;  // beyond the exact path
    std::string token = frac.empty() ? whole : whole + "." + frac;
    std::optional<int64_t> got = MicrosToNanos(token);
    ASSERT_TRUE(got.has_value()) << token;
    EXPECT_EQ(*got, ReferenceNanos(whole, frac)) << token;
    EXPECT_EQ(MicrosToNanos("-" + token + " "), -ReferenceNanos(whole, frac)) << token;
  }
}

TEST(KinetoArgsTest, MicrosToNanosRejectsNonNumbers) {
  for (std::string_view bad : {"", "-", ".5", "1.", "12a45678", "1234567x", "NaN", "Infinity",
                               "1e400", "\"12\"", "1234567890123456789012"}) {
    EXPECT_FALSE(MicrosToNanos(bad).has_value()) << bad;
  }
  EXPECT_EQ(MicrosToNanos("3e2"), 300'000);
  EXPECT_EQ(MicrosToNanos("12345678.0005"), 12'345'678'001);
  // Fractions read from the token's last 8 bytes, or not (exponent, 9+ digits, short token).
  EXPECT_EQ(MicrosToNanos("1234567.5e3"), 1'234'567'500'000);
  EXPECT_EQ(MicrosToNanos("12345678.12345678"), 12'345'678'123);
  EXPECT_EQ(MicrosToNanos("12345678.123456789"), 12'345'678'123);
  EXPECT_EQ(MicrosToNanos("1.2345678"), 1'235);
  EXPECT_EQ(MicrosToNanos("1.5"), 1'500);
  EXPECT_FALSE(MicrosToNanos("1234567.5x").has_value());
  EXPECT_FALSE(MicrosToNanos("1234567.").has_value());
}

}  // namespace
}  // namespace trainscope::ingest::kineto
