// SPDX-License-Identifier: Apache-2.0
// GpuRun: setup, fused calls and timings of the overlap CUDA path (both placements).
#include "overlap/cuda/internal/gpu_run.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

namespace trainscope::overlap::cuda {
namespace {

using CublasGuard = std::unique_ptr<cublasContext, void (*)(cublasHandle_t)>;

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

Status DeviceSynchronize() {
  TS_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());
  return OkStatus();
}

}  // namespace

Status AgreeAcrossRanks(RankGroup& group, const Status& mine) {
  const std::byte code{static_cast<unsigned char>(mine.code())};
  std::vector<std::byte> all(static_cast<size_t>(group.size()));
  TS_RETURN_IF_ERROR(group.AllGather({&code, 1}, all));
  if (!mine.ok()) return mine;
  for (int rank = 0; rank < group.size(); ++rank) {
    const auto peer_code = static_cast<StatusCode>(all[static_cast<size_t>(rank)]);
    if (peer_code != StatusCode::kOk) {
      return Status(peer_code, fmt::format("rank {} failed (its own report names the cause); "
                                           "rank {} stopped with it",
                                           rank, group.rank()));
    }
  }
  return OkStatus();
}

Result<Tiling> KernelTiling(const ShardedProblem& problem, const OverlapOptions& options,
                            OverlapOptions* kernel_options) {
  if (options.schedule != ScheduleKind::kDirect || options.rs_mode != RsMode::kWrite) {
    return UnimplementedError("the CUDA path runs the direct schedule in Write mode only");
  }
  *kernel_options = options;
  kernel_options->tile_m = kTileM;
  kernel_options->tile_n = kTileN;
  return Tiling::Create(problem, *kernel_options);
}

GpuRun::GpuRun(OpKind op, const OverlapOptions& options, const OverlapOptions& kernel_options,
               Tiling tiling, CopyPath path, RankGroup* group)
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
      timeout_ns_(static_cast<uint64_t>(options.timeout_s * 1e9)),
      group_(group),
      timed_rank_(group == nullptr ? 0 : group->rank()) {}

GpuRun::~GpuRun() { (void)ClosePeers(); }

Status GpuRun::Setup(const std::vector<const float*>& a, const std::vector<const float*>& b) {
  TS_RETURN_IF_ERROR(Agree(SetupLocal(a, b)));
  if (group_ != nullptr) TS_RETURN_IF_ERROR(MapPeers());
  Status status = BuildCopySchedules();
  if (status.ok()) status = CreateStreams();
  return Agree(status);
}

Status GpuRun::SetupLocal(const std::vector<const float*>& a, const std::vector<const float*>& b) {
  if (path_ == CopyPath::kCopyEngine) {
    TS_ASSIGN_OR_RETURN(mem_ops_, LoadStreamMemOps());
  }
  TS_RETURN_IF_ERROR(UploadTiling());
  ranks_.assign(static_cast<size_t>(tp_), RankBuffers{});
  for (int rank = 0; rank < tp_; ++rank) {
    if (IsLocal(rank)) TS_RETURN_IF_ERROR(AllocateRank(rank, a[rank], b[rank]));
  }
  // The peers read A and write the slots as soon as they have mapped them.
  TS_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());
  return OkStatus();
}

