// SPDX-License-Identifier: Apache-2.0
// Host side of the one-GPU overlap path: buffers, copy schedules, launches, timings.
#include "overlap/cuda/cuda_overlap.h"

#include <cublas_v2.h>
#include <cuda.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "overlap/cuda/kernels.h"
#include "overlap/tiling.h"

// Driver calls reached through cudaGetDriverEntryPointByVersion: linking libcuda would stop the
// binary from loading (and the tests from reporting "skipped") on a machine without a driver.
#define TS_CU_RETURN_IF_ERROR(call)                                                          \
  do {                                                                                       \
    CUresult ts_cu_error_ = (call);                                                          \
    if (ts_cu_error_ != CUDA_SUCCESS) {                                                      \
      return ::trainscope::InternalError("{} failed at {}:{}: CUresult {}", #call, __FILE__, \
                                         __LINE__, static_cast<int>(ts_cu_error_));          \
    }                                                                                        \
  } while (0)

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

// cuStreamWaitValue32 / cuStreamWriteValue32 (CUDA 12.0 ABI), looked up once.
struct StreamMemOps {
  using WaitFn = CUresult (*)(CUstream, CUdeviceptr, cuuint32_t, unsigned int);
  using WriteFn = CUresult (*)(CUstream, CUdeviceptr, cuuint32_t, unsigned int);
  WaitFn wait = nullptr;
  WriteFn write = nullptr;
};

