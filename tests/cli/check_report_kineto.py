#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`trainscope report --trace` on Kineto traces (ctest report_kineto_cli, label fast).

Usage: check_report_kineto.py TRAINSCOPE TRACE_DIR... WORK_DIR
For each Kineto trace folder: the report exits 0, writes report.html with the what-if section,
its by-rank and by-op-class charts and the Perfetto timeline, and its verdict equals
`trainscope whatif --json` on the same folder (one pipeline, one number). A folder that does not
exist is skipped with a message (the shared data is optional).
"""
import json
import os
import subprocess
import sys

BIN, *TRACES, WORK = sys.argv[1:]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


ran = 0
for trace in TRACES:
    if not os.path.isdir(trace):
        print(f"skip {trace}: not present")
        continue
    ran += 1
    name = os.path.basename(trace.rstrip("/"))
    out = os.path.join(WORK, "report-" + name)
    p = subprocess.run([BIN, "--json", "report", "--trace", trace, "--out", out],
                       capture_output=True, text=True)
    check(p.returncode == 0, f"{name}: report exit {p.returncode}: {p.stderr}")
    if p.returncode != 0:
        continue
    doc = json.loads(p.stdout)
    w = subprocess.run([BIN, "--json", "whatif", trace], capture_output=True, text=True)
    check(w.returncode == 0, f"{name}: whatif exit {w.returncode}: {w.stderr}")
    wdoc = json.loads(w.stdout)
    check(doc["slowdown"] == wdoc["slowdown"], f"{name}: report S {doc['slowdown']} vs whatif "
                                               f"{wdoc['slowdown']}")
    check(doc["cause"]["pattern"] == wdoc["cause"]["pattern"], f"{name}: cause differs")
    html = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    for needle in ['id="stragglers"', 'id="by-op-type"', 'id="by-rank"', 'id="per-step-slowdown"',
                   "whatif.perfetto.json"]:
        check(needle in html, f"{name}: report.html lacks {needle}")
    trace_json = json.load(open(os.path.join(out, "whatif.perfetto.json")))
    check(any(e.get("ph") == "X" for e in trace_json["traceEvents"]), f"{name}: empty timeline")

for f in failures:
    print("FAIL", f)
print(f"report on Kineto input: {ran} trace set(s), {len(failures)} failure(s)")
sys.exit(1 if failures else (0 if ran else 77))
