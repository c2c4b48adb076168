#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Renders a trainscope HTML report in headless Chromium, as a person would open it, and checks it.

Fails (exit 1) when: Chromium logs any console message (errors, uncaught exceptions: the report
writes nothing to the console on purpose), a required section is missing or empty, a chart draws
no data (its data-points attribute is 0), a table has no rows, or the layout clips: an element of
a chart (text, bar, line, cell) whose box, as the browser lays it out, reaches outside its SVG
(labels cut at the edge). Saves a PNG screenshot.
Exit 77 (skipped) when Chromium is not installed.

Usage: check_report.py REPORT.html SCREENSHOT.png --sections id1,id2 [--charts id,...]
       [--first-row TABLE=TEXT ...]
"""
import argparse
import html
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


# Appended to a copy of the report: after layout, every drawn element of every chart must lie
# inside its <svg> box (1 px of slack for anti-aliasing); what does not is written into the DOM
# (never to the console, which must stay empty), for --dump-dom to carry out.
LAYOUT_PROBE = """<script>
window.addEventListener('load', () => {
  const out = [];
  for (const svg of document.querySelectorAll('svg[data-chart]')) {
    const box = svg.getBoundingClientRect();
    for (const el of svg.querySelectorAll('text, rect, line, path, polyline, circle')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 ||
          r.bottom > box.bottom + 1) {
        const what = (el.textContent || el.tagName).trim().slice(0, 60);
        out.push(svg.closest('figure').id + ': ' + el.tagName + ' "' + what + '" at [' +
                 [r.left, r.top, r.right, r.bottom].map(Math.round) + '] outside [' +
                 [box.left, box.top, box.right, box.bottom].map(Math.round) + ']');
      }
    }
  }
  const pre = document.createElement('pre');
  pre.id = 'layout-probe';
  pre.setAttribute('data-count', String(out.length));
  pre.textContent = out.join('\\n');
  document.body.appendChild(pre);
});
</script>"""


def layout_problems(chromium, flags, report):
    """The chart elements drawn outside their SVG, as the browser lays the report out."""
    html_text = open(report, encoding="utf-8").read()
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "report-layout.html")
        with open(probe, "w", encoding="utf-8") as f:
            f.write(html_text.replace("</body>", LAYOUT_PROBE + "</body>"))
        run = subprocess.run([chromium] + flags + ["--user-data-dir=" + os.path.join(tmp, "p"),
                                                   "--window-size=1366,900",
                                                   "--virtual-time-budget=5000", "--dump-dom",
                                                   "file://" + probe],
                             capture_output=True, text=True, timeout=120)
    start = run.stdout.find('<pre id="layout-probe"')
    if start < 0:
        return ["layout probe did not run (no #layout-probe in the DOM)"]
    body = run.stdout[run.stdout.find(">", start) + 1:run.stdout.find("</pre>", start)]
    return ["layout: " + html.unescape(line) for line in body.splitlines() if line.strip()]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("report")
    p.add_argument("screenshot")
    p.add_argument("--sections", default="")
    p.add_argument("--charts", default="")
    p.add_argument("--first-row", action="append", default=[],
                   help="TABLE=TEXT: the first body row of table #TABLE starts with TEXT")
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
    errors += layout_problems(args.chromium, FLAGS, args.report)
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
    for spec in args.first_row:
        table_id, _, text = spec.partition("=")
        at = dom_text.find(f'<table id="{table_id}"')
        body = dom_text.find("<tbody>", at)
        cell = dom_text.find("<td", body)
        first = dom_text[dom_text.find(">", cell) + 1:dom_text.find("</td>", cell)]
        if at < 0 or body < 0 or not html.unescape(first).startswith(text):
            errors.append(f"table #{table_id}: first row '{first}', expected '{text}'")
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
