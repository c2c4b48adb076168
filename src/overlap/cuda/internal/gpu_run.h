// SPDX-License-Identifier: Apache-2.0
// GpuRun: one call of the fused operators on the GPU(s) (cuda_overlap.h's RunOneGpu and
// RunOnePerRank). Every TP rank has its buffers, copy schedule and streams; a rank is *local*
// when this process drives it. Ranks on one GPU: every rank is local, all on the current
// device, run one after another. One GPU per rank: only group->rank() is local, on its own
// device; the peers' A (AG) and slots and slot signals (RS) are their buffers opened with CUDA
// IPC, so the same copy schedule reads (AG) or writes (RS) across GPUs, and every collective step
// is agreed over the group so that one rank's failure ends every rank's call instead of hanging.
// Thread safety: one call at a time per process.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <functional>
#include <memory>
#include <vector>

#include "overlap/cuda/cuda_overlap.h"
#include "overlap/cuda/internal/cuda_status.h"
#include "overlap/cuda/kernels.h"
#include "overlap/tiling.h"

namespace trainscope::overlap::cuda {

// cuStreamWaitValue32 / cuStreamWriteValue32 (CUDA 12.0 ABI), looked up once per run.
struct StreamMemOps {
  using WaitFn = CUresult (*)(CUstream, CUdeviceptr, cuuint32_t, unsigned int);
  using WriteFn = CUresult (*)(CUstream, CUdeviceptr, cuuint32_t, unsigned int);
  WaitFn wait = nullptr;
  WriteFn write = nullptr;
};

struct RankBuffers {
  float *a = nullptr, *b = nullptr, *c = nullptr;  // peers (one GPU per rank): only a, via IPC
  float* data = nullptr;                           // AG: gathered [M, k]; RS: partial [M, n]
  uint32_t* signals = nullptr;                     // AG: per comm tile; RS: partial-done flags
  uint32_t* done_counts = nullptr;
  float* slots = nullptr;        // RS: [tp][rows_r, n] (peers: via IPC)
  uint32_t* slot_sig = nullptr;  // RS: [tp][comm tiles] (peers: via IPC)
  int64_t* order = nullptr;
  CopyOp* ops = nullptr;  // device copy, for the copy-agent kernel
  int64_t op_count = 0;
  std::vector<CopyOp> host_ops;   // the same, for the copy-engine path
  const float** parts = nullptr;  // RS: rank-order reduction inputs
};

// What one rank sends its peers so they can map its buffers (one GPU per rank).
struct IpcRecord {
  int32_t device;
  cudaIpcMemHandle_t a, slots, slot_sig;
};

class GpuRun {
 public:
  // `group` null: ranks on one GPU. Otherwise one GPU per rank (the current device must
  // already be group->device()).
  GpuRun(OpKind op, const OverlapOptions& options, const OverlapOptions& kernel_options,
         Tiling tiling, CopyPath path, RankGroup* group);
  ~GpuRun();

  // Device buffers of the local ranks (a[rank], b[rank] read for those only), the peers'
  // buffers mapped, copy schedules and streams.
  Status Setup(const std::vector<const float*>& a, const std::vector<const float*>& b);
  // One fused call per local rank (deadlines checked), then each local rank's output to host
  // c[rank].
  Status Run(const std::vector<float*>& c);
  // Timings of the first local rank (ranks are symmetric): host clock around synchronised
  // calls, median of `reps` after one warm-up.
  Status Time(int reps, OneGpuTimings* timings);
  // Unmaps the peers' buffers (before any of them is freed: agree afterwards).
  Status ClosePeers();

 private:
  bool IsLocal(int rank) const { return group_ == nullptr || rank == group_->rank(); }
  Status Agree(const Status& mine) {
    return group_ == nullptr ? mine : AgreeAcrossRanks(*group_, mine);
  }
  Status SetupLocal(const std::vector<const float*>& a, const std::vector<const float*>& b);
  Status UploadTiling();
  Status AllocateRank(int rank, const float* a, const float* b);
  Status MapPeers();
  Status ExportBuffers(IpcRecord* mine) const;
  Status OpenPeers(const std::vector<IpcRecord>& all);
  Status BuildCopySchedules();
  std::vector<CopyOp> CopyOpsOf(int rank) const;
  uint64_t LinkNs(int64_t floats) const;
  Status CreateStreams();
  FusedGemmArgs GemmArgs(int rank, bool wait, bool count);
  Status EnqueueCopies(const RankBuffers& rb, cudaStream_t stream);
  Status Fused(int rank);
  Status RunLocalRanks(const std::vector<float*>& c);
  Status ReduceAndDownload(int rank, float* c);
  Status CheckError(int rank);
  Status Cublas(cublasHandle_t handle);
  Status KernelOnly(bool preset);
  Status Sequential(cublasHandle_t handle);
  Result<double> Median(int reps, const std::function<Status()>& fn);

  using StreamGuard = std::unique_ptr<CUstream_st, void (*)(cudaStream_t)>;

  const CopyPath path_;
  StreamMemOps mem_ops_;
  const OverlapOptions& options_;
  const OverlapOptions& kernel_options_;
  const Tiling tiling_;
  const bool ag_;
  const int tp_;
  const int64_t m_, n_, k_, num_ct_;
  const uint64_t timeout_ns_;
  RankGroup* const group_;
  const int timed_rank_;  // the first local rank
  DeviceMemory memory_;
  std::vector<void*> ipc_opened_;    // peers' buffers mapped by cudaIpcOpenMemHandle
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

// Kernel tile sizes in `kernel_options` and the tiling of `problem`; refuses what the kernels
// do not implement (ring schedule, Reduce mode).
Result<Tiling> KernelTiling(const ShardedProblem& problem, const OverlapOptions& options,
                            OverlapOptions* kernel_options);

}  // namespace trainscope::overlap::cuda
