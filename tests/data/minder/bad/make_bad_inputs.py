#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the small bad-input fixtures of this folder (deterministic; see README.md)."""
import gzip
import math
import pathlib

HERE = pathlib.Path(__file__).parent


def job(machines=4, seconds=40, metric="DCGM_FI_DEV_GPU_UTIL", t0=1000):
    """Long-CSV rows of a healthy lock-step job: a 7 s iteration, per-machine phase noise."""
    rows = []
    for s in range(seconds):
        for m in range(machines):
            v = 90.0 if (s % 7) < 5 else 40.0
            v += 0.5 * math.sin(1.3 * s + m)
            rows.append([str(t0 + s), f"m{m}", f"{v:.2f}"])
    return f"timestamp,machine,{metric}\n", rows


def write(name, header, rows, gz=False):
    text = header + "".join(",".join(r) + "\n" for r in rows)
    if gz:
        (HERE / name).write_bytes(gzip.compress(text.encode(), mtime=0))
    else:
        (HERE / name).write_text(text)


def main():
    header, rows = job()
    # NaN, Inf and -Inf samples: read as missing (non_finite_value), the gap filled.
    r = [list(x) for x in rows]
    r[9][2], r[22][2], r[41][2] = "NaN", "Inf", "-inf"
    write("bad_nan_inf.csv", header, r)
    # Duplicate timestamps: m1 sends second 1010 twice (mean used, duplicate_timestamp).
    r = [list(x) for x in rows]
    dup = next(x for x in r if x[0] == "1010" and x[1] == "m1")
    r.insert(r.index(dup) + 1, ["1010", "m1", "91.00"])
    write("bad_duplicate_ts.csv", header, r)
    # Non-monotonic time: seconds 1020..1024 of every machine come after 1025..1029.
    r = [list(x) for x in rows]
    early = [x for x in r if 1020 <= int(x[0]) <= 1024]
    late = [x for x in r if 1025 <= int(x[0]) <= 1029]
    rest = [x for x in r if x not in early and x not in late]
    cut = next(i for i, x in enumerate(rest) if int(x[0]) >= 1030)
    write("bad_non_monotonic.csv", header, rest[:cut] + late + early + rest[cut:])
    # Unknown metric name: no name rule matches; used under its own name (generic model).
    h2, r2 = job(metric="my_custom_throughput")
    write("bad_unknown_metric.csv", h2, r2)
    # Missing machine: m3 has no sample at all (give --machines m0,m1,m2,m3,m4 ... m4 absent).
    write("bad_missing_machine.csv", header, [x for x in rows if x[1] != "m3"])
    # Truncated file: the last row is cut in the middle of a field.
    text = header + "".join(",".join(x) + "\n" for x in rows)
    (HERE / "bad_truncated.csv").write_text(text[: text.rfind("\n", 0, len(text) - 1) + 6])
    # Truncated gzip stream.
    full = gzip.compress(text.encode(), mtime=0)
    (HERE / "bad_truncated.csv.gz").write_bytes(full[: len(full) // 2])
    # Empty pull: the header and no sample.
    write("bad_empty_pull.csv", header, [])
    # A single machine: no peers to compare with.
    write("bad_single_machine.csv", header, [x for x in rows if x[1] == "m0"])
    # A machine name that is not UTF-8 (m2 written "m\xff2"): kept, escaped in every output,
    # invalid_utf8_name at its first line (issue 21 item 2).
    text = header + "".join(",".join(x) + "\n" for x in rows)
    (HERE / "bad_invalid_utf8_machine.csv").write_bytes(text.encode().replace(b",m2,", b",m\xff2,"))
    # Prometheus: an error response, and a truncated matrix.
    (HERE / "bad_prom_error.json").write_text(
        '{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}\n')
    (HERE / "bad_prom_truncated.json").write_text(
        '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":'
        '"DCGM_FI_DEV_GPU_UTIL","Hostname":"m0","gpu":"0"},"values":[[1000,"90"],[1001,"9')
    more_cases(header, rows)


def prom_matrix(values, labels='"__name__":"DCGM_FI_DEV_GPU_UTIL","Hostname":"m0","gpu":"0"'):
    return ('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{%s},'
            '"values":%s}]}}\n' % (labels, values))


def more_cases(header, rows):
    """Issue 21 item 3: each gives exit 3 with the file, the place (line:column or byte) and the
    reason, or its documented recovery (README)."""
    text = header + "".join(",".join(x) + "\n" for x in rows)
    lines = text.splitlines(keepends=True)
    # Long CSV.
    (HERE / "bad_bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())  # accepted
    (HERE / "bad_no_machine_column.csv").write_text(text.replace("timestamp,machine,", "timestamp,host,", 1))
    (HERE / "bad_value_text.csv").write_text("".join(lines[:7]) + "1001,m2,busy\n" + "".join(lines[8:]))
    (HERE / "bad_timestamp_text.csv").write_text("".join(lines[:5]) + "yesterday,m0,90.00\n" + "".join(lines[6:]))
    (HERE / "bad_extra_field.csv").write_text("".join(lines[:3]) + "1000,m1,90.42,7\n" + "".join(lines[4:]))
    (HERE / "bad_missing_field.csv").write_text("".join(lines[:3]) + "1000,m1\n" + "".join(lines[4:]))
    # Prometheus query_range JSON.
    (HERE / "bad_prom_result_type.json").write_text(
        '{"status":"success","data":{"resultType":"scalar","result":[1000,"1"]}}\n')
    (HERE / "bad_prom_values_not_array.json").write_text(prom_matrix('"often"'))
    (HERE / "bad_prom_value_not_string.json").write_text(prom_matrix('[[1000,"90"],[1001,90]]'))
    (HERE / "bad_prom_bad_number.json").write_text(prom_matrix('[[1000,"90"],[1001,"ninety"]]'))
    (HERE / "bad_prom_invalid_utf8.json").write_bytes(
        prom_matrix('[[1000,"90"]]', '"__name__":"DCGM_FI_DEV_GPU_UTIL","Hostname":"m\udcff0"').encode(
            "utf-8", "surrogateescape"))
    (HERE / "bad_prom_trailing.json").write_text(prom_matrix('[[1000,"90"]]') + "]")
    # Prometheus text exposition.
    (HERE / "bad_prom_text_value.prom").write_text(
        '# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{Hostname="m0"} 90 1000000\n'
        'DCGM_FI_DEV_GPU_UTIL{Hostname="m1"} busy 1000000\n')
    (HERE / "bad_prom_text_unclosed.prom").write_text(
        '# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{Hostname="m0} 90 1000000\n')
    (HERE / "bad_prom_text_no_value.prom").write_text(
        '# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{Hostname="m0"}\n')
    (HERE / "bad_prom_text_bad_timestamp.prom").write_text(
        '# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{Hostname="m0"} 90 soon\n')


if __name__ == "__main__":
    main()
