#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the bad job configs of this folder (see README.md), each one change to
../small_pipeline.yaml. Deterministic. Run from anywhere: python3 make_bad_configs.py"""
import pathlib

HERE = pathlib.Path(__file__).parent
GOOD = (HERE.parent / "small_pipeline.yaml").read_text()


def write(name, text):
    (HERE / name).write_bytes(text if isinstance(text, bytes) else text.encode())


def main():
    write("unknown_key.yaml", GOOD.replace("recompute: selective", "recompte: selective"))
    write("duplicate_key.yaml", GOOD.replace("  gpus: 16\n", "  gpus: 16\n  gpus: 32\n"))
    write("tab_indent.yaml", GOOD.replace("    hidden: 2048", "\thidden: 2048"))
    write("layers_huge.yaml", GOOD.replace("layers: 16", "layers: 1e30"))
    write("unknown_gpu.yaml", GOOD.replace("gpu: A100", "gpu: Z900"))
    write("tp_not_dividing.yaml", GOOD.replace("tp: 2", "tp: 3"))
    write("list.yaml", "- a\n- b\n")
    write("batch_negative.yaml", GOOD.replace("global_batch: 16", "global_batch: -4"))
    write("bom.yaml", b"\xef\xbb\xbf" + GOOD.encode())  # accepted


if __name__ == "__main__":
    main()
