#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the small synthetic 4-rank Kineto trace bundled with `trainscope demo`.

Job: 4 data-parallel ranks, 2 profiled steps (ProfilerStep#1, #2). Each step: 6 forward and
6 backward GEMM kernels on stream 7 (launched from the CPU thread through cudaLaunchKernel,
with correlation ids and ac2g flows), then one NCCL all_reduce of 4M floats on stream 40 in
process group "0" (recent Kineto args: Collective name, In/Out msg nelems, dtype, Process
Group Name/Description/Ranks, Seq). Rank 2 is a straggler (its kernels take 1.6x longer), so
the other ranks' all_reduce kernels start early and wait; all ranks' all_reduce kernels end at
the same true time. Rank 3's host clock runs 250 us ahead and no file has baseTimeNanoseconds,
so the reader must estimate and remove that skew from the collective end times.

Outputs: demo/rank-<r>.json (test fixtures) and src/ingest/kineto/demo_trace_data.cc (the
same bytes embedded in the binary). Deterministic; rerun after changing this script:
  python3 tests/data/kineto/make_demo_trace.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
WORLD = 4
T0 = 1_700_000_000_000_000  # epoch microseconds
SKEW_US = {3: 250.0}
SLOW = {2: 1.6}
GEMM_US = [180, 220, 150, 300, 260, 90]


def rank_trace(rank):
    pid, tid = 1000 + rank, 1000 + rank
    skew = SKEW_US.get(rank, 0.0)
    slow = SLOW.get(rank, 1.0)
    events = [
        {"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": "python3"}},
        {"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": "main"}},
        {"ph": "M", "name": "thread_name", "pid": 0, "tid": 7, "args": {"name": "stream 7"}},
        {"ph": "M", "name": "thread_name", "pid": 0, "tid": 40, "args": {"name": "stream 40"}},
    ]
    corr = 100
    ext = 1
    step_start = 0.0  # true time, us from T0
    for step in (1, 2):
        cpu = step_start + 5
        gpu = step_start + 20
        step_events = []
        for phase in ("forward", "backward"):
            for i, base in enumerate(GEMM_US):
                dur = base * slow * (2 if phase == "backward" else 1)
                op = {"ph": "X", "cat": "cpu_op", "name": f"aten::{'mm' if phase == 'forward' else 'mm_backward'}",
                      "pid": pid, "tid": tid, "ts": cpu, "dur": 12.0,
                      "args": {"External id": ext}}
                launch = {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel",
                          "pid": pid, "tid": tid, "ts": cpu + 4, "dur": 6.0,
                          "args": {"External id": ext, "correlation": corr}}
                gpu = max(gpu, cpu + 15)
                kernel = {"ph": "X", "cat": "kernel",
                          "name": f"ampere_sgemm_128x64_{phase[:2]}{i}",
                          "pid": 0, "tid": 7, "ts": gpu, "dur": dur,
                          "args": {"External id": ext, "device": 0, "stream": 7,
                                   "correlation": corr, "grid": [128, 1, 1]}}
                flow_s = {"ph": "s", "id": corr, "pid": pid, "tid": tid, "ts": cpu + 4,
                          "cat": "ac2g", "name": "ac2g"}
                flow_f = {"ph": "f", "id": corr, "pid": 0, "tid": 7, "ts": gpu,
                          "cat": "ac2g", "name": "ac2g", "bp": "e"}
                step_events += [op, launch, kernel, flow_s, flow_f]
                cpu += 20
                gpu += dur + 2
                corr += 1
                ext += 1
        # The all_reduce: every rank's kernel ends when the slowest rank's compute is done.
        slowest_compute_end = step_start + 20 + sum(GEMM_US) * 3 * max(SLOW.values()) + 24 + 40
        nelems = 4 * 1024 * 1024
        coll_args = {"Collective name": "allreduce", "In msg nelems": nelems,
                     "Out msg nelems": nelems, "Group size": WORLD, "dtype": "Float",
                     "In split size": "[]", "Out split size": "[]",
                     "Process Group Name": "0", "Process Group Description": "default_pg",
                     "Process Group Ranks": "[0, 1, 2, 3]", "Seq": step - 1}
        comm_cpu = {"ph": "X", "cat": "cpu_op", "name": "record_param_comms", "pid": pid,
                    "tid": tid, "ts": cpu, "dur": 30.0, "args": dict(coll_args, **{"External id": ext})}
        launch = {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": pid,
                  "tid": tid, "ts": cpu + 10, "dur": 8.0, "args": {"correlation": corr}}
        start = gpu + 1
        end = slowest_compute_end + 900  # 900 us of actual transfer after the last arrival
        kernel = {"ph": "X", "cat": "kernel",
                  "name": "ncclDevKernel_AllReduce_Sum_f32_RING_LL(ncclDevComm*, unsigned long, ncclWork*)",
                  "pid": 0, "tid": 40, "ts": start, "dur": end - start,
                  "args": dict(coll_args, **{"device": 0, "stream": 40, "correlation": corr})}
        step_events += [comm_cpu, launch, kernel]
        corr += 1
        ext += 1
        step_len = end - step_start + 30
        events.append({"ph": "X", "cat": "user_annotation", "name": f"ProfilerStep#{step}",
                       "pid": pid, "tid": tid, "ts": step_start, "dur": step_len,
                       "args": {"External id": ext}})
        ext += 1
        events += step_events
        step_start += step_len + 10
    for e in events:  # rank clock = true time + skew, in epoch microseconds
        if "ts" in e:
            e["ts"] = round(T0 + e["ts"] + skew, 3)
        if "dur" in e:
            e["dur"] = round(e["dur"], 3)
    return {"schemaVersion": 1,
            "distributedInfo": {"backend": "nccl", "rank": rank, "world_size": WORLD,
                                "pg_count": 1,
                                "pg_config": [{"pg_name": "0", "pg_desc": "default_pg",
                                               "backend_config": "cuda:nccl", "pg_size": WORLD,
                                               "ranks": list(range(WORLD))}]},
            "deviceProperties": [{"id": 0, "name": "NVIDIA A100-SXM4-80GB", "numSms": 108}],
            "traceEvents": events,
            "traceName": f"rank-{rank}.json"}


