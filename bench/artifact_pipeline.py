#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Times trainscope's what-if analysis against the authors' own pipeline on the same op table.

The baseline is the OSDI'25 artifact (github.com/ByteDance-Seed/StragglerAnalysis) run as its
run_all.sh runs it: analyzer/wia.py (slowdown, attribution), then compute_ms.py and compute_mw.py
(M_S, M_W), three Python processes. trainscope does all of it in one `trainscope whatif DIR --json`
process. Both are timed as whole processes, alternately (A B A B ...), and the ratio is taken pair
by pair so machine drift cancels; the median pair ratio is the figure (issue 17: >= 50x on AR).

Needs a checkout of the artifact (--artifact or $TS_WIA_ARTIFACT) and a Python with pandas, numpy,
scipy and yaml (Debian: python3-pandas python3-scipy python3-yaml); prints why and exits 0 when
either is missing. Parquet goes through pickle (bench/artifact_shims: Debian has no pyarrow), which
favours the baseline. Before timing, the artifact's slowdown is checked against trainscope's.

  bench/artifact_pipeline.py --trainscope build/release/trainscope \
      --traces ../shared/data/traces/bytedance-wia-AR --artifact ~/src/StragglerAnalysis
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NEEDED_MODULES = ("pandas", "numpy", "scipy", "yaml")


def skip(reason):
    print(f"artifact_pipeline: skipped: {reason}")
    sys.exit(0)


def find_python(explicit):
    candidates = [explicit] if explicit else ["/usr/bin/python3", sys.executable, "python3"]
    probe = "import " + ", ".join(NEEDED_MODULES)
    for python in candidates:
        if python and shutil.which(python) and subprocess.run(
                [python, "-c", probe], capture_output=True).returncode == 0:
            return python
    skip(f"no Python with {', '.join(NEEDED_MODULES)} among {candidates}")


def trial_of(traces):
    metas = [f for f in os.listdir(traces) if f.startswith("meta-") and f.endswith(".yaml")]
    if len(metas) != 1:
        sys.exit(f"artifact_pipeline: {traces}: expected one meta-<trial>.yaml, found {metas}")
    return metas[0][len("meta-"):-len(".yaml")]


def prepare_input(python, traces, trial, work):
    """The op table as the pickle the shimmed read_parquet loads (untimed)."""
    csv = os.path.join(traces, f"trace-{trial}.csv.gz")
    if not os.path.exists(csv):
        csv = csv[:-len(".gz")]
    if not os.path.exists(csv):
        skip(f"{csv}[.gz] is missing (the shim reads the CSV copy, as Debian has no pyarrow)")
    out = os.path.join(work, f"trace-{trial}.pkl")
    code = ("import pandas as pd, sys; df = pd.read_csv(sys.argv[1]); "
            "df['optype'] = df['optype'].astype('category'); df.to_pickle(sys.argv[2])")
    subprocess.run([python, "-c", code, csv, out], check=True)
    return out


def artifact_commands(python, artifact, traces, trial, trace_pickle, work):
    meta = os.path.join(traces, f"meta-{trial}.yaml")
    result = os.path.join(work, f"{trial}.json")
    analyzer = os.path.join(artifact, "analyzer")
    return [
        [python, os.path.join(analyzer, "wia.py"), "--metadata", meta, "--trace", trace_pickle,
         "--dump-dir", work, "--root", work],
        [python, os.path.join(analyzer, "compute_ms.py"), "--trial", trial, "--dump-dir", work,
         "--analysis-result", result, "--root", work],
        [python, os.path.join(analyzer, "compute_mw.py"), "--trial", trial, "--dump-dir", work,
         "--analysis-result", result, "--root", work],
    ], result


def run_timed(commands, env):
    start = time.perf_counter()
    for command in commands:
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"artifact_pipeline: {' '.join(command)} exited {done.returncode}:\n"
                     f"{done.stderr[-2000:]}")
    return time.perf_counter() - start


def check_agreement(artifact_result, trainscope_json):
    with open(artifact_result) as f:
        theirs = json.load(f)
    their_s = theirs["blocking_slowdown"]
    our_s = json.loads(trainscope_json)["slowdown"]
    if abs(their_s - our_s) > 1e-6 * their_s:
        sys.exit(f"artifact_pipeline: slowdowns differ: artifact {their_s:.9f}, "
                 f"trainscope {our_s:.9f}")
    return their_s


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trainscope", required=True, help="the trainscope binary")
    parser.add_argument("--traces", required=True, help="folder with meta-<trial>.yaml and "
                        "trace-<trial>.csv.gz (e.g. ../shared/data/traces/bytedance-wia-AR)")
    parser.add_argument("--trainscope-input", help="what trainscope reads (default: --traces), e.g. "
                        "the original folder with the Parquet copy")
    parser.add_argument("--artifact", default=os.environ.get("TS_WIA_ARTIFACT"),
                        help="checkout of ByteDance-Seed/StragglerAnalysis ($TS_WIA_ARTIFACT)")
    parser.add_argument("--python", help="Python for the artifact (default: first with pandas)")
    parser.add_argument("--runs", type=int, default=5, help="timed pairs (default 5)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()

    if not args.artifact or not os.path.exists(os.path.join(args.artifact, "analyzer", "wia.py")):
        skip("no artifact checkout (give --artifact DIR or set TS_WIA_ARTIFACT; "
             "git clone https://github.com/ByteDance-Seed/StragglerAnalysis)")
    if not os.path.isdir(args.traces):
        skip(f"{args.traces} is not a folder")
    python = find_python(args.python)
    trial = trial_of(args.traces)
    ours = [args.trainscope, "--json", "whatif", args.trainscope_input or args.traces]

    with tempfile.TemporaryDirectory(prefix="ts-artifact-") as work:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(HERE, "artifact_shims"),
                                                             args.artifact]))
        trace_pickle = prepare_input(python, args.traces, trial, work)
        commands, result = artifact_commands(python, args.artifact, args.traces, trial,
                                             trace_pickle, work)
        run_timed(commands, env)  # warm-up, and the result to check
        slowdown = check_agreement(result, subprocess.run(ours, capture_output=True, text=True,
                                                          check=True).stdout)
        pairs = []
        for _ in range(args.runs):
            theirs = run_timed(commands, env)
            start = time.perf_counter()
            subprocess.run(ours, stdout=subprocess.DEVNULL, check=True)
            pairs.append((theirs, time.perf_counter() - start))

    figures = {
        "trial": trial, "slowdown": slowdown, "runs": args.runs,
        "artifact_s": statistics.median(p[0] for p in pairs),
        "trainscope_s": statistics.median(p[1] for p in pairs),
        "ratio": statistics.median(p[0] / p[1] for p in pairs),
        "ratio_min": min(p[0] / p[1] for p in pairs),
        "ratio_max": max(p[0] / p[1] for p in pairs),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{trial}: S {slowdown:.6f} in both; artifact pipeline {figures['artifact_s']:.3f} s, "
              f"trainscope {figures['trainscope_s']:.4f} s (medians of {args.runs}); "
              f"ratio {figures['ratio']:.1f}x (pairs {figures['ratio_min']:.1f}-"
              f"{figures['ratio_max']:.1f}x)")


if __name__ == "__main__":
    main()
