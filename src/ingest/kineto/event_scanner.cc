// SPDX-License-Identifier: Apache-2.0
// SSE2 event-boundary scanner (see event_scanner.h).
#include "ingest/kineto/event_scanner.h"

#include <emmintrin.h>

#include <cstdint>

#include <fmt/core.h>

namespace trainscope::ingest::kineto {
namespace {

// Bit i set <=> p[i] is one of " \ { } [ ].
inline uint64_t StructuralMask(const char* p) {
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  const __m128i open_brace = _mm_set1_epi8('{'), close_brace = _mm_set1_epi8('}');
  const __m128i open_bracket = _mm_set1_epi8('['), close_bracket = _mm_set1_epi8(']');
  uint64_t mask = 0;
  for (int k = 0; k < 4; ++k) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    __m128i m = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, open_brace), _mm_cmpeq_epi8(v, close_brace)),
                     _mm_or_si128(_mm_cmpeq_epi8(v, open_bracket),
                                  _mm_cmpeq_epi8(v, close_bracket))));
    mask |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(m))) << (16 * k);
  }
  return mask;
}

inline bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Finds the end of the object starting at buf[start] == '{'. Returns the offset just past its
// closing '}', or 0 if it does not end before `end`.
size_t ObjectEnd(const char* buf, size_t start, size_t end) {
  int depth = 0;
  bool in_string = false;
  size_t skip_until = 0;  // an escaped byte to ignore
  for (size_t block = start; block < end; block += 64) {
    uint64_t mask = StructuralMask(buf + block);
    if (end - block < 64) mask &= (uint64_t{1} << (end - block)) - 1;
    while (mask != 0) {
      size_t pos = block + static_cast<size_t>(__builtin_ctzll(mask));
      mask &= mask - 1;
      if (pos < skip_until) continue;
      char c = buf[pos];
      if (in_string) {
        if (c == '\\') {
          skip_until = pos + 2;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      switch (c) {
        case '"': in_string = true; break;
        case '{': case '[': ++depth; break;
        case '}': case ']':
          if (--depth == 0) return pos + 1;
          break;
        default: break;  // a backslash outside a string: simdjson will reject it
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
