#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Golden test of `trainscope whatif --json` against the OSDI'25 artifact's expected outputs.

Usage: golden_check.py TRAINSCOPE DATASET_DIR NAME. Compares every value of result-NAME.json
(step times, launch/straggler slowdowns per job and per step, attribution by op type, stage and
DP rank, overall and per step) and of ms-NAME.json / mw-NAME.json within 1% relative. Exits 77
(skipped) when the data set is absent, 1 on any mismatch.
"""
import json
import os
import subprocess
import sys

REL_TOL = 0.01


def main() -> int:
    binary, data_dir, name = sys.argv[1:4]
    if not os.path.isdir(data_dir):
        print(f"shared data set absent: {data_dir} (skipped)")
        return 77
    out = subprocess.run([binary, "whatif", data_dir, "--json"], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print(out.stderr)
        return 1
    ours = json.loads(out.stdout)
    head = ["slowdown", "waste_fraction", "wasted_gpu_hours", "straggling", "simulation_error", "cause"]
    if list(ours)[:len(head)] != head:
        print(f"--json top-level keys start {list(ours)[:len(head)]}, expected {head}")
        return 1
    if set(ours["cause"]) < {"pattern", "evidence"}:
        print("cause lacks pattern/evidence")
        return 1
    with open(os.path.join(data_dir, f"result-{name}.json")) as f:
        ref = json.load(f)
    checks = []  # (what, ours, reference)
    steps = {str(s["step"]): s for s in ours["steps"]}
    for step, v in ref["step_t_base"].items():
        checks.append((f"step_t_base[{step}]", steps[step]["measured_s"], v))
    for step, v in ref["step_t_nodelay"].items():
        checks.append((f"step_t_nodelay[{step}]", steps[step]["no_delay_s"], v))
    for step, v in ref["step_t_noblk"].items():
        checks.append((f"step_t_noblk[{step}]", steps[step]["ideal_s"], v))
    checks.append(("launch_slowdown", ours["launch_slowdown"], ref["launch_slowdown"]))
    checks.append(("blocking_slowdown (S)", ours["slowdown"], ref["blocking_slowdown"]))
    for step, v in ref["blocking_step_slowdown"].items():
        checks.append((f"blocking_step_slowdown[{step}]", steps[step]["slowdown"], v))
    for step, v in ref["launch_step_slowdown"].items():
        checks.append((f"launch_step_slowdown[{step}]", steps[step]["launch_slowdown"], v))
    for dim, key in (("dp_rank", "by_dp_rank"), ("stage", "by_stage"), ("optype", "by_optype")):
        for label, v in ref[f"blocking_decompose_by_{dim}"].items():
            checks.append((f"{key}[{label}]", ours[key].get(label), v))
        for step, row in ref[f"blocking_decompose_by_{dim}_per_step"].items():
            for label, v in row.items():
                checks.append((f"{key}_per_step[{step}][{label}]", ours[f"{key}_per_step"][step].get(label), v))
    for metric, key in (("ms", "m_s"), ("mw", "m_w")):
        with open(os.path.join(data_dir, f"{metric}-{name}.json")) as f:
            mref = json.load(f)
        m = ours[key]
        for field, ours_field in (("trem", "t_rem_s"), ("tadd", "t_add_s"), ("tori", "t_ori_s"),
                                  ("tideal", "t_ideal_s"), ("rem", "rem"), ("add", "add")):
            checks.append((f"{metric}.{field}", m[ours_field], mref[field]))
    failures = 0
    worst = (0.0, "")
    for what, got, want in checks:
        if got is None:
            print(f"MISSING {what}: reference {want}")
            failures += 1
            continue
        rel = abs(got - want) / abs(want) if want != 0 else abs(got)
        if rel > worst[0]:
            worst = (rel, what)
        if rel > REL_TOL:
            print(f"MISMATCH {what}: ours {got:.6g}, artifact {want:.6g} ({rel * 100:.3f}%)")
            failures += 1
    print(f"{name}: {len(checks)} values checked, {failures} outside {REL_TOL * 100:.0f}%; "
          f"worst {worst[0] * 100:.4f}% ({worst[1]})")
    print(f"{name}: S ours {ours['slowdown']:.4f} vs artifact {ref['blocking_slowdown']:.4f}; "
          f"M_S {ours['m_s']['rem']:.4f}; M_W {ours['m_w']['rem']:.4f}; cause {ours['cause']['pattern']}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
