#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Lists C++ functions longer than N lines (issue 16 item 7: split long functions on their seams).

Usage:
  long_functions.py [--max-lines N] PATH...          list functions over N lines (default 120)
  long_functions.py --check ALLOWLIST [--max-lines N] SRC_DIR
      fails (exit 1) when a function over N lines is not in ALLOWLIST, when a listed function
      grew past its recorded length, or when an entry is stale (the function is gone or now
      short: delete the line). The allowlist may only shrink.

ALLOWLIST lines: `path/relative/to/SRC_DIR function_name lines`; '#' starts a comment.

The scan is approximate, by design cheap: comments, strings and preprocessor lines are blanked,
then braces are matched. A '{' opens a function body when it follows a ')' (allowing const,
noexcept, override, a trailing return type or a constructor's initialiser list) outside any
other function body; namespace, class, struct, enum and initialiser braces are not functions.
Lambdas and blocks inside a function count towards that function.
"""
import argparse
import pathlib
import re
import sys

SUFFIXES = {".h", ".cc", ".cu", ".cuh"}
CONTAINER = re.compile(r"\b(namespace|class|struct|union|enum)\b[^()]*$")
CONTROL = re.compile(r"^\s*(if|for|while|switch|catch|do|else|return)\b")
NAME = re.compile(r"((?:operator\s*\S+?|~?[A-Za-z_]\w*)(?:\s*::\s*~?[A-Za-z_]\w*)*)\s*\($")


def blank_code(text: str) -> str:
    """Replaces comments, string/char literals and preprocessor lines by spaces, keeping lines."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not text[i - 1].isalnum()):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i + m.end())
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'" and _digit_separator(text, i):
            out.append(c)  # 1'000'000: a digit separator, not a character literal
            i += 1
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else c)
            i = j
        elif c == "#" and (i == 0 or text[i - 1] == "\n" or text[:i].rsplit("\n", 1)[-1].strip() == ""):
            j = i
            while True:  # the directive and its continuation lines
                k = text.find("\n", j)
                k = n if k < 0 else k
                if k > 0 and text[k - 1] == "\\" and k < n:
                    j = k + 1
                    continue
                break
            out.append(re.sub(r"[^\n]", " ", text[i:k]))
            i = k
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _digit_separator(text: str, i: int) -> bool:
    """True when the quote at `i` separates digits of a number literal (C++14 1'000'000)."""
    if i + 1 >= len(text) or not (text[i + 1].isalnum()):
        return False
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] in "'."):
        j -= 1
    token_start = text[j] if j < i else ""
    return token_start.isdigit() and (j == 0 or text[j - 1] != "_")


def function_name(header: str):
    """The function's name if `header` (the text before a '{') is a function signature."""
    h = " ".join(header.split())
    if not h or CONTAINER.search(h) or CONTROL.match(h):
        return None
    # A constructor's initialiser list: cut at the ':' that follows the parameter list.
    depth, close = 0, -1
    for idx, ch in enumerate(h):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                close = idx
                rest = h[idx + 1:].strip()
                if rest.startswith(":") and not rest.startswith("::"):
                    break
    if close < 0:
        return None
    tail = h[close + 1:].strip()
    if tail and not re.match(r"^(const|noexcept|override|final|mutable|volatile|&|&&|->|:|\s|"
                             r"[\w:<>,*&\s\[\]()])*$", tail):
        return None
    if tail.startswith("->") is False and re.search(r"(^|[^=!<>])=([^=]|$)",
                                                    _outside_parens(h.replace("operator=", ""))):
        return None  # an initialiser (`x = [] {...}`, `T v = {...}`), not a definition
    # The name: the identifier before the '(' that opens the parameter list.
    depth = 0
    for idx in range(close, -1, -1):
        if h[idx] == ")":
            depth += 1
        elif h[idx] == "(":
            depth -= 1
            if depth == 0:
                m = NAME.search(h[: idx + 1])
                if not m:
                    return None
                name = re.sub(r"\s+", "", m.group(1))
                if name in {"if", "for", "while", "switch", "catch", "return", "sizeof",
                            "decltype", "alignas", "static_assert", "requires"}:
                    return None
                return name
    return None


def _outside_parens(s: str) -> str:
    out, depth = [], 0
    for ch in s:
        if ch in "(<[":
            depth += 1
        elif ch in ")>]":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def functions(path: pathlib.Path):
    """Yields (name, first_line, lines) for each function body in `path`."""
    code = blank_code(path.read_text(errors="replace"))
    stack = []  # per open brace: ("function", name, line) | ("other",)
    header_start = 0  # where the text before the next '{' begins
    line = 1
    in_function = 0
    for idx, ch in enumerate(code):
        if ch == "\n":
            line += 1
        elif ch == "{":
            name = None if in_function else function_name(code[header_start:idx])
            if name:
                stack.append(("function", name, line))
                in_function += 1
            else:
                stack.append(("other",))
            header_start = idx + 1
        elif ch == "}":
            if stack:
                top = stack.pop()
                if top[0] == "function":
                    in_function -= 1
                    yield top[1], top[2], line - top[2] + 1
            header_start = idx + 1
        elif ch == ";":
            header_start = idx + 1
    return


def scan(paths, max_lines):
    found = []
    for root in paths:
        root = pathlib.Path(root)
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES)
        for path in files:
            for name, first, lines in functions(path):
                if lines > max_lines:
                    found.append((path, first, name, lines))
    return found


def check(allowlist: pathlib.Path, src: pathlib.Path, max_lines: int) -> int:
    allowed = {}
    for raw in allowlist.read_text().splitlines():
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        rel, name, lines = text.split()
        allowed[(rel, name)] = int(lines)
    errors, seen = [], set()
    for path, first, name, lines in scan([src], max_lines):
        key = (path.relative_to(src).as_posix(), name)
        seen.add(key)
        if key not in allowed:
            errors.append(f"{path}:{first}: {name} has {lines} lines (> {max_lines}): split it on "
                          "its seams")
        elif lines > allowed[key]:
            errors.append(f"{path}:{first}: {name} grew to {lines} lines (allowlist: "
                          f"{allowed[key]}): split it, do not raise the number")
    for key, lines in sorted(allowed.items()):
        if key not in seen:
            errors.append(f"{allowlist}: '{key[0]} {key[1]} {lines}' is stale (gone or now "
                          f"<= {max_lines} lines): delete the line")
    for e in errors:
        print(e)
    print(f"long functions: {len(errors)} problem(s), {len(allowed)} allowlisted")
    return 1 if errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--max-lines", type=int, default=120)
    parser.add_argument("--check", metavar="ALLOWLIST")
    args = parser.parse_args()
    if args.check:
        return check(pathlib.Path(args.check), pathlib.Path(args.paths[0]), args.max_lines)
    for path, first, name, lines in sorted(scan(args.paths, args.max_lines),
                                           key=lambda f: -f[3]):
        print(f"{path}:{first}: {name} {lines} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
