#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The what-if verdicts of issue 17 on real traces and cases made from them (ctest
whatif_real_trace_cases, label data).

Usage: check_real_trace_cases.py TRAINSCOPE SHARED_TRACES_DIR WORK_DIR
Builds the DLRM-derived cases with make_real_trace_cases.py and op-table meta variants of AR,
then checks each verdict and its evidence. Exits 77 (skip) when the shared traces are absent.
"""
import json
import os
import subprocess
import sys

BIN, TRACES, WORK = sys.argv[1:4]
HERE = os.path.dirname(os.path.abspath(__file__))
DLRM = os.path.join(TRACES, "param-dlrm-8rank")
AR = os.path.join(TRACES, "bytedance-wia-AR")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def whatif(path, *flags):
    p = subprocess.run([BIN, "--json", *flags, "whatif", path], capture_output=True, text=True)
    doc = json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else None
    return p.returncode, doc, p.stderr


def names(doc):
    return [d["name"] for d in doc["diagnostics"]]


def also(doc):
    return {a["pattern"]: a["evidence"] for a in doc["cause"]["also"]}


if not os.path.isdir(DLRM) or not os.path.isdir(AR):
    print(f"skip: {DLRM} or {AR} absent")
    sys.exit(77)
cases = os.path.join(WORK, "cases")
subprocess.run([sys.executable, os.path.join(HERE, "make_real_trace_cases.py"), DLRM, cases],
               check=True, capture_output=True)

# DLRM as traced: host-bound; the ranks' late entry is start skew, not a rank's fault; one step
# cannot show persistence; uneven work of ranks 1 and 3 is named; nothing near S = 1 is explained.
rc, d, err = whatif(DLRM)
check(rc == 0, f"dlrm exit {rc}: {err}")
if d:
    c = d["cause"]
    check(c["pattern"] == "host_bound", f"dlrm pattern {c['pattern']}")
    check("launch slowdown" not in c["evidence"], "dlrm: 'launch' used for host time")
    for needle in ("data loading", "copy_batch_to_gpu", "blocking syncs", "cudaStreamSynchronize",
                   "Python / framework"):
        check(needle in c["evidence"], f"dlrm host evidence lacks {needle!r}")
    check(c["persistence"] == "unknown" and not c["persistent"], "dlrm: persistence from 1 step")
    skew = also(d).get("start_skew", "")
    check("7.5" in skew and "no rank is blamed" in skew, f"dlrm start skew: {skew!r}")
    check(abs(c["metrics"]["max_entry_skew_s"] - 0.0075) < 0.0005, "dlrm entry skew ~7.5 ms")
    imbalance = also(d).get("work_imbalance", "")
    check("rank 1 " in imbalance and "rank 3 " in imbalance, f"dlrm imbalance: {imbalance!r}")
    check(not d["m_w"]["meaningful"] and d["m_w"]["rem"] is None, "dlrm: M_W near S = 1")
    check(d["waste_fraction"] >= 0, "dlrm waste")

# hta-nccl-pg: S near 1 gives no negative waste.
rc, d, err = whatif(os.path.join(TRACES, "hta-nccl-pg"))
check(rc == 0 and d["waste_fraction"] >= 0 and d["wasted_gpu_hours"] >= 0, "hta-nccl-pg waste")

# One rank's compute stretched 1.6x and 1.3x, collectives waiting for it: the main cause.
for case in ("slow_rank_1.6", "slow_rank_1.3"):
    rc, d, err = whatif(os.path.join(cases, case))
    check(rc == 0, f"{case} exit {rc}: {err}")
    if d:
        c = d["cause"]
        check(c["pattern"] == "one_slow_worker", f"{case}: pattern {c['pattern']}")
        check(c["evidence"].startswith("rank 5 "), f"{case}: evidence {c['evidence'][:80]!r}")
        check("host_bound" in also(d), f"{case}: host_bound kept as a secondary finding")

# A corrupt kernel (1e12 us) is reported with file, rank and event and left out.
rc, d, err = whatif(os.path.join(cases, "corrupt_kernel"))
check(rc == 0, f"corrupt exit {rc}: {err}")
if d:
    diag = [x for x in d["diagnostics"] if x["name"] == "implausible_duration"]
    check(len(diag) == 1 and "worker2" in diag[0]["source"] and "rank 2" in
          diag[0]["first_location"], f"corrupt diagnostic {diag}")
    check(d["slowdown"] < 1.1 and min(s["slowdown"] for s in d["steps"]) > 0.5,
          f"corrupt: S {d['slowdown']}")
    check(d["wasted_gpu_hours"] < 0.01, f"corrupt: {d['wasted_gpu_hours']} GPU-hours")
rc, _, _ = whatif(os.path.join(cases, "corrupt_kernel"), "--strict")
check(rc == 3, f"corrupt --strict exit {rc}")

# Files in a trace folder that are not traces are skipped and named.
rc, d, err = whatif(os.path.join(cases, "extra_json"))
check(rc == 0, f"extra_json exit {rc}: {err}")
if d:
    check(names(d).count("not_a_trace_file") == 2, f"extra_json diagnostics {names(d)}")
    check(d["cause"]["pattern"] == "host_bound", "extra_json verdict")

# Op-table meta: a thin meta or one that contradicts the rows gives the rows' world, says so,
# and fails under --strict; an unknown key is an error naming the line.
meta_cases = {"thin": "trial_name: AR\n",
              "contradicting": "trial_name: AR\ndp_size: 2\npp_size: 4\ntp_size: 4\nworld_size: 32\n",
              "misspelled": "trial_name: AR\nworld_sise: 64\n"}
for name, meta in meta_cases.items():
    folder = os.path.join(WORK, "meta_" + name)
    os.makedirs(folder, exist_ok=True)
    link = os.path.join(folder, "trace-AR.csv.gz")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(os.path.abspath(os.path.join(AR, "trace-AR.csv.gz")), link)
    with open(os.path.join(folder, "meta-AR.yaml"), "w") as f:
        f.write(meta)
    rc, d, err = whatif(folder)
    if name == "misspelled":
        check(rc == 3 and "meta-AR.yaml:2" in err and "world_sise" in err,
              f"misspelled meta: exit {rc}: {err}")
        continue
    check(rc == 0, f"{name} meta exit {rc}: {err}")
    if d:
        check(d["job"]["world_size"] == 64 and d["job"]["gpus"] == 64, f"{name}: world "
                                                                       f"{d['job']['world_size']}")
        want = "world_size_from_rows" if name == "thin" else "meta_contradicts_rows"
        check(want in names(d), f"{name}: diagnostics {names(d)}")
    rc, _, _ = whatif(folder, "--strict")
    check(rc == 3, f"{name} meta --strict exit {rc}")

for f in failures:
    print("FAIL", f)
print(f"real-trace what-if cases: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
