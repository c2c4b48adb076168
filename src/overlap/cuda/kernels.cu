// SPDX-License-Identifier: Apache-2.0
// Hand-written CUDA kernels of the one-GPU overlap path: a persistent fp32 tile GEMM whose
// prologue waits on system-scope acquire loads of the comm-tile signals (AG) or whose epilogue
// releases "partial done" signals (RS), a one-block vectorised copy agent paced on
// %globaltimer (the emulated link), the pacing kernels of the copy-engine path, the wait on the
// RS slot signals (set from peer GPUs with one GPU per rank) and the rank-order slot reduction. No CUTLASS: shared-memory SIMT SGEMM (fp32).
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include "overlap/cuda/kernels.h"

namespace trainscope::overlap::cuda {
namespace {

constexpr int kTileK = 16;
constexpr int kThreads = 256;  // 16 x 16 threads, 4 x 4 outputs each

__device__ __forceinline__ uint64_t GlobalTimer() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
__device__ __forceinline__ uint32_t LoadAcquireSys(const uint32_t* p) {
  uint32_t v;
  asm volatile("ld.acquire.sys.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}
__device__ __forceinline__ void StoreReleaseSys(uint32_t* p, uint32_t v) {
  asm volatile("st.release.sys.global.u32 [%0], %1;" ::"l"(p), "r"(v) : "memory");
}

// Spins until *p == expected or the deadline; records the first timeout. Returns success.
__device__ bool WaitSignal(const uint32_t* p, uint32_t expected, uint64_t deadline, int tile,
                           int signal, DeviceError* error) {
  uint32_t seen = LoadAcquireSys(p);
  while (seen != expected) {
    if (GlobalTimer() > deadline) {
      if (atomicCAS(&error->flag, 0, 1) == 0) {
        error->tile = tile;
        error->signal = signal;
        error->seen = seen;
      }
      return false;
    }
    __nanosleep(100);
    seen = LoadAcquireSys(p);
  }
  return true;
}

__global__ void FusedGemmKernel(FusedGemmArgs args) {
  __shared__ float a_tile[kTileK][kTileM + 1];
  __shared__ float b_tile[kTileK][kTileN];
  __shared__ int64_t current;
  __shared__ int ok;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const uint64_t deadline = GlobalTimer() + args.timeout_ns;
  while (true) {
    if (threadIdx.x == 0) {
      const int64_t slot = atomicAdd(args.counter, 1);
      current = slot < args.num_tiles ? args.order[slot] : -1;
      ok = 1;
      if (current >= 0 && args.wait) {
        const int64_t row_tile = current / args.col_tiles;
        for (int64_t ct = args.first[row_tile]; ct <= args.last[row_tile] && ok; ++ct) {
          ok = WaitSignal(args.signals + ct, args.epoch, deadline, static_cast<int>(current),
                          static_cast<int>(ct), args.error);
        }
      }
      if (volatile int* flag = &args.error->flag; *flag != 0) ok = 0;
    }
    __syncthreads();
    if (current < 0 || !ok) return;
    const int64_t row0 = (current / args.col_tiles) * kTileM;
    const int64_t col0 = (current % args.col_tiles) * kTileN;
    float acc[4][4] = {};
    for (int64_t k0 = 0; k0 < args.k; k0 += kTileK) {
      for (int idx = threadIdx.x; idx < kTileM * kTileK; idx += kThreads) {
        const int r = idx / kTileK, kk = idx % kTileK;
        const int64_t row = row0 + r, kcol = k0 + kk;
        a_tile[kk][r] = (row < args.m && kcol < args.k) ? args.a[row * args.k + kcol] : 0.0f;
      }
      for (int idx = threadIdx.x; idx < kTileK * kTileN; idx += kThreads) {
        const int kk = idx / kTileN, c = idx % kTileN;
        const int64_t krow = k0 + kk, col = col0 + c;
        b_tile[kk][c] = (krow < args.k && col < args.n) ? args.b[krow * args.n + col] : 0.0f;
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < kTileK; ++kk) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
#pragma unroll
          for (int j = 0; j < 4; ++j)
            acc[i][j] += a_tile[kk][ty + 16 * i] * b_tile[kk][tx + 16 * j];
        }
      }
      __syncthreads();
    }
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 4; ++j) {
        const int64_t row = row0 + ty + 16 * i, col = col0 + tx + 16 * j;
        if (row < args.m && col < args.n) args.out[row * args.n + col] = acc[i][j];
      }
    }
    if (args.done_counts != nullptr) {
      // The tile's stores before the count, at system scope: the copier that sees the flag
      // may be a copy engine or a peer GPU.
      __threadfence_system();
      __syncthreads();
      if (threadIdx.x == 0) {
        const int64_t row_tile = current / args.col_tiles;
        for (int64_t ct = args.first[row_tile]; ct <= args.last[row_tile]; ++ct) {
          if (atomicAdd(args.done_counts + ct, 1u) + 1 == args.needed[ct]) {
            __threadfence_system();
            StoreReleaseSys(args.done_flags + ct, args.epoch);
          }
        }
      }
    }
    __syncthreads();
  }
}

