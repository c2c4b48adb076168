#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Tests of the trainscope Python module against the CLI it shares its core with.

Each call is checked against `trainscope <command> --json` on the same input (the CLI is the
reference: same libraries, separate process), and the NumPy tables against the scalars they
must reproduce (S = mean no-delay step / mean ideal step; events per kind = the summary's
counts). Exit 77 (ctest: skipped) with the reason when the module is not built, or for the
data suite when ../shared/data is absent.
  --suite fast: fixtures in tests/data and fuzz/; --suite data: ../shared/data traces;
  --suite install: `cmake --install` into a fresh prefix and the .deb.
"""
import argparse
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time

SKIP = 77
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def cli(args, expect_rc=0, cwd=None):
    p = subprocess.run([ARGS.cli] + args, capture_output=True, text=True, cwd=cwd)
    if expect_rc is not None and p.returncode != expect_rc:
        raise AssertionError(f"{args}: exit {p.returncode}, stderr {p.stderr}")
    return p


def cli_json(args, cwd=None, expect_rc=0):
    return cli(args + ["--json"], expect_rc=expect_rc, cwd=cwd).stdout


def close(a, b, rel=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-15)


def check_whatif(ts, np, path, options=(), kwargs=None):
    cli_text = cli_json(["whatif", path] + list(options)).rstrip("\n")
    r = ts.whatif(path, **(kwargs or {}))
    check(r.to_json() == cli_text, f"whatif {path}: to_json() equals the CLI's --json")
    doc = json.loads(cli_text)
    check(r.slowdown == doc["slowdown"], f"whatif {path}: slowdown {r.slowdown} vs {doc['slowdown']}")
    check(r.waste_fraction == doc["waste_fraction"], f"whatif {path}: waste_fraction")
    check(r.straggling == doc["straggling"], f"whatif {path}: straggling")
    check(r.cause == doc["cause"], f"whatif {path}: cause")
    steps = r.steps
    # S is mean no-delay step time / mean ideal step time (analysis.h), from the arrays alone.
    s = steps["nodelay_s"].mean() / steps["ideal_s"].mean()
    check(close(s, r.slowdown, 1e-9), f"whatif {path}: S from the step arrays {s} vs {r.slowdown}")
    check(np.allclose(steps["slowdown"], steps["nodelay_s"] / steps["ideal_s"], rtol=1e-9),
          f"whatif {path}: per-step slowdown = nodelay / ideal")
    # No copy: two reads are views of the same C++ vector, read-only.
    again = r.steps["ideal_s"]
    check(np.shares_memory(steps["ideal_s"], again) and not again.flags.writeable,
          f"whatif {path}: step arrays are read-only views of one buffer")
    t = r.by_op_class
    check(len(t["label"]) == len(t["slowdown"]) and t["slowdown"].dtype == np.float64,
          f"whatif {path}: by_op_class table")
    check(len(r.workers["rank"]) == len(r.by_worker["slowdown"]), f"whatif {path}: workers")
    return r, doc


def check_pandas(r, path):
    try:
        import pandas  # noqa: F401
    except ImportError:
        print("SKIP to_pandas: pandas is not installed (Debian: python3-pandas)")
        return
    frames = r.to_pandas()
    check(set(frames) >= {"steps", "by_op_class", "workers"}, f"{path}: to_pandas tables")
    check(len(frames["steps"]) == len(r.steps["step"]), f"{path}: steps DataFrame rows")


def check_error(ts, call, cli_args, cls, what):
    p = cli(cli_args, expect_rc=None)
    try:
        call()
    except ts.Error as e:
        expected = p.stderr.strip().splitlines()[0].removeprefix("trainscope: error: ")
        check(isinstance(e, cls), f"{what}: {type(e).__name__} is a {cls.__name__}")
        check(str(e) == expected, f"{what}: message {str(e)!r} vs CLI {expected!r}")
        check(e.exit_code == p.returncode, f"{what}: exit_code {e.exit_code} vs CLI {p.returncode}")
        return
    check(False, f"{what}: no exception raised")


def synth_job(tmp):
    """An op table big enough that whatif runs for seconds (Seed1.5-VL, 2 steps, 64 ranks)."""
    out = f"{tmp}/job"
    cli(["--quiet", "workload", "synth", "--preset", "seed15vl", "--steps", "2", "--no-kineto",
         "--no-metrics", "--out", out])
    return out


def check_gil_released(ts, path):
    """Another Python thread runs while the C++ works: it ticks every ms during the call."""
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)
    t = threading.Thread(target=tick)
    t.start()
    t0 = time.monotonic()
    ts.whatif(path, threads=1)
    t1 = time.monotonic()
    done.set()
    t.join()
    inside = [x for x in ticks if t0 + 0.05 < x < t1 - 0.05]
    check(t1 - t0 > 0.3 and len(inside) > 10,
          f"whatif {path}: {len(inside)} ticks of another thread during a {t1 - t0:.2f} s call")
    return t1 - t0


def check_interrupt(ts, path, full):
    """Ctrl-C (SIGINT) during a long call: KeyboardInterrupt well before the call would end."""
    timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    try:
        ts.whatif(path, threads=1)
        check(False, f"whatif {path}: SIGINT after 0.2 s did not interrupt a {full:.2f} s call")
    except KeyboardInterrupt:
        took = time.monotonic() - t0
        check(took < 0.2 + min(1.0, full / 2),
              f"Ctrl-C: KeyboardInterrupt after {took:.2f} s (the call takes {full:.2f} s)")


def fast_suite(ts, np):
    src = ARGS.source
    optable = f"{src}/fuzz/optable_corpus/st_step23.csv"
    kineto = f"{src}/tests/data/whatif/kineto_2rank"
    r, _ = check_whatif(ts, np, optable)
    check_pandas(r, optable)
    check_whatif(ts, np, kineto)
    check_whatif(ts, np, optable, ["--scale", "comm=0.5", "--fix-rank", "1"],
                 {"scale": ["comm=0.5"], "fix_rank": [1]})
    check_whatif(ts, np, optable, ["--straggling-threshold", "1.05", "--min-impact", "0.02"],
                 {"straggling_threshold": 1.05, "min_impact": 0.02})
    import tempfile
    with tempfile.TemporaryDirectory(prefix="ts-python-") as tmp:
        job = synth_job(tmp)
        full = check_gil_released(ts, job)
        check_interrupt(ts, job, full)
    check_trace(ts, np, kineto)
    for args, kwargs in [(["--preset", "seed15vl"], {}),
                         (["--preset", "gpt3-175b", "--tp", "4", "--pp", "16"], {"tp": 4, "pp": 16}),
                         (["--preset", "gpt3-175b", "--sweep", "tp=2,4,8"], {"sweep": ["tp=2,4,8"]}),
                         (["--preset", "gpt3-175b", "--vpp", "1", "--schedule", "zb_h1"],
                          {"vpp": 1, "schedule": "zb_h1"}),
                         (["--preset", "val-llava15-7b-pretrain", "--elementwise", "fused"],
                          {"elementwise": "fused"})]:
        doc = cli_json(["plan"] + args).rstrip("\n")
        p = ts.plan(args[1], **kwargs)
        check(p.to_json() == doc, f"plan {args}: to_json() equals the CLI's --json")
    yaml = f"{src}/tests/data/workload/small_pipeline.yaml"
    p = ts.plan(yaml)
    check(p.to_json() == cli_json(["plan", yaml]).rstrip("\n"), "plan YAML: equals the CLI")
    check(p.step_time_s == p.to_dict()["step_time_s"] if "step_time_s" in p.to_dict() else True,
          "plan YAML: step_time_s")
    # A bound is a field, not only a note: seed15vl's MoE (12 local experts) is a lower bound.
    moe = ts.plan("seed15vl")
    check(moe.step_time_lower_bound and moe.to_dict()["step_time_lower_bound"],
          "plan seed15vl: step_time_lower_bound")
    check(not p.step_time_lower_bound and not p.memory_lower_bound, "plan YAML: no bounds")
    r = check_minder(ts, np, f"{src}/tests/data/minder/gpu_job_fault.csv.gz")
    check([a["machine"] for a in r.alerts] == ["m3"], "minder: the fixture's stalled m3 is named")
    check_minder_columns(ts, np, f"{src}/tests/data/minder/gpu_job_fault.csv.gz", r)
    check_errors(ts, src)


def check_trace(ts, np, path):
    t = ts.read_trace(path)
    check(json.loads(t.to_json()) == json.loads(cli_json(["trace", "info", path])),
          f"read_trace {path}: summary equals `trace info --json`")
    summary = t.summary
    kinds = ts.Trace.event_kinds
    for rank_summary in summary["ranks"]:
        rank = rank_summary["rank"]
        ev = t.events(rank)
        check(len(ev["ts"]) == rank_summary["events"], f"read_trace rank {rank}: event count")
        counts = np.bincount(ev["kind"], minlength=len(kinds))
        by_kind = {kinds[k]: int(counts[k]) for k in range(len(kinds)) if counts[k]}
        want = {k: v for k, v in rank_summary.get("by_kind", {}).items() if v}
        if want:
            check(by_kind == want, f"read_trace rank {rank}: events per kind {by_kind} vs {want}")
        # Sorted by (ts, -dur): EventIds index that order.
        order = np.lexsort((-ev["dur"], ev["ts"]))
        check(np.array_equal(order, np.arange(len(order))), f"read_trace rank {rank}: (ts, -dur) order")
        check(np.shares_memory(ev["ts"], t.events(rank)["ts"]), f"read_trace rank {rank}: no copy")
        names = t.strings(rank)
        check(int(ev["name"].max()) < len(names), f"read_trace rank {rank}: name ids index strings")
        check(len(t.collectives(rank)["event"]) == rank_summary["collectives"],
              f"read_trace rank {rank}: collectives")
    try:
        import pandas  # noqa: F401
        df = t.to_pandas(t.ranks[0])
        check(len(df) == summary["ranks"][0]["events"], "read_trace: to_pandas rows")
    except ImportError:
        print("SKIP read_trace to_pandas: pandas is not installed (Debian: python3-pandas)")


def check_minder(ts, np, path):
    doc = json.loads(cli_json(["minder", "detect", path], expect_rc=None))  # 5: inconclusive
    r = ts.minder_detect(path)
    check(r.verdict == doc["verdict"], f"minder {path}: verdict {r.verdict} vs {doc['verdict']}")
    check(r.machines == doc["machines"] and r.seconds == doc["seconds"], f"minder {path}: size")
    check(r.alerts == doc["alerts"], f"minder {path}: alerts {r.alerts} vs {doc['alerts']}")
    check(r.inconclusive == doc["inconclusive"] and r.calls == doc["calls"],
          f"minder {path}: inconclusive {r.inconclusive} / {r.calls} calls vs the CLI")
    return r
    z = r.scores["z"]
    check(z.shape[0] == r.machines, f"minder {path}: score matrix rows")


def check_minder_columns(ts, np, path, from_file):
    """The same samples handed over as columns (read here with the csv module) give the file's
    alerts; a DataFrame too where pandas is installed."""
    import csv
    import gzip
    with gzip.open(path, "rt") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    columns = {name: [row[k] for row in body] for k, name in enumerate(header)}
    columns = {k: (v if k == "machine" else np.array(v, dtype=float)) for k, v in columns.items()}
    r = ts.minder_detect(columns)
    check(r.alerts == from_file.alerts and r.seconds == from_file.seconds,
          f"minder_detect(columns): {r.alerts} vs the file's {from_file.alerts}")
    try:
        import pandas
        r = ts.minder_detect(pandas.read_csv(path))
        check(r.alerts == from_file.alerts, "minder_detect(DataFrame): the file's alerts")
    except ImportError:
        print("SKIP minder_detect(DataFrame): pandas is not installed (Debian: python3-pandas)")
    try:
        ts.minder_detect({"machine": ["m0"], "cpu": [1.0]})
        check(False, "minder_detect(columns) without timestamp: no exception")
    except ts.InputError as e:
        check("'timestamp'" in str(e), f"minder_detect(columns) without timestamp: {e}")


def check_errors(ts, src):
    missing = f"{src}/tests/data/no-such-trace"
    check_error(ts, lambda: ts.whatif(missing), ["whatif", missing], FileNotFoundError,
                "whatif missing path")
    bad = f"{src}/fuzz/optable_corpus/bad_values.csv"
    check_error(ts, lambda: ts.whatif(bad), ["whatif", bad], ValueError, "whatif bad op table")
    check_error(ts, lambda: ts.plan("no-such-preset"), ["plan", "--preset", "no-such-preset"],
                ts.Error, "plan unknown preset")
    for name in ["missing_comma.json", "corrupt.json.gz"]:
        bad_trace = f"{src}/tests/data/bad/{name}"
        check_error(ts, lambda: ts.read_trace(bad_trace), ["trace", "info", bad_trace],
                    ts.InputError, f"read_trace {name} (byte offset in the message)")
    # strict=True is the CLI's --strict: data loss raises, with the CLI's message.
    lossy = f"{src}/tests/data/bad/nan_dur.json"
    t = ts.read_trace(lossy)
    check(any(d["severity"] == "data_loss" for d in t.diagnostics),
          "read_trace nan_dur.json: a data_loss diagnostic without strict")
    check_error(ts, lambda: ts.read_trace(lossy, strict=True), ["--strict", "trace", "info", lossy],
                ts.InputError, "read_trace strict=True")
    bad_metrics = f"{src}/tests/data/minder/bad/bad_missing_field.csv"
    check_error(ts, lambda: ts.minder_detect(bad_metrics), ["minder", "detect", bad_metrics],
                ValueError, "minder_detect bad CSV")
    bad_yaml = f"{src}/tests/data/workload/bad_type.yaml"
    check_error(ts, lambda: ts.plan(bad_yaml), ["plan", bad_yaml], ValueError, "plan bad YAML")
    # A wrong-typed plan() argument is named (pybind11's own message named neither it nor the
    # expected type: "Unable to cast Python instance to C++ type").
    for kwargs, text in [({"schedule": 3}, "schedule=3 is not a str"),
                         ({"tp": "two"}, "tp='two' is not an int"),
                         ({"sweep": "schedule=zb_h1"}, "sweep='schedule=zb_h1' is not a list of str")]:
        try:
            ts.plan("gpt3-175b", **kwargs)
            check(False, f"plan {kwargs}: no exception")
        except TypeError as e:
            check(text in str(e), f"plan {kwargs}: TypeError naming it ({e})")
    try:
        ts.whatif(bad, no_such_option=1)
        check(False, "whatif unknown option: no exception")
    except ts.UsageError as e:
        check("no_such_option" in str(e), "whatif unknown option: named")


def data_suite(ts, np):
    st = f"{ARGS.data}/traces/bytedance-wia-ST"
    r, doc = check_whatif(ts, np, st)
    check(abs(r.slowdown - 1.1787) < 5e-5, f"bytedance-wia-ST: S {r.slowdown} (1.1787 expected)")
    dlrm = f"{ARGS.data}/traces/param-dlrm-8rank"
    check_whatif(ts, np, dlrm)
    check_trace(ts, np, dlrm)
    # Prometheus query_range JSON sampled every 10 s: inconclusive with the CLI's reason.
    r = check_minder(ts, np, f"{ARGS.data}/metrics/formats/prom-query-range-promr/"
                             "query_range-go_goroutines.json")
    check(r.verdict == "inconclusive", f"minder 10-s samples: {r.verdict}")


def install_suite(ts, np):
    """cmake --install into a fresh prefix, and the .deb: the module imports from there (clean
    environment, working directory outside the checkout) and finds its installed models."""
    import glob
    import shutil
    import tempfile
    src = ARGS.source
    tmp = tempfile.mkdtemp(prefix="ts-python-install-")
    try:
        prefix = f"{tmp}/prefix"
        subprocess.run(["cmake", "--install", ARGS.build, "--prefix", prefix], check=True,
                       capture_output=True)
        found = glob.glob(f"{prefix}/lib/python3*/dist-packages/trainscope*.so")
        if not check(len(found) == 1, f"installed module under {prefix}/lib/python3*/dist-packages"):
            return
        shutil.copy(f"{src}/fuzz/optable_corpus/st_step23.csv", f"{tmp}/st_step23.csv")
        shutil.copy(f"{src}/tests/data/minder/gpu_job_fault.csv.gz", f"{tmp}/metrics.csv.gz")
        code = ("import trainscope, json; r = trainscope.whatif('st_step23.csv'); "
                "m = trainscope.minder_detect('metrics.csv.gz'); "
                "print(json.dumps({'file': trainscope.__file__, 'json': r.to_json(), "
                "'verdict': m.verdict, 'machines': [a['machine'] for a in m.alerts]}))")
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "PYTHONPATH": os.path.dirname(found[0])}
        p = subprocess.run([sys.executable, "-c", code], cwd=tmp, env=env, capture_output=True,
                           text=True)
        if not check(p.returncode == 0, f"installed module runs: {p.stderr}"):
            return
        out = json.loads(p.stdout)
        check(out["file"] == found[0], f"imported {out['file']}, installed {found[0]}")
        want = cli_json(["whatif", "st_step23.csv"], cwd=tmp).rstrip("\n")
        check(out["json"] == want, "installed whatif equals the CLI")
        check(out["verdict"] == "faulty" and out["machines"][:1] == ["m3"],
              f"installed minder_detect names m3 with the installed models: {out}")
        if shutil.which("cpack") and shutil.which("dpkg-deb"):
            subprocess.run(["cpack", "-G", "DEB", "-B", f"{tmp}/deb", "--config",
                            f"{ARGS.build}/CPackConfig.cmake"], check=True, capture_output=True)
            debs = glob.glob(f"{tmp}/deb/*.deb")
            listing = subprocess.run(["dpkg-deb", "-c", debs[0]], capture_output=True,
                                     text=True).stdout
            name = os.path.basename(found[0])
            check(f"./usr/lib/{found[0].split('/lib/')[1]}" in listing,
                  f"the .deb holds {name} under /usr/lib/python3*/dist-packages")
        else:
            print("SKIP .deb: cpack or dpkg-deb absent")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if not ARGS.module_dir:
        print(f"SKIP: {ARGS.skip_reason}")
        return SKIP
    if ARGS.suite == "data" and not os.path.isdir(f"{ARGS.data}/traces/bytedance-wia-ST"):
        print(f"SKIP: shared data absent ({ARGS.data}/traces/bytedance-wia-ST)")
        return SKIP
    sys.path.insert(0, ARGS.module_dir)
    import numpy as np
    import trainscope as ts
    check(os.path.dirname(ts.__file__) == os.path.realpath(ARGS.module_dir) or
          os.path.dirname(ts.__file__) == ARGS.module_dir, f"module from {ts.__file__}")
    {"fast": fast_suite, "data": data_suite, "install": install_suite}[ARGS.suite](ts, np)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", choices=["fast", "data", "install"], required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--module-dir", default="")
    parser.add_argument("--skip-reason", default="")
    parser.add_argument("--source", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--build", default="")
    ARGS = parser.parse_args()
    sys.exit(main())
