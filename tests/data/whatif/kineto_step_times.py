#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Measured step times of a Kineto job, computed independently of trainscope (plain json/gzip).

For every ProfilerStep#N traced by all rank files of the folder: start = the earliest
ProfilerStep#N start over the ranks, end = the latest end of a GPU op (cat kernel, gpu_memcpy,
gpu_memset) whose CPU launch (the cuda_runtime/cuda_driver event with the same args.correlation)
starts inside that rank's ProfilerStep#N span (ops without a launch: their own start). Prints
`N step_time_us gpu_ops` per step. The expected values in tests/data/whatif/kineto_whatif_data_test.cc come
from this script:  python3 tests/data/whatif/kineto_step_times.py ../shared/data/traces/<set>
"""
import glob
import gzip
import json
import sys

GPU = {"kernel", "gpu_memcpy", "gpu_memset"}


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)["traceEvents"]


def main(folder):
    ranks = [load(p) for p in sorted(glob.glob(folder + "/*.json*"))]
    per_rank = []
    for events in ranks:
        steps = {}
        for e in events:
            if e.get("ph") == "X" and str(e.get("name", "")).startswith("ProfilerStep#"):
                steps.setdefault(int(e["name"].split("#")[1]), (float(e["ts"]), float(e["dur"])))
        launch = {}
        for e in events:
            if e.get("cat") in ("cuda_runtime", "cuda_driver") and "correlation" in e.get("args", {}):
                launch[e["args"]["correlation"]] = float(e["ts"])
        ends = {}
        for e in events:
            if e.get("ph") != "X" or e.get("cat") not in GPU:
                continue
            t = launch.get(e.get("args", {}).get("correlation"), float(e["ts"]))
            for n, (ts, dur) in steps.items():
                if ts <= t < ts + dur:
                    end, count = ends.get(n, (0.0, 0))
                    ends[n] = (max(end, float(e["ts"]) + float(e["dur"])), count + 1)
        per_rank.append((steps, ends))
    common = set.intersection(*(set(s) for s, _ in per_rank))
    for n in sorted(common):
        start = min(s[n][0] for s, _ in per_rank)
        end = max(e[n][0] for _, e in per_rank if n in e)
        ops = sum(e[n][1] for _, e in per_rank if n in e)
        print(f"{n} {end - start:.3f} {ops}")


if __name__ == "__main__":
    main(sys.argv[1])
