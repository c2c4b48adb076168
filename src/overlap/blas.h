// SPDX-License-Identifier: Apache-2.0
// The one GEMM the overlap module runs, through OpenBLAS loaded on first use.
//
// Why loaded, not linked: OpenBLAS's library constructor detects the CPU, allocates its buffers and
// starts a server thread per core, each spinning on sched_yield for ~2^28 cycles before it sleeps.
// Linked into trainscope, every command paid that (2.3 ms of start-up, and `whatif` lost the other
// core to ~4,500 sched_yield calls) though only `overlap` runs a GEMM. Loaded here, on the first
// GEMM, and set to run on the calling thread: the fused operator runs one rank per core and its
// tile loop is the parallelism, so BLAS threads would only compete with the ranks.
// Needs Debian's libopenblas0 at run time (libopenblas.so.0); without it the first GEMM aborts
// with a message naming the package. Thread safety: Sgemm may be called from any thread.
#pragma once

#include <cstdint>

namespace trainscope::overlap {

// c[rows x cols] = a[rows x k] * b[k x cols], single precision, row-major, leading dimensions
// lda / ldb / ldc; on the calling thread.
void Sgemm(int64_t rows, int64_t cols, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float* c, int64_t ldc);

}  // namespace trainscope::overlap
