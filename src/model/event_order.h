// SPDX-License-Identifier: Apache-2.0
// EventOrder: the permutation that sorts event rows by (ts ascending, dur descending, row),
// the order of RankTrace::events (a parent span before its children; ties keep file order).
//
// Algorithm. A least-significant-digit radix sort of the rows by ts - min(ts), 11 bits a pass,
// over only as many digits as the time range needs (a few seconds of trace span 2^33 ns: three
// passes), skipping digits every row shares. LSD radix sort is stable, so rows with equal ts
// stay in row order; a last pass sorts each run of equal ts by (dur descending, row), which is
// short (a parent and the children starting with it). Linear time, unlike comparison sorts, and
// every pass streams through memory. Input that is already in order costs one check.
//
// Rows are sorted as one 64-bit word each, (ts - min) << row bits | row, when the time range and
// the row count fit in 64 bits together (any trace shorter than days), else as 16-byte items.
// Memory: 16 (or 32) bytes a row of scratch and the 4-byte result, on huge pages (fresh 4 KiB pages are
// expensive to touch on our VMs, see base/huge_buffer.h). Thread safety: pure function.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/huge_buffer.h"

namespace trainscope::model {

// Reserves at least n rows, and for a column past 1 MiB enough for huge pages (HugePageAllocator
// uses them from kHugeThreshold up): touching fresh 4 KiB pages costs more on our VMs (10-20 us
// each) than the rest of the last, partly used huge page. Reserved rows past that stay
// untouched and cost address space only. (Also used by RankTraceBuilder for its columns.)
template <typename T>
void ReserveOnHugePages(Column<T>& column, size_t n) {
  constexpr size_t kHugeRows = HugePageAllocator<T>::kHugeThreshold / sizeof(T);
  column.reserve(n * sizeof(T) >= (size_t{1} << 20) && n < kHugeRows ? kHugeRows : n);
}

// Returns order[i] = the row that goes to position i; `ts` and `dur` hold n values each. Empty
// result if the rows are already in order.
Column<uint32_t> EventOrder(const int64_t* ts, const int64_t* dur, size_t n);

}  // namespace trainscope::model
