# SPDX-License-Identifier: Apache-2.0
# `trainscope trace check` at the CLI level: exit 0 on a clean trace, exit 3 with every kind on
# the hand-made fixture (tests/data/kineto/make_check_fixtures.py names each violation), the
# public --json keys, --examples, --help naming the exit codes, bad input and usage errors.
# Run with -DTS_BIN=<trainscope> -DTS_BAD=<tests/data/bad> -DTS_KINETO=<tests/data/kineto>.
include(${CMAKE_CURRENT_LIST_DIR}/expect_rc.cmake)

macro(fail msg)
  message(FATAL_ERROR "FAILED: ${msg}")
endmacro()

# A clean trace (the demo's 4 ranks): exit 0, zero of every kind.
expect_rc(0 trace check ${TS_KINETO}/demo)
if(NOT last_out MATCHES "trace check: 0 violation\\(s\\)")
  fail("demo trace not clean:\n${last_out}")
endif()
expect_rc(0 --json trace check ${TS_KINETO}/demo)
string(JSON violations GET "${last_out}" violations)
string(JSON instances GET "${last_out}" coverage collective_instances)
string(JSON kinds LENGTH "${last_out}" by_kind)
string(JSON examples LENGTH "${last_out}" examples)
if(NOT violations EQUAL 0 OR NOT instances EQUAL 2 OR NOT kinds EQUAL 7 OR NOT examples EQUAL 0)
  fail("demo --json: ${last_out}")
endif()

# One violation of each kind: exit 3.
set(fixture ${TS_KINETO}/check/violations)
expect_rc(3 --json trace check ${fixture})
string(JSON violations GET "${last_out}" violations)
if(NOT violations EQUAL 7)
  fail("expected 7 violations:\n${last_out}")
endif()
foreach(kind stream_overlap collective_unmatched collective_disjoint collective_end_skew
             group_missing group_ranks_differ group_size_mismatch)
  string(JSON n GET "${last_out}" by_kind ${kind})
  if(NOT n EQUAL 1)
    fail("${kind}: ${n}, expected 1:\n${last_out}")
  endif()
endforeach()
# Examples come in kind order; the first names rank, stream, event and the file's time.
string(JSON kind GET "${last_out}" examples 0 kind)
string(JSON rank GET "${last_out}" examples 0 rank)
string(JSON stream GET "${last_out}" examples 0 stream)
string(JSON event GET "${last_out}" examples 0 event)
string(JSON ts GET "${last_out}" examples 0 file_ts_us)
string(JSON other GET "${last_out}" examples 0 other event)
string(JSON disjoint_rank GET "${last_out}" examples 2 rank)
string(JSON gap GET "${last_out}" examples 2 amount_ns)
if(NOT kind STREQUAL "stream_overlap" OR NOT rank EQUAL 0 OR NOT stream EQUAL 7
   OR NOT event STREQUAL "gemm_b" OR NOT ts EQUAL 1000150 OR NOT other STREQUAL "gemm_a"
   OR NOT disjoint_rank EQUAL 0 OR NOT gap EQUAL 400000)
  fail("unexpected examples: ${last_out}")
endif()
expect_rc(3 --json trace check --examples 0 ${fixture})
string(JSON examples LENGTH "${last_out}" examples)
string(JSON violations GET "${last_out}" violations)
if(NOT examples EQUAL 0 OR NOT violations EQUAL 7)
  fail("--examples 0: ${last_out}")
endif()
# Text: counts by kind, then the examples with rank, stream, event and time.
expect_rc(3 trace check ${fixture})
if(NOT last_out MATCHES "collective_end_skew +1" OR
   NOT last_out MATCHES "rank 0 stream 7 'gemm_b' at 1000150.000 us")
  fail("text output:\n${last_out}")
endif()
# A wider end tolerance accepts the 500 us skew.
expect_rc(3 --json trace check --end-tolerance-us 600 ${fixture})
string(JSON skew GET "${last_out}" by_kind collective_end_skew)
if(NOT skew EQUAL 0)
  fail("--end-tolerance-us 600 still reports the skew: ${last_out}")
endif()

# --help names the exit codes.
expect_rc(0 trace check --help)
if(NOT last_out MATCHES "3: violations found")
  fail("--help does not document exit 3:\n${last_out}")
endif()
# Unreadable input: exit 3 with one error line; a negative option: usage error.
expect_rc(3 trace check ${TS_BAD}/truncated.json)
if(NOT last_err MATCHES "truncated.json: byte 5000: .*the last ends at byte 4842")
  fail("bad input message: ${last_err}")
endif()
expect_rc(2 trace check --examples -1 ${fixture})
