// SPDX-License-Identifier: Apache-2.0
// Host side of the one-GPU overlap path: buffers, copy schedules, launches, timings.
#include "overlap/cuda/cuda_overlap.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

// Stream and cuBLAS handles, destroyed with their owner.
using StreamGuard = std::unique_ptr<CUstream_st, void (*)(cudaStream_t)>;
using CublasGuard = std::unique_ptr<cublasContext, void (*)(cublasHandle_t)>;

// One RunOneGpu call: every rank's buffers on the device, the copy schedules, the two streams
// (compute at low priority, the copy agent at high priority) and the signal epoch. Setup() and
// Run() give the results; Time() then times rank 0.
class OneGpuRun {
 public:
  OneGpuRun(OpKind op, const OverlapOptions& options, const OverlapOptions& kernel_options,
            Tiling tiling)
      : options_(options),
        kernel_options_(kernel_options),
        tiling_(std::move(tiling)),
        ag_(op == OpKind::kAgGemm),
        tp_(tiling_.tp()),
        m_(tiling_.total_rows()),
        n_(tiling_.n()),
        k_(tiling_.k()),
        num_ct_(tiling_.num_comm_tiles()),
        timeout_ns_(static_cast<uint64_t>(options.timeout_s * 1e9)),
        bytes_per_ns_(options.link.bandwidth_bytes_per_s / 1e9),
        latency_ns_(options.link.latency_s * 1e9) {}

  // Device buffers, copy schedules and streams.
  Status Setup(const std::vector<const float*>& a, const std::vector<const float*>& b) {
    TS_RETURN_IF_ERROR(UploadTiling());
    TS_RETURN_IF_ERROR(AllocateRanks(a, b));
    TS_RETURN_IF_ERROR(BuildCopySchedules());
    return CreateStreams();
  }

