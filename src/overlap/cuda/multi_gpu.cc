// SPDX-License-Identifier: Apache-2.0
// One GPU per rank: the placement choice, peer access, and the CUDA IPC mapping of the peers'
// buffers (GpuRun::MapPeers); the run itself is internal/gpu_run.cc, shared with ranks on one GPU.
#include <cuda_runtime.h>

#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "overlap/cuda/cuda_overlap.h"
#include "overlap/cuda/internal/cuda_status.h"
#include "overlap/cuda/internal/gpu_run.h"

namespace trainscope::overlap::cuda {
namespace {

// Peer access from the current device `device` to `peer` (already enabled is fine).
Status EnablePeerAccess(int device, int peer) {
  int can = 0;
  TS_CUDA_RETURN_IF_ERROR(cudaDeviceCanAccessPeer(&can, device, peer));
  if (can == 0) {
    return FailedPreconditionError(
        "GPU {} cannot access GPU {} (cudaDeviceCanAccessPeer): one GPU per rank needs peer "
        "access between every pair",
        device, peer);
  }
  const cudaError_t error = cudaDeviceEnablePeerAccess(peer, 0);
  if (error == cudaErrorPeerAccessAlreadyEnabled) {
    (void)cudaGetLastError();  // clears the (not sticky) error it recorded
    return OkStatus();
  }
  TS_CUDA_RETURN_IF_ERROR(error);
  return OkStatus();
}

Status SelectDevice(int device) {
  int count = 0;
  TS_CUDA_RETURN_IF_ERROR(cudaGetDeviceCount(&count));
  if (device < 0 || device >= count) {
    return FailedPreconditionError("this rank's GPU {} is not visible ({} GPU(s) visible)", device,
                                   count);
  }
  TS_CUDA_RETURN_IF_ERROR(cudaSetDevice(device));
  return OkStatus();
}

// True when GPUs a and b can access each other's memory.
bool PeerPair(int a, int b) {
  int ab = 0, ba = 0;
  return cudaDeviceCanAccessPeer(&ab, a, b) == cudaSuccess &&
         cudaDeviceCanAccessPeer(&ba, b, a) == cudaSuccess && ab != 0 && ba != 0;
}

}  // namespace

PlacementChoice ChoosePlacement(int world_size, int node_ranks) {
  using enum GpuPlacement;
  if (world_size < 2) return {kRanksOnOneGpu, "one rank"};
  if (node_ranks != world_size) {
    return {kRanksOnOneGpu, fmt::format("only {} of the {} ranks are on this node (CUDA IPC is "
                                        "node-local)",
                                        node_ranks, world_size)};
  }
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) count = 0;
  if (count < world_size) {
    return {kRanksOnOneGpu, fmt::format("{} ranks, {} visible GPU(s)", world_size, count)};
  }
  for (int a = 0; a < world_size; ++a) {
    for (int b = a + 1; b < world_size; ++b) {
      if (!PeerPair(a, b)) {
        return {kRanksOnOneGpu, fmt::format("GPUs {} and {} have no peer access", a, b)};
      }
    }
  }
  return {kOneGpuPerRank, fmt::format("{} ranks on {} GPUs with peer access", world_size, count)};
}

// Collective: export this rank's handles, all-gather them, map every peer's. Each step is
// agreed, so a rank that fails to export or map stops every rank here.
Status GpuRun::MapPeers() {
  IpcRecord mine{};
  TS_RETURN_IF_ERROR(Agree(ExportBuffers(&mine)));
  std::vector<IpcRecord> all(static_cast<size_t>(tp_));
  TS_RETURN_IF_ERROR(group_->AllGather(std::as_bytes(std::span(&mine, 1)),
                                       std::as_writable_bytes(std::span(all))));
  return Agree(OpenPeers(all));
}

// Handles of the buffers the peers touch: A (AG pulls it), the slots and the slot signals (RS
// writes them). Each is the base of its own cudaMalloc, as cudaIpcGetMemHandle requires.
Status GpuRun::ExportBuffers(IpcRecord* mine) const {
  const RankBuffers& rb = ranks_[group_->rank()];
  TS_CUDA_RETURN_IF_ERROR(cudaGetDevice(&mine->device));
  TS_CUDA_RETURN_IF_ERROR(cudaIpcGetMemHandle(&mine->a, rb.a));
  TS_CUDA_RETURN_IF_ERROR(cudaIpcGetMemHandle(&mine->slots, rb.slots));
  TS_CUDA_RETURN_IF_ERROR(cudaIpcGetMemHandle(&mine->slot_sig, rb.slot_sig));
  return OkStatus();
}

Status GpuRun::OpenPeers(const std::vector<IpcRecord>& all) {
  const int me = group_->rank();
  const int device = all[static_cast<size_t>(me)].device;
  auto open = [&](const cudaIpcMemHandle_t& handle, auto** ptr) -> Status {
    void* mapped = nullptr;
    TS_CUDA_RETURN_IF_ERROR(cudaIpcOpenMemHandle(&mapped, handle, cudaIpcMemLazyEnablePeerAccess));
    ipc_opened_.push_back(mapped);
    *ptr = static_cast<std::remove_reference_t<decltype(*ptr)>>(mapped);
    return OkStatus();
  };
  for (int peer = 0; peer < tp_; ++peer) {
    if (peer == me) continue;
    const IpcRecord& record = all[static_cast<size_t>(peer)];
    if (record.device == device) {
      return FailedPreconditionError(
          "ranks {} and {} both drive GPU {}: one GPU per rank needs "
          "a GPU of its own per rank (is CUDA_VISIBLE_DEVICES set per "
          "rank?)",
          me, peer, device);
    }
    TS_RETURN_IF_ERROR(EnablePeerAccess(device, record.device));
    RankBuffers& rb = ranks_[static_cast<size_t>(peer)];
    TS_RETURN_IF_ERROR(open(record.a, &rb.a));
    TS_RETURN_IF_ERROR(open(record.slots, &rb.slots));
    TS_RETURN_IF_ERROR(open(record.slot_sig, &rb.slot_sig));
  }
  return OkStatus();
}

Status RunOnePerRank(OpKind op, const ShardedProblem& problem, const OverlapOptions& options,
                     RankGroup& group, const float* a, const float* b, float* c, int reps,
                     OneGpuTimings* timings, CopyPath path) {
  if (problem.tp() != group.size()) {
    return InvalidArgumentError("the problem has {} TP ranks but the group {}", problem.tp(),
                                group.size());
  }
  OverlapOptions kernel_options;
  TS_ASSIGN_OR_RETURN(Tiling tiling, KernelTiling(problem, options, &kernel_options));
  TS_RETURN_IF_ERROR(AgreeAcrossRanks(group, SelectDevice(group.device())));
  const auto me = static_cast<size_t>(group.rank());
  std::vector<const float*> as(static_cast<size_t>(group.size()), nullptr), bs = as;
  std::vector<float*> cs(as.size(), nullptr);
  as[me] = a, bs[me] = b, cs[me] = c;
  GpuRun run(op, options, kernel_options, std::move(tiling), path, &group);
  Status status = run.Setup(as, bs);
  if (status.ok()) status = run.Run(cs);
  if (status.ok() && timings != nullptr) status = run.Time(reps, timings);
  // Every rank unmaps the others' buffers before any rank frees its own (run's destructor).
  const Status closed = AgreeAcrossRanks(group, run.ClosePeers());
  return status.ok() ? closed : status;
}

}  // namespace trainscope::overlap::cuda
