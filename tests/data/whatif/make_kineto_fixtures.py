#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the hand-made Kineto fixtures of the what-if Kineto path (tests/data/whatif/kineto_*).

One step (ProfilerStep#1, 0..100 us on both ranks), compute stream 7, NCCL stream 20, times in
microseconds relative to baseTimeNanoseconds (so no clock alignment is applied):

  rank 0: gemm_a 5-15, gemm_b 15-25 | wait | all_reduce 25-45 | wait | gemm_a 45-55
  rank 1: gemm_a 5-25, gemm_b 25-35 | wait | all_reduce 35-45 | wait | gemm_a 45-55

Each `wait` is a cudaStreamWaitEvent call between the launches, so the all-reduce waits for
gemm_b and the last gemm_a waits for the all-reduce. Hand-computed results (see
tests/data/whatif/kineto_whatif_test.cc): measured step 55 us, no-delay replay 50 us, ideal 45 us (gemm_a at
its mean 12.5 us, gemm_b 10 us, all-reduce at its median transfer 10 us), S = 50/45.

Variants: kineto_absent (world_size 3: rank 2 is absent, the all-reduce group is incomplete),
kineto_mismatch (rank 1's NCCL kernel is an all-gather: the ranks disagree on the collective),
kineto_nowait (no cudaStreamWaitEvent calls: only the wait implied by the NCCL launch remains),
kineto_p2p (the NCCL op is a send on rank 0 and a recv on rank 1 in the two-rank group "1"),
kineto_cycle (see write_cycle: collectives issued in opposite orders, a dependency cycle),
kineto_side_stream / kineto_named_wait (see write_side_stream: a copy launched between the
all-reduce and the wait misleads a reader that pairs a wait with the op launched last; the
named variant adds the cuda_sync event that says which event the wait is for).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def rank_events(rank, nccl_kernel, waits=(4, 7), nccl_args=None):
    slow = rank == 1
    g_a0 = (5, 20 if slow else 10)
    g_b = (g_a0[0] + g_a0[1], 10)
    coll = (g_b[0] + g_b[1], 45 - (g_b[0] + g_b[1]))
    g_a1 = (45, 10)
    ev = [
        {"ph": "M", "name": "thread_name", "pid": 100, "tid": 100, "args": {"name": "python"}},
        {"ph": "X", "cat": "user_annotation", "name": "ProfilerStep#1", "pid": 100, "tid": 100,
         "ts": 0, "dur": 100},
    ]
    kernels = [("gemm_a", 7, g_a0, 1), ("gemm_b", 7, g_b, 3), (nccl_kernel, 20, coll, 6),
               ("gemm_a", 7, g_a1, 8)]
    for name, stream, (ts, dur), launch in kernels:
        corr = launch * 10
        ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 100,
                   "tid": 100, "ts": launch, "dur": 0.5, "args": {"correlation": corr}})
        args = {"correlation": corr, "stream": stream, "device": 0}
        if stream == 20 and nccl_args:
            args.update(nccl_args)
        ev.append({"ph": "X", "cat": "kernel", "name": name, "pid": 0, "tid": stream, "ts": ts,
                   "dur": dur, "args": args})
    for ts in waits:
        ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaStreamWaitEvent", "pid": 100,
                   "tid": 100, "ts": ts, "dur": 0.5, "args": {"correlation": 900 + ts}})
    return ev


def write(folder, world, kernels, waits=(4, 7), nccl_args=(None, None)):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    for rank in (0, 1):
        doc = {"schemaVersion": 1,
               "distributedInfo": {"backend": "nccl", "rank": rank, "world_size": world},
               "baseTimeNanoseconds": 1700000000000000000,
               "traceEvents": rank_events(rank, kernels[rank], waits, nccl_args[rank])}
        with open(os.path.join(HERE, folder, f"rank{rank}.json"), "w") as f:
            json.dump(doc, f, indent=0)
            f.write("\n")


