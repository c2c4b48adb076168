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
  int32_t tile;    // GEMM tile id (-1: copy kernel)
  int32_t signal;  // signal index
  uint32_t seen;   // value seen at the deadline
};

// One comm-tile transfer of the copy agent: optionally wait for *wait == epoch, copy `count`
// floats, hold until the emulated link would be done (paced), release-store *set = epoch.
struct CopyOp {
  const uint32_t* wait;  // nullable
  const float* src;
  float* dst;
  int64_t count;
  uint32_t* set;  // nullable
  int32_t signal;
  int32_t paced;  // 0: local copy, not charged to the link
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

// One-block copy agent: runs ops[0 .. count) in order on the emulated link
// (bandwidth in bytes per ns, latency in ns; bandwidth <= 0: no pacing).
void LaunchCopyAgent(const CopyOp* ops, int64_t count, uint32_t epoch, double bytes_per_ns,
                     double latency_ns, uint64_t timeout_ns, DeviceError* error, void* stream);

// out[rows, n] = sum over s in rank order of parts[s] (device array of device pointers).
void LaunchRankOrderSum(const float* const* parts, int tp, float* out, int64_t count, void* stream);

// signals[begin .. end) = value (release).
void LaunchSetSignals(uint32_t* signals, int64_t begin, int64_t end, uint32_t value, void* stream);

}  // namespace trainscope::overlap::cuda
