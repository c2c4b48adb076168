#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes role_label_query_range.json.gz: a Prometheus query_range answer as dcgm-exporter series
carry it, with a `role` label set by the job (`minder detect --group-label role`).

18 machines (node-0..node-17) in 3 pipeline roles of 6 (stage0: node-0..5, stage1: node-6..11,
stage2: node-12..17), 2 GPUs each, 600 s at 1 s. Each role runs at its own level (GPU util
~90/60/30 %, power ~600/420/250 W) with the role's own iteration rhythm; node-7 (stage1) stalls
from t0+250 s to t0+550 s (util ~0 %, power at idle). Deterministic (seeded).
6 per role, not 3: in a group of 3 the stalled machine is as far from each peer as the peers'
median distance allows, and its score stays near 1.7, below the calibrated threshold 6.
Run: python3 make_role_label.py  (writes next to this script)."""
import gzip
import json
import math
import os
import random

T0 = 1717200000
SECONDS = 600
ROLES = {"stage0": (90.0, 600.0, 7.0), "stage1": (60.0, 420.0, 11.0), "stage2": (30.0, 250.0, 13.0)}
STALLED, STALL_FROM, STALL_TO = "node-7", 250, 550
PER_ROLE = 6


def main():
    rng = random.Random(15)
    result = []
    for m in range(PER_ROLE * len(ROLES)):
        host = f"node-{m}"
        role = list(ROLES)[m // PER_ROLE]
        util_level, power_level, period = ROLES[role]
        for gpu in range(2):
            util, power = [], []
            for s in range(SECONDS):
                rhythm = math.sin(2 * math.pi * s / period)  # the role's iterations, in lock-step
                u = util_level * (1 + 0.08 * rhythm) + rng.gauss(0, 1.0)
                p = power_level * (1 + 0.05 * rhythm) + rng.gauss(0, 4.0)
                if host == STALLED and STALL_FROM <= s < STALL_TO:
                    u = abs(rng.gauss(0, 0.3))
                    p = 80 + rng.gauss(0, 1.0)
                util.append([T0 + s, f"{max(0.0, min(100.0, u)):.2f}"])
                power.append([T0 + s, f"{p:.1f}"])
            for name, values in (("DCGM_FI_DEV_GPU_UTIL", util), ("DCGM_FI_DEV_POWER_USAGE", power)):
                labels = {"__name__": name, "Hostname": host, "gpu": str(gpu), "UUID": f"GPU-{m:02d}{gpu}",
                          "device": f"nvidia{gpu}", "job": "dcgm", "role": role}
                result.append({"metric": labels, "values": values})
    doc = {"status": "success", "data": {"resultType": "matrix", "result": result}}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "role_label_query_range.json.gz")
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(json.dumps(doc, separators=(",", ":")).encode())


if __name__ == "__main__":
    main()
