#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The installed trainscope runs from anywhere (issue 21 item 1).

1. `cmake --install BUILD --prefix TMP/prefix` into a fresh temporary prefix: bin/trainscope and
   share/trainscope/models/minder/ are there.
2. The installed binary runs with its working directory in TMP and an environment that names
   nothing of the checkout (PATH=/usr/bin:/bin, HOME and TMPDIR in TMP, no TRAINSCOPE_*). Where
   `unshare --mount` works (root, Linux), the source and build trees are also hidden behind empty
   folders for those runs, so a path compiled into the binary cannot be reached either.
   - `trainscope --json demo --out TMP/work/demo`: exit 0, the injected faults found, report.html;
   - `trainscope --json minder detect METRICS --last 0` on a copy of a small recording: the
     stalled machine m3 is named.
3. Without its data ($TRAINSCOPE_DATA_DIR pointing nowhere) the demo exits 3 naming the place
   and writes nothing; with models that fail half-way (a corrupt detector.txt) it exits 3 and
   the earlier demo output is left as it was.
4. `cpack -G DEB` (when cpack and dpkg-deb exist): the package's Depends name the Debian
   package of every library the binary links (readelf NEEDED, ldd, dpkg -S) and libopenblas0 (dlopen'ed); its files unpacked into a fresh folder run
   `minder detect` and the demo the same way.

Usage: check_install.py BUILD_DIR SOURCE_DIR METRICS_CSV_GZ
"""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

errors = []


def fail(message):
    errors.append(message)
    print("FAIL:", message)


def inside(path, root):
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root + os.sep)


def hiding_wrapper(hidden, empty):
    """A command prefix that runs its command with the `hidden` folders covered by `empty`, or []
    when mount namespaces are not available (then the clean environment alone isolates)."""
    roots = []
    for path in sorted({os.path.realpath(p) for p in hidden}, key=len):
        if not any(inside(path, r) for r in roots):
            roots.append(path)
    script = "".join(f'mount --bind "$1" "{r}" || exit 97; ' for r in roots) + 'shift; exec "$@"'
    wrapper = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", empty]
    try:
        probe = subprocess.run(wrapper + ["true"], capture_output=True).returncode
    except OSError:
        probe = -1
    if probe != 0:
        print("note: no mount namespace here (unshare --mount and mount --bind need root); the "
              "checkout stays visible, the clean environment and working directory isolate the runs")
        return []
    print("hiding", ", ".join(roots), "from the installed binary's runs")
    return wrapper


def run(cmd, env, cwd, wrapper):
    result = subprocess.run(wrapper + cmd, env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=600)
    if result.returncode == 97:
        raise SystemExit("FAIL: could not hide the checkout (mount --bind)")
    return result


def check_demo(binary, out, env, cwd, wrapper, what):
    r = run([binary, "--json", "demo", "--out", out], env, cwd, wrapper)
    if r.returncode != 0:
        fail(f"{what}: demo exited {r.returncode}\n{r.stderr}")
        return
    doc = json.loads(r.stdout)
    if doc.get("faulty_machines") != ["node0005"]:
        fail(f"{what}: demo found faulty machines {doc.get('faulty_machines')}, expected node0005")
    if doc.get("cause", {}).get("pattern") != "one_slow_worker":
        fail(f"{what}: demo cause {doc.get('cause')}, expected one_slow_worker")
    for name in ("report.html", "demo.json", "whatif.perfetto.json", "trace.perfetto.json"):
        if not os.path.isfile(os.path.join(out, name)):
            fail(f"{what}: demo wrote no {name}")
    with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
        if "node0005" not in f.read():
            fail(f"{what}: report.html does not name node0005")
    print(f"{what}: demo ok (S {doc.get('slowdown'):.3f}, faulty {doc.get('faulty_machines')})")


def check_detect(binary, metrics, env, cwd, wrapper, what):
    r = run([binary, "--json", "minder", "detect", metrics, "--last", "0"], env, cwd, wrapper)
    if r.returncode != 0:
        fail(f"{what}: minder detect exited {r.returncode}\n{r.stderr}")
        return
    alerts = json.loads(r.stdout).get("alerts", [])
    if not alerts or alerts[0].get("machine") != "m3":
        fail(f"{what}: minder detect alerts {alerts[:1]}, expected machine m3")
    else:
        print(f"{what}: minder detect ok (alert on m3, metric {alerts[0].get('metric')})")


def linked_packages(binary):
    """Debian packages of the shared libraries `binary` links directly (its NEEDED entries,
    located by ldd, owned per dpkg -S)."""
    dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True).stdout
    needed = [line.split("[")[1].split("]")[0] for line in dynamic.splitlines()
              if "(NEEDED)" in line]
    where = {}
    for line in subprocess.run(["ldd", binary], capture_output=True, text=True).stdout.splitlines():
        parts = line.split("=>")
        if len(parts) == 2 and parts[1].strip().startswith("/"):
            where[parts[0].strip()] = parts[1].split("(")[0].strip()
        elif len(parts) == 1 and line.strip().startswith("/"):
            # The dynamic loader is listed by its path alone ("/lib64/ld-linux-x86-64.so.2 (0x..)");
            # a binary names it in NEEDED when it calls into it (__tls_get_addr from PIC code).
            path = line.split("(")[0].strip()
            where[os.path.basename(path)] = path
    packages = []
    for name in needed:
        path = where.get(name)
        if path is None:
            fail(f"{binary} needs {name}, which ldd does not find")
            continue
        for candidate in (path, os.path.realpath(path), path.replace("/lib/", "/usr/lib/", 1)):
            owner = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if owner.returncode == 0:
                packages.append(owner.stdout.split(":")[0].strip())
                break
        else:
            fail(f"no Debian package owns {path} (linked by {binary})")
    return sorted(set(packages))


def digest(folder):
    out = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                out[name] = hashlib.sha256(f.read()).hexdigest()
        else:
            out[name] = sorted(os.listdir(path))
    return out


def main():
    build, source, metrics_src = (os.path.realpath(p) for p in sys.argv[1:4])
    tmp = tempfile.mkdtemp(prefix="trainscope-install-")
    try:
        if inside(tmp, source) or inside(tmp, build):
            raise SystemExit(f"FAIL: temporary folder {tmp} lies in the checkout")
        prefix, work = os.path.join(tmp, "prefix"), os.path.join(tmp, "work")
        empty, home = os.path.join(tmp, "empty"), os.path.join(tmp, "home")
        for d in (work, empty, home):
            os.makedirs(d)
        # 1. Install.
        r = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise SystemExit(f"FAIL: cmake --install exited {r.returncode}\n{r.stdout}{r.stderr}")
        binary = os.path.join(prefix, "bin", "trainscope")
        models = os.path.join(prefix, "share", "trainscope", "models", "minder")
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"FAIL: no executable {binary}")
        if not os.path.isfile(os.path.join(models, "detector.txt")) or \
                not glob.glob(os.path.join(models, "*.vae")):
            fail(f"{models}: models or detector.txt missing")
        # 2. Run from elsewhere, in a clean environment.
        metrics = os.path.join(tmp, "input", os.path.basename(metrics_src))
        os.makedirs(os.path.dirname(metrics))
        shutil.copy(metrics_src, metrics)
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": tmp, "LANG": "C.UTF-8"}
        wrapper = hiding_wrapper([source, build], empty)
        demo = os.path.join(work, "demo")
        check_demo(binary, demo, env, work, wrapper, "installed")
        check_detect(binary, metrics, env, work, wrapper, "installed")
        # 3. Failures leave nothing behind.
        missing = os.path.join(work, "demo-missing")
        nowhere = os.path.join(tmp, "nowhere")
        r = run([binary, "demo", "--out", missing], dict(env, TRAINSCOPE_DATA_DIR=nowhere), work,
                wrapper)
        if r.returncode != 3 or "Minder models not found" not in r.stderr or nowhere not in r.stderr:
            fail(f"demo without data: exit {r.returncode}, expected 3 naming {nowhere}\n{r.stderr}")
        if os.path.exists(missing):
            fail(f"demo without data left {missing} behind")
        bad = os.path.join(tmp, "badmodels")
        shutil.copytree(models, bad)
        with open(os.path.join(bad, "detector.txt"), "w") as f:
            f.write("threshold banana\n")
        if os.path.isdir(demo):
            before = digest(demo)
            r = run([binary, "demo", "--out", demo], dict(env, TRAINSCOPE_MINDER_MODELS=bad), work,
                    wrapper)
            if r.returncode != 3 or "detector.txt:1" not in r.stderr:
                fail(f"demo with corrupt models: exit {r.returncode}, expected 3\n{r.stderr}")
            if digest(demo) != before:
                fail("a failed demo changed the earlier demo output")
            leftovers = [n for n in os.listdir(work) if n.startswith(".")]
            if leftovers:
                fail(f"a failed demo left {leftovers} in {work}")
            print("failed demos: exit 3, nothing written, earlier output intact")
        # 4. The Debian package.
        if shutil.which("cpack") and shutil.which("dpkg-deb"):
            pkg = os.path.join(tmp, "pkg")
            r = subprocess.run(["cpack", "-G", "DEB", "-B", pkg, "--config",
                                os.path.join(build, "CPackConfig.cmake")], capture_output=True,
                               text=True, cwd=tmp)
            debs = glob.glob(os.path.join(pkg, "*.deb"))
            if r.returncode != 0 or len(debs) != 1:
                fail(f"cpack -G DEB exited {r.returncode}, packages {debs}\n{r.stdout}{r.stderr}")
            else:
                depends = subprocess.run(["dpkg-deb", "-f", debs[0], "Depends"],
                                         capture_output=True, text=True).stdout.strip()
                print(f"{os.path.basename(debs[0])}: Depends: {depends}")
                named = {d.strip().split(" ")[0] for alt in depends.split(",")
                         for d in alt.split("|")}
                for package in linked_packages(binary) + ["libopenblas0"]:  # + dlopen'ed
                    if package not in named:
                        fail(f".deb Depends lacks {package}: {depends}")
                root = os.path.join(tmp, "debroot")
                subprocess.run(["dpkg-deb", "-x", debs[0], root], check=True)
                deb_binary = os.path.join(root, "usr", "bin", "trainscope")
                check_detect(deb_binary, metrics, env, work, wrapper, ".deb")
                check_demo(deb_binary, os.path.join(work, "demo-deb"), env, work, wrapper, ".deb")
        else:
            print("note: cpack or dpkg-deb missing: the .deb part is not checked")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
