// SPDX-License-Identifier: Apache-2.0
// Synthetic Kineto trace writer for bench/ingest_bench.cc (see ingest_trace_gen.h).
#include "ingest_trace_gen.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

namespace trainscope::bench {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

const char* const kOps[] = {"aten::linear",  "aten::addmm",   "aten::relu",   "aten::layer_norm",
                            "aten::dropout", "aten::softmax", "aten::matmul", "aten::add_"};
const char* const kKernels[] = {
    "void cutlass::Kernel<cutlass_80_tensorop_s1688gemm_128x128_32x3_nn_align4>(T1::Params)",
    "void at::native::vectorized_elementwise_kernel<4, at::native::AddFunctor<float>, "
    "at::detail::Array<char*, 3> >(int, at::native::AddFunctor<float>, at::detail::Array<char*, "
    "3>)",
    "void at::native::(anonymous namespace)::vectorized_layer_norm_kernel<float, float>(int, "
    "float, float const*, float const*, float const*, float*, float*, float*)",
    "ampere_sgemm_128x64_tn"};

}  // namespace

bool WriteSyntheticKinetoTrace(const std::string& path, uint64_t target_bytes) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
  if (!file) return false;
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out),
                 "{{\n  \"schemaVersion\": 1,\n  \"deviceProperties\": [{{\"id\": 0, \"name\": "
                 "\"NVIDIA A100-SXM4-80GB\", \"totalGlobalMem\": 85198045184, \"numSms\": 108}}],\n"
                 "  \"distributedInfo\": {{\"backend\": \"nccl\", \"rank\": 0, \"world_size\": 2, "
                 "\"pg_count\": 1, \"pg_config\": [{{\"pg_name\": \"0\", \"pg_desc\": "
                 "\"default_pg\", \"backend_config\": \"cuda:nccl\", \"pg_size\": 2, \"ranks\": "
                 "[0, 1]}}], \"nccl_version\": \"2.18.1\"}},\n  \"traceEvents\": [\n");
  uint64_t written = 0;
  int64_t t = 4458676416788000;  // ns
  int64_t corr = 1, ext = 1, ev_idx = 0;
  bool first = true;
  auto sep = [&] {
    if (!first) fmt::format_to(std::back_inserter(out), ",\n");
    first = false;
  };
  auto us = [](int64_t ns) { return fmt::format("{}.{:03}", ns / 1000, ns % 1000); };
  const int pid = 2910249, tid = 2910249;
  for (int64_t step = 1; written < target_bytes; ++step) {
    int64_t step_start = t;
    fmt::memory_buffer gpu;  // GPU events of the step, written after its CPU events
    int64_t gpu_t = t + 50'000;
    for (int op = 0; op < 400; ++op) {
      int64_t op_ts = t, dur = 9'000 + (op % 7) * 1'371;
      sep();
      fmt::format_to(std::back_inserter(out),
                     "  {{\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"{}\", \"pid\": {}, "
                     "\"tid\": {}, \"ts\": {}, \"dur\": {}, \"args\": {{\"External id\": {}, "
                     "\"Record function id\": {}, \"Ev Idx\": {}, \"Input Dims\": [[512, 1024], "
                     "[1024, 1024]], \"Input type\": [\"float\", \"float\"]}}}}",
                     kOps[op % 8], pid, tid, us(op_ts), us(dur), ext, ext, ev_idx++);
      if (op % 10 == 0) {
        sep();
        fmt::format_to(std::back_inserter(out),
                       "  {{\"ph\": \"X\", \"cat\": \"python_function\", \"name\": "
                       "\"torch/nn/modules/module.py(1501): _call_impl\", \"pid\": {}, \"tid\": "
                       "{}, \"ts\": {}, \"dur\": {}, \"args\": {{\"Python parent id\": {}, "
                       "\"Python id\": {}, \"Ev Idx\": {}}}}}",
                       pid, tid, us(op_ts), us(dur), ext - 1, ext, ev_idx++);
      }
      int64_t launch_ts = op_ts + 2'000;
      sep();
      fmt::format_to(
          std::back_inserter(out),
          "  {{\"ph\": \"X\", \"cat\": \"cuda_runtime\", \"name\": \"cudaLaunchKernel\", "
          "\"pid\": {}, \"tid\": {}, \"ts\": {}, \"dur\": {}, \"args\": {{\"External "
          "id\": {}, \"cbid\": 211, \"correlation\": {}}}}}",
          pid, tid, us(launch_ts), us(4'210), ext, corr);
      sep();
      fmt::format_to(
          std::back_inserter(out),
          "  {{\"ph\": \"s\", \"id\": {}, \"pid\": {}, \"tid\": {}, \"ts\": {}, \"cat\": "
          "\"ac2g\", \"name\": \"ac2g\"}}",
          corr, pid, tid, us(launch_ts));
      int64_t kdur = 20'000 + (op % 13) * 3'117;
      gpu_t = std::max(gpu_t, launch_ts + 5'000);
      fmt::format_to(
          std::back_inserter(gpu),
          ",\n  {{\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"{}\", \"pid\": 0, "
          "\"tid\": 7, \"ts\": {}, \"dur\": {}, \"args\": {{\"External id\": {}, "
          "\"queued\": 0, \"device\": 0, \"context\": 1, \"stream\": 7, \"correlation\": "
          "{}, \"registers per thread\": 128, \"shared memory\": 49152, \"blocks per "
          "SM\": 1.185185, \"warps per SM\": 9.481481, \"grid\": [128, 1, 1], \"block\": "
          "[256, 1, 1], \"est. achieved occupancy %\": 19}}}}"
          ",\n  {{\"ph\": \"f\", \"id\": {}, \"pid\": 0, \"tid\": 7, \"ts\": {}, \"cat\": "
          "\"ac2g\", \"name\": \"ac2g\", \"bp\": \"e\"}}",
          kKernels[op % 4], us(gpu_t), us(kdur), ext, corr, corr, us(gpu_t));
      if (op % 40 == 0) {
        fmt::format_to(
            std::back_inserter(gpu),
            ",\n  {{\"ph\": \"X\", \"cat\": \"gpu_memcpy\", \"name\": \"Memcpy HtoD "
            "(Pageable -> Device)\", \"pid\": 0, \"tid\": 7, \"ts\": {}, \"dur\": {}, "
            "\"args\": {{\"External id\": {}, \"device\": 0, \"context\": 1, \"stream\": "
            "7, \"correlation\": {}, \"bytes\": 4194304, \"memory bandwidth (GB/s)\": "
            "11.8}}}}",
            us(gpu_t + kdur + 100), us(1'500), ext, corr);
      }
      gpu_t += kdur + 2'000;
      t += dur + 1'500;
      ++corr;
      ++ext;
    }
    // The step's all_reduce: record_param_comms on the CPU, an NCCL kernel on stream 40.
    const char* coll =
        "\"Collective name\": \"allreduce\", \"In msg nelems\": 6637568, \"Out msg nelems\": "
        "6637568, \"Group size\": 2, \"dtype\": \"Float\", \"In split size\": \"[]\", \"Out split "
        "size\": \"[]\", \"Process Group Name\": \"0\", \"Process Group Description\": "
        "\"default_pg\", \"Process Group Ranks\": \"[0, 1]\"";
    sep();
    fmt::format_to(
        std::back_inserter(out),
        "  {{\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"record_param_comms\", "
        "\"pid\": {}, \"tid\": {}, \"ts\": {}, \"dur\": {}, \"args\": {{\"External id\": "
        "{}, {}}}}}",
        pid, tid + 1, us(t), us(189'626), ext, coll);
    fmt::format_to(
        std::back_inserter(gpu),
        ",\n  {{\"ph\": \"X\", \"cat\": \"kernel\", \"name\": "
        "\"ncclKernel_AllReduce_RING_LL_Sum_float(ncclDevComm*, unsigned long, "
        "ncclWork*)\", \"pid\": 0, \"tid\": 40, \"ts\": {}, \"dur\": {}, \"args\": "
        "{{\"External id\": {}, \"device\": 0, \"stream\": 40, \"correlation\": {}, {}}}}}",
        us(gpu_t), us(2'636'669), ext, corr++, coll);
    ++ext;
    t = std::max(t, gpu_t) + 3'000'000;
    sep();
    fmt::format_to(
        std::back_inserter(out),
        "  {{\"ph\": \"X\", \"cat\": \"user_annotation\", \"name\": \"ProfilerStep#{}\", "
        "\"pid\": {}, \"tid\": {}, \"ts\": {}, \"dur\": {}, \"args\": {{\"External id\": "
        "{}}}}}",
        step, pid, tid, us(step_start), us(t - step_start), ext++);
    out.append(gpu.data(), gpu.data() + gpu.size());
    if (std::fwrite(out.data(), 1, out.size(), file.get()) != out.size()) return false;
    written += out.size();
    out.clear();
  }
  fmt::format_to(std::back_inserter(out),
                 "\n  ],\n  \"baseTimeNanoseconds\": 1711964646000000000\n}}\n");
  if (std::fwrite(out.data(), 1, out.size(), file.get()) != out.size()) return false;
  return std::fflush(file.get()) == 0;
}

}  // namespace trainscope::bench
