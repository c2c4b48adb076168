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
    {"Group size",                ArgField::kGroupSize,        ArgType::kInt,   -1,  1},
    {"Seq",                       ArgField::kSeq,              ArgType::kInt,   -1,  1},
    {"name",                      ArgField::kMetadataName,     ArgType::kString, 0,  1},
    // PyTorch >= 2.3 with enable_cuda_sync_events (Kineto CuptiActivity eventSyncInfo)
    {"wait_on_stream",            ArgField::kWaitOnStream,     ArgType::kInt,   -1,  1},
    {"wait_on_cuda_event_record_corr_id", ArgField::kWaitOnRecord, ArgType::kInt, -1, 1},
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

constexpr uint64_t kHigh = 0xF0F0F0F0F0F0F0F0ULL, kZeros = 0x3030303030303030ULL;
constexpr uint64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

uint64_t Load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// How many of the 8 bytes in v (little endian: the first byte is the lowest) are ASCII digits
// before the first byte that is not. A byte >= 0xFA carries into the next one when adding 6,
// but it is itself a non-digit, so only bytes after the first non-digit can be misread.
inline int LeadingDigits(uint64_t v) {
  uint64_t not_digit = ((v & kHigh) ^ kZeros) | (((v + 0x0606060606060606ULL) & kHigh) ^ kZeros);
  return not_digit == 0 ? 8 : __builtin_ctzll(not_digit) / 8;
}

// The number written by the first k (1..8) bytes of v, which are digits (SWAR, after
// simdjson's parse_eight_digits_unrolled; the other bytes are replaced by leading '0's).
inline uint64_t DigitsValue(uint64_t v, int k) {
  if (k < 8) v = (v << (8 * (8 - k))) | (kZeros >> (8 * k));
  v -= kZeros;
  v = (v * 10) + (v >> 8);
  return (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
          (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
         32;
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

namespace {

// Exponent or very long integers: through double (still exact to ~1 ns below 2^53 ns). Kept out
// of MicrosToNanos so that the common path needs no stack frame for the string copy.
[[gnu::noinline, gnu::cold]] bool MicrosToNanosViaDouble(std::string_view token, int64_t* ns) {
  std::string copy(token);
  char* parse_end = nullptr;
  double micros = std::strtod(copy.c_str(), &parse_end);
  if (parse_end != copy.c_str() + copy.size() || !std::isfinite(micros)) return false;
  double nanos = micros * 1000.0;
  if (std::fabs(nanos) >= 9.2e18) return false;
  *ns = static_cast<int64_t>(std::llround(nanos));
  return true;
}

}  // namespace

bool MicrosToNanos(std::string_view token, int64_t* ns) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' ||
                            token.back() == '\t')) {
    token.remove_suffix(1);
  }
  size_t i = 0, n = token.size();
  bool negative = i < n && token[i] == '-';
  if (negative) ++i;
  if (i == n || token[i] < '0' || token[i] > '9') return false;
  // Fast exact path: integer part below 9e15 us (so ns fit in int64), any fraction, no exponent.
  uint64_t whole = 0;
  size_t digits = 0;
  // Up to eight digits per step, the run's length from a digit mask (epoch-like timestamps
  // have 13 to 16); the last few bytes of a token one by one.
  while (i + 8 <= n) {
    uint64_t v = Load8(token.data() + i);
    int k = LeadingDigits(v);
    if (k == 0) break;
    whole = whole * kPow10[k] + DigitsValue(v, k);
    digits += static_cast<size_t>(k);
    i += static_cast<size_t>(k);
    if (k < 8) break;
  }
  for (; i < n && token[i] >= '0' && token[i] <= '9'; ++i, ++digits) {
    whole = whole * 10 + static_cast<uint64_t>(token[i] - '0');
  }
  uint64_t frac = 0;  // nanoseconds from the first 3 fraction digits
  bool round_up = false;
  if (i < n && token[i] == '.') {
    ++i;
    size_t rest = n - i;
    // A fraction that ends the token, read from the token's last 8 bytes.
    int k = 0;
    uint64_t tail = 0;
    if (n >= 8 && rest >= 1 && rest <= 8) {
      tail = Load8(token.data() + n - 8) >> (8 * (8 - rest));
      k = LeadingDigits(tail);
    }
    if (k > 0 && static_cast<size_t>(k) == rest) {
      if (k <= 3) {
        frac = DigitsValue(tail, k) * kPow10[3 - k];
      } else {
        frac = DigitsValue(tail, 3);
        round_up = ((tail >> 24) & 0xFF) >= '5';
      }
      i = n;
    } else {
      size_t frac_digits = 0;
      for (; i < n && token[i] >= '0' && token[i] <= '9'; ++i, ++frac_digits) {
        if (frac_digits < 3) frac = frac * 10 + static_cast<uint64_t>(token[i] - '0');
        if (frac_digits == 3) round_up = token[i] >= '5';
      }
      if (frac_digits == 0) return false;
      for (; frac_digits < 3; ++frac_digits) frac *= 10;
    }
  }
  if (i == n && digits <= 16 && whole <= 9'000'000'000'000'000ULL) {
    auto value = static_cast<int64_t>(whole * 1000 + frac + (round_up ? 1 : 0));
    *ns = negative ? -value : value;
    return true;
  }
  if (i < n && token[i] != 'e' && token[i] != 'E') return false;
  return MicrosToNanosViaDouble(token, ns);
}

}  // namespace trainscope::ingest::kineto