// Per row tile, the comm tiles covering it; per comm tile, the GEMM tiles covering it.
Status GpuRun::UploadTiling() {
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

Status GpuRun::AllocateRank(int rank, const float* a, const float* b) {
  RankBuffers& rb = ranks_[rank];
  const int64_t rows = tiling_.shard_rows(rank);
  const size_t a_count = static_cast<size_t>((ag_ ? rows : m_) * k_);
  TS_ASSIGN_OR_RETURN(rb.a, memory_.Upload(std::vector<float>(a, a + a_count)));
  TS_ASSIGN_OR_RETURN(rb.b, memory_.Upload(std::vector<float>(b, b + k_ * n_)));
  TS_ASSIGN_OR_RETURN(rb.c, memory_.Alloc<float>(static_cast<size_t>((ag_ ? m_ : rows) * n_)));
  TS_ASSIGN_OR_RETURN(rb.data, memory_.Alloc<float>(static_cast<size_t>(m_ * (ag_ ? k_ : n_))));
  TS_ASSIGN_OR_RETURN(rb.signals, memory_.Alloc<uint32_t>(static_cast<size_t>(num_ct_)));
  TS_ASSIGN_OR_RETURN(rb.done_counts, memory_.Alloc<uint32_t>(static_cast<size_t>(num_ct_)));
  TS_ASSIGN_OR_RETURN(rb.slots, memory_.Alloc<float>(static_cast<size_t>(tp_ * rows * n_)));
  TS_ASSIGN_OR_RETURN(rb.slot_sig, memory_.Alloc<uint32_t>(static_cast<size_t>(tp_ * num_ct_)));
  TS_ASSIGN_OR_RETURN(rb.order, memory_.Upload(ag_ ? AgTileOrder(tiling_, rank, kernel_options_)
                                                   : RsTileOrder(tiling_, rank, kernel_options_)));
  return OkStatus();
}

// Copy schedules of the local ranks (device pointers only, so they are built once every
// buffer, local or mapped, exists).
Status GpuRun::BuildCopySchedules() {
  for (int rank = 0; rank < tp_; ++rank) {
    if (!IsLocal(rank)) continue;
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
std::vector<CopyOp> GpuRun::CopyOpsOf(int rank) const {
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
    for (int64_t ct = tiling_.first_comm_tile(peer); ct < tiling_.first_comm_tile(peer + 1); ++ct) {
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
uint64_t GpuRun::LinkNs(int64_t floats) const {
  const LinkModel& link = options_.link;
  if (!link.emulated()) return 0;
  const double ns =
      (link.latency_s + 4.0 * static_cast<double>(floats) / link.bandwidth_bytes_per_s) * 1e9;
  return std::max<uint64_t>(1, static_cast<uint64_t>(ns + 0.5));
}

Status GpuRun::CreateStreams() {
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

FusedGemmArgs GpuRun::GemmArgs(int rank, bool wait, bool count) {
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
// flags put a system-wide memory barrier before the write, Flux's host-side design). With one
// GPU per rank the source (AG) or the destination and its signal (RS) are on a peer GPU:
// cudaMemcpyDefault lets unified addressing pick the peer copy.
Status GpuRun::EnqueueCopies(const RankBuffers& rb, cudaStream_t stream) {
  TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_link_free_, 0, sizeof(uint64_t), stream));
  if (path_ == CopyPath::kCopyKernel) {
    LaunchCopyAgent(rb.ops, rb.op_count, epoch_, timeout_ns_, d_error_, stream);
    return OkStatus();
  }
  CUstream cu_stream = reinterpret_cast<CUstream>(stream);
  for (size_t idx = 0; idx < rb.host_ops.size(); ++idx) {
    const CopyOp& op = rb.host_ops[idx];
    if (op.wait != nullptr) {
      TS_CU_RETURN_IF_ERROR(mem_ops_.wait(cu_stream, reinterpret_cast<CUdeviceptr>(op.wait), epoch_,
                                          CU_STREAM_WAIT_VALUE_EQ));
    }
    if (op.link_ns > 0) LaunchLinkIssue(d_link_free_, d_done_ + idx, op.link_ns, stream);
    TS_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(op.dst, op.src, static_cast<size_t>(op.count) * 4,
                                            cudaMemcpyDefault, stream));
    if (op.link_ns > 0) LaunchLinkHold(d_done_ + idx, stream);
    if (op.set != nullptr) {
      TS_CU_RETURN_IF_ERROR(mem_ops_.write(cu_stream, reinterpret_cast<CUdeviceptr>(op.set), epoch_,
                                           CU_STREAM_WRITE_VALUE_DEFAULT));
    }
  }
  return OkStatus();
}

// One fused call of `rank`: copy agent (high-priority stream) beside the GEMM kernel.
// A GEMM that timed out never sets some RS "partial done" flags: release them so that
// copy-engine waits (which have no deadline of their own) drain instead of hanging.
Status GpuRun::Fused(int rank) {
  RankBuffers& rb = ranks_[rank];
  TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_counter_, 0, sizeof(int), compute_));
  TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(rb.done_counts, 0, num_ct_ * sizeof(uint32_t), compute_));
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

Status GpuRun::Run(const std::vector<float*>& c) {
  ++epoch_;
  // Agreed at the end: nobody starts the next call's writes into a peer's slots before that
  // peer has reduced them.
  return Agree(RunLocalRanks(c));
}

Status GpuRun::RunLocalRanks(const std::vector<float*>& c) {
  for (int rank = 0; rank < tp_; ++rank) {
    if (!IsLocal(rank)) continue;
    TS_RETURN_IF_ERROR(Fused(rank));
    TS_RETURN_IF_ERROR(CheckError(rank));
  }
  for (int rank = 0; rank < tp_; ++rank) {
    if (IsLocal(rank)) TS_RETURN_IF_ERROR(ReduceAndDownload(rank, c[rank]));
  }
  return OkStatus();
}

// RS: waits (ld.acquire.sys, deadline) until every source has set its slot signals for this
// rank's comm tiles (with one GPU per rank, stores from peer GPUs), then sums the slots in
// rank order. Then the rank's output to host `c`.
Status GpuRun::ReduceAndDownload(int rank, float* c) {
  RankBuffers& rb = ranks_[rank];
  const int64_t rows = tiling_.shard_rows(rank);
  if (!ag_) {
    TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_error_, 0, sizeof(DeviceError), compute_));
    const int64_t begin = tiling_.first_comm_tile(rank), end = tiling_.first_comm_tile(rank + 1);
    for (int src = 0; src < tp_; ++src) {
      if (src == rank) continue;
      LaunchWaitSignals(rb.slot_sig + src * num_ct_, begin, end, epoch_, timeout_ns_, d_error_,
                        compute_);
    }
    LaunchRankOrderSum(rb.parts, tp_, rb.c, rows * n_, compute_);
    TS_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(compute_));
    TS_RETURN_IF_ERROR(CheckError(rank));
  }
  TS_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(compute_));
  TS_CUDA_RETURN_IF_ERROR(cudaMemcpy(c, rb.c,
                                     static_cast<size_t>((ag_ ? m_ : rows) * n_) * sizeof(float),
                                     cudaMemcpyDeviceToHost));
  return OkStatus();
}

