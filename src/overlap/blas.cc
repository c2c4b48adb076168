// SPDX-License-Identifier: Apache-2.0
// Sgemm through OpenBLAS loaded with dlopen on first use (blas.h says why).
#include "overlap/blas.h"

#include <cblas.h>
#include <dlfcn.h>

#include <mutex>

#include "base/check.h"

namespace trainscope::overlap {
namespace {

using SgemmFn = void (*)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
                         float, const float*, blasint, const float*, blasint, float, float*,
                         blasint);

constexpr const char* kLibrary = "libopenblas.so.0";

SgemmFn LoadSgemm() {
  void* lib = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  TS_CHECK(lib != nullptr, "cannot load {} for the GEMMs of `overlap` ({}); install Debian's "
           "libopenblas0", kLibrary, dlerror());
  auto sgemm = reinterpret_cast<SgemmFn>(dlsym(lib, "cblas_sgemm"));
  TS_CHECK(sgemm != nullptr, "{} has no cblas_sgemm", kLibrary);
  // One thread: the GEMM runs on its caller. blas_thread_shutdown_ (exported by OpenBLAS's
  // pthread build, driver/others/blas_server.c, not in cblas.h) joins the server threads the
  // library constructor started; the serial build has neither the threads nor the symbol.
  if (auto set_threads = reinterpret_cast<void (*)(int)>(dlsym(lib, "openblas_set_num_threads")))
    set_threads(1);
  if (auto shutdown = reinterpret_cast<int (*)()>(dlsym(lib, "blas_thread_shutdown_"))) shutdown();
  return sgemm;
}

}  // namespace

void Sgemm(int64_t rows, int64_t cols, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float* c, int64_t ldc) {
  static std::once_flag once;
  static SgemmFn sgemm = nullptr;
  std::call_once(once, [] { sgemm = LoadSgemm(); });
  sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<blasint>(rows),
        static_cast<blasint>(cols), static_cast<blasint>(k), 1.0f, a, static_cast<blasint>(lda), b,
        static_cast<blasint>(ldb), 0.0f, c, static_cast<blasint>(ldc));
}

}  // namespace trainscope::overlap
