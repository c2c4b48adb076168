#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes check/violations/rank-{0,1,2}.json: a 3-rank Kineto trace (one step) holding exactly one
violation of each kind `trainscope trace check` reports (tests/cli/trace_check_cli_test.cmake).

Times are microseconds from T0; step 1 spans [0, 10000) on every rank.
- stream_overlap: rank 0, stream 7: gemm [100, 200) and gemm [150, 250).
- pg "0" (default_pg, ranks 0-2, NCCL stream 40): all_reduce #0 at 1000/1000/1200, all ending at
  1500 (fine); #1: rank 0 [2000, 2100), rank 1 [2000, 2600), rank 2 [2500, 2600): rank 0 ends
  before rank 2 starts (collective_disjoint); #2: ends at 4000, 4500, 4000 after starting
  together at 3000 (collective_end_skew: 500 us > max(100 us, 2% of 1000 us)).
- pg "1" (ranks 0-1, stream 41): an all_gather [5000, 5100) on both (10 -> 20 elements), whose
  "Group size" is 3 on rank 1 (group_size_mismatch), and on rank 0 an extra all_reduce at 6000
  (collective_unmatched: 2 ops against 1). Rank 0's events list pg "1" as [0, 1, 2] while its
  pg_config says [0, 1] (group_ranks_differ).
- pg "3" = [1, 2] in rank 1's pg_config only: rank 2 has pg info but not this group
  (group_missing).
Every file has baseTimeNanoseconds (no clock alignment). Deterministic; rerun after a change:
  python3 tests/data/kineto/make_check_fixtures.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1_000_000.0


def group(name, desc, ranks):
    return {"pg_name": name, "pg_desc": desc, "backend_config": "cuda:nccl",
            "pg_size": len(ranks), "ranks": ranks}


def nccl(kind, name, ts, dur, stream, pg, pg_ranks, nin, nout, size, seq):
    return {"ph": "X", "cat": "kernel", "name": f"ncclDevKernel_{name}(ncclDevComm*, unsigned long, ncclWork*)",
            "pid": 0, "tid": stream, "ts": T0 + ts, "dur": dur,
            "args": {"Collective name": kind, "In msg nelems": nin, "Out msg nelems": nout,
                     "Group size": size, "dtype": "Float", "Process Group Name": pg,
                     "Process Group Description": "default_pg" if pg == "0" else "dp",
                     "Process Group Ranks": pg_ranks, "Seq": seq, "device": 0, "stream": stream}}


def kernel(name, ts, dur, stream=7):
    return {"ph": "X", "cat": "kernel", "name": name, "pid": 0, "tid": stream, "ts": T0 + ts,
            "dur": dur, "args": {"device": 0, "stream": stream}}


def rank_trace(rank):
    events = [{"ph": "X", "cat": "user_annotation", "name": "ProfilerStep#1", "pid": 10, "tid": 10,
               "ts": T0, "dur": 10000.0, "args": {}}]
    events.append(kernel("gemm_a", 100, 100))
    events.append(kernel("gemm_b", 150 if rank == 0 else 200, 100))
    starts = {0: [1000, 2000, 3000], 1: [1000, 2000, 3000], 2: [1200, 2500, 3000]}[rank]
    ends = {0: [1500, 2100, 4000], 1: [1500, 2600, 4500], 2: [1500, 2600, 4000]}[rank]
    for seq, (b, e) in enumerate(zip(starts, ends)):
        events.append(nccl("allreduce", "AllReduce_Sum_f32_RING_LL", b, e - b, 40, "0",
                           "[0, 1, 2]", 1024, 1024, 3, seq))
    if rank < 2:
        events.append(nccl("_allgather_base", "AllGather_RING_LL", 5000, 100, 41, "1",
                           "[0, 1, 2]" if rank == 0 else "[0, 1]", 10, 20, 3 if rank == 1 else 2, 0))
    if rank == 0:
        events.append(nccl("allreduce", "AllReduce_Sum_f32_RING_LL", 6000, 100, 41, "1", "[0, 1]",
                           8, 8, 2, 1))
    pgs = [group("0", "default_pg", [0, 1, 2])]
    if rank < 2:
        pgs.append(group("1", "dp", [0, 1]))
    if rank == 1:
        pgs.append(group("3", "pp", [1, 2]))
    return {"schemaVersion": 1,
            "distributedInfo": {"backend": "nccl", "rank": rank, "world_size": 3,
                                "pg_count": len(pgs), "pg_config": pgs},
            "traceEvents": events,
            "baseTimeNanoseconds": 1_700_000_000_000_000_000}


def main():
    out = os.path.join(HERE, "check", "violations")
    os.makedirs(out, exist_ok=True)
    for rank in range(3):
        with open(os.path.join(out, f"rank-{rank}.json"), "w") as f:
            json.dump(rank_trace(rank), f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