// dst[0 .. count) = src[0 .. count) by the whole block, 16 bytes per load when both are aligned.
__device__ void BlockCopy(const float* src, float* dst, int64_t count) {
  const bool aligned =
      ((reinterpret_cast<uintptr_t>(src) | reinterpret_cast<uintptr_t>(dst)) & 15) == 0;
  int64_t done = 0;
  if (aligned) {
    const int64_t vectors = count / 4;
    const float4* s4 = reinterpret_cast<const float4*>(src);
    float4* d4 = reinterpret_cast<float4*>(dst);
    for (int64_t idx = threadIdx.x; idx < vectors; idx += blockDim.x) d4[idx] = s4[idx];
    done = vectors * 4;
  }
  for (int64_t idx = done + threadIdx.x; idx < count; idx += blockDim.x) dst[idx] = src[idx];
}

__global__ void CopyAgentKernel(const CopyOp* ops, int64_t count, uint32_t epoch,
                                uint64_t timeout_ns, DeviceError* error) {
  __shared__ int ok;
  const uint64_t deadline = GlobalTimer() + timeout_ns;
  uint64_t link_free = 0;
  for (int64_t op_idx = 0; op_idx < count; ++op_idx) {
    const CopyOp op = ops[op_idx];
    if (threadIdx.x == 0) {
      ok = op.wait == nullptr || WaitSignal(op.wait, epoch, deadline, -1, op.signal, error);
    }
    __syncthreads();
    if (!ok) return;
    const uint64_t issue = GlobalTimer();
    BlockCopy(op.src, op.dst, op.count);
    __threadfence_system();
    __syncthreads();
    if (threadIdx.x == 0) {
      if (op.link_ns > 0) {
        link_free = max(issue, link_free) + op.link_ns;
        while (GlobalTimer() < link_free) __nanosleep(200);
      }
      if (op.set != nullptr) StoreReleaseSys(op.set, epoch);
    }
    __syncthreads();
  }
}

__global__ void LinkIssueKernel(uint64_t* link_free, uint64_t* done, uint64_t link_ns) {
  const uint64_t at = max(GlobalTimer(), *link_free) + link_ns;
  *link_free = at;
  *done = at;
}

__global__ void LinkHoldKernel(const uint64_t* done) {
  const uint64_t until = *done;
  while (GlobalTimer() < until) __nanosleep(200);
}

__global__ void RankOrderSumKernel(const float* const* parts, int tp, float* out, int64_t count) {
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < count;
       idx += int64_t{gridDim.x} * blockDim.x) {
    float sum = parts[0][idx];
    for (int s = 1; s < tp; ++s) sum += parts[s][idx];
    out[idx] = sum;
  }
}

__global__ void SetSignalsKernel(uint32_t* signals, int64_t begin, int64_t end, uint32_t value) {
  for (int64_t idx = begin + threadIdx.x; idx < end; idx += blockDim.x) {
    StoreReleaseSys(signals + idx, value);
  }
}

__global__ void WaitSignalsKernel(const uint32_t* signals, int64_t begin, int64_t end,
                                  uint32_t epoch, uint64_t timeout_ns, DeviceError* error) {
  const uint64_t deadline = GlobalTimer() + timeout_ns;
  for (int64_t idx = begin; idx < end; ++idx) {
    if (!WaitSignal(signals + idx, epoch, deadline, kWaitingSlots, static_cast<int>(idx), error)) {
      return;
    }
  }
}

constexpr int kBf16TileK = 32;
constexpr int kBf16Pad = 8;  // keeps WMMA's ldm a multiple of 8 and staggers shared banks

