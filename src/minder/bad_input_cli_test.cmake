# SPDX-License-Identifier: Apache-2.0
# `trainscope minder detect` on each bad input of issue 5 item 9 (tests/data/minder/bad): exit 3
# with one error line naming the file and the place, or exit 0 with the documented recovery
# shown as a diagnostic. Run with -DTS_BIN=<trainscope> -DTS_BAD=<tests/data/minder/bad>.
include(${CMAKE_CURRENT_LIST_DIR}/../../tests/cli/expect_rc.cmake)

function(expect_error expected_regex)
  expect_rc(3 minder detect ${ARGN} --last 0)
  if(NOT last_err MATCHES "${expected_regex}")
    message(FATAL_ERROR "minder detect ${ARGN}: stderr does not match '${expected_regex}':\n${last_err}")
  endif()
endfunction()

function(expect_recovery expected_regex)
  expect_rc(0 minder detect ${ARGN} --last 0 --continuity 5)
  if(NOT last_err MATCHES "${expected_regex}")
    message(FATAL_ERROR "minder detect ${ARGN}: recovery not shown, want '${expected_regex}':\n${last_err}")
  endif()
  if(NOT last_out MATCHES "4 machines, 40 s")
    message(FATAL_ERROR "minder detect ${ARGN}: expected 4 machines over 40 s:\n${last_out}")
  endif()
endfunction()

# Errors: file and place (line, byte) in one message, exit 3.
expect_error("error: .*bad_truncated.csv:161: truncated last line" ${TS_BAD}/bad_truncated.csv)
expect_error("error: .*bad_truncated.csv.gz: byte 339: truncated gzip stream" ${TS_BAD}/bad_truncated.csv.gz)
expect_error("error: .*bad_prom_truncated.json: byte 162: truncated JSON" ${TS_BAD}/bad_prom_truncated.json)
expect_error("error: .*bad_prom_error.json: Prometheus returned an error: timeout" ${TS_BAD}/bad_prom_error.json)
expect_error("error: .*bad_empty_pull.csv: no samples \\(an empty pull\\)" ${TS_BAD}/bad_empty_pull.csv)
# One machine cannot be judged: the inconclusive verdict (exit 5) with its reason (issue 15).
expect_rc(5 minder detect ${TS_BAD}/bad_single_machine.csv --last 0)
if(NOT last_out MATCHES "inconclusive: the data cannot support a verdict.*1 machine\\(s\\) with data")
  message(FATAL_ERROR "single machine: want the inconclusive verdict and its reason:\n${last_out}")
endif()

# Documented recoveries, shown with file and place.
expect_recovery("warning: non_finite_value \\(.*bad_nan_inf.csv, 3 x, first at line 11 column 9\\)"
                ${TS_BAD}/bad_nan_inf.csv)
expect_recovery("warning: duplicate_timestamp \\(.*bad_duplicate_ts.csv, 1 x, first at machine m1 metric DCGM_FI_DEV_GPU_UTIL at 1010 s\\)"
                ${TS_BAD}/bad_duplicate_ts.csv)
expect_recovery("warning: non_monotonic_time \\(.*bad_non_monotonic.csv, 20 x, first at machine m0 metric DCGM_FI_DEV_GPU_UTIL at 1020 s\\)"
                ${TS_BAD}/bad_non_monotonic.csv)
expect_recovery("info: unmapped_metric \\(my_custom_throughput" ${TS_BAD}/bad_unknown_metric.csv)
# A machine name that is not UTF-8: kept, escaped as \xff in the text and --json outputs, and
# said so with the line it came from (issue 21 item 2).
expect_recovery("warning: invalid_utf8_name \\(.*bad_invalid_utf8_machine.csv, 1 x, first at line 4\\): machine name 'm\\\\xff2' is not valid UTF-8 \\(byte 1 of the name\\)"
                ${TS_BAD}/bad_invalid_utf8_machine.csv)
expect_rc(0 minder detect ${TS_BAD}/bad_invalid_utf8_machine.csv --last 0 --continuity 5)
if(NOT last_out MATCHES "group g1: 4 machine\\(s\\), mean correlation [0-9.]+: m0, m1, m\\\\xff2, m3\n")
  message(FATAL_ERROR "the machine name is not escaped in the text output:\n${last_out}")
endif()
expect_rc(0 --json minder detect ${TS_BAD}/bad_invalid_utf8_machine.csv --last 0 --continuity 5)
string(JSON escaped GET "${last_out}" groups 0 machines 2)
string(JSON diagnostic GET "${last_out}" diagnostics 0 name)
if(NOT escaped STREQUAL "m\\xff2" OR NOT diagnostic STREQUAL "invalid_utf8_name")
  message(FATAL_ERROR "--json: machine '${escaped}', diagnostic '${diagnostic}':\n${last_out}")
endif()

# The unknown metric is still compared, under its own name.
expect_rc(0 --json minder detect ${TS_BAD}/bad_unknown_metric.csv --last 0 --continuity 5)
string(JSON tried GET "${last_out}" channels_tried 0)
if(NOT tried STREQUAL "my_custom_throughput")
  message(FATAL_ERROR "unknown metric not compared: channels_tried[0] = '${tried}'\n${last_out}")
endif()

# A machine expected but absent from the whole pull is reported (data_loss), never silently
# dropped; --strict turns that into exit 3.
expect_rc(0 minder detect ${TS_BAD}/bad_missing_machine.csv --machines m0,m1,m2,m3 --last 0 --continuity 5)
if(NOT last_out MATCHES "machine m3 is absent from the whole pull" OR NOT last_err MATCHES "data_loss: machine_absent \\(m3")
  message(FATAL_ERROR "absent machine not reported:\n${last_out}\n${last_err}")
endif()
expect_rc(0 --json minder detect ${TS_BAD}/bad_missing_machine.csv --machines m0,m1,m2,m3 --last 0 --continuity 5)
string(JSON absent GET "${last_out}" absent_machines 0)
if(NOT absent STREQUAL "m3")
  message(FATAL_ERROR "absent_machines[0] = '${absent}'\n${last_out}")
endif()
expect_rc(3 --strict minder detect ${TS_BAD}/bad_missing_machine.csv --machines m0,m1,m2,m3 --last 0)
