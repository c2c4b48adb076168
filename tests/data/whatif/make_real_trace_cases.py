#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Makes the what-if cases of issue 17 from the real DLRM traces (param-dlrm-8rank).

Usage: make_real_trace_cases.py DLRM_DIR OUT_DIR

Writes one folder per case under OUT_DIR (gzip'd Kineto JSON, one file per rank):
  slow_rank_1.6/  rank 5's compute kernels stretched 1.6x; its later GPU ops move with them and
                  every collective ends when its last member arrives (the others wait for it)
  slow_rank_1.3/  the same at 1.3x
  corrupt_kernel/ one kernel of rank 2 with dur = 1e12 us (a corrupt profiler record)
  extra_json/     the 8 rank files plus a config.json and a results.json that are not traces
The stretch follows the NCCL semantics the analysis assumes and no more: per rank, a running
shift moves every later GPU op; the k-th NCCL kernel of every rank is one collective, which ends
at the latest member start + its own transfer time (original end - latest original start).
"""
import glob
import gzip
import json
import os
import sys

GPU_CATS = {"kernel", "gpu_memcpy", "gpu_memset"}


def load(path):
    with gzip.open(path, "rt") as f:
        return json.load(f)


def save(doc, path):
    with gzip.open(path, "wt") as f:
        json.dump(doc, f)


def is_nccl(e):
    return e.get("cat") == "kernel" and e.get("name", "").startswith(("ncclKernel", "ncclDevKernel"))


def stretch(docs, slow_rank, factor):
    """Stretches compute kernels of docs[slow_rank] by `factor` (see the module doc)."""
    gpu = [sorted((e for e in d["traceEvents"] if e.get("ph") == "X" and e.get("cat") in GPU_CATS),
                  key=lambda e: e["ts"]) for d in docs]
    nccl = [[e for e in ops if is_nccl(e)] for ops in gpu]
    instances = min(len(n) for n in nccl)
    pos = [0] * len(docs)
    shift = [0.0] * len(docs)

    def advance(rank, until_event):
        # Moves rank's ops before `until_event` (None: all) by its running shift.
        ops = gpu[rank]
        while pos[rank] < len(ops) and ops[pos[rank]] is not until_event:
            e = ops[pos[rank]]
            e["ts"] += shift[rank]
            if rank == slow_rank and e["cat"] == "kernel" and not is_nccl(e):
                extra = e["dur"] * (factor - 1)
                e["dur"] += extra
                shift[rank] += extra
            pos[rank] += 1

    for k in range(instances):
        members = [nccl[r][k] for r in range(len(docs))]
        for r, e in enumerate(members):
            advance(r, e)
        latest_orig = max(e["ts"] for e in members)
        new_starts = [e["ts"] + shift[r] for r, e in enumerate(members)]
        latest_new = max(new_starts)
        for r, e in enumerate(members):
            transfer = e["ts"] + e["dur"] - latest_orig
            new_end = latest_new + max(transfer, 0)
            old_end = e["ts"] + e["dur"]
            e["ts"] = new_starts[r]
            e["dur"] = new_end - new_starts[r]
            shift[r] = new_end - old_end
            pos[r] += 1
    for r in range(len(docs)):
        advance(r, None)


def main():
    src, out = sys.argv[1:3]
    files = sorted(glob.glob(os.path.join(src, "*.pt.trace.json.gz")))
    if len(files) != 8:
        sys.exit(f"{src}: expected the 8 DLRM rank files, found {len(files)}")
    for name, factor in (("slow_rank_1.6", 1.6), ("slow_rank_1.3", 1.3)):
        docs = [load(f) for f in files]
        stretch(docs, 5, factor)
        os.makedirs(os.path.join(out, name), exist_ok=True)
        for f, d in zip(files, docs):
            save(d, os.path.join(out, name, os.path.basename(f)))
    docs = [load(f) for f in files]
    kernels = [e for e in docs[2]["traceEvents"] if e.get("cat") == "kernel" and not is_nccl(e)]
    kernels[len(kernels) // 2]["dur"] = 1e12
    os.makedirs(os.path.join(out, "corrupt_kernel"), exist_ok=True)
    for f, d in zip(files, docs):
        save(d, os.path.join(out, "corrupt_kernel", os.path.basename(f)))
    extra = os.path.join(out, "extra_json")
    os.makedirs(extra, exist_ok=True)
    for f in files:
        dst = os.path.join(extra, os.path.basename(f))
        if not os.path.exists(dst):
            os.symlink(os.path.abspath(f), dst)
    with open(os.path.join(extra, "config.json"), "w") as f:
        json.dump({"model": "dlrm", "batch_size": 128}, f)
    with open(os.path.join(extra, "results.json"), "w") as f:
        json.dump([{"step": 12, "loss": 0.5}], f)
    print(f"cases written to {out}")


if __name__ == "__main__":
    main()
