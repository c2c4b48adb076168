// SPDX-License-Identifier: Apache-2.0
// One-GPU arrangement of the fused operators (brief section 7): all TP ranks are buffers on
// one device driven by this process; each rank's fused GEMM kernel (hand-written, fp32 SIMT,
// 64 x 64 tiles, persistent blocks) runs beside its transfers: by default on the copy engine
// (cudaMemcpyAsync on a high-priority stream, cuStreamWaitValue32 / cuStreamWriteValue32 for
// the signals, Flux's host-side design), or through a one-block vectorised copy kernel; the
// emulated link is paced on %globaltimer in integer ns. cuBLAS gives T_g. Direct schedule,
// Write mode.
// Built only when nvcc is found (target trainscope_overlap_cuda); nothing else depends on it.
// Thread safety: one call at a time per process (uses the current device).
#pragma once

#include <vector>

#include "base/status.h"
#include "overlap/problem.h"

namespace trainscope::overlap::cuda {

// True when a CUDA device is visible to this process.
bool DeviceAvailable();

struct OneGpuTimings {
  double t_cublas_s = 0;      // T_g: cublasSgemm of rank 0's local problem
  double t_own_gemm_s = 0;    // own fused kernel, no waits
  double t_preset_s = 0;      // own fused kernel, all signals preset (fusion overhead)
  double t_sequential_s = 0;  // paced copy agent, then cuBLAS (RS: cuBLAS, then copies)
  double t_fused_s = 0;       // fused kernel + copy agent concurrently
};

enum class CopyPath { kCopyEngine, kCopyKernel };

// Runs the operator for every rank (inputs and outputs as FusedOperator::Run, host memory,
// one entry per rank) and checks every kernel's deadline. With `timings`, also times rank 0
// (median of `reps`).
Status RunOneGpu(OpKind op, const ShardedProblem& problem, const OverlapOptions& options,
                 const std::vector<const float*>& a, const std::vector<const float*>& b,
                 const std::vector<float*>& c, int reps, OneGpuTimings* timings,
                 CopyPath path = CopyPath::kCopyEngine);

// The bf16 tensor-core GEMM (kernels.h) against cublasGemmEx on the same bf16 inputs (random,
// fixed seed), fp32 output and accumulation: median times of `reps` and the largest difference.
struct Bf16GemmComparison {
  double t_own_s = 0, t_cublas_s = 0;
  double max_abs_diff = 0, max_abs_cublas = 0;
};
Result<Bf16GemmComparison> CompareBf16Gemm(int64_t m, int64_t n, int64_t k, int reps);

}  // namespace trainscope::overlap::cuda
