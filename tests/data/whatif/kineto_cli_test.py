#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`trainscope whatif` on Kineto input (ctest whatif_kineto_cli, label fast).

Usage: kineto_cli_test.py TRAINSCOPE TESTS_DATA_WHATIF_DIR WORK_DIR
Uses the hand-made fixtures of make_kineto_fixtures.py; expected numbers are the hand-computed
ones of tests/data/whatif/kineto_whatif_test.cc (S = 50/45, rank 1 alone 52.5/45).
"""
import json
import os
import subprocess
import sys

BIN, DATA, WORK = sys.argv[1:4]
failures = []


def run(*args):
    p = subprocess.run([BIN, "whatif", *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    if not cond:
        failures.append(what)


os.makedirs(WORK, exist_ok=True)
perfetto = os.path.join(WORK, "kineto_perfetto.json")
rc, out, err = run("--json", os.path.join(DATA, "kineto_2rank"), "--perfetto", perfetto)
check(rc == 0, f"--json exit {rc}: {err}")
doc = json.loads(out, object_pairs_hook=lambda pairs: pairs)  # keeps the key order
keys = [k for k, _ in doc]
check(keys[:6] == ["slowdown", "waste_fraction", "wasted_gpu_hours", "straggling",
                   "simulation_error", "cause"], f"top-level key order {keys[:6]}")
d = json.loads(out)
check(abs(d["slowdown"] - 50 / 45) < 1e-9, f"S {d['slowdown']}")
check(d["verdict"] == ("straggling" if d["straggling"] else "not_straggling"), f"verdict {d.get('verdict')}")
check(d["straggling"] is True, "straggling")
check(d["input"] == "kineto", "input")
check(d["simulation_error"]["max"] == 0, "simulation error")
check(d["cause"]["pattern"] == "one_slow_worker" and "rank 1" in d["cause"]["evidence"],
      f"cause {d['cause']}")
check(abs(d["by_rank"]["1"] - 52.5 / 45) < 1e-9, f"rank 1 alone {d['by_rank']}")
check(abs(d["by_op_class"]["compute"] - 50 / 45) < 1e-9, f"compute {d['by_op_class']}")

trace = json.load(open(perfetto))["traceEvents"]
names = {e["args"]["name"] for e in trace if e.get("name") == "process_name"}
check(names == {"actual rank 0", "actual rank 1", "ideal rank 0", "ideal rank 1"}, f"{names}")
slices = [e for e in trace if e.get("ph") == "X"]
check(len(slices) == 16, f"{len(slices)} slices, expected 2 x 8 ops")
flagged = [e for e in slices if e["args"].get("straggling")]
# Only rank 1's first gemm_a (20 us vs ideal 12.5 us) is >= 1.1x its ideal.
check(len(flagged) == 1 and flagged[0]["name"] == "gemm_a" and flagged[0]["dur"] == 20,
      f"straggling flags {flagged}")
flows = [e for e in trace if e.get("ph") in ("s", "f")]
check(len(flows) == 2, f"{len(flows)} flow events, expected one collective of 2 members")

rc, out, err = run(os.path.join(DATA, "kineto_absent"))
check(rc == 0 and "absent ranks        2 " in out, f"absent rank text: {rc} {out}")
rc, out, err = run(os.path.join(DATA, "kineto_mismatch"))
check(rc == 0 and "collective_mismatch" in out, f"mismatch note: {rc} {out}")
rc, out, err = run("--strict", os.path.join(DATA, "kineto_mismatch"))
check(rc == 3 and "--strict" in err, f"--strict on data loss: {rc} {err}")
rc, out, err = run("--json", "--scale", "comm=0", "--fix-rank", "1",
                   os.path.join(DATA, "kineto_2rank"))
sc = json.loads(out)["scenarios"] if rc == 0 else []
check(len(sc) == 2 and abs(sc[0]["speedup"] - 1.25) < 1e-9 and abs(sc[1]["speedup"] - 50 / 45) < 1e-9,
      f"scenarios on Kineto: {rc} {sc} {err}")
rc, out, err = run("--scale", "memcpy=2", os.path.join(DATA, "kineto_2rank"))
check(rc == 3 and "no op of class 'memcpy'" in err, f"unknown class: {rc} {err}")
truncated = os.path.join(WORK, "truncated_rank0.json")
with open(os.path.join(DATA, "kineto_2rank", "rank0.json")) as f:
    text = f.read()
with open(truncated, "w") as f:
    f.write(text[: len(text) // 2])
rc, out, err = run(truncated)
check(rc == 3 and "truncated_rank0.json" in err, f"truncated file: {rc} {err}")

# A trace whose reader drops over 10% of its events (negative "dur": malformed_event) replays a
# job other than the one traced: inconclusive (exit 5) naming the loss, no straggling verdict.
lossy = os.path.join(WORK, "lossy_2rank")
os.makedirs(lossy, exist_ok=True)
for name in ("rank0.json", "rank1.json"):
    with open(os.path.join(DATA, "kineto_2rank", name)) as f:
        trace = json.load(f)
    if name == "rank0.json":
        for e in trace["traceEvents"]:
            if e.get("cat") == "cuda_runtime":
                e["dur"] = -1
    with open(os.path.join(lossy, name), "w") as f:
        json.dump(trace, f)
rc, out, err = run("--json", lossy)
d = json.loads(out) if out else {}
check(rc == 5 and d.get("verdict") == "inconclusive" and d.get("straggling") is False
      and "dropped 6 of 22 events" in d.get("inconclusive_reason", ""),
      f"lossy trace: {rc} {d.get('verdict')} {d.get('inconclusive_reason')} {err}")

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