def to_kineto_text(trace):
    """Kineto's layout: top-level keys one per line, one event per line."""
    parts = []
    for key, value in trace.items():
        if key == "traceEvents":
            body = ",\n  ".join(json.dumps(e) for e in value)
            parts.append(f'  "traceEvents": [\n  {body}\n  ]')
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main():
    texts = []
    for rank in range(WORLD):
        text = to_kineto_text(rank_trace(rank))
        with open(os.path.join(HERE, "demo", f"rank-{rank}.json"), "w") as f:
            f.write(text)
        texts.append(text)
    lines = ["// SPDX-License-Identifier: Apache-2.0",
             "// GENERATED by tests/data/kineto/make_demo_trace.py; do not edit. The bundled",
             "// 4-rank demo trace (the same bytes as tests/data/kineto/demo/rank-*.json).",
             '#include "ingest/kineto/demo_trace.h"', "",
             "namespace trainscope::ingest::kineto {", "namespace {", ""]
    for rank, text in enumerate(texts):
        lines.append(f"constexpr char kRank{rank}[] =")
        for i in range(0, len(text), 2000):  # short literals: compilers limit literal length
            lines.append('    R"k(' + text[i:i + 2000] + ')k"')
        lines[-1] += ";"
    lines += ["", "}  // namespace", "",
              "std::vector<EmbeddedTraceFile> DemoTraceFiles() {",
              "  return {" + ", ".join(f'{{"demo/rank-{r}.json", kRank{r}, sizeof(kRank{r}) - 1}}'
                                       for r in range(WORLD)) + "};",
              "}", "", "}  // namespace trainscope::ingest::kineto", ""]
    with open(os.path.join(REPO, "src", "ingest", "kineto", "demo_trace_data.cc"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
