// SPDX-License-Identifier: Apache-2.0
// Launchers of the hand-written CUDA kernels of the one-GPU overlap path (kernels.cu). Plain
// C++ types only, so that host code compiled by g++ can call them. All pointers are device
// pointers; every launcher is asynchronous on the given stream (cudaStream_t as void*).
// Thread safety: as the CUDA runtime.
#pragma once

#include <cstdint>

namespace trainscope::overlap::cuda {

// Kernel-side GEMM tile (fixed): 64 x 64 outputs per block, k in steps of 16, 256 threads.
constexpr int kTileM = 64;
constexpr int kTileN = 64;

// First error seen by a kernel's deadline-bounded spin (zeroed by the host before a call).
struct DeviceError {
  int32_t flag;    // 0 none, 1 timeout
  int32_t tile;    // GEMM tile id (-1: copy kernel, kWaitingSlots: the RS reduction)
  int32_t signal;  // signal index
  uint32_t seen;   // value seen at the deadline
};

// One comm-tile transfer: optionally wait for *wait == epoch, copy `count` floats, hold until
// the emulated link would be done, release-store *set = epoch. The link is charged
// `link_ns` (latency + bytes / bandwidth, integer ns computed on the host; 0: a local copy or
// no emulated link): done = max(issue, previous done) + link_ns.
struct CopyOp {
  const uint32_t* wait;  // nullable
  const float* src;
  float* dst;
  int64_t count;
  uint32_t* set;  // nullable
  int32_t signal;
  uint64_t link_ns;
};

// Persistent fused GEMM: `blocks` blocks take tiles from order[] through *counter. For tile t
// (row tile t / col_tiles) with wait != 0, thread 0 spins (ld.acquire.sys, %globaltimer
// deadline) until signals[first[row_tile] .. last[row_tile]] == epoch. Then out = a x b on
// the tile. With done_counts != nullptr (RS), each finished tile bumps done_counts[ct] of the
// covering comm tiles; the one reaching needed[ct] release-stores done_flags[ct] = epoch.
struct FusedGemmArgs {
  const float* a;  // [m, k]
  const float* b;  // [k, n]
  float* out;      // [m, n]
  int64_t m, n, k;
  const int64_t* order;  // tile ids
  int64_t num_tiles;
  int64_t col_tiles;
  const int64_t* first;     // per row tile: first covering comm tile
  const int64_t* last;      // per row tile: last covering comm tile (inclusive)
  const uint32_t* signals;  // AG wait signals
  int wait;
  uint32_t* done_counts;   // RS: per comm tile
  const uint32_t* needed;  // RS: tiles covering each comm tile
  uint32_t* done_flags;    // RS
  uint32_t epoch;
  uint64_t timeout_ns;
  int* counter;  // zeroed before the launch
  DeviceError* error;
};
void LaunchFusedGemm(const FusedGemmArgs& args, int blocks, void* stream);

// One-block copy agent (1024 threads, 16-byte vector loads when aligned): runs ops[0 .. count)
// in order on the emulated link.
void LaunchCopyAgent(const CopyOp* ops, int64_t count, uint32_t epoch, uint64_t timeout_ns,
                     DeviceError* error, void* stream);

// Copy-engine path, pacing around a cudaMemcpyAsync on the same stream: LinkIssue records
// done = max(now, *link_free) + link_ns into *done and *link_free; LinkHold spins until *done.
// Integer nanoseconds of %globaltimer throughout.
void LaunchLinkIssue(uint64_t* link_free, uint64_t* done, uint64_t link_ns, void* stream);
void LaunchLinkHold(const uint64_t* done, void* stream);

// bf16 tensor-core GEMM (WMMA 16x16x16, fp32 accumulate): out[m, n] (fp32) = a[m, k] x b[k, n]
// with row-major bf16 inputs (uint16_t bit patterns); 128 x 128 block tiles, 8 warps of 64 x 32,
// k steps of 32, ragged edges zero-padded. The first step towards the bf16 fused GEMM: compared
// with cuBLAS (CompareBf16Gemm), not yet wired into the fused operators.
constexpr int kBf16TileM = 128;
constexpr int kBf16TileN = 128;
void LaunchGemmBf16(const uint16_t* a, const uint16_t* b, float* out, int64_t m, int64_t n,
                    int64_t k, void* stream);

// out[rows, n] = sum over s in rank order of parts[s] (device array of device pointers).
void LaunchRankOrderSum(const float* const* parts, int tp, float* out, int64_t count, void* stream);

// DeviceError::tile of a timeout in LaunchWaitSignals.
constexpr int32_t kWaitingSlots = -2;

// One thread spins (ld.acquire.sys, %globaltimer deadline) until each of signals[begin .. end)
// equals `epoch`, in order; records the first timeout in *error (tile kWaitingSlots). The RS
// reduction waits so on the slot signals its sources set, from peer GPUs with one GPU per rank.
void LaunchWaitSignals(const uint32_t* signals, int64_t begin, int64_t end, uint32_t epoch,
                       uint64_t timeout_ns, DeviceError* error, void* stream);

// signals[begin .. end) = value (release).
void LaunchSetSignals(uint32_t* signals, int64_t begin, int64_t end, uint32_t value, void* stream);

}  // namespace trainscope::overlap::cuda
