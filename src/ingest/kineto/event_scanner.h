// SPDX-License-Identifier: Apache-2.0
// Event-boundary scanner for the `traceEvents` array (private to the Kineto reader).
//
// The reader streams a trace through a reused buffer and hands simdjson batches of *complete*
// events. This scanner finds those batches: starting between two array elements, it walks
// element after element, tracking only string/escape state and bracket depth, and reports the
// byte range holding the complete elements it found, whether the array closed, and where to
// resume. It does not validate the JSON inside an element (simdjson does that when it parses
// the batch); it does check what lies *between* elements: one comma, then an object.
//
// Speed: 64 bytes are classified per step with SIMD compares into bit masks of
// quotes, backslashes and brackets. Escaped characters come from odd-length backslash runs,
// string interiors from a prefix XOR of the unescaped quotes (both as in simdjson's stage 1),
// so only brackets outside strings are visited one by one (a few per event). The classifier
// is chosen at run time (CI builds for baseline x86-64): AVX-512BW (one load and four compares
// per block), AVX2, or SSE2; the first two take the prefix XOR from a carry-less multiply
// (PCLMUL). Each gets its own copy of the scan loop (target attributes).
//
// Buffer contract: at least 64 readable bytes past `end` (PaddedBuffer padding).
// Thread safety: pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace trainscope::ingest::kineto {

struct ScanResult {
  size_t count = 0;           // complete elements found
  size_t first_start = 0;     // offset of the first element's '{' (if count > 0)
  size_t batch_end = 0;       // offset just past the last complete element (if count > 0)
  size_t resume = 0;          // where the next scan starts (partial element or separator)
  bool need_comma = false;    // state to pass to the next scan
  bool array_closed = false;  // found the array's ']'; `resume` is just past it
  // Non-empty if the bytes between elements are wrong; `error_offset` is where.
  std::string error;
  size_t error_offset = 0;
};

// Scans buf[pos, end). `need_comma` says whether an element was already seen before `pos`.
// Stops after the first element that ends at or past pos + batch_limit.
ScanResult ScanEventArray(const char* buf, size_t pos, size_t end, size_t batch_limit,
                          bool need_comma);

// Instruction sets the scanner has a version for.
enum class ScannerIsa : uint8_t { kSse2, kAvx2, kAvx512 };
// The best one this CPU supports (the one ScanEventArray uses).
ScannerIsa BestScannerIsa();
// ScanEventArray with a given instruction set (tests compare them); `isa` must be supported.
ScanResult ScanEventArrayWith(ScannerIsa isa, const char* buf, size_t pos, size_t end,
                              size_t batch_limit, bool need_comma);

// End (just past the closing '}') of the object whose '{' is at buf[start], or 0 if it does not
// end before `end`.
size_t ElementEnd(const char* buf, size_t start, size_t end);

// Start offsets of the elements in a batch region [first_start, batch_end) (error paths only).
std::vector<size_t> ElementStarts(const char* buf, size_t first_start, size_t batch_end);

}  // namespace trainscope::ingest::kineto
