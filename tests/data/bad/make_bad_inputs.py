#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the bad Kineto inputs of this folder (see README.md). Deterministic.
Run from anywhere: python3 tests/data/bad/make_bad_inputs.py"""
import gzip
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD = os.path.join(HERE, "..", "kineto", "demo", "rank-0.json")


def w(name, text):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    good = open(GOOD).read()
    w("empty.json", "")
    w("whitespace_only.json", "   \n  ")
    w("truncated.json", good[:5000])
    gz = gzip.compress(good.encode(), mtime=0)
    with open(os.path.join(HERE, "truncated.json.gz"), "wb") as f:
        f.write(gz[:len(gz) // 2])
    bad = bytearray(gz)
    for i in range(200, 260):
        bad[i] ^= 0x5A
    with open(os.path.join(HERE, "corrupt.json.gz"), "wb") as f:
        f.write(bytes(bad))
    base = '{"distributedInfo": {"rank": 0, "world_size": 2}, "traceEvents": [\n%s\n]}\n'
    ok = '{"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 1, "ts": 10, "dur": 5}'
    w("invalid_literal.json", base % (ok + ',\n{"ph": "X", "cat": "cpu_op", "name": "a", "pid": 1, '
                                           '"tid": 1, "ts": 12, "dur": tru}'))
    w("not_json.txt", "hello, this is not a trace\n")
    w("trace_events_not_array.json", '{"traceEvents": {"ph": "X"}}\n')
    w("no_trace_events.json", '{"schemaVersion": 1, "distributedInfo": {"rank": 0, "world_size": 1}}\n')
    w("event_not_object.json", "[" + ok + ", 42]\n")
    w("missing_comma.json", base % (ok + "\n" + ok))
    w("rank_wrong_type.json",
      '{"distributedInfo": {"rank": "zero", "world_size": 2}, "traceEvents": [%s]}\n' % ok)
    w("rank_outside_world.json",
      '{"distributedInfo": {"rank": 5, "world_size": 4}, "traceEvents": [%s]}\n' % ok)
    w("distributed_info_no_rank.json",
      '{"distributedInfo": {"backend": "nccl", "world_size": 4}, "traceEvents": [%s]}\n' % ok)
    w("distributed_info_not_object.json", '{"distributedInfo": [0, 4], "traceEvents": [%s]}\n' % ok)
    w("trailing_garbage.json", base % ok + "x\n")
    w("base_time_string.json", '{"traceEvents": [%s], "baseTimeNanoseconds": "soon"}\n' % ok)
    # Recoverable: the event is skipped (data_loss) or a warning is recorded.
    w("negative_dur.json", base % (ok + ",\n" + ok.replace('"dur": 5', '"dur": -5')))
    w("nan_dur.json", base % (ok + ",\n" + ok.replace('"dur": 5', '"dur": NaN')))
    # Finite but past int64 ns: out of range, not 'not a finite number'.
    w("huge_ts.json", base % (ok + ",\n" + ok.replace('"ts": 10', '"ts": 1e300')))
    w("huge_dur.json", base % (ok + ",\n" + ok.replace('"dur": 5', '"dur": 1e300')))
    w("ts_string.json", base % (ok + ",\n" + ok.replace('"ts": 10', '"ts": "ten"')))
    w("name_wrong_type.json", base % (ok + ",\n" + ok.replace('"name": "aten::mm"', '"name": 5')))
    w("end_without_begin.json", base % (ok + ',\n{"ph": "E", "pid": 1, "tid": 1, "ts": 30}'))
    w("kernel_before_launch.json", base % (
        '{"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, '
        '"ts": 100, "dur": 5, "args": {"correlation": 7}},\n'
        '{"ph": "X", "cat": "kernel", "name": "gemm", "pid": 0, "tid": 7, "ts": 90, "dur": 5, '
        '"args": {"correlation": 7}}'))
    # Regressions for undefined behaviour the fuzzer found (fixed; these must load cleanly):
    # a pid far outside int64 as a double, and tid = INT64_MIN (overflowed the track hash).
    w("pid_huge_double.json", base % ok.replace('"pid": 1', '"pid": 4.4e117'))
    w("tid_int64_min.json", base % ok.replace('"tid": 1', '"tid": -9223372036854775808'))
    # Job level: directories of rank files.
    for n in ("a", "b"):
        w(f"duplicate_ranks/{n}.json",
          '{"distributedInfo": {"rank": 1, "world_size": 2}, "traceEvents": [%s]}\n' % ok)
    w("other_job/rank-0.json",
      '{"distributedInfo": {"rank": 0, "world_size": 2}, "traceEvents": [%s]}\n' % ok)
    w("other_job/rank-1.json",
      '{"distributedInfo": {"rank": 1, "world_size": 8}, "traceEvents": [%s]}\n' % ok)

    def pg(rank, ranks):
        return ('{"distributedInfo": {"rank": %d, "world_size": 4, "pg_config": [{"pg_name": "0", '
                '"pg_desc": "default_pg", "ranks": %s}]}, "traceEvents": [%s]}\n'
                % (rank, json.dumps(ranks), ok))
    w("pg_mismatch/rank-0.json", pg(0, [0, 1, 2, 3]))
    w("pg_mismatch/rank-1.json", pg(1, [0, 1]))
    w("unknown_rank/alpha.json", '{"traceEvents": [%s]}\n' % ok)
    w("unknown_rank/beta.json", '{"traceEvents": [%s]}\n' % ok)
    more_cases(base, ok)


def wb(name, data):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def more_cases(base, ok):
    """Issue 21 item 3: each gives exit 3 with its file, its place and its reason (README)."""
    # A raw 0xff inside an event name, in the second event (reported at its own byte).
    wb("invalid_utf8_name.json",
       (base % (ok + ",\n" + ok.replace("aten::mm", "aten::\udcff"))).encode("utf-8", "surrogateescape"))
    # A raw control byte (here NUL) inside a string: not JSON.
    wb("nul_in_string.json", (base % (ok + ",\n" + ok.replace("aten::mm", "aten\x00mm"))).encode())
    wb("nul_in_distributed_info.json",
       ('{"distributedInfo": {"rank": 0,\x00 "world_size": 2}, "traceEvents": [%s]}\n' % ok).encode())
    w("world_size_zero.json",
      '{"distributedInfo": {"rank": 0, "world_size": 0}, "traceEvents": [%s]}\n' % ok)
    w("rank_negative.json",
      '{"distributedInfo": {"rank": -1, "world_size": 2}, "traceEvents": [%s]}\n' % ok)
    w("rank_huge.json",
      '{"distributedInfo": {"rank": 1e20, "world_size": 2}, "traceEvents": [%s]}\n' % ok)
    w("trace_events_null.json", '{"traceEvents": null}\n')
    w("unterminated_string.json", base.split("%s")[0] + '{"ph": "X", "name": "aten::m')
    w("open_array.json", '{"traceEvents": [')
    w("top_level_string.json", '"traceEvents"\n')
    wb("gzip_of_garbage.json.gz", gzip.compress(b"\x00\x01 this is not JSON\n", mtime=0))
    wb("gzip_empty_member.json.gz", gzip.compress(b"", mtime=0))
    w("deep_nesting.json", base % ok.replace('"dur": 5', '"dur": 5, "args": ' + "[" * 5000 + "]" * 5000))
    w("empty_dir/README.txt", "a folder with no trace file in it\n")


if __name__ == "__main__":
    main()
