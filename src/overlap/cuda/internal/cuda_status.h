// SPDX-License-Identifier: Apache-2.0
// CUDA runtime and driver return codes as Status (naming the failing call and file:line), and
// zeroed device memory owned by one object. Private to the overlap CUDA path.
// Thread safety: as the CUDA runtime.
#pragma once

#include <cuda.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <vector>

#include "base/status.h"

// Driver calls are reached through cudaGetDriverEntryPointByVersion: linking libcuda would stop
// the binary from loading (and the tests from reporting "skipped") on a machine without a driver.
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

// Owns cudaMalloc'ed memory (zeroed) on the device current at allocation.
class DeviceMemory {
 public:
  DeviceMemory() = default;
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;
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

}  // namespace trainscope::overlap::cuda
