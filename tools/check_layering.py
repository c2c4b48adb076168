#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks the one-way data flow of docs/architecture.md: which src/ module may include which.

Usage: check_layering.py SRC_DIR. Exits 1 and lists every violation (file:line, include).
"""
import pathlib
import re
import sys

# module -> modules it may include (besides itself). Inputs -> model -> analyses -> reports.
ALLOWED = {
    "base": set(),
    "model": {"base"},
    "ingest": {"base", "model"},
    "graph": {"base", "model"},
    "overlap": {"base", "model"},
    "minder": {"base", "model"},
    "whatif": {"base", "model", "graph", "overlap"},
    "workload": {"base", "model", "graph", "overlap"},
    "report": {"base", "model", "graph", "whatif", "minder", "overlap", "workload"},
    "pipeline": {"base", "model", "ingest", "graph", "whatif", "minder", "overlap", "workload",
                 "report"},
    # Minder on a live Prometheus: HTTP pulls read by ingest's reader, then minder's pipeline.
    "live": {"base", "model", "ingest", "minder"},
    "cli": {"base", "model", "ingest", "graph", "whatif", "minder", "overlap", "workload",
            "report", "pipeline", "live"},
    # The Python module is a second front end beside the CLI: the same libraries, never the CLI.
    "python": {"base", "model", "ingest", "graph", "whatif", "minder", "overlap", "workload",
               "report", "pipeline"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def main() -> int:
    src = pathlib.Path(sys.argv[1])
    errors = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in {".h", ".cc", ".cu", ".cuh", ".in"}:
            continue
        module = path.relative_to(src).parts[0]
        if module not in ALLOWED:
            errors.append(f"{path}: folder src/{module} is not a known module")
            continue
        for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(1)
            parts = target.split("/")
            if len(parts) < 2 or parts[0] not in ALLOWED:
                continue  # system or same-folder include
            dep = parts[0]
            if dep != module and dep not in ALLOWED[module]:
                errors.append(f"{path}:{lineno}: src/{module} may not include {target}")
            if dep != module and "internal" in parts[1:-1]:
                errors.append(f"{path}:{lineno}: {target} is private to src/{dep}")
    for e in errors:
        print(e)
    print(f"layering: {len(errors)} violation(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
