// SPDX-License-Identifier: Apache-2.0
// Host side of the one-GPU overlap path: buffers, copy schedules, launches, timings.
#include "overlap/cuda/cuda_overlap.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>

#include "overlap/cuda/kernels.h"
#include "overlap/tiling.h"

#define TS_CUDA_RETURN_IF_ERROR(call)                                                         \
  do {                                                                                        \
    cudaError_t ts_cuda_error_ = (call);                                                      \
    if (ts_cuda_error_ != cudaSuccess) {                                                      \
      return ::trainscope::InternalError("{} failed at {}:{}: {}", #call, __FILE__, __LINE__, \
                                         cudaGetErrorString(ts_cuda_error_));                 \
    }                                                                                         \
  } while (0)

namespace trainscope::overlap::cuda {
namespace {

// Owns cudaMalloc'ed memory (zeroed).
class DeviceMemory {
 public:
  ~DeviceMemory() {
    for (void* ptr : owned_) cudaFree(ptr);
  }
  template <typename T>
  Result<T*> Alloc(size_t count) {
    void* ptr = nullptr;
    TS_CUDA_RETURN_IF_ERROR(cudaMalloc(&ptr, std::max<size_t>(count, 1) * sizeof(T)));
    owned_.push_back(ptr);
    TS_CUDA_RETURN_IF_ERROR(cudaMemset(ptr, 0, std::max<size_t>(count, 1) * sizeof(T)));
    return static_cast<T*>(ptr);
  }
  template <typename T>
  Result<T*> Upload(const std::vector<T>& host) {
    TS_ASSIGN_OR_RETURN(T * ptr, Alloc<T>(host.size()));
    if (!host.empty()) {
      TS_CUDA_RETURN_IF_ERROR(
          cudaMemcpy(ptr, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
    }
    return ptr;
  }

 private:
  std::vector<void*> owned_;
};

struct RankBuffers {
  float *a = nullptr, *b = nullptr, *c = nullptr;
  float* data = nullptr;        // AG: gathered [M, k]; RS: partial [M, n]
  uint32_t* signals = nullptr;  // AG: per comm tile; RS: partial-done flags
  uint32_t* done_counts = nullptr;
  float* slots = nullptr;        // RS: [tp][rows_r, n]
  uint32_t* slot_sig = nullptr;  // RS: [tp][comm tiles]
  int64_t* order = nullptr;
  CopyOp* ops = nullptr;
  int64_t op_count = 0;
  const float** parts = nullptr;  // RS: rank-order reduction inputs
};

}  // namespace

bool DeviceAvailable() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

Status RunOneGpu(OpKind op, const ShardedProblem& problem, const OverlapOptions& options,
                 const std::vector<const float*>& a, const std::vector<const float*>& b,
                 const std::vector<float*>& c, int reps, OneGpuTimings* timings) {
  if (options.schedule != ScheduleKind::kDirect || options.rs_mode != RsMode::kWrite) {
    return UnimplementedError("the one-GPU path runs the direct schedule in Write mode only");
  }
  if (!DeviceAvailable()) return FailedPreconditionError("no CUDA device is visible");
  OverlapOptions kernel_options = options;
  kernel_options.tile_m = kTileM;
  kernel_options.tile_n = kTileN;
  TS_ASSIGN_OR_RETURN(Tiling tiling, Tiling::Create(problem, kernel_options));
  const int tp = tiling.tp();
  const int64_t m = tiling.total_rows(), n = tiling.n(), k = tiling.k();
  const int64_t num_ct = tiling.num_comm_tiles();
  const bool ag = op == OpKind::kAgGemm;
  DeviceMemory memory;
  std::vector<int64_t> first, last;
  for (int64_t row_tile = 0; row_tile < tiling.row_tiles(); ++row_tile) {
    const Tiling::Range range = tiling.CoveringCommTiles(row_tile);
    first.push_back(range.first);
    last.push_back(range.last);
  }
  std::vector<uint32_t> needed(static_cast<size_t>(num_ct));
  for (int64_t ct = 0; ct < num_ct; ++ct) {
    const Tiling::Range rows = tiling.RowTilesOf(ct);
    needed[ct] = static_cast<uint32_t>((rows.last - rows.first + 1) * tiling.col_tiles());
  }
  TS_ASSIGN_OR_RETURN(int64_t * d_first, memory.Upload(first));
  TS_ASSIGN_OR_RETURN(int64_t * d_last, memory.Upload(last));
  TS_ASSIGN_OR_RETURN(uint32_t * d_needed, memory.Upload(needed));
  TS_ASSIGN_OR_RETURN(int* d_counter, memory.Alloc<int>(1));
  TS_ASSIGN_OR_RETURN(DeviceError * d_error, memory.Alloc<DeviceError>(1));

  std::vector<RankBuffers> ranks(static_cast<size_t>(tp));
  for (int rank = 0; rank < tp; ++rank) {
    RankBuffers& rb = ranks[rank];
    const int64_t rows = tiling.shard_rows(rank);
    const size_t a_count = static_cast<size_t>((ag ? rows : m) * k);
    TS_ASSIGN_OR_RETURN(rb.a, memory.Upload(std::vector<float>(a[rank], a[rank] + a_count)));
    TS_ASSIGN_OR_RETURN(rb.b, memory.Upload(std::vector<float>(b[rank], b[rank] + k * n)));
    TS_ASSIGN_OR_RETURN(rb.c, memory.Alloc<float>(static_cast<size_t>((ag ? m : rows) * n)));
    TS_ASSIGN_OR_RETURN(rb.data, memory.Alloc<float>(static_cast<size_t>(m * (ag ? k : n))));
    TS_ASSIGN_OR_RETURN(rb.signals, memory.Alloc<uint32_t>(static_cast<size_t>(num_ct)));
    TS_ASSIGN_OR_RETURN(rb.done_counts, memory.Alloc<uint32_t>(static_cast<size_t>(num_ct)));
    TS_ASSIGN_OR_RETURN(rb.slots, memory.Alloc<float>(static_cast<size_t>(tp * rows * n)));
    TS_ASSIGN_OR_RETURN(rb.slot_sig, memory.Alloc<uint32_t>(static_cast<size_t>(tp * num_ct)));
    TS_ASSIGN_OR_RETURN(rb.order, memory.Upload(ag ? AgTileOrder(tiling, rank, kernel_options)
                                                   : RsTileOrder(tiling, rank, kernel_options)));
  }
  // Copy schedules (device pointers only, so they are built once all buffers exist).
  for (int rank = 0; rank < tp; ++rank) {
    RankBuffers& rb = ranks[rank];
    std::vector<CopyOp> ops;
    for (int64_t ct = 0; ct < num_ct; ++ct) {
      const CommTile& tile = tiling.comm_tiles()[ct];
      const int64_t local_row = tile.row_begin - tiling.shard_begin(tile.rank);
      if (ag) {  // own shard first (not paced), then peers in arrival order (below)
        if (tile.rank != rank) continue;
        ops.push_back({nullptr, ranks[rank].a + local_row * k, rb.data + tile.row_begin * k,
                       tile.rows() * k, rb.signals + ct, static_cast<int32_t>(ct), 0});
      }
    }
    const std::vector<int> peers = ag ? AgArrivalRanks(rank, tp, kernel_options)
                                      : RsDestinationRanks(rank, tp, kernel_options);
    for (int peer : peers) {
      if (peer == rank) continue;
      for (int64_t ct = tiling.first_comm_tile(peer); ct < tiling.first_comm_tile(peer + 1); ++ct) {
        const CommTile& tile = tiling.comm_tiles()[ct];
        const int64_t local_row = tile.row_begin - tiling.shard_begin(peer);
        if (ag) {
          ops.push_back({nullptr, ranks[peer].a + local_row * k, rb.data + tile.row_begin * k,
                         tile.rows() * k, rb.signals + ct, static_cast<int32_t>(ct), 1});
        } else {
          ops.push_back({rb.signals + ct, rb.data + tile.row_begin * n,
                         ranks[peer].slots + (rank * tiling.shard_rows(peer) + local_row) * n,
                         tile.rows() * n, ranks[peer].slot_sig + rank * num_ct + ct,
                         static_cast<int32_t>(ct), 1});
        }
      }
    }
    rb.op_count = static_cast<int64_t>(ops.size());
    TS_ASSIGN_OR_RETURN(rb.ops, memory.Upload(ops));
    std::vector<const float*> parts;
    for (int src = 0; src < tp; ++src) {
      parts.push_back(src == rank ? rb.data + tiling.shard_begin(rank) * n
                                  : rb.slots + src * tiling.shard_rows(rank) * n);
    }
    TS_ASSIGN_OR_RETURN(rb.parts, memory.Upload(parts));
  }

  cudaStream_t compute = nullptr, copy = nullptr;
  int low = 0, high = 0;
  TS_CUDA_RETURN_IF_ERROR(cudaDeviceGetStreamPriorityRange(&low, &high));
  TS_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithPriority(&compute, cudaStreamNonBlocking, low));
  TS_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithPriority(&copy, cudaStreamNonBlocking, high));
  std::unique_ptr<CUstream_st, void (*)(cudaStream_t)> compute_guard(
      compute, [](cudaStream_t s) { cudaStreamDestroy(s); });
  std::unique_ptr<CUstream_st, void (*)(cudaStream_t)> copy_guard(
      copy, [](cudaStream_t s) { cudaStreamDestroy(s); });
  int sms = 1;
  TS_CUDA_RETURN_IF_ERROR(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const int blocks = std::max(1, sms - 1);  // one SM stays free for the copy agent
  const uint64_t timeout_ns = static_cast<uint64_t>(options.timeout_s * 1e9);
  const double bytes_per_ns = options.link.bandwidth_bytes_per_s / 1e9;
  const double latency_ns = options.link.latency_s * 1e9;
  uint32_t epoch = 0;

  auto gemm_args = [&](int rank, bool wait, bool count) {
    RankBuffers& rb = ranks[rank];
    FusedGemmArgs args{};
    args.a = ag ? rb.data : rb.a;
    args.b = rb.b;
    args.out = ag ? rb.c : rb.data;
    args.m = m, args.n = n, args.k = k;
    args.order = rb.order;
    args.num_tiles = tiling.num_gemm_tiles();
    args.col_tiles = tiling.col_tiles();
    args.first = d_first, args.last = d_last;
    args.signals = rb.signals;
    args.wait = wait ? 1 : 0;
    args.done_counts = count ? rb.done_counts : nullptr;
    args.needed = d_needed;
    args.done_flags = rb.signals;
    args.epoch = epoch;
    args.timeout_ns = timeout_ns;
    args.counter = d_counter;
    args.error = d_error;
    return args;
  };
  // One fused call of `rank`: copy agent (high-priority stream) beside the GEMM kernel.
  auto fused = [&](int rank) -> Status {
    RankBuffers& rb = ranks[rank];
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_counter, 0, sizeof(int), compute));
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(rb.done_counts, 0, num_ct * sizeof(uint32_t), compute));
    TS_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(compute));
    LaunchCopyAgent(rb.ops, rb.op_count, epoch, bytes_per_ns, latency_ns, timeout_ns, d_error,
                    copy);
    LaunchFusedGemm(gemm_args(rank, ag, !ag), blocks, compute);
    TS_CUDA_RETURN_IF_ERROR(cudaGetLastError());
    TS_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(compute));
    TS_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(copy));
    return OkStatus();
  };
  auto check_error = [&](int rank) -> Status {
    DeviceError error{};
    TS_CUDA_RETURN_IF_ERROR(cudaMemcpy(&error, d_error, sizeof(error), cudaMemcpyDeviceToHost));
    if (error.flag == 0) return OkStatus();
    return FailedPreconditionError(
        "rank {}: GPU timed out after {:.3g} s at {} waiting on signal {} for epoch {} (saw {})",
        rank, options.timeout_s,
        error.tile >= 0 ? fmt::format("GEMM tile {}", error.tile) : std::string("the copy agent"),
        error.signal, epoch, error.seen);
  };

  ++epoch;
  for (int rank = 0; rank < tp; ++rank) {
    TS_RETURN_IF_ERROR(fused(rank));
    TS_RETURN_IF_ERROR(check_error(rank));
  }
  for (int rank = 0; rank < tp; ++rank) {
    RankBuffers& rb = ranks[rank];
    const int64_t rows = tiling.shard_rows(rank);
    if (!ag) LaunchRankOrderSum(rb.parts, tp, rb.c, rows * n, compute);
    TS_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(compute));
    TS_CUDA_RETURN_IF_ERROR(cudaMemcpy(c[rank], rb.c,
                                       static_cast<size_t>((ag ? m : rows) * n) * sizeof(float),
                                       cudaMemcpyDeviceToHost));
  }
  if (timings == nullptr) return OkStatus();

  // Timings of rank 0 (ranks are symmetric): host clock around synchronised calls.
  cublasHandle_t handle = nullptr;
  if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) return InternalError("cublasCreate failed");
  std::unique_ptr<cublasContext, void (*)(cublasHandle_t)> handle_guard(
      handle, [](cublasHandle_t h) { cublasDestroy(h); });
  cublasSetStream(handle, compute);
  RankBuffers& r0 = ranks[0];
  const float one = 1.0f, zero = 0.0f;
  auto cublas = [&]() -> Status {
    // Row-major C[M, n] = A[M, k] x B[k, n] is column-major C^T = B^T x A^T.
    const cublasStatus_t status =
        cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(m),
                    static_cast<int>(k), &one, r0.b, static_cast<int>(n), ag ? r0.data : r0.a,
                    static_cast<int>(k), &zero, ag ? r0.c : r0.data, static_cast<int>(n));
    if (status != CUBLAS_STATUS_SUCCESS)
      return InternalError("cublasSgemm failed: {}", int(status));
    return OkStatus();
  };
  auto kernel_only = [&](bool preset) -> Status {
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_counter, 0, sizeof(int), compute));
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(r0.done_counts, 0, num_ct * sizeof(uint32_t), compute));
    if (preset && ag) LaunchSetSignals(r0.signals, 0, num_ct, epoch, compute);
    LaunchFusedGemm(gemm_args(0, preset && ag, preset && !ag), blocks, compute);
    return OkStatus();
  };
  auto sequential = [&]() -> Status {
    if (ag) {
      LaunchCopyAgent(r0.ops, r0.op_count, epoch, bytes_per_ns, latency_ns, timeout_ns, d_error,
                      compute);
      return cublas();
    }
    TS_RETURN_IF_ERROR(cublas());
    LaunchSetSignals(r0.signals, 0, num_ct, epoch, compute);
    LaunchCopyAgent(r0.ops, r0.op_count, epoch, bytes_per_ns, latency_ns, timeout_ns, d_error,
                    compute);
    return OkStatus();
  };
  auto time = [&](const std::function<Status()>& fn) -> Result<double> {
    std::vector<double> samples;
    for (int rep = 0; rep < reps + 1; ++rep) {
      ++epoch;
      TS_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());
      const auto start = std::chrono::steady_clock::now();
      TS_RETURN_IF_ERROR(fn());
      TS_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());
      const double t =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (rep > 0) samples.push_back(t);  // the first is warm-up
    }
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
  };
  TS_ASSIGN_OR_RETURN(timings->t_cublas_s, time(cublas));
  TS_ASSIGN_OR_RETURN(timings->t_own_gemm_s, time([&] { return kernel_only(false); }));
  TS_ASSIGN_OR_RETURN(timings->t_preset_s, time([&] { return kernel_only(true); }));
  TS_ASSIGN_OR_RETURN(timings->t_sequential_s, time(sequential));
  TS_ASSIGN_OR_RETURN(timings->t_fused_s, time([&] { return fused(0); }));
  return check_error(0);
}

}  // namespace trainscope::overlap::cuda