// The deadline: a kernel that waited past timeout_s left a DeviceError behind.
Status GpuRun::CheckError(int rank) {
  DeviceError error{};
  TS_CUDA_RETURN_IF_ERROR(cudaMemcpy(&error, d_error_, sizeof(error), cudaMemcpyDeviceToHost));
  if (error.flag == 0) return OkStatus();
  std::string where = error.tile >= 0               ? fmt::format("GEMM tile {}", error.tile)
                      : error.tile == kWaitingSlots ? std::string("the RS reduction")
                                                    : std::string("the copy agent");
  return FailedPreconditionError(
      "rank {}: GPU timed out after {:.3g} s at {} waiting on signal {} for epoch {} (saw {})",
      rank, options_.timeout_s, where, error.signal, epoch_, error.seen);
}

Status GpuRun::ClosePeers() {
  Status status = OkStatus();
  for (void* ptr : ipc_opened_) {
    const cudaError_t error = cudaIpcCloseMemHandle(ptr);
    if (error != cudaSuccess && status.ok()) {
      status = InternalError("cudaIpcCloseMemHandle failed at {}:{}: {}", __FILE__, __LINE__,
                             cudaGetErrorString(error));
    }
  }
  ipc_opened_.clear();
  return status;
}

Status GpuRun::Time(int reps, OneGpuTimings* timings) {
  cublasHandle_t handle = nullptr;
  const bool created = cublasCreate(&handle) == CUBLAS_STATUS_SUCCESS;
  CublasGuard handle_guard(created ? handle : nullptr, [](cublasHandle_t h) { cublasDestroy(h); });
  TS_RETURN_IF_ERROR(Agree(created ? OkStatus() : InternalError("cublasCreate failed")));
  cublasSetStream(handle, compute_);
  auto cublas = [&] { return Cublas(handle); };
  auto sequential = [&] { return Sequential(handle); };
  TS_ASSIGN_OR_RETURN(timings->t_cublas_s, Median(reps, cublas));
  TS_ASSIGN_OR_RETURN(timings->t_own_gemm_s, Median(reps, [&] { return KernelOnly(false); }));
  TS_ASSIGN_OR_RETURN(timings->t_preset_s, Median(reps, [&] { return KernelOnly(true); }));
  TS_ASSIGN_OR_RETURN(timings->t_sequential_s, Median(reps, sequential));
  TS_ASSIGN_OR_RETURN(timings->t_fused_s, Median(reps, [&] { return Fused(timed_rank_); }));
  return CheckError(timed_rank_);
}