Result<StreamMemOps> LoadStreamMemOps() {
  StreamMemOps ops;
  void* wait = nullptr;
  void* write = nullptr;
  cudaDriverEntryPointQueryResult found{};
  TS_CUDA_RETURN_IF_ERROR(cudaGetDriverEntryPointByVersion("cuStreamWaitValue32", &wait, 12000,
                                                           cudaEnableDefault, &found));
  if (found != cudaDriverEntryPointSuccess || wait == nullptr) {
    return UnimplementedError("the CUDA driver has no cuStreamWaitValue32");
  }
  TS_CUDA_RETURN_IF_ERROR(cudaGetDriverEntryPointByVersion("cuStreamWriteValue32", &write, 12000,
                                                           cudaEnableDefault, &found));
  if (found != cudaDriverEntryPointSuccess || write == nullptr) {
    return UnimplementedError("the CUDA driver has no cuStreamWriteValue32");
  }
  ops.wait = reinterpret_cast<StreamMemOps::WaitFn>(wait);
  ops.write = reinterpret_cast<StreamMemOps::WriteFn>(write);
  return ops;
}

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
  CopyOp* ops = nullptr;  // device copy, for the copy-agent kernel
  int64_t op_count = 0;
  std::vector<CopyOp> host_ops;   // the same, for the copy-engine path
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
            Tiling tiling, CopyPath path)
      : path_(path),
        options_(options),
        kernel_options_(kernel_options),
        tiling_(std::move(tiling)),
        ag_(op == OpKind::kAgGemm),
        tp_(tiling_.tp()),
        m_(tiling_.total_rows()),
        n_(tiling_.n()),
        k_(tiling_.k()),
        num_ct_(tiling_.num_comm_tiles()),
        timeout_ns_(static_cast<uint64_t>(options.timeout_s * 1e9)) {}

  // Device buffers, copy schedules and streams.
  Status Setup(const std::vector<const float*>& a, const std::vector<const float*>& b) {
    if (path_ == CopyPath::kCopyEngine) {
      TS_ASSIGN_OR_RETURN(mem_ops_, LoadStreamMemOps());
    }
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
      TS_CUDA_RETURN_IF_ERROR(
          cudaMemcpy(c[rank], rb.c, static_cast<size_t>((ag_ ? m_ : rows) * n_) * sizeof(float),
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
    TS_ASSIGN_OR_RETURN(d_link_free_, memory_.Alloc<uint64_t>(1));
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
      TS_ASSIGN_OR_RETURN(rb.order,
                          memory_.Upload(ag_ ? AgTileOrder(tiling_, rank, kernel_options_)
                                             : RsTileOrder(tiling_, rank, kernel_options_)));
    }
    return OkStatus();
  }

  // Copy schedules (device pointers only, so they are built once all buffers exist).
  Status BuildCopySchedules() {
    for (int rank = 0; rank < tp_; ++rank) {
      RankBuffers& rb = ranks_[rank];
      rb.host_ops = CopyOpsOf(rank);
      rb.op_count = static_cast<int64_t>(rb.host_ops.size());
      TS_ASSIGN_OR_RETURN(rb.ops, memory_.Upload(rb.host_ops));
      max_ops_ = std::max(max_ops_, rb.op_count);
      std::vector<const float*> parts;
      for (int src = 0; src < tp_; ++src) {
        parts.push_back(src == rank ? rb.data + tiling_.shard_begin(rank) * n_
                                    : rb.slots + src * tiling_.shard_rows(rank) * n_);
      }
      TS_ASSIGN_OR_RETURN(rb.parts, memory_.Upload(parts));
    }
    TS_ASSIGN_OR_RETURN(d_done_, memory_.Alloc<uint64_t>(static_cast<size_t>(max_ops_)));
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
                     tile.rows() * k_, rb.signals + ct, static_cast<int32_t>(ct), 0});  // local
    }
    const std::vector<int> peers = ag_ ? AgArrivalRanks(rank, tp_, kernel_options_)
                                       : RsDestinationRanks(rank, tp_, kernel_options_);
    for (int peer : peers) {
      if (peer == rank) continue;
      for (int64_t ct = tiling_.first_comm_tile(peer); ct < tiling_.first_comm_tile(peer + 1);
           ++ct) {
        const CommTile& tile = tiling_.comm_tiles()[ct];
        const int64_t local_row = tile.row_begin - tiling_.shard_begin(peer);
        if (ag_) {
          ops.push_back({nullptr, ranks_[peer].a + local_row * k_, rb.data + tile.row_begin * k_,
                         tile.rows() * k_, rb.signals + ct, static_cast<int32_t>(ct),
                         LinkNs(tile.rows() * k_)});
        } else {
          ops.push_back({rb.signals + ct, rb.data + tile.row_begin * n_,
                         ranks_[peer].slots + (rank * tiling_.shard_rows(peer) + local_row) * n_,
                         tile.rows() * n_, ranks_[peer].slot_sig + rank * num_ct_ + ct,
                         static_cast<int32_t>(ct), LinkNs(tile.rows() * n_)});
        }
      }
    }
    return ops;
  }

  // Emulated-link time of `floats` fp32 values in integer ns (0: real link, no pacing).
  uint64_t LinkNs(int64_t floats) const {
    const LinkModel& link = options_.link;
    if (!link.emulated()) return 0;
    const double ns =
        (link.latency_s + 4.0 * static_cast<double>(floats) / link.bandwidth_bytes_per_s) * 1e9;
    return std::max<uint64_t>(1, static_cast<uint64_t>(ns + 0.5));
  }

  Status CreateStreams() {
    int low = 0, high = 0;
    TS_CUDA_RETURN_IF_ERROR(cudaDeviceGetStreamPriorityRange(&low, &high));
    TS_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithPriority(&compute_, cudaStreamNonBlocking, low));
    compute_guard_.reset(compute_);
    TS_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithPriority(&copy_, cudaStreamNonBlocking, high));
    copy_guard_.reset(copy_);
    int device = 0, sms = 1;
    TS_CUDA_RETURN_IF_ERROR(cudaGetDevice(&device));  // the current device, not device 0
    TS_CUDA_RETURN_IF_ERROR(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    // The copy-agent kernel keeps one SM for itself; copy engines need none.
    blocks_ = path_ == CopyPath::kCopyKernel ? std::max(1, sms - 1) : sms;
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

  // The rank's transfers on `stream`: the copy-agent kernel, or per op on the copy engine:
  // [wait value] -> [link issue] -> cudaMemcpyAsync -> [link hold] -> write value (whose default
  // flags put a system-wide memory barrier before the write, Flux's host-side design).
  Status EnqueueCopies(const RankBuffers& rb, cudaStream_t stream) {
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_link_free_, 0, sizeof(uint64_t), stream));
    if (path_ == CopyPath::kCopyKernel) {
      LaunchCopyAgent(rb.ops, rb.op_count, epoch_, timeout_ns_, d_error_, stream);
      return OkStatus();
    }
    CUstream cu_stream = reinterpret_cast<CUstream>(stream);
    for (size_t idx = 0; idx < rb.host_ops.size(); ++idx) {
      const CopyOp& op = rb.host_ops[idx];
      if (op.wait != nullptr) {
        TS_CU_RETURN_IF_ERROR(mem_ops_.wait(cu_stream, reinterpret_cast<CUdeviceptr>(op.wait),
                                            epoch_, CU_STREAM_WAIT_VALUE_EQ));
      }
      if (op.link_ns > 0) LaunchLinkIssue(d_link_free_, d_done_ + idx, op.link_ns, stream);
      TS_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(op.dst, op.src, static_cast<size_t>(op.count) * 4,
                                              cudaMemcpyDeviceToDevice, stream));
      if (op.link_ns > 0) LaunchLinkHold(d_done_ + idx, stream);
      if (op.set != nullptr) {
        TS_CU_RETURN_IF_ERROR(mem_ops_.write(cu_stream, reinterpret_cast<CUdeviceptr>(op.set),
                                             epoch_, CU_STREAM_WRITE_VALUE_DEFAULT));
      }
    }
    return OkStatus();
  }

  // One fused call of `rank`: copy agent (high-priority stream) beside the GEMM kernel.
  // A GEMM that timed out never sets some RS "partial done" flags: release them so that
  // copy-engine waits (which have no deadline of their own) drain instead of hanging.
  Status Fused(int rank) {
    RankBuffers& rb = ranks_[rank];
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_counter_, 0, sizeof(int), compute_));
    TS_CUDA_RETURN_IF_ERROR(
        cudaMemsetAsync(rb.done_counts, 0, num_ct_ * sizeof(uint32_t), compute_));
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_error_, 0, sizeof(DeviceError), compute_));
    TS_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(compute_));
    TS_RETURN_IF_ERROR(EnqueueCopies(rb, copy_));
    LaunchFusedGemm(GemmArgs(rank, ag_, !ag_), blocks_, compute_);
    TS_CUDA_RETURN_IF_ERROR(cudaGetLastError());
    TS_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(compute_));
    DeviceError error{};
    TS_CUDA_RETURN_IF_ERROR(cudaMemcpy(&error, d_error_, sizeof(error), cudaMemcpyDeviceToHost));
    if (error.flag != 0 && !ag_) LaunchSetSignals(rb.signals, 0, num_ct_, epoch_, compute_);
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
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_error_, 0, sizeof(DeviceError), compute_));
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_counter_, 0, sizeof(int), compute_));
    TS_CUDA_RETURN_IF_ERROR(
        cudaMemsetAsync(r0.done_counts, 0, num_ct_ * sizeof(uint32_t), compute_));
    if (preset && ag_) LaunchSetSignals(r0.signals, 0, num_ct_, epoch_, compute_);
    LaunchFusedGemm(GemmArgs(0, preset && ag_, preset && !ag_), blocks_, compute_);
    return OkStatus();
  }

  // The paced copies, then cuBLAS (RS: cuBLAS, then the copies), on one stream.
  Status Sequential(cublasHandle_t handle) {
    const RankBuffers& r0 = ranks_[0];
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_error_, 0, sizeof(DeviceError), compute_));
    if (ag_) {
      TS_RETURN_IF_ERROR(EnqueueCopies(r0, compute_));
      return Cublas(handle);
    }
    TS_RETURN_IF_ERROR(Cublas(handle));
    LaunchSetSignals(r0.signals, 0, num_ct_, epoch_, compute_);
    return EnqueueCopies(r0, compute_);
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
      TS_RETURN_IF_ERROR(CheckError(0));  // each call zeroes the error first
      if (rep > 0) samples.push_back(t);  // the first is warm-up
    }
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
  }

  const CopyPath path_;
  StreamMemOps mem_ops_;
  const OverlapOptions& options_;
  const OverlapOptions& kernel_options_;
  const Tiling tiling_;
  const bool ag_;
  const int tp_;
  const int64_t m_, n_, k_, num_ct_;
  const uint64_t timeout_ns_;
  DeviceMemory memory_;
  uint64_t* d_link_free_ = nullptr;  // emulated link: when it is next idle (globaltimer ns)
  uint64_t* d_done_ = nullptr;       // per op: its completion time on the emulated link
  int64_t max_ops_ = 1;
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
  if (options.schedule != ScheduleKind::kDirect || options.rs_mode != RsMode::kWrite) {
    return UnimplementedError("the one-GPU path runs the direct schedule in Write mode only");
  }
  if (!DeviceAvailable()) return FailedPreconditionError("no CUDA device is visible");
  OverlapOptions kernel_options = options;
  kernel_options.tile_m = kTileM;
  kernel_options.tile_n = kTileN;
  TS_ASSIGN_OR_RETURN(Tiling tiling, Tiling::Create(problem, kernel_options));
  OneGpuRun run(op, options, kernel_options, std::move(tiling), path);
  TS_RETURN_IF_ERROR(run.Setup(a, b));
  TS_RETURN_IF_ERROR(run.Run(c));
  if (timings == nullptr) return OkStatus();
  return run.Time(reps, timings);
}

}  // namespace trainscope::overlap::cuda
