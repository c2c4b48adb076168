// SPDX-License-Identifier: Apache-2.0
// SIMD event-boundary scanner (see event_scanner.h).
#include "ingest/kineto/event_scanner.h"

#include <fmt/core.h>
#include <immintrin.h>

#include <cstdint>

namespace trainscope::ingest::kineto {
namespace {

inline bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

struct BlockMasks {
  uint64_t quote, backslash, open, close;
};

// '{' (0x7b) and '[' (0x5b) differ only in bit 0x20, as do '}' (0x7d) and ']' (0x5d); no other
// byte ORed with 0x20 gives 0x7b or 0x7d. So one compare per bracket kind finds both.
constexpr char kCaseBit = 0x20;

inline uint64_t MoveMask(__m128i v, int k) {
  return static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(v))) << (16 * k);
}

// Bit i set <=> an odd number of bits at or below i are set (string interiors from quotes).
inline uint64_t PrefixXorShifts(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

__attribute__((target("pclmul"))) inline uint64_t PrefixXorClmul(uint64_t x) {
  __m128i product = _mm_clmulepi64_si128(_mm_set_epi64x(0, static_cast<int64_t>(x)),
                                         _mm_set1_epi8(static_cast<char>(0xff)), 0);
  return static_cast<uint64_t>(_mm_cvtsi128_si64(product));
}

// Each instruction set: Run classifies the 64 bytes at p; PrefixXor computes string interiors.
// SSE2 (the x86-64 baseline): four 16-byte loads, a shift-and-xor prefix XOR.
struct ClassifySse2 {
  static inline uint64_t PrefixXor(uint64_t x) { return PrefixXorShifts(x); }
  static inline BlockMasks Run(const char* p) {
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i case_bit = _mm_set1_epi8(kCaseBit);
    const __m128i open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');
    BlockMasks m{0, 0, 0, 0};
    for (int k = 0; k < 4; ++k) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      __m128i folded = _mm_or_si128(v, case_bit);
      m.quote |= MoveMask(_mm_cmpeq_epi8(v, quote), k);
      m.backslash |= MoveMask(_mm_cmpeq_epi8(v, backslash), k);
      m.open |= MoveMask(_mm_cmpeq_epi8(folded, open), k);
      m.close |= MoveMask(_mm_cmpeq_epi8(folded, close), k);
    }
    return m;
  }
};

// AVX2: two 32-byte loads; prefix XOR as a carry-less multiply by all ones (as simdjson).
struct ClassifyAvx2 {
  __attribute__((target("pclmul"))) static inline uint64_t PrefixXor(uint64_t x) {
    return PrefixXorClmul(x);
  }
  __attribute__((target("avx2"))) static inline uint64_t Mask(__m256i eq, int k) {
    return static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(eq))) << (32 * k);
  }
  __attribute__((target("avx2"))) static inline BlockMasks Run(const char* p) {
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
    const __m256i case_bit = _mm256_set1_epi8(kCaseBit);
    const __m256i open = _mm256_set1_epi8('{'), close = _mm256_set1_epi8('}');
    BlockMasks m{0, 0, 0, 0};
    for (int k = 0; k < 2; ++k) {
      __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k));
      __m256i folded = _mm256_or_si256(v, case_bit);
      m.quote |= Mask(_mm256_cmpeq_epi8(v, quote), k);
      m.backslash |= Mask(_mm256_cmpeq_epi8(v, backslash), k);
      m.open |= Mask(_mm256_cmpeq_epi8(folded, open), k);
      m.close |= Mask(_mm256_cmpeq_epi8(folded, close), k);
    }
    return m;
  }
};

// AVX-512BW: one 64-byte load, compares straight into bit masks.
struct ClassifyAvx512 {
  __attribute__((target("pclmul"))) static inline uint64_t PrefixXor(uint64_t x) {
    return PrefixXorClmul(x);
  }
  __attribute__((target("avx512f,avx512bw"))) static inline BlockMasks Run(const char* p) {
    __m512i v = _mm512_loadu_si512(p);
    __m512i folded = _mm512_or_si512(v, _mm512_set1_epi8(kCaseBit));
    return BlockMasks{_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"')),
                      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\')),
                      _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('{')),
                      _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('}'))};
  }
};

// Bits of characters escaped by a backslash (simdjson's odd-length backslash run detection).
// `carry` is 1 when the block's first character is escaped by the previous block's last one.
__attribute__((always_inline)) inline uint64_t Escaped(uint64_t backslash, uint64_t* carry) {
  constexpr uint64_t kEvenBits = 0x5555555555555555ULL;
  backslash &= ~*carry;
  uint64_t follows_escape = (backslash << 1) | *carry;
  uint64_t odd_sequence_starts = backslash & ~kEvenBits & ~follows_escape;
  unsigned long long sequences_starting_on_even_bits = 0;
  *carry =
      __builtin_uaddll_overflow(odd_sequence_starts, backslash, &sequences_starting_on_even_bits)
          ? 1
          : 0;
  uint64_t invert_mask = sequences_starting_on_even_bits << 1;
  return (kEvenBits ^ invert_mask) & follows_escape;
}