// T_g: cublasSgemm of the timed rank's local problem.
Status GpuRun::Cublas(cublasHandle_t handle) {
  const RankBuffers& rb = ranks_[timed_rank_];
  const float one = 1.0f, zero = 0.0f;
  // Row-major C[M, n] = A[M, k] x B[k, n] is column-major C^T = B^T x A^T.
  const cublasStatus_t status =
      cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(n_), static_cast<int>(m_),
                  static_cast<int>(k_), &one, rb.b, static_cast<int>(n_), ag_ ? rb.data : rb.a,
                  static_cast<int>(k_), &zero, ag_ ? rb.c : rb.data, static_cast<int>(n_));
  if (status != CUBLAS_STATUS_SUCCESS) return InternalError("cublasSgemm failed: {}", int(status));
  return OkStatus();
}

// The timed rank's fused kernel alone: no waits, or with every signal preset (the fusion
// overhead).
Status GpuRun::KernelOnly(bool preset) {
  RankBuffers& rb = ranks_[timed_rank_];
  TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_error_, 0, sizeof(DeviceError), compute_));
  TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_counter_, 0, sizeof(int), compute_));
  TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(rb.done_counts, 0, num_ct_ * sizeof(uint32_t), compute_));
  if (preset && ag_) LaunchSetSignals(rb.signals, 0, num_ct_, epoch_, compute_);
  LaunchFusedGemm(GemmArgs(timed_rank_, preset && ag_, preset && !ag_), blocks_, compute_);
  return OkStatus();
}

// The paced copies, then cuBLAS (RS: cuBLAS, then the copies), on one stream.
Status GpuRun::Sequential(cublasHandle_t handle) {
  const RankBuffers& rb = ranks_[timed_rank_];
  TS_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_error_, 0, sizeof(DeviceError), compute_));
  if (ag_) {
    TS_RETURN_IF_ERROR(EnqueueCopies(rb, compute_));
    return Cublas(handle);
  }
  TS_RETURN_IF_ERROR(Cublas(handle));
  LaunchSetSignals(rb.signals, 0, num_ct_, epoch_, compute_);
  return EnqueueCopies(rb, compute_);
}

// Median wall time of `reps` calls of `fn` after one warm-up, each in a new epoch. With one GPU
// per rank every repetition starts together on all ranks and ends agreed.
Result<double> GpuRun::Median(int reps, const std::function<Status()>& fn) {
  std::vector<double> samples;
  for (int rep = 0; rep < reps + 1; ++rep) {
    ++epoch_;
    TS_RETURN_IF_ERROR(Agree(DeviceSynchronize()));
    const auto start = std::chrono::steady_clock::now();
    Status status = fn();
    if (status.ok()) status = DeviceSynchronize();
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (status.ok()) status = CheckError(timed_rank_);  // each call zeroes the error first
    TS_RETURN_IF_ERROR(Agree(status));
    if (rep > 0) samples.push_back(t);  // the first is warm-up
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

}  // namespace trainscope::overlap::cuda
