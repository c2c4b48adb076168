#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the bad op-table inputs of bad/ (CSV, meta YAML, Parquet; see README.md there), each a
small change to a good table: fuzz/optable_corpus/st_step23.csv (212 ops of bytedance-wia-ST) with
its meta, or ok_plain_required_v1.parquet here. Deterministic.
Run from anywhere: python3 tests/data/optable/make_bad_optables.py"""
import pathlib

HERE = pathlib.Path(__file__).parent
BAD = HERE / "bad"
GOOD_CSV = HERE.parent.parent.parent / "fuzz" / "optable_corpus" / "st_step23.csv"
GOOD_PARQUET = HERE / "ok_plain_required_v1.parquet"
META = ("trial_name: X\nrun_id: 0\ndp_size: 2\ndsp_size: 1\npp_size: 4\ntp_size: 1\n"
        "vpp_size: 1\nworld_size: 8\n")


def case(name, csv, meta=None):
    """A folder `name` holding trace-X.csv (and meta-X.yaml when given)."""
    folder = BAD / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trace-X.csv").write_bytes(csv if isinstance(csv, bytes) else csv.encode())
    if meta is not None:
        (folder / "meta-X.yaml").write_bytes(meta if isinstance(meta, bytes) else meta.encode())


def main():
    text = GOOD_CSV.read_text()
    lines = text.splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    # CSV: header and cells.
    case("csv_no_dp_rank", header.replace("dp_rank,", "", 1) +
         "".join(r.split(",", 1)[1] for r in rows))
    case("csv_duration_text", header + "".join(rows[:9]) +
         rows[9].replace(rows[9].split(",")[6], "slow") + "".join(rows[10:]))
    case("csv_step_huge", header + "".join(rows[:4]) +
         rows[4].replace(",23,", ",99999999999999999999,", 1) + "".join(rows[5:]))
    case("csv_short_row", header + "".join(rows[:2]) + "0,0,0,23\n" + "".join(rows[3:]))
    case("csv_empty_optype", header + "".join(rows[:6]) +
         rows[6].replace(rows[6].split(",")[4], "", 1) + "".join(rows[7:]))
    case("csv_nan_start", header + "".join(rows[:11]) +
         rows[11].replace(rows[11].split(",")[5], "nan", 1) + "".join(rows[12:]))
    case("csv_duplicate_row", header + "".join(rows[:3]) + rows[2] + "".join(rows[3:]))
    case("csv_bom", b"\xef\xbb\xbf" + text.encode(), META)  # accepted
    # Meta YAML beside a good table.
    case("meta_unknown_key", text, META.replace("pp_size: 4\n", "pp_size: 4\npipeline: 4\n"))
    case("meta_size_text", text, META.replace("dp_size: 2", "dp_size: two"))
    case("meta_size_zero", text, META.replace("pp_size: 4", "pp_size: 0"))
    case("meta_not_mapping", text, "- dp_size\n- 2\n")
    case("meta_bad_indent", text, META.replace("tp_size: 1\n", "tp_size: 1\n  vpp: [1\n"))
    # Parquet: a good file cut, renamed or emptied.
    data = GOOD_PARQUET.read_bytes()
    BAD.mkdir(exist_ok=True)
    (BAD / "trace-cut.parquet").write_bytes(data[: len(data) // 2])
    (BAD / "trace-text.parquet").write_bytes(text.encode())
    (BAD / "trace-empty.parquet").write_bytes(b"")


if __name__ == "__main__":
    main()