def write_side_stream(folder, named):
    """kineto_2rank plus, on each rank, a copy on stream 30 launched at 6.5 us (after the
    all-reduce's launch at 6, before the wait at 7) that runs 46-47 us: it ends after the last
    gemm_a starts, so "the op launched last on another stream" is not the wait's source. With
    `named`, the all-reduce's launch is followed by cudaEventRecord (correlation 65, at 6.2 us)
    and the wait at 7 us has its cuda_sync "Stream Wait Event" (wait_on_stream 20, that record),
    as PyTorch >= 2.3 writes them with enable_cuda_sync_events: the source is the all-reduce."""
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    for rank in (0, 1):
        ev = rank_events(rank, AR)
        ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaMemcpyAsync", "pid": 100,
                   "tid": 100, "ts": 6.5, "dur": 0.3, "args": {"correlation": 66}})
        ev.append({"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy DtoH (Device -> Pinned)",
                   "pid": 0, "tid": 30, "ts": 46, "dur": 1,
                   "args": {"correlation": 66, "stream": 30, "device": 0}})
        if named:
            ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaEventRecord", "pid": 100,
                       "tid": 100, "ts": 6.2, "dur": 0.2, "args": {"correlation": 65}})
            ev.append({"ph": "X", "cat": "cuda_sync", "name": "Stream Wait Event", "pid": 0,
                       "tid": 7, "ts": 7, "dur": 0,
                       "args": {"cuda_sync_kind": "Stream Wait Event", "wait_on_stream": 20,
                                "wait_on_cuda_event_record_corr_id": 65,
                                "wait_on_cuda_event_id": 3, "stream": 7, "correlation": 907,
                                "device": 0, "context": 1}})
        doc = {"schemaVersion": 1,
               "distributedInfo": {"backend": "nccl", "rank": rank, "world_size": 2},
               "baseTimeNanoseconds": 1700000000000000000, "traceEvents": ev}
        with open(os.path.join(HERE, folder, f"rank{rank}.json"), "w") as f:
            json.dump(doc, f, indent=0)
            f.write("\n")


def write_cycle(folder):
    """Two groups "a" and "b" (both ranks 0 and 1) on one NCCL stream, issued in opposite orders:
    rank 0 runs a then b, rank 1 b then a. As shared collectives this is a cycle (a deadlock)."""
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    for rank in (0, 1):
        ev = [{"ph": "X", "cat": "user_annotation", "name": "ProfilerStep#1", "pid": 100,
               "tid": 100, "ts": 0, "dur": 100}]
        order = ["a", "b"] if rank == 0 else ["b", "a"]
        for i, group in enumerate(order):
            corr = 10 + i
            ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 100,
                       "tid": 100, "ts": 1 + i, "dur": 0.5, "args": {"correlation": corr}})
            ev.append({"ph": "X", "cat": "kernel", "name": AR, "pid": 0, "tid": 20,
                       "ts": 10 + 10 * i, "dur": 10,
                       "args": {"correlation": corr, "stream": 20, "device": 0,
                                "Collective name": "allreduce", "Process Group Name": group,
                                "Process Group Ranks": "[0, 1]", "In msg nelems": 8,
                                "dtype": "Float"}})
        doc = {"schemaVersion": 1,
               "distributedInfo": {"backend": "nccl", "rank": rank, "world_size": 2},
               "baseTimeNanoseconds": 1700000000000000000, "traceEvents": ev}
        with open(os.path.join(HERE, folder, f"rank{rank}.json"), "w") as f:
            json.dump(doc, f, indent=0)
            f.write("\n")


AR = "ncclDevKernel_AllReduce_Sum_f32_RING_LL(ncclDevComm*, unsigned long, ncclWork*)"
AG = "ncclDevKernel_AllGather_RING_LL(ncclDevComm*, unsigned long, ncclWork*)"
SR = "ncclDevKernel_SendRecv(ncclDevComm*, unsigned long, ncclWork*)"

if __name__ == "__main__":
    write("kineto_2rank", 2, [AR, AR])
    write("kineto_absent", 3, [AR, AR])
    write("kineto_mismatch", 2, [AR, AG])
    write("kineto_nowait", 2, [AR, AR], waits=())
    pg = {"Process Group Name": "1", "Process Group Description": "pp", "Process Group Ranks":
          "[0, 1]", "Group size": 2, "In msg nelems": 1024, "dtype": "Float"}
    write_cycle("kineto_cycle")
    write_side_stream("kineto_side_stream", named=False)
    write_side_stream("kineto_named_wait", named=True)
    write("kineto_p2p", 2, [SR, SR], nccl_args=({**pg, "Collective name": "send"},
                                                {**pg, "Collective name": "recv"}))
    sys.exit(0)
