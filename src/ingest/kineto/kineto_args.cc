// SPDX-License-Identifier: Apache-2.0
// The known-args table, category names, and exact timestamp conversion.
#include "ingest/kineto/kineto_args.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace trainscope::ingest::kineto {

using model::EventKind;

// clang-format off
const ArgSpec kKnownArgs[] = {
    // raw name                  field                        type          default  schema
    {"correlation",               ArgField::kCorrelation,      ArgType::kInt,    0,  1},
    {"External id",               ArgField::kExternalId,       ArgType::kInt,    0,  1},
    {"stream",                    ArgField::kStream,           ArgType::kInt,   -1,  1},
    {"device",                    ArgField::kDevice,           ArgType::kInt,   -1,  1},
    {"Collective name",           ArgField::kCollectiveName,   ArgType::kString, 0,  1},
    {"In msg nelems",             ArgField::kInNelems,         ArgType::kInt,   -1,  1},
    {"Out msg nelems",            ArgField::kOutNelems,        ArgType::kInt,   -1,  1},
    {"dtype",                     ArgField::kDtype,            ArgType::kString, 0,  1},
    {"Process Group Name",        ArgField::kGroupName,        ArgType::kString, 0,  1},
    {"Process Group Description", ArgField::kGroupDescription, ArgType::kString, 0,  1},
    {"Process Group Ranks",       ArgField::kGroupRanks,       ArgType::kString, 0,  1},
    {"Seq",                       ArgField::kSeq,              ArgType::kInt,   -1,  1},
    {"name",                      ArgField::kMetadataName,     ArgType::kString, 0,  1},
};
// clang-format on
const int kKnownArgCount = static_cast<int>(std::size(kKnownArgs));

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

// If the 8 bytes at p are all ASCII digits, sets *value to their number (SWAR, after
// simdjson's parse_eight_digits_unrolled) and returns true.
inline bool EightDigits(const char* p, uint64_t* value) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  constexpr uint64_t kHigh = 0xF0F0F0F0F0F0F0F0ULL, kZeros = 0x3030303030303030ULL;
  if ((v & kHigh) != kZeros || ((v + 0x0606060606060606ULL) & kHigh) != kZeros) return false;
  v -= kZeros;  // little endian: the first digit is the lowest byte
  v = (v * 10) + (v >> 8);
  v = (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
       (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
      32;
  *value = v;
  return true;
}

}  // namespace

namespace {

std::array<const ArgSpec*, kArgSlots> BuildArgSlots() {
  std::array<const ArgSpec*, kArgSlots> slots{};
  for (const ArgSpec& spec : kKnownArgs) {
    size_t slot = ArgSlot(spec.raw_name.data());
    while (slots[slot] != nullptr) slot = (slot + 1) & (kArgSlots - 1);
    slots[slot] = &spec;
  }
  return slots;
}

}  // namespace

const std::array<const ArgSpec*, kArgSlots> kArgSlotTable = BuildArgSlots();

EventKind KindFromCategory(std::string_view category) {
  static const std::pair<std::string_view, EventKind> kCategories[] = {
      {"cpu_op", EventKind::kCpuOp},  // most frequent first
      {"cuda_runtime", EventKind::kCudaRuntime},
      {"kernel", EventKind::kKernel},
      {"gpu_memcpy", EventKind::kMemcpy},
      {"memcpy", EventKind::kMemcpy},
      {"gpu_memset", EventKind::kMemset},
      {"memset", EventKind::kMemset},
      {"operator", EventKind::kCpuOp},
      {"cuda_driver", EventKind::kCudaRuntime},
      {"runtime", EventKind::kCudaRuntime},
      {"python_function", EventKind::kPythonFunction},
      {"python", EventKind::kPythonFunction},
      {"user_annotation", EventKind::kUserAnnotation},
      {"gpu_user_annotation", EventKind::kGpuUserAnnotation},
  };
  for (const auto& [name, kind] : kCategories) {  // Kineto spells them in lower case
    if (category.size() == name.size() && BytesEqual(category.data(), name.data(), name.size())) {
      return kind;
    }
  }
  for (const auto& [name, kind] : kCategories) {  // old profilers: "Kernel", "Operator"
    if (EqualsIgnoreCase(category, name)) return kind;
  }
  return EventKind::kOther;
}

std::optional<int64_t> MicrosToNanos(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' ||
                            token.back() == '\t')) {
    token.remove_suffix(1);
  }
  size_t i = 0, n = token.size();
  bool negative = i < n && token[i] == '-';
  if (negative) ++i;
  if (i == n || token[i] < '0' || token[i] > '9') return std::nullopt;
  // Fast exact path: integer part below 9e15 us (so ns fit in int64), any fraction, no exponent.
  uint64_t whole = 0;
  size_t digits = 0;
  // Eight digits at a time while they are all digits (epoch-like timestamps have 13 to 16).
  for (uint64_t eight = 0; i + 8 <= n && EightDigits(token.data() + i, &eight); i += 8) {
    whole = whole * 100'000'000 + eight;
    digits += 8;
  }
  for (; i < n && token[i] >= '0' && token[i] <= '9'; ++i, ++digits) {
    whole = whole * 10 + static_cast<uint64_t>(token[i] - '0');
  }
  uint64_t frac = 0;  // nanoseconds from the first 3 fraction digits
  bool round_up = false;
  if (i < n && token[i] == '.') {
    ++i;
    size_t frac_digits = 0;
    for (; i < n && token[i] >= '0' && token[i] <= '9'; ++i, ++frac_digits) {
      if (frac_digits < 3) frac = frac * 10 + static_cast<uint64_t>(token[i] - '0');
      if (frac_digits == 3) round_up = token[i] >= '5';
    }
    if (frac_digits == 0) return std::nullopt;
    for (; frac_digits < 3; ++frac_digits) frac *= 10;
  }
  if (i == n && digits <= 16 && whole <= 9'000'000'000'000'000ULL) {
    auto ns = static_cast<int64_t>(whole * 1000 + frac + (round_up ? 1 : 0));
    return negative ? -ns : ns;
  }
  // Exponent or very long integers: go through double (still exact to ~1 ns below 2^53 ns).
  if (i < n && token[i] != 'e' && token[i] != 'E') return std::nullopt;
  std::string copy(token);
  char* parse_end = nullptr;
  double micros = std::strtod(copy.c_str(), &parse_end);
  if (parse_end != copy.c_str() + copy.size() || !std::isfinite(micros)) return std::nullopt;
  double ns = micros * 1000.0;
  if (std::fabs(ns) >= 9.2e18) return std::nullopt;
  return static_cast<int64_t>(std::llround(ns));
}

}  // namespace trainscope::ingest::kineto