// Finds the end of the object starting at buf[start] == '{'. Returns the offset just past its
// closing '}', or 0 if it does not end before `end`. Strings are found for 64 bytes at a time
// (escapes, then quotes, then a prefix XOR), so only brackets outside strings are visited.
template <typename Classify>
__attribute__((always_inline)) inline size_t ObjectEnd(const char* buf, size_t start, size_t end) {
  int depth = 0;
  uint64_t escape_carry = 0, in_string_carry = 0;
  for (size_t block = start; block < end; block += 64) {
    BlockMasks m = Classify::Run(buf + block);
    if (end - block < 64) {
      uint64_t valid = (uint64_t{1} << (end - block)) - 1;
      m.quote &= valid, m.backslash &= valid, m.open &= valid, m.close &= valid;
    }
    uint64_t escaped = (m.backslash | escape_carry) != 0 ? Escaped(m.backslash, &escape_carry) : 0;
    uint64_t in_string = Classify::PrefixXor(m.quote & ~escaped) ^ in_string_carry;
    in_string_carry = static_cast<uint64_t>(static_cast<int64_t>(in_string) >> 63);
    uint64_t opens = m.open & ~in_string, closes = m.close & ~in_string;
    int close_count = __builtin_popcountll(closes);
    if (depth > close_count) {  // the object cannot end in this block: count, do not walk
      depth += __builtin_popcountll(opens) - close_count;
      continue;
    }
    // Walk the brackets; the depth update is arithmetic, not a branch on the bracket kind
    // (which follows the event's shape and mispredicts).
    for (uint64_t brackets = opens | closes; brackets != 0; brackets &= brackets - 1) {
      int bit = __builtin_ctzll(brackets);
      depth += static_cast<int>((opens >> bit) & 1) * 2 - 1;
      if (depth == 0) return block + static_cast<size_t>(bit) + 1;
    }
  }
  return 0;
}

template <typename Classify>
__attribute__((always_inline)) inline ScanResult ScanEvents(const char* buf, size_t pos, size_t end,
                                                            size_t batch_limit, bool need_comma) {
  ScanResult r;
  r.need_comma = need_comma;
  r.resume = pos;
  size_t limit = pos + batch_limit;
  while (true) {
    while (pos < end && IsSpace(buf[pos])) ++pos;
    if (pos == end) return r;  // need more bytes
    char c = buf[pos];
    if (c == ']') {
      r.array_closed = true;
      r.resume = pos + 1;
      return r;
    }
    if (r.need_comma) {
      if (c != ',') {
        r.error = fmt::format("expected ',' or ']' after event {}, found '{}'", r.count, c);
        r.error_offset = pos;
        return r;
      }
      ++pos;
      while (pos < end && IsSpace(buf[pos])) ++pos;
      if (pos == end) return r;
      c = buf[pos];
    }
    if (c != '{') {
      r.error = fmt::format("event is not a JSON object (starts with '{}')", c);
      r.error_offset = pos;
      return r;
    }
    size_t object_end = ObjectEnd<Classify>(buf, pos, end);
    if (object_end == 0) return r;  // partial element: resume at its separator
    if (r.count == 0) r.first_start = pos;
    ++r.count;
    r.batch_end = object_end;
    r.resume = object_end;
    r.need_comma = true;
    pos = object_end;
    if (pos >= limit) return r;
  }
}

// One instantiation per instruction set; the scan loop is compiled for it as a whole.
ScanResult ScanSse2(const char* buf, size_t pos, size_t end, size_t limit, bool need_comma) {
  return ScanEvents<ClassifySse2>(buf, pos, end, limit, need_comma);
}
__attribute__((target("avx2,pclmul"))) ScanResult ScanAvx2(const char* buf, size_t pos, size_t end,
                                                           size_t limit, bool need_comma) {
  return ScanEvents<ClassifyAvx2>(buf, pos, end, limit, need_comma);
}
__attribute__((target("avx512f,avx512bw,pclmul"))) ScanResult ScanAvx512(const char* buf,
                                                                         size_t pos, size_t end,
                                                                         size_t limit,
                                                                         bool need_comma) {
  return ScanEvents<ClassifyAvx512>(buf, pos, end, limit, need_comma);
}

using ScanFn = ScanResult (*)(const char*, size_t, size_t, size_t, bool);

ScanFn SelectScan(ScannerIsa isa) {
  switch (isa) {
    case ScannerIsa::kAvx512:
      return ScanAvx512;
    case ScannerIsa::kAvx2:
      return ScanAvx2;
    case ScannerIsa::kSse2:
      return ScanSse2;
  }
  return ScanSse2;
}

}  // namespace

ScannerIsa BestScannerIsa() {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("pclmul")) return ScannerIsa::kSse2;
  if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f")) {
    return ScannerIsa::kAvx512;
  }
  if (__builtin_cpu_supports("avx2")) return ScannerIsa::kAvx2;
  return ScannerIsa::kSse2;
}

ScanResult ScanEventArray(const char* buf, size_t pos, size_t end, size_t batch_limit,
                          bool need_comma) {
  static const ScanFn scan = SelectScan(BestScannerIsa());
  return scan(buf, pos, end, batch_limit, need_comma);
}

ScanResult ScanEventArrayWith(ScannerIsa isa, const char* buf, size_t pos, size_t end,
                              size_t batch_limit, bool need_comma) {
  return SelectScan(isa)(buf, pos, end, batch_limit, need_comma);
}

size_t ElementEnd(const char* buf, size_t start, size_t end) {
  return ObjectEnd<ClassifySse2>(buf, start, end);
}

std::vector<size_t> ElementStarts(const char* buf, size_t first_start, size_t batch_end) {
  std::vector<size_t> starts;
  size_t pos = first_start;
  while (pos < batch_end) {
    while (pos < batch_end && buf[pos] != '{') ++pos;
    if (pos >= batch_end) break;
    starts.push_back(pos);
    size_t next = ObjectEnd<ClassifySse2>(buf, pos, batch_end);
    if (next == 0) break;
    pos = next;
  }
  return starts;
}

}  // namespace trainscope::ingest::kineto
