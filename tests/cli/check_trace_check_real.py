#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`trainscope trace check` on the real traces of ../shared/data/traces (ctest trace_check_real,
label data). A real profiler's trace passes or its findings are explained (docs/trace-model.md,
"Trace check"): param-dlrm-8rank and hta-nccl-pg are clean; hta-sampled-2rank is down-sampled
(kernels dropped on each rank), so the k-th NCCL kernel of a stream is not the same collective
on both ranks: 3 all-to-all / all-reduce pairs that never overlap and one step whose sequences
differ. Usage: check_trace_check_real.py TRAINSCOPE TRACES_DIR. Exit 77 (skip) without the data.
"""
import json
import os
import subprocess
import sys

EXPECTED = {
    # trace: (exit code, violations by kind (others 0), collective instances checked)
    "param-dlrm-8rank": (0, {}, 8),
    "hta-nccl-pg": (0, {}, 0),
    "hta-sampled-2rank": (3, {"collective_disjoint": 3, "collective_unmatched": 1}, 6),
}


def main():
    binary, traces = sys.argv[1], sys.argv[2]
    missing = [t for t in EXPECTED if not os.path.isdir(os.path.join(traces, t))]
    if missing:
        print(f"SKIP: shared data not found: {', '.join(os.path.join(traces, t) for t in missing)}")
        return 77
    failures = []
    for trace, (code, kinds, instances) in EXPECTED.items():
        run = subprocess.run([binary, "--json", "trace", "check", os.path.join(traces, trace)],
                             capture_output=True, text=True, check=False)
        out = json.loads(run.stdout)
        by_kind = {k: v for k, v in out["by_kind"].items() if v}
        print(f"{trace}: exit {run.returncode}, {out['violations']} violation(s) {by_kind}, "
              f"coverage {out['coverage']}")
        if run.returncode != code:
            failures.append(f"{trace}: exit {run.returncode}, expected {code}: {run.stderr}")
        if by_kind != kinds:
            failures.append(f"{trace}: violations {by_kind}, expected {kinds}")
        if out["coverage"]["collective_instances"] != instances:
            failures.append(f"{trace}: {out['coverage']['collective_instances']} instances "
                            f"checked, expected {instances}")
        if out["violations"] != sum(kinds.values()) or len(out["examples"]) != sum(kinds.values()):
            failures.append(f"{trace}: totals or examples disagree with by_kind")
    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
