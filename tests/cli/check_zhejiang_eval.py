#!/usr/bin/env python3
"""Issue 15 floors on real telemetry: `minder eval --zhejiang` on the Zhejiang A100 RoCE hour.

Usage: check_zhejiang_eval.py TRAINSCOPE ROCE_CSV_GZ MODELS_DIR
Skips (exit 0 with a message) when the shared data is absent. Floors (issue 15): on the
lock-step population every NIC collapse, half-rate and unreachable fault is found within two
calls and at least 80 % of one-NIC-down faults; on the mixed-role population at least 75 % of
collapse and half-rate faults; no false alert in any trial and none in the untouched hour.
"""
import json
import os
import subprocess
import sys

binary, data, models = sys.argv[1:4]
if not os.path.exists(data):
    print(f"SKIP: {data} absent (the shared real data is not on this machine)")
    sys.exit(0)
out = subprocess.run([binary, "--json", "minder", "eval", "--zhejiang", data, "--seeds", "3", "--models", models],
                     capture_output=True, text=True, check=True).stdout
report = json.loads(out)
pops = {p["name"]: p for p in report["populations"]}
failures = []
for name in ("lock-step", "mixed-role"):
    if name not in pops:
        failures.append(f"population {name} not found by the tool")
        continue
    m = pops[name]["methods"]["minder"]
    def share(t):
        return m[t]["found"] / max(1, m[t]["faults"])
    if name == "lock-step":
        for t in ("nic_collapse", "half_rate", "unreachable"):
            if share(t) < 1.0:
                failures.append(f"{name} {t}: {m[t]['found']}/{m[t]['faults']}")
        if share("one_nic_down") < 0.8:
            failures.append(f"{name} one_nic_down: {m['one_nic_down']['found']}/{m['one_nic_down']['faults']}")
    else:
        for t in ("nic_collapse", "half_rate"):
            if share(t) < 0.75:
                failures.append(f"{name} {t}: {m[t]['found']}/{m[t]['faults']}")
    wrong = sum(m[t]["false_alerts"] for t in m if isinstance(m[t], dict))
    if wrong or m["healthy_alerts"]:
        failures.append(f"{name}: {wrong} false alerts in trials, {m['healthy_alerts']} in the healthy hour")
    print(name, pops[name]["machines"], "machines:",
          {t: f"{m[t]['found']}/{m[t]['faults']}" for t in m if isinstance(m[t], dict)})
if failures:
    print("FAIL:", "; ".join(failures))
    sys.exit(1)
print("zhejiang floors met")