__global__ void __launch_bounds__(256)
    GemmBf16Kernel(const __nv_bfloat16* a, const __nv_bfloat16* b, float* out, int64_t m, int64_t n,
                   int64_t k) {
  using namespace nvcuda;
  __shared__ __align__(32) __nv_bfloat16 a_tile[kBf16TileM][kBf16TileK + kBf16Pad];  // 128 x 40
  __shared__ __align__(32) __nv_bfloat16 b_tile[kBf16TileK][kBf16TileN + kBf16Pad];  // 32 x 136
  __shared__ __align__(32) float stage[8][16 * 16];  // per warp, for ragged stores
  const int warp = threadIdx.x / 32;
  const int warp_row = warp / 4, warp_col = warp % 4;  // 2 x 4 warps of 64 x 32
  const int64_t row0 = int64_t{blockIdx.y} * kBf16TileM, col0 = int64_t{blockIdx.x} * kBf16TileN;
  const __nv_bfloat16 zero = __float2bfloat16(0.0f);
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4][2];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  for (int64_t k0 = 0; k0 < k; k0 += kBf16TileK) {
    for (int idx = threadIdx.x; idx < kBf16TileM * kBf16TileK; idx += blockDim.x) {
      const int r = idx / kBf16TileK, c = idx % kBf16TileK;
      const int64_t row = row0 + r, col = k0 + c;
      a_tile[r][c] = (row < m && col < k) ? a[row * k + col] : zero;
    }
    for (int idx = threadIdx.x; idx < kBf16TileK * kBf16TileN; idx += blockDim.x) {
      const int r = idx / kBf16TileN, c = idx % kBf16TileN;
      const int64_t row = k0 + r, col = col0 + c;
      b_tile[r][c] = (row < k && col < n) ? b[row * n + col] : zero;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBf16TileK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a_frag[4];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> b_frag[2];
#pragma unroll
      for (int i = 0; i < 4; ++i)
        wmma::load_matrix_sync(a_frag[i], &a_tile[warp_row * 64 + i * 16][kk],
                               kBf16TileK + kBf16Pad);
#pragma unroll
      for (int j = 0; j < 2; ++j)
        wmma::load_matrix_sync(b_frag[j], &b_tile[kk][warp_col * 32 + j * 16],
                               kBf16TileN + kBf16Pad);
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], a_frag[i], b_frag[j], acc[i][j]);
    }
    __syncthreads();
  }
  const int lane = threadIdx.x % 32;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 2; ++j) {
      const int64_t r0 = row0 + warp_row * 64 + i * 16, c0 = col0 + warp_col * 32 + j * 16;
      if (r0 + 16 <= m && c0 + 16 <= n && n % 4 == 0) {  // WMMA: float ldm a multiple of 4
        wmma::store_matrix_sync(out + r0 * n + c0, acc[i][j], static_cast<unsigned>(n),
                                wmma::mem_row_major);
        continue;
      }
      wmma::store_matrix_sync(stage[warp], acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
      for (int e = lane; e < 256; e += 32) {
        const int64_t row = r0 + e / 16, col = c0 + e % 16;
        if (row < m && col < n) out[row * n + col] = stage[warp][e];
      }
      __syncwarp();
    }
  }
}

}  // namespace

void LaunchGemmBf16(const uint16_t* a, const uint16_t* b, float* out, int64_t m, int64_t n,
                    int64_t k, void* stream) {
  const dim3 grid(static_cast<unsigned>((n + kBf16TileN - 1) / kBf16TileN),
                  static_cast<unsigned>((m + kBf16TileM - 1) / kBf16TileM));
  GemmBf16Kernel<<<grid, 256, 0, static_cast<cudaStream_t>(stream)>>>(
      reinterpret_cast<const __nv_bfloat16*>(a), reinterpret_cast<const __nv_bfloat16*>(b), out, m,
      n, k);
}

void LaunchFusedGemm(const FusedGemmArgs& args, int blocks, void* stream) {
  FusedGemmKernel<<<blocks, kThreads, 0, static_cast<cudaStream_t>(stream)>>>(args);
}

void LaunchCopyAgent(const CopyOp* ops, int64_t count, uint32_t epoch, uint64_t timeout_ns,
                     DeviceError* error, void* stream) {
  CopyAgentKernel<<<1, 1024, 0, static_cast<cudaStream_t>(stream)>>>(ops, count, epoch, timeout_ns,
                                                                     error);
}

void LaunchLinkIssue(uint64_t* link_free, uint64_t* done, uint64_t link_ns, void* stream) {
  LinkIssueKernel<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(link_free, done, link_ns);
}

void LaunchLinkHold(const uint64_t* done, void* stream) {
  LinkHoldKernel<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(done);
}

void LaunchRankOrderSum(const float* const* parts, int tp, float* out, int64_t count,
                        void* stream) {
  if (count <= 0) return;
  const int blocks = static_cast<int>((count + 255) / 256 < 1024 ? (count + 255) / 256 : 1024);
  RankOrderSumKernel<<<blocks, 256, 0, static_cast<cudaStream_t>(stream)>>>(parts, tp, out, count);
}

void LaunchWaitSignals(const uint32_t* signals, int64_t begin, int64_t end, uint32_t epoch,
                       uint64_t timeout_ns, DeviceError* error, void* stream) {
  if (end <= begin) return;
  WaitSignalsKernel<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(signals, begin, end, epoch,
                                                                     timeout_ns, error);
}

void LaunchSetSignals(uint32_t* signals, int64_t begin, int64_t end, uint32_t value, void* stream) {
  if (end <= begin) return;
  SetSignalsKernel<<<1, 256, 0, static_cast<cudaStream_t>(stream)>>>(signals, begin, end, value);
}

}  // namespace trainscope::overlap::cuda
