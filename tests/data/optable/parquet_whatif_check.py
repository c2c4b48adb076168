#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`trainscope whatif` on the artifact's Parquet op tables.

Usage: parquet_whatif_check.py TRAINSCOPE fast FIXTURE_DIR
       parquet_whatif_check.py TRAINSCOPE data SHARED_DATA_DIR WORK_DIR

fast: the error fixtures exit 3 with a message naming the file and the place.
data: for ST and AR, a folder holding only trace-X.parquet + meta-X.yaml (links made in WORK_DIR,
      in the build tree) and the .parquet file itself give the same --json as the artifact's
      folder (which reads its CSV): the slowdown exactly, and the whole document. Exits 77
      (skipped) when the shared data is absent.
"""
import json
import os
import shutil
import subprocess
import sys


def run(binary, *args):
    p = subprocess.run([binary, "whatif", *args], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def fast(binary, fixtures):
    cases = {
        "err_dict_index.parquet": "column 'optype', row group 0, page at byte 292: dictionary "
                                  "index 8 of value 4 is out of range",
        "err_zstd_codec.parquet": "compression codec ZSTD (6) is not supported",
        "null_optype.parquet": "row 3 (row group 0, row 3 in it): column 'optype': null value",
    }
    for name, expected in cases.items():
        path = os.path.join(fixtures, name)
        rc, _, err = run(binary, path)
        if rc != 3 or path not in err or expected not in err:
            sys.exit(f"whatif {path}: exit {rc} (expected 3), stderr lacks '{expected}':\n{err}")
    print("parquet error fixtures: exit 3 with file and place")


def first_difference(a, b, where="$"):
    if type(a) is not type(b):
        return where
    if isinstance(a, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{where}.{key}"
            d = first_difference(a[key], b[key], f"{where}.{key}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where} (length)"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{where}[{i}]")
            if d:
                return d
        return None
    return None if a == b else where


def data(binary, shared, work):
    for name in ("ST", "AR"):
        artifact = os.path.join(shared, "traces", f"bytedance-wia-{name}")
        parquet = os.path.join(artifact, f"trace-{name}.parquet")
        if not os.path.exists(parquet):
            print(f"shared data set absent: {parquet} (skipped)")
            sys.exit(77)
        only = os.path.join(work, f"parquet-only-{name}")
        shutil.rmtree(only, ignore_errors=True)
        os.makedirs(only)
        for f in (f"trace-{name}.parquet", f"meta-{name}.yaml"):
            os.symlink(os.path.join(artifact, f), os.path.join(only, f))
        rc, csv_out, err = run(binary, artifact, "--json")
        if rc != 0:
            sys.exit(f"whatif {artifact}: exit {rc}\n{err}")
        expected = json.loads(csv_out)
        for target in (only, os.path.join(only, f"trace-{name}.parquet")):
            rc, out, err = run(binary, target, "--json")
            if rc != 0:
                sys.exit(f"whatif {target}: exit {rc}\n{err}")
            got = json.loads(out)
            if got["slowdown"] != expected["slowdown"]:
                sys.exit(f"{name}: slowdown {got['slowdown']} from Parquet, "
                         f"{expected['slowdown']} from the CSV")
            diff = first_difference(expected, got)
            if diff:
                sys.exit(f"{name}: --json differs at {diff} ({target} vs {artifact})")
        shutil.rmtree(only)
        print(f"{name}: Parquet-only folder and file give the CSV's --json "
              f"(slowdown {expected['slowdown']})")


def main():
    binary, mode = sys.argv[1], sys.argv[2]
    if mode == "fast":
        fast(binary, sys.argv[3])
    else:
        data(binary, sys.argv[3], sys.argv[4])


if __name__ == "__main__":
    main()
