// SPDX-License-Identifier: Apache-2.0
// The fused operators on GPUs (brief section 7), in two placements. Ranks on one GPU
// (RunOneGpu): all TP ranks are buffers on one device driven by this process. One GPU per rank
// (RunOnePerRank, launched by MPI through cuda_mpi.h): each process drives its rank on its own
// GPU and maps the peers' buffers with CUDA IPC; copies read (AG) or write (RS) peer memory and
// RS signals are system-scope stores into the peer GPU's memory. In both, each rank's fused
// GEMM kernel (hand-written, fp32 SIMT, 64 x 64 tiles, persistent blocks) runs beside its
// transfers: by default on the copy engine
// (cudaMemcpyAsync on a high-priority stream, cuStreamWaitValue32 / cuStreamWriteValue32 for
// the signals, Flux's host-side design), or through a one-block vectorised copy kernel; the
// emulated link is paced on %globaltimer in integer ns. cuBLAS gives T_g. Direct schedule,
// Write mode.
// Built only when nvcc is found (target trainscope_overlap_cuda); nothing else depends on it.
// Thread safety: one call at a time per process (uses the current device).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "overlap/problem.h"

namespace trainscope::overlap::cuda {

// True when a CUDA device is visible to this process.
bool DeviceAvailable();

// Timings of one rank (rank 0 on one GPU; this process's rank with one GPU per rank).
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

// What the one-GPU-per-rank placement needs from its launcher (MPI: MpiRankGroup in
// cuda_mpi.h), so that this library does not depend on MPI.
class RankGroup {
 public:
  virtual ~RankGroup() = default;
  virtual int rank() const = 0;    // this process's TP rank
  virtual int size() const = 0;    // TP degree
  virtual int device() const = 0;  // this rank's CUDA device (its rank among the node's ranks)
  // Collective: every rank's `mine` (as many bytes on every rank) into `all`
  // (size() * mine.size() bytes) in rank order.
  virtual Status AllGather(std::span<const std::byte> mine, std::span<std::byte> all) = 0;
};

// Collective over `group`: OK on every rank when `mine` is OK on every rank; otherwise each
// rank returns its own error, or, when it had none, the first failing rank's code naming it.
// Every collective step of the one-GPU-per-rank mode goes through it, so that one rank's failure
// ends every rank's call instead of leaving the others waiting.
Status AgreeAcrossRanks(RankGroup& group, const Status& mine);

enum class GpuPlacement { kRanksOnOneGpu, kOneGpuPerRank };
struct PlacementChoice {
  GpuPlacement placement = GpuPlacement::kRanksOnOneGpu;
  std::string reason;  // why, e.g. "2 ranks, 1 visible GPU"
};

// One GPU per rank when world_size >= 2, all of them are on this node (node_ranks ==
// world_size: CUDA IPC is node-local), at least world_size GPUs are visible and every pair of
// GPUs 0 .. world_size-1 has peer access (cudaDeviceCanAccessPeer); otherwise ranks on one GPU.
// The same answer on every rank of the node.
PlacementChoice ChoosePlacement(int world_size, int node_ranks);

// One GPU per rank, collective over `group`: sets the current device to group.device(),
// enables peer access to the peers' GPUs, allocates this rank's buffers, exchanges
// cudaIpcMemHandle_t of its A, slots and slot signals and opens the peers', then runs the
// operator (inputs and output of this rank only, host memory, as FusedOperator::Run) and checks
// every kernel's deadline; with `timings`, also times this rank (median of `reps`, every
// repetition started together). A failure on any rank ends the call on every rank (each
// collective step is agreed), naming the failing rank. Errors: kUnimplemented (ring schedule,
// Reduce mode), kFailedPrecondition (no peer access, a GPU shared by two ranks, a timeout).
Status RunOnePerRank(OpKind op, const ShardedProblem& problem, const OverlapOptions& options,
                     RankGroup& group, const float* a, const float* b, float* c, int reps,
                     OneGpuTimings* timings, CopyPath path = CopyPath::kCopyEngine);

// The bf16 tensor-core GEMM (kernels.h) against cublasGemmEx on the same bf16 inputs (random,
// fixed seed), fp32 output and accumulation: median times of `reps` and the largest difference.
struct Bf16GemmComparison {
  double t_own_s = 0, t_cublas_s = 0;
  double max_abs_diff = 0, max_abs_cublas = 0;
};
Result<Bf16GemmComparison> CompareBf16Gemm(int64_t m, int64_t n, int64_t k, int reps);

}  // namespace trainscope::overlap::cuda
