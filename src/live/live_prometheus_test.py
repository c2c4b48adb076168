#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`trainscope minder watch` against a real Prometheus server (issue 22 items 2 and 3).

Starts, all on 127.0.0.1: an exporter serving per-second DCGM and RoCE-like metrics of an
8-machine job in text exposition (one GPU power drop injected on one machine partway), Debian's
/usr/bin/prometheus scraping it every second, and a webhook receiver. Then runs `minder watch`
on the job until the receiver gets the Alertmanager-style alert, stops it with SIGINT and checks:
the alert names the injected machine (and no other), the payload has Alertmanager's webhook
fields, `--json` printed the alert, and the watch exited 0. Exit 77 (skip) with the reason where
the server cannot start.

--suite fake (seconds, no Prometheus needed): a stand-in server answering query_range the way
servers misbehave, one call each (--calls 1): a 503 then a partial response with `warnings` (the
retry is made, the warning kept), samples every 15 s (inconclusive, coarser than 1 s), a scalar
result (refused, exit 3), a bearer token (sent; a wrong one is a 401, exit 3), a machine whose
series stop partway (named, from its missing data), https with a self-signed certificate
(refused; accepted with --cacert or --insecure).

Usage: live_prometheus_test.py --cli PATH [--suite live|fake] [--prometheus PATH] [--keep DIR]
"""
import argparse
import http.server
import json
import math
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zlib

MACHINES = [f"node{i}" for i in range(8)]
GPUS = 2
FAULTY = "node5"
FAULT_AFTER_S = 40  # healthy seconds before the fault (peer groups and bounds see both)
CONTINUITY = 20     # windows (s) the same candidate must persist (production: 240)
STEP_S = 6          # the job's training step: 5 s compute, 1 s communication
SKIP = 77


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Job:
    """The job's metrics as a function of the second: lock-step compute and communication."""

    def __init__(self, start):
        self.start = start
        self.rx_bytes = {m: 0.0 for m in MACHINES}  # counter state, advanced second by second
        self.counted_to = 0
        self.lock = threading.Lock()

    def sample(self, machine, gpu, second):
        rng = random.Random(zlib.crc32(f"{machine}/{gpu}/{second}".encode()))
        compute = second % STEP_S < STEP_S - 1
        util = (97 if compute else 35) + rng.gauss(0, 1.5)
        power = (420 if compute else 240) + rng.gauss(0, 6)
        tensor = (0.62 if compute else 0.05) + rng.gauss(0, 0.01)
        if machine == FAULTY and second - self.start >= FAULT_AFTER_S:
            power = 0.55 * power  # a throttled GPU (power brake): same step, less power
        return util, power, tensor

    def roce_rate(self, machine, second):
        rng = random.Random(zlib.crc32(f"{machine}/roce/{second}".encode()))
        return (1.2e9 if second % STEP_S == STEP_S - 1 else 0.1e9) * (1 + rng.gauss(0, 0.02))

    def exposition(self):
        now = int(time.time())
        with self.lock:
            for second in range(max(self.counted_to, now - 1), now):
                for m in MACHINES:
                    self.rx_bytes[m] += self.roce_rate(m, second)
            self.counted_to = now
            counters = dict(self.rx_bytes)
        lines = []
        for name, index in (("DCGM_FI_DEV_GPU_UTIL", 0), ("DCGM_FI_DEV_POWER_USAGE", 1),
                            ("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", 2)):
            lines.append(f"# TYPE {name} gauge")
            for m in MACHINES:
                for g in range(GPUS):
                    value = self.sample(m, g, now)[index]
                    lines.append(f'{name}{{gpu="{g}",UUID="GPU-{m}-{g}",Hostname="{m}"}} {value:.4f}')
        lines.append("# TYPE node_infiniband_port_data_transmitted_bytes_total counter")
        for m in MACHINES:
            lines.append('node_infiniband_port_data_transmitted_bytes_total'
                         f'{{device="mlx5_0",port="1",Hostname="{m}"}} {counters[m]:.0f}')
        return "\n".join(lines) + "\n"


def serve(handler_class):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def exporter_handler(job):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = job.exposition().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    return Handler


