// SPDX-License-Identifier: Apache-2.0
// SSE2 event-boundary scanner (see event_scanner.h).
#include "ingest/kineto/event_scanner.h"

#include <emmintrin.h>
#include <fmt/core.h>

#include <cstdint>

namespace trainscope::ingest::kineto {
namespace {

inline bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

struct BlockMasks {
  uint64_t quote, backslash, open, close;
};

inline uint64_t MoveMask(__m128i v, int k) {
  return static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(v))) << (16 * k);
}

// Classifies the 64 bytes at p (SSE2: four 16-byte compares per character class).
inline BlockMasks Classify(const char* p) {
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  const __m128i open_brace = _mm_set1_epi8('{'), close_brace = _mm_set1_epi8('}');
  const __m128i open_bracket = _mm_set1_epi8('['), close_bracket = _mm_set1_epi8(']');
  BlockMasks m{0, 0, 0, 0};
  for (int k = 0; k < 4; ++k) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    m.quote |= MoveMask(_mm_cmpeq_epi8(v, quote), k);
    m.backslash |= MoveMask(_mm_cmpeq_epi8(v, backslash), k);
    m.open |=
        MoveMask(_mm_or_si128(_mm_cmpeq_epi8(v, open_brace), _mm_cmpeq_epi8(v, open_bracket)), k);
    m.close |=
        MoveMask(_mm_or_si128(_mm_cmpeq_epi8(v, close_brace), _mm_cmpeq_epi8(v, close_bracket)), k);
  }
  return m;
}

// Bits of characters escaped by a backslash (simdjson's odd-length backslash run detection).
// `carry` is 1 when the block's first character is escaped by the previous block's last one.
inline uint64_t Escaped(uint64_t backslash, uint64_t* carry) {
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

// Bit i set <=> an odd number of bits at or below i are set (string interiors from quotes).
inline uint64_t PrefixXor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// Finds the end of the object starting at buf[start] == '{'. Returns the offset just past its
// closing '}', or 0 if it does not end before `end`. Strings are found for 64 bytes at a time
// (escapes, then quotes, then a prefix XOR), so only brackets outside strings are visited.
size_t ObjectEnd(const char* buf, size_t start, size_t end) {
  int depth = 0;
  uint64_t escape_carry = 0, in_string_carry = 0;
  for (size_t block = start; block < end; block += 64) {
    BlockMasks m = Classify(buf + block);
    if (end - block < 64) {
      uint64_t valid = (uint64_t{1} << (end - block)) - 1;
      m.quote &= valid, m.backslash &= valid, m.open &= valid, m.close &= valid;
    }
    uint64_t escaped = (m.backslash | escape_carry) != 0 ? Escaped(m.backslash, &escape_carry) : 0;
    uint64_t in_string = PrefixXor(m.quote & ~escaped) ^ in_string_carry;
    in_string_carry = static_cast<uint64_t>(static_cast<int64_t>(in_string) >> 63);
    uint64_t brackets = (m.open | m.close) & ~in_string;
    while (brackets != 0) {
      int bit = __builtin_ctzll(brackets);
      brackets &= brackets - 1;
      if ((m.open >> bit) & 1) {
        ++depth;
      } else if (--depth == 0) {
        return block + static_cast<size_t>(bit) + 1;
      }
    }
  }
  return 0;
}

}  // namespace

ScanResult ScanEventArray(const char* buf, size_t pos, size_t end, size_t batch_limit,
                          bool need_comma) {
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
    size_t object_end = ObjectEnd(buf, pos, end);
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

std::vector<size_t> ElementStarts(const char* buf, size_t first_start, size_t batch_end) {
  std::vector<size_t> starts;
  size_t pos = first_start;
  while (pos < batch_end) {
    while (pos < batch_end && buf[pos] != '{') ++pos;
    if (pos >= batch_end) break;
    starts.push_back(pos);
    size_t next = ObjectEnd(buf, pos, batch_end);
    if (next == 0) break;
    pos = next;
  }
  return starts;
}

}  // namespace trainscope::ingest::kineto
