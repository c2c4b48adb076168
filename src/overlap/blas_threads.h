// SPDX-License-Identifier: Apache-2.0
// OpenBLAS threading for trainscope: every GEMM runs on the calling thread.
#pragma once

namespace trainscope::overlap {

// Sets OpenBLAS to one thread and stops the server threads its library constructor started.
// Process-wide and idempotent; called by trainscope's main and by FusedOperator::Create.
//
// Why: the fused operator runs one rank per core and the tile loop is its parallelism, so BLAS
// threads would only compete with the ranks. And Debian's pthread OpenBLAS starts a server thread
// per core when the library loads, each spinning on sched_yield for about 2^28 cycles before it
// sleeps: a 0.1 s `whatif` run that never calls BLAS lost a core to ~4,500 sched_yield calls.
void UseSingleThreadedBlas();

}  // namespace trainscope::overlap