def receiver_handler(received):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append((self.path, self.headers.get("Content-Type"), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass
    return Handler


def start_prometheus(binary, workdir, exporter_port):
    port = free_port()
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                "scrape_configs:\n  - job_name: trainjob\n    honor_labels: true\n"
                f"    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n")
    log = open(os.path.join(workdir, "prometheus.log"), "w")
    proc = subprocess.Popen([binary, f"--config.file={config}",
                             f"--storage.tsdb.path={os.path.join(workdir, 'tsdb')}",
                             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=1) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    log.close()
    with open(os.path.join(workdir, "prometheus.log")) as f:
        tail = f.read()[-600:]
    return None, f"{binary} did not become ready in 20 s:\n{tail}"


def check_payload(payload):
    """Alertmanager webhook fields (version 4) with one firing alert naming FAULTY."""
    for key in ("version", "groupKey", "status", "receiver", "groupLabels", "commonLabels",
                "commonAnnotations", "externalURL", "alerts"):
        assert key in payload, f"webhook payload lacks '{key}': {payload}"
    assert payload["version"] == "4", payload["version"]
    assert payload["status"] == "firing", payload["status"]
    machines = {a["labels"].get("machine") for a in payload["alerts"]}
    assert machines == {FAULTY}, f"alert names {machines}, the fault was on {FAULTY}"
    alert = payload["alerts"][0]
    for key in ("status", "labels", "annotations", "startsAt", "endsAt", "generatorURL",
                "fingerprint"):
        assert key in alert, f"alert lacks '{key}': {alert}"
    assert alert["labels"].get("alertname"), alert["labels"]
    assert alert["startsAt"].endswith("Z") and "T" in alert["startsAt"], alert["startsAt"]
    assert len(alert["fingerprint"]) == 16, alert["fingerprint"]
    assert payload["commonLabels"]["machine"] == FAULTY


def matrix_json(job, end, seconds, step=1, warnings=(), stop_machine=None, stop_after=None):
    """A query_range answer over the job's seconds (end - seconds, end], one sample per step."""
    result = []
    for name, index in (("DCGM_FI_DEV_GPU_UTIL", 0), ("DCGM_FI_DEV_POWER_USAGE", 1)):
        for m in MACHINES:
            for g in range(GPUS):
                values = [[t, f"{job.sample(m, g, t)[index]:.4f}"]
                          for t in range(end - seconds + step, end + 1, step)
                          if not (m == stop_machine and t > end - seconds + stop_after)]
                result.append({"metric": {"__name__": name, "Hostname": m, "gpu": str(g),
                                          "job": "trainjob"}, "values": values})
    body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
    if warnings:
        body["warnings"] = list(warnings)
    return body


def fake_handler(state):
    """Answers /<scenario>/api/v1/query_range as the scenario says; counts requests."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self, status, body, content_type="application/json"):
            data = (json.dumps(body) if content_type == "application/json" else body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            scenario = self.path.split("/")[1]
            state[scenario] = state.get(scenario, 0) + 1
            end = int(time.time())
            job = Job(end - 600)  # a fault-free stretch: the fault starts 40 s after this
            job.start = end + 3600
            if scenario == "flaky" and state[scenario] == 1:
                return self.answer(503, {"status": "error", "errorType": "unavailable",
                                         "error": "overloaded"})
            if scenario == "flaky":
                return self.answer(200, matrix_json(job, end, 60, warnings=[
                    "partial response: store 10.0.0.7:10901 unreachable"]))
            if scenario == "coarse":
                return self.answer(200, matrix_json(job, end, 120, step=15))
            if scenario == "scalar":
                return self.answer(200, {"status": "success",
                                         "data": {"resultType": "scalar", "result": [end, "1"]}})
            if scenario == "auth":
                if self.headers.get("Authorization") != "Bearer s3cret":
                    return self.answer(401, "Unauthorized\n", "text/plain")
                return self.answer(200, matrix_json(job, end, 60))
            if scenario == "gone":
                return self.answer(200, matrix_json(job, end, 90, stop_machine="node7",
                                                    stop_after=30))
            return self.answer(404, "not found\n", "text/plain")

        def log_message(self, *args):
            pass
    return Handler


def check_tls(watch, handler_class, workdir):
    """https with a self-signed certificate: refused unverified, accepted with --cacert or
    --insecure. Returns what was checked (skipped without the openssl command)."""
    if shutil.which("openssl") is None:
        return "not checked (no openssl command)"
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}"
    try:
        proc, _ = watch("auth", "--bearer-token-file", os.path.join(workdir, "token"),
                        "--retries", "0", server_url=url)
        assert proc.returncode == 3 and "certificate" in proc.stderr.lower(), proc.stderr
        for flag in (["--cacert", cert], ["--insecure"]):
            proc, lines = watch("auth", "--bearer-token-file", os.path.join(workdir, "token"),
                                *flag, server_url=url)
            assert proc.returncode == 0 and lines[0]["verdict"] == "healthy", (flag, proc.stderr)
        return "self-signed refused, --cacert and --insecure accepted"
    finally:
        server.shutdown()


def run_fake_suite(cli, workdir):
    state = {}
    server = serve(fake_handler(state))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    token = os.path.join(workdir, "token")
    with open(token, "w") as f:
        f.write("s3cret\n")

    def watch(scenario, *extra, server_url=None):
        command = [cli, "minder", "watch", "--prometheus", f"{server_url or base}/{scenario}", "--job",
                   "job=trainjob", "--calls", "1", "--pull", "2m", "--continuity", "20", "--json",
                   *extra]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
        lines = [json.loads(l) for l in proc.stdout.splitlines() if l.strip()]
        return proc, lines

    try:
        proc, lines = watch("flaky", "--retries", "2")
        assert proc.returncode == 0, proc.stderr
        assert state["flaky"] == 2 and "HTTP 503; retrying in 1 s" in proc.stderr, proc.stderr
        call = lines[0]
        assert call["verdict"] == "healthy", call
        assert any(d["name"] == "prometheus_warning" and "partial response" in d["message"]
                   for d in call["diagnostics"]), call["diagnostics"]

        proc, lines = watch("coarse")
        assert proc.returncode == 0, proc.stderr
        assert lines[0]["verdict"] == "inconclusive", lines[0]
        assert "samples arrive every 15 s" in " ".join(lines[0]["inconclusive"]), lines[0]

        proc, _ = watch("scalar")
        assert proc.returncode == 3 and "resultType 'scalar'" in proc.stderr, (proc.returncode, proc.stderr)

        proc, _ = watch("auth", "--auth-header", "Authorization: Bearer wrong")
        assert proc.returncode == 3 and "HTTP 401" in proc.stderr, (proc.returncode, proc.stderr)
        proc, lines = watch("auth", "--bearer-token-file", token)
        assert proc.returncode == 0 and lines[0]["verdict"] == "healthy", (proc.stderr, lines)

        proc, lines = watch("gone")
        assert proc.returncode == 0, proc.stderr
        alerts = [l for l in lines if l["event"] == "alert"]
        assert [(a["machine"], a["missing"]) for a in alerts] == [("node7", True)], lines
        tls = check_tls(watch, fake_handler(state), workdir)
        print(f"fake server: retry, warnings, coarse step, scalar, auth, series gone: ok; TLS: {tls}")
        return 0
    finally:
        server.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    ap.add_argument("--keep", help="keep the work folder here (Prometheus log, watch output)")
    ap.add_argument("--suite", choices=["live", "fake"], default="live")
    args = ap.parse_args()
    if subprocess.run([args.cli, "minder", "watch", "--help"], capture_output=True).returncode != 0:
        print(f"SKIP: {args.cli} has no `minder watch` (built without libcurl)")
        return SKIP
    if args.suite == "fake":
        with tempfile.TemporaryDirectory(prefix="ts-live-fake-") as workdir:
            return run_fake_suite(args.cli, workdir)
    if not os.access(args.prometheus, os.X_OK):
        print(f"SKIP: {args.prometheus} not found (Debian: apt-get install prometheus)")
        return SKIP
    workdir = args.keep or tempfile.mkdtemp(prefix="ts-live-prom-")
    os.makedirs(workdir, exist_ok=True)
    job = Job(int(time.time()))
    exporter = serve(exporter_handler(job))
    received = []
    receiver = serve(receiver_handler(received))
    prometheus, url = start_prometheus(args.prometheus, workdir, exporter.server_address[1])
    if prometheus is None:
        print(f"SKIP: the Prometheus server cannot start: {url}")
        return SKIP
    watch = None
    try:
        hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        command = [args.cli, "minder", "watch", "--prometheus", url, "--job", "job=trainjob",
                   "--every", "5s", "--pull", "2m", "--continuity", str(CONTINUITY),
                   "--alert-webhook", hook, "--json"]
        print("running:", " ".join(command), flush=True)
        out = open(os.path.join(workdir, "watch.jsonl"), "w+")
        watch = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + FAULT_AFTER_S + CONTINUITY + 90
        while time.time() < deadline and not received and watch.poll() is None:
            time.sleep(0.5)
        watch.send_signal(signal.SIGINT)
        _, err = watch.communicate(timeout=30)
        out.seek(0)
        lines = [json.loads(line) for line in out if line.strip()]
        sys.stderr.write(err[-3000:])
        assert watch.returncode == 0, f"watch exited {watch.returncode} on SIGINT"
        assert received, f"no webhook call in {deadline - job.start:.0f} s; watch printed {lines[-3:]}"
        path, content_type, body = received[0]
        assert path == "/hook" and content_type.startswith("application/json"), (path, content_type)
        payload = json.loads(body)
        check_payload(payload)
        alerts = [l for l in lines if l.get("event") == "alert"]
        assert alerts and {a["machine"] for a in alerts} == {FAULTY}, alerts
        # The run starts with the fault (give or take one 8 s window), not before.
        assert alerts[0]["start"] >= job.start + FAULT_AFTER_S - 8, (alerts[0], job.start)
        calls = [l for l in lines if l.get("event") == "call"]
        assert calls, "no call line"
        print(f"alert on {FAULTY} after {calls[-1]['call'] - job.start - FAULT_AFTER_S:.0f} s "
              f"of fault, {len(calls)} calls; webhook payload: {json.dumps(payload)[:400]}")
        return 0
    finally:
        if watch is not None and watch.poll() is None:
            watch.kill()
        prometheus.terminate()
        prometheus.wait(timeout=30)
        exporter.shutdown()
        receiver.shutdown()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
