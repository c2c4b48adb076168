// SPDX-License-Identifier: Apache-2.0
// The instruction set the detection kernels run on: what the CPU supports, chosen once.
#include "minder/internal/kernels.h"

namespace trainscope::minder::internal {

bool IsaSupported(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma");
    case Isa::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    default:
      return true;
  }
}

const char* IsaName(Isa isa) {
  switch (ResolveIsa(isa)) {
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx2:
      return "avx2";
    default:
      return "generic";
  }
}

Isa ResolveIsa(Isa isa) {
  if (isa != Isa::kAuto) return IsaSupported(isa) ? isa : Isa::kGeneric;
  static const Isa best = IsaSupported(Isa::kAvx512) ? Isa::kAvx512
                          : IsaSupported(Isa::kAvx2) ? Isa::kAvx2
                                                     : Isa::kGeneric;
  return best;
}

}  // namespace trainscope::minder::internal
