// SPDX-License-Identifier: Apache-2.0
// Generates a synthetic Kineto trace of a given size for the ingestion benchmark, with the
// event mix and field shapes of real PyTorch-profiler output (hta-nccl-pg): per training step,
// CPU ops with their args, cudaLaunchKernel calls, GPU kernels with the full CUPTI args,
// ac2g flow pairs, some memcpy/memset, python_function spans, and an NCCL all_reduce with
// the recent collective args. Like Kineto, each step writes its CPU events, then its GPU
// events, so the file is not globally sorted by time. Deterministic.
#pragma once

#include <cstdint>
#include <string>

namespace trainscope::bench {

// Writes at least `target_bytes` of trace to `path`. Returns false on an I/O error.
bool WriteSyntheticKinetoTrace(const std::string& path, uint64_t target_bytes);

}  // namespace trainscope::bench
