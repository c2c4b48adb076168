#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Golden test of `trainscope demo --json` (fixed seed).

Two kinds of checks:
1. Ground truth of the injection (independent of any golden number): the straggler injected on
   rank 13 (compute x1.3) must be named as a slow worker with rank 13 in the evidence; the NIC
   fault injected on node0005 must be the only faulty machine; S must show straggling (>= 1.1).
2. Regression against expected.json with stated tolerances: S and waste within 3% relative,
   plan step time and MFU within 1% (the predictor is deterministic; 1% leaves room for libm).

Usage: check_demo_json.py TRAINSCOPE_BIN OUT_DIR EXPECTED_JSON
"""
import json
import subprocess
import sys


def main():
    binary, out_dir, expected_path = sys.argv[1:4]
    run = subprocess.run([binary, "--json", "demo", "--seed", "2026", "--steps", "40", "--out",
                          out_dir], capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        print(f"FAIL: demo exited {run.returncode}\n{run.stderr}")
        return 1
    got = json.loads(run.stdout)
    with open(expected_path) as f:
        want = json.load(f)
    errors = []

    def close(name, value, ref, rel):
        if value is None or abs(value - ref) > rel * abs(ref):
            errors.append(f"{name} = {value}, expected {ref} within {rel:.0%}")

    # 1. Injected ground truth.
    cause = got.get("cause", {})
    if cause.get("pattern") != "one_slow_worker":
        errors.append(f"cause pattern {cause.get('pattern')}, expected one_slow_worker")
    if not any("rank 13" in e for e in cause.get("evidence", [])):
        errors.append("cause evidence does not name rank 13 (the injected straggler)")
    if got.get("faulty_machines") != ["node0005"]:
        errors.append(f"faulty machines {got.get('faulty_machines')}, expected ['node0005']")
    if not got.get("straggling"):
        errors.append("job not flagged as straggling")
    # 2. Regression with tolerances.
    close("slowdown", got.get("slowdown"), want["slowdown"], 0.03)
    close("waste_fraction", got.get("waste_fraction"), want["waste_fraction"], 0.03)
    plan = got.get("plan", {})
    close("plan.step_time_s", plan.get("step_time_s"), want["plan_step_time_s"], 0.01)
    close("plan.mfu", plan.get("mfu"), want["plan_mfu"], 0.01)
    alerts = got.get("alerts", [])
    if not alerts or alerts[0].get("metric") != want["alert_metric"]:
        errors.append(f"first alert {alerts[:1]}, expected metric {want['alert_metric']}")
    for e in errors:
        print("FAIL:", e)
    print(f"demo: S {got.get('slowdown'):.4f}, cause {cause.get('pattern')}, "
          f"faulty {got.get('faulty_machines')}, plan step {plan.get('step_time_s'):.3f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
