#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Renders a trainscope HTML report in headless Chromium, as a person would open it, and checks it.

Fails (exit 1) when: Chromium logs any console message (errors, uncaught exceptions: the report
writes nothing to the console on purpose), a required section is missing or empty, a chart draws
no data (its data-points attribute is 0), or a table has no rows. Saves a PNG screenshot.
Exit 77 (skipped) when Chromium is not installed.

Usage: check_report.py REPORT.html SCREENSHOT.png --sections id1,id2 [--charts id,...]
"""
import argparse
import html.parser
import os
import shutil
import subprocess
import sys
import tempfile

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars"]


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.by_id = {}      # id -> attrs
        self.charts = []     # attrs of <svg data-chart=...>
        self.tables = []     # attrs of <table>
        self.stack = []      # open element ids, to find each section's text length
        self.section_text = {}
        self.current_section = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.by_id[a["id"]] = dict(a, tag=tag)
        if tag == "svg" and "data-chart" in a:
            self.charts.append(a)
        if tag == "table":
            self.tables.append(a)
        if tag == "section":
            self.current_section = a.get("id")
            self.section_text.setdefault(self.current_section, 0)

    def handle_endtag(self, tag):
        if tag == "section":
            self.current_section = None

    def handle_data(self, data):
        if self.current_section is not None:
            self.section_text[self.current_section] += len(data.strip())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("report")
    p.add_argument("screenshot")
    p.add_argument("--sections", default="")
    p.add_argument("--charts", default="")
    p.add_argument("--chromium", default=shutil.which("chromium") or "")
    args = p.parse_args()
    if not args.chromium or not os.path.exists(args.chromium):
        print("SKIP: chromium not installed (scripts/install-deps.sh installs it)")
        return 77
    url = "file://" + os.path.abspath(args.report)
    errors = []
    with tempfile.TemporaryDirectory() as profile:
        base = [args.chromium] + FLAGS + ["--user-data-dir=" + profile]
        run = subprocess.run(base + ["--enable-logging=stderr", "--v=0",
                                     "--virtual-time-budget=5000", "--dump-dom", url],
                             capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            errors.append(f"chromium exited {run.returncode}: {run.stderr[-2000:]}")
        for line in run.stderr.splitlines():
            if ":CONSOLE" in line:
                errors.append("console message: " + line)
        dom_text = run.stdout
        shot = subprocess.run(base + ["--screenshot=" + os.path.abspath(args.screenshot),
                                      "--window-size=1366,3600", url],
                              capture_output=True, text=True, timeout=120)
        if shot.returncode != 0 or not os.path.exists(args.screenshot):
            errors.append(f"screenshot failed: {shot.stderr[-2000:]}")
    dom = Dom()
    dom.feed(dom_text)
    for sid in filter(None, args.sections.split(",")):
        node = dom.by_id.get(sid)
        if node is None or node["tag"] != "section":
            errors.append(f"section #{sid} missing")
        elif dom.section_text.get(sid, 0) < 20:
            errors.append(f"section #{sid} is empty")
    chart_ids = set(filter(None, args.charts.split(",")))
    seen = set()
    for chart in dom.charts:
        if int(chart.get("data-points", "0")) <= 0:
            errors.append(f"chart '{chart.get('aria-label')}' draws no data")
    for cid in chart_ids:
        node = dom.by_id.get(cid)
        if node is None:
            errors.append(f"chart #{cid} missing")
        seen.add(cid)
    for table in dom.tables:
        if int(table.get("data-rows", "1")) <= 0:
            errors.append(f"table #{table.get('id')} has no rows")
    if not dom.charts:
        errors.append("no charts at all")
    for e in errors:
        print("FAIL:", e)
    print(f"checked {len(dom.charts)} charts, {len(dom.tables)} tables, "
          f"{len(dom.section_text)} sections; screenshot: {args.screenshot}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
