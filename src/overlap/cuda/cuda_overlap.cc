// SPDX-License-Identifier: Apache-2.0
// Public entry points of the ranks-on-one-GPU path (the run itself is internal/gpu_run.cc) and
// the bf16 GEMM comparison with cuBLAS.
#include "overlap/cuda/cuda_overlap.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "overlap/cuda/internal/cuda_status.h"
#include "overlap/cuda/internal/gpu_run.h"
#include "overlap/cuda/kernels.h"

namespace trainscope::overlap::cuda {
namespace {

using CublasGuard = std::unique_ptr<cublasContext, void (*)(cublasHandle_t)>;

// Round-to-nearest-even float -> bf16 bit pattern (finite inputs).
uint16_t ToBf16(float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof(bits));
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

// Median wall time of `reps` synchronised calls after one warm-up.
Result<double> MedianSeconds(int reps, const std::function<Status()>& fn) {
  std::vector<double> samples;
  for (int rep = 0; rep <= reps; ++rep) {
    TS_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());
    const auto start = std::chrono::steady_clock::now();
    TS_RETURN_IF_ERROR(fn());
    TS_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());
    if (rep > 0) {
      samples.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

}  // namespace

Result<Bf16GemmComparison> CompareBf16Gemm(int64_t m, int64_t n, int64_t k, int reps) {
  if (m <= 0 || n <= 0 || k <= 0 || reps < 1) {
    return InvalidArgumentError("bf16 GEMM {} x {} x {}, {} reps: sizes and reps must be positive",
                                m, n, k, reps);
  }
  if (!DeviceAvailable()) return FailedPreconditionError("no CUDA device is visible");
  std::vector<uint16_t> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n));
  uint64_t state = 12345;
  auto next = [&] {  // uniform in [-1, 1)
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>(static_cast<double>(state >> 11) / 9007199254740992.0 * 2 - 1);
  };
  for (uint16_t& v : a) v = ToBf16(next());
  for (uint16_t& v : b) v = ToBf16(next());
  DeviceMemory memory;
  TS_ASSIGN_OR_RETURN(uint16_t * d_a, memory.Upload(a));
  TS_ASSIGN_OR_RETURN(uint16_t * d_b, memory.Upload(b));
  TS_ASSIGN_OR_RETURN(float* d_own, memory.Alloc<float>(static_cast<size_t>(m * n)));
  TS_ASSIGN_OR_RETURN(float* d_ref, memory.Alloc<float>(static_cast<size_t>(m * n)));
  cublasHandle_t handle = nullptr;
  if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) return InternalError("cublasCreate failed");
  CublasGuard handle_guard(handle, [](cublasHandle_t h) { cublasDestroy(h); });
  auto own = [&]() -> Status {
    LaunchGemmBf16(d_a, d_b, d_own, m, n, k, nullptr);
    TS_CUDA_RETURN_IF_ERROR(cudaGetLastError());
    return OkStatus();
  };
  auto cublas = [&]() -> Status {
    const float one = 1.0f, zero = 0.0f;
    // Row-major C[m, n] = A[m, k] x B[k, n] is column-major C^T = B^T x A^T.
    const cublasStatus_t status =
        cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(m),
                     static_cast<int>(k), &one, d_b, CUDA_R_16BF, static_cast<int>(n), d_a,
                     CUDA_R_16BF, static_cast<int>(k), &zero, d_ref, CUDA_R_32F,
                     static_cast<int>(n), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (status != CUBLAS_STATUS_SUCCESS)
      return InternalError("cublasGemmEx failed: {}", int(status));
    return OkStatus();
  };
  Bf16GemmComparison result;
  TS_ASSIGN_OR_RETURN(result.t_own_s, MedianSeconds(reps, own));
  TS_ASSIGN_OR_RETURN(result.t_cublas_s, MedianSeconds(reps, cublas));
  std::vector<float> h_own(static_cast<size_t>(m * n)), h_ref(static_cast<size_t>(m * n));
  TS_CUDA_RETURN_IF_ERROR(
      cudaMemcpy(h_own.data(), d_own, h_own.size() * sizeof(float), cudaMemcpyDeviceToHost));
  TS_CUDA_RETURN_IF_ERROR(
      cudaMemcpy(h_ref.data(), d_ref, h_ref.size() * sizeof(float), cudaMemcpyDeviceToHost));
  for (size_t idx = 0; idx < h_own.size(); ++idx) {
    result.max_abs_diff = std::max(result.max_abs_diff, double{std::fabs(h_own[idx] - h_ref[idx])});
    result.max_abs_cublas = std::max(result.max_abs_cublas, double{std::fabs(h_ref[idx])});
  }
  return result;
}

bool DeviceAvailable() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

Status RunOneGpu(OpKind op, const ShardedProblem& problem, const OverlapOptions& options,
                 const std::vector<const float*>& a, const std::vector<const float*>& b,
                 const std::vector<float*>& c, int reps, OneGpuTimings* timings, CopyPath path) {
  OverlapOptions kernel_options;
  TS_ASSIGN_OR_RETURN(Tiling tiling, KernelTiling(problem, options, &kernel_options));
  if (!DeviceAvailable()) return FailedPreconditionError("no CUDA device is visible");
  GpuRun run(op, options, kernel_options, std::move(tiling), path, nullptr);
  TS_RETURN_IF_ERROR(run.Setup(a, b));
  TS_RETURN_IF_ERROR(run.Run(c));
  if (timings == nullptr) return OkStatus();
  return run.Time(reps, timings);
}

}  // namespace trainscope::overlap::cuda
