#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes nic_fault.csv.gz: 6 machines x 2 RoCE NICs, 600 s lock-step traffic (7 s iteration,
30 % all-reduce at ~20 GB/s), integer MB/s with Gaussian noise; NIC ens18np0 of node-3 carries
nothing from second 200 to 560 (its other NIC keeps going). Deterministic (random.seed(7))."""
import gzip
import random

random.seed(7)
rows = ["timestamp,machine,nic,rdma_tx_MBps"]
for t in range(600):
    base = 20000 if (t % 7) < 2.1 else 500
    for m in range(6):
        for nic in ("ens11np0", "ens18np0"):
            v = base + random.gauss(0, 300)
            if m == 3 and nic == "ens18np0" and 200 <= t < 560:
                v = abs(random.gauss(5, 1))
            rows.append(f"{1716480000 + t},node-{m},{nic},{round(v)}")
with gzip.GzipFile("nic_fault.csv.gz", "wb", mtime=0) as f:
    f.write(("\n".join(rows) + "\n").encode())
