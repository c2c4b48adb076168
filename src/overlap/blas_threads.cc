// SPDX-License-Identifier: Apache-2.0
#include "overlap/blas_threads.h"

#include <cblas.h>

#include <mutex>

// Exported by OpenBLAS (driver/others/blas_server.c) though not declared in cblas.h: joins the
// server threads; a later multi-threaded call would start them again.
extern "C" int blas_thread_shutdown_(void);

namespace trainscope::overlap {

void UseSingleThreadedBlas() {
  static std::once_flag once;
  std::call_once(once, [] {
    openblas_set_num_threads(1);
    blas_thread_shutdown_();
  });
}

}  // namespace trainscope::overlap