  // One fused call per rank (deadlines checked), then each rank's output to host `c`.
  Status Run(const std::vector<float*>& c) {
    ++epoch_;
    for (int rank = 0; rank < tp_; ++rank) {
      TS_RETURN_IF_ERROR(Fused(rank));
      TS_RETURN_IF_ERROR(CheckError(rank));
    }
    for (int rank = 0; rank < tp_; ++rank) {
      RankBuffers& rb = ranks_[rank];
      const int64_t rows = tiling_.shard_rows(rank);
      if (!ag_) LaunchRankOrderSum(rb.parts, tp_, rb.c, rows * n_, compute_);
      TS_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(compute_));
      TS_CUDA_RETURN_IF_ERROR(cudaMemcpy(c[rank], rb.c,
                                         static_cast<size_t>((ag_ ? m_ : rows) * n_) * sizeof(float),
                                         cudaMemcpyDeviceToHost));
    }
    return OkStatus();
  }

  // Timings of rank 0 (ranks are symmetric): host clock around synchronised calls, median of
  // `reps` after one warm-up.
  Status Time(int reps, OneGpuTimings* timings) {
    cublasHandle_t handle = nullptr;
    if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) return InternalError("cublasCreate failed");
    CublasGuard handle_guard(handle, [](cublasHandle_t h) { cublasDestroy(h); });
    cublasSetStream(handle, compute_);
    auto cublas = [&] { return Cublas(handle); };
    auto sequential = [&] { return Sequential(handle); };
    TS_ASSIGN_OR_RETURN(timings->t_cublas_s, Median(reps, cublas));
    TS_ASSIGN_OR_RETURN(timings->t_own_gemm_s, Median(reps, [&] { return KernelOnly(false); }));
    TS_ASSIGN_OR_RETURN(timings->t_preset_s, Median(reps, [&] { return KernelOnly(true); }));
    TS_ASSIGN_OR_RETURN(timings->t_sequential_s, Median(reps, sequential));
    TS_ASSIGN_OR_RETURN(timings->t_fused_s, Median(reps, [&] { return Fused(0); }));
    return CheckError(0);
  }

 private:
  // Per row tile, the comm tiles covering it; per comm tile, the GEMM tiles covering it.
  Status UploadTiling() {
    std::vector<int64_t> first, last;
    for (int64_t row_tile = 0; row_tile < tiling_.row_tiles(); ++row_tile) {
      const Tiling::Range range = tiling_.CoveringCommTiles(row_tile);
      first.push_back(range.first);
      last.push_back(range.last);
    }
    std::vector<uint32_t> needed(static_cast<size_t>(num_ct_));
    for (int64_t ct = 0; ct < num_ct_; ++ct) {
      const Tiling::Range rows = tiling_.RowTilesOf(ct);
      needed[ct] = static_cast<uint32_t>((rows.last - rows.first + 1) * tiling_.col_tiles());
    }
    TS_ASSIGN_OR_RETURN(d_first_, memory_.Upload(first));
    TS_ASSIGN_OR_RETURN(d_last_, memory_.Upload(last));
    TS_ASSIGN_OR_RETURN(d_needed_, memory_.Upload(needed));
    TS_ASSIGN_OR_RETURN(d_counter_, memory_.Alloc<int>(1));
    TS_ASSIGN_OR_RETURN(d_error_, memory_.Alloc<DeviceError>(1));
    return OkStatus();
  }

  Status AllocateRanks(const std::vector<const float*>& a, const std::vector<const float*>& b) {
    ranks_.assign(static_cast<size_t>(tp_), RankBuffers{});
    for (int rank = 0; rank < tp_; ++rank) {
      RankBuffers& rb = ranks_[rank];
      const int64_t rows = tiling_.shard_rows(rank);
      const size_t a_count = static_cast<size_t>((ag_ ? rows : m_) * k_);
      TS_ASSIGN_OR_RETURN(rb.a, memory_.Upload(std::vector<float>(a[rank], a[rank] + a_count)));
      TS_ASSIGN_OR_RETURN(rb.b, memory_.Upload(std::vector<float>(b[rank], b[rank] + k_ * n_)));
      TS_ASSIGN_OR_RETURN(rb.c, memory_.Alloc<float>(static_cast<size_t>((ag_ ? m_ : rows) * n_)));
      TS_ASSIGN_OR_RETURN(rb.data, memory_.Alloc<float>(static_cast<size_t>(m_ * (ag_ ? k_ : n_))));
      TS_ASSIGN_OR_RETURN(rb.signals, memory_.Alloc<uint32_t>(static_cast<size_t>(num_ct_)));
      TS_ASSIGN_OR_RETURN(rb.done_counts, memory_.Alloc<uint32_t>(static_cast<size_t>(num_ct_)));
      TS_ASSIGN_OR_RETURN(rb.slots, memory_.Alloc<float>(static_cast<size_t>(tp_ * rows * n_)));
      TS_ASSIGN_OR_RETURN(rb.slot_sig, memory_.Alloc<uint32_t>(static_cast<size_t>(tp_ * num_ct_)));
      TS_ASSIGN_OR_RETURN(rb.order, memory_.Upload(ag_ ? AgTileOrder(tiling_, rank, kernel_options_)
                                                       : RsTileOrder(tiling_, rank, kernel_options_)));
    }
    return OkStatus();
  }

  // Copy schedules (device pointers only, so they are built once all buffers exist).
  Status BuildCopySchedules() {
    for (int rank = 0; rank < tp_; ++rank) {
      RankBuffers& rb = ranks_[rank];
      const std::vector<CopyOp> ops = CopyOpsOf(rank);
      rb.op_count = static_cast<int64_t>(ops.size());
      TS_ASSIGN_OR_RETURN(rb.ops, memory_.Upload(ops));
      std::vector<const float*> parts;
      for (int src = 0; src < tp_; ++src) {
        parts.push_back(src == rank ? rb.data + tiling_.shard_begin(rank) * n_
                                    : rb.slots + src * tiling_.shard_rows(rank) * n_);
      }
      TS_ASSIGN_OR_RETURN(rb.parts, memory_.Upload(parts));
    }
    return OkStatus();
  }

  // AG: own shard first (not paced), then the peers' shards in arrival order. RS: this rank's
  // partial rows to each destination's slot, in destination order.
  std::vector<CopyOp> CopyOpsOf(int rank) const {
    const RankBuffers& rb = ranks_[rank];
    std::vector<CopyOp> ops;
    for (int64_t ct = 0; ct < num_ct_ && ag_; ++ct) {
      const CommTile& tile = tiling_.comm_tiles()[ct];
      if (tile.rank != rank) continue;
      const int64_t local_row = tile.row_begin - tiling_.shard_begin(tile.rank);
      ops.push_back({nullptr, ranks_[rank].a + local_row * k_, rb.data + tile.row_begin * k_,
                     tile.rows() * k_, rb.signals + ct, static_cast<int32_t>(ct), 0});
    }
    const std::vector<int> peers = ag_ ? AgArrivalRanks(rank, tp_, kernel_options_)
                                       : RsDestinationRanks(rank, tp_, kernel_options_);
    for (int peer : peers) {
      if (peer == rank) continue;
      for (int64_t ct = tiling_.first_comm_tile(peer); ct < tiling_.first_comm_tile(peer + 1); ++ct) {
        const CommTile& tile = tiling_.comm_tiles()[ct];
        const int64_t local_row = tile.row_begin - tiling_.shard_begin(peer);
        if (ag_) {
          ops.push_back({nullptr, ranks_[peer].a + local_row * k_, rb.data + tile.row_begin * k_,
                         tile.rows() * k_, rb.signals + ct, static_cast<int32_t>(ct), 1});
        } else {
          ops.push_back({rb.signals + ct, rb.data + tile.row_begin * n_,
                         ranks_[peer].slots + (rank * tiling_.shard_rows(peer) + local_row) * n_,
                         tile.rows() * n_, ranks_[peer].slot_sig + rank * num_ct_ + ct,
                         static_cast<int32_t>(ct), 1});
        }
      }
    }
    return ops;
  }

  Status CreateStreams() {
    int low = 0, high = 0;
    TS_CUDA_RETURN_IF_ERROR(cudaDeviceGetStreamPriorityRange(&low, &high));
    TS_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithPriority(&compute_, cudaStreamNonBlocking, low));
    compute_guard_.reset(compute_);
    TS_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithPriority(&copy_, cudaStreamNonBlocking, high));
    copy_guard_.reset(copy_);
    int sms = 1;
    TS_CUDA_RETURN_IF_ERROR(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    blocks_ = std::max(1, sms - 1);  // one SM stays free for the copy agent
    return OkStatus();
  }

  FusedGemmArgs GemmArgs(int rank, bool wait, bool count) {
    RankBuffers& rb = ranks_[rank];
    FusedGemmArgs args{};
    args.a = ag_ ? rb.data : rb.a;
    args.b = rb.b;
    args.out = ag_ ? rb.c : rb.data;
    args.m = m_, args.n = n_, args.k = k_;
    args.order = rb.order;
    args.num_tiles = tiling_.num_gemm_tiles();
    args.col_tiles = tiling_.col_tiles();
    args.first = d_first_, args.last = d_last_;
    args.signals = rb.signals;
    args.wait = wait ? 1 : 0;
    args.done_counts = count ? rb.done_counts : nullptr;
    args.needed = d_needed_;
    args.done_flags = rb.signals;
    args.epoch = epoch_;
    args.timeout_ns = timeout_ns_;
    args.counter = d_counter_;
    args.error = d_error_;
    return args;
  }

  void LaunchCopyAgentOn(const RankBuffers& rb, cudaStream_t stream) {
    LaunchCopyAgent(rb.ops, rb.op_count, epoch_, bytes_per_ns_, latency_ns_, timeout_ns_,
                    d_error_, stream);
  }

  // One fused call of `rank`: copy agent (high-priority stream) beside the GEMM kernel.
  Status Fused(int rank) {
    RankBuffers& rb = ranks_[rank];
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_counter_, 0, sizeof(int), compute_));
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(rb.done_counts, 0, num_ct_ * sizeof(uint32_t), compute_));
    TS_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(compute_));
    LaunchCopyAgentOn(rb, copy_);
    LaunchFusedGemm(GemmArgs(rank, ag_, !ag_), blocks_, compute_);
    TS_CUDA_RETURN_IF_ERROR(cudaGetLastError());
    TS_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(compute_));
    TS_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(copy_));
    return OkStatus();
  }

  // The deadline: a kernel that waited past timeout_s left a DeviceError behind.
  Status CheckError(int rank) {
    DeviceError error{};
    TS_CUDA_RETURN_IF_ERROR(cudaMemcpy(&error, d_error_, sizeof(error), cudaMemcpyDeviceToHost));
    if (error.flag == 0) return OkStatus();
    return FailedPreconditionError(
        "rank {}: GPU timed out after {:.3g} s at {} waiting on signal {} for epoch {} (saw {})",
        rank, options_.timeout_s,
        error.tile >= 0 ? fmt::format("GEMM tile {}", error.tile) : std::string("the copy agent"),
        error.signal, epoch_, error.seen);
  }

  // T_g: cublasSgemm of rank 0's local problem.
  Status Cublas(cublasHandle_t handle) {
    const RankBuffers& r0 = ranks_[0];
    const float one = 1.0f, zero = 0.0f;
    // Row-major C[M, n] = A[M, k] x B[k, n] is column-major C^T = B^T x A^T.
    const cublasStatus_t status =
        cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(n_), static_cast<int>(m_),
                    static_cast<int>(k_), &one, r0.b, static_cast<int>(n_), ag_ ? r0.data : r0.a,
                    static_cast<int>(k_), &zero, ag_ ? r0.c : r0.data, static_cast<int>(n_));
    if (status != CUBLAS_STATUS_SUCCESS)
      return InternalError("cublasSgemm failed: {}", int(status));
    return OkStatus();
  }

  // Rank 0's fused kernel alone: no waits, or with every signal preset (the fusion overhead).
  Status KernelOnly(bool preset) {
    RankBuffers& r0 = ranks_[0];
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_counter_, 0, sizeof(int), compute_));
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(r0.done_counts, 0, num_ct_ * sizeof(uint32_t), compute_));
    if (preset && ag_) LaunchSetSignals(r0.signals, 0, num_ct_, epoch_, compute_);
    LaunchFusedGemm(GemmArgs(0, preset && ag_, preset && !ag_), blocks_, compute_);
    return OkStatus();
  }

  // The paced copies, then cuBLAS (RS: cuBLAS, then the copies), on one stream.
  Status Sequential(cublasHandle_t handle) {
    const RankBuffers& r0 = ranks_[0];
    if (ag_) {
      LaunchCopyAgentOn(r0, compute_);
      return Cublas(handle);
    }
    TS_RETURN_IF_ERROR(Cublas(handle));
    LaunchSetSignals(r0.signals, 0, num_ct_, epoch_, compute_);
    LaunchCopyAgentOn(r0, compute_);
    return OkStatus();
  }

  // Median wall time of `reps` calls of `fn` after one warm-up, each in a new epoch.
  Result<double> Median(int reps, const std::function<Status()>& fn) {
    std::vector<double> samples;
    for (int rep = 0; rep < reps + 1; ++rep) {
      ++epoch_;
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
  }

  const OverlapOptions& options_;
  const OverlapOptions& kernel_options_;
  const Tiling tiling_;
  const bool ag_;
  const int tp_;
  const int64_t m_, n_, k_, num_ct_;
  const uint64_t timeout_ns_;
  const double bytes_per_ns_, latency_ns_;
  DeviceMemory memory_;
  int64_t* d_first_ = nullptr;
  int64_t* d_last_ = nullptr;
  uint32_t* d_needed_ = nullptr;
  int* d_counter_ = nullptr;
  DeviceError* d_error_ = nullptr;
  std::vector<RankBuffers> ranks_;
  cudaStream_t compute_ = nullptr, copy_ = nullptr;
  StreamGuard compute_guard_{nullptr, [](cudaStream_t s) { cudaStreamDestroy(s); }};
  StreamGuard copy_guard_{nullptr, [](cudaStream_t s) { cudaStreamDestroy(s); }};
  int blocks_ = 1;
  uint32_t epoch_ = 0;
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
  OneGpuRun run(op, options, kernel_options, std::move(tiling));
  TS_RETURN_IF_ERROR(run.Setup(a, b));
  TS_RETURN_IF_ERROR(run.Run(c));
  if (timings == nullptr) return OkStatus();
  return run.Time(reps, timings);
}

}  // namespace trainscope::overlap::cuda
