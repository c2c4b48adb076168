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
# Issue 21 item 3: more bad inputs of each reader, each with its place (line:column or byte,
# counted in the files by make_bad_inputs.py) and its reason.
expect_error("error: .*bad_no_machine_column.csv:1:11: column 2 is 'host', not 'machine'" ${TS_BAD}/bad_no_machine_column.csv)
expect_error("error: .*bad_value_text.csv:8:9: bad number 'busy' in column 'DCGM_FI_DEV_GPU_UTIL'" ${TS_BAD}/bad_value_text.csv)
expect_error("error: .*bad_timestamp_text.csv:6:1: bad timestamp 'yesterday' \\(want Unix seconds\\)" ${TS_BAD}/bad_timestamp_text.csv)
expect_error("error: .*bad_extra_field.csv:4:15: more fields than the 3 header columns" ${TS_BAD}/bad_extra_field.csv)
expect_error("error: .*bad_missing_field.csv:4:8: 2 fields, header has 3" ${TS_BAD}/bad_missing_field.csv)
expect_error("error: .*bad_prom_result_type.json: byte 41: resultType 'scalar' is not a matrix" ${TS_BAD}/bad_prom_result_type.json)
expect_error("error: .*bad_prom_values_not_array.json: byte 141: 'values' must be an array" ${TS_BAD}/bad_prom_values_not_array.json)
expect_error("error: .*bad_prom_value_not_string.json: byte 160: sample value is not a string" ${TS_BAD}/bad_prom_value_not_string.json)
expect_error("error: .*bad_prom_bad_number.json: byte 160: bad sample value 'ninety' at t=1001" ${TS_BAD}/bad_prom_bad_number.json)
expect_error("error: .*bad_prom_invalid_utf8.json: byte 118: invalid UTF-8" ${TS_BAD}/bad_prom_invalid_utf8.json)
expect_error("error: .*bad_prom_trailing.json: byte 159: unexpected ']' after the end of the JSON document" ${TS_BAD}/bad_prom_trailing.json)
expect_error("error: .*bad_prom_text_value.prom:3:37: bad sample value 'busy'" ${TS_BAD}/bad_prom_text_value.prom)
expect_error("error: .*bad_prom_text_unclosed.prom:2:46: unterminated label value" ${TS_BAD}/bad_prom_text_unclosed.prom)
expect_error("error: .*bad_prom_text_no_value.prom:2:36: the sample has no value" ${TS_BAD}/bad_prom_text_no_value.prom)
expect_error("error: .*bad_prom_text_bad_timestamp.prom:2:40: bad timestamp 'soon' \\(want integer ms\\)" ${TS_BAD}/bad_prom_text_bad_timestamp.prom)
# A UTF-8 byte order mark is accepted: the same job as without it.
expect_rc(0 minder detect ${TS_BAD}/bad_bom.csv --last 0 --continuity 5)
if(NOT last_out MATCHES "4 machines, 40 s")
  message(FATAL_ERROR "bad_bom.csv: expected 4 machines over 40 s:\n${last_out}")
endif()

# One machine cannot be judged: the inconclusive verdict (exit 5) with its reason (issue 15).
expect_rc(5 minder detect ${TS_BAD}/bad_single_machine.csv --last 0)
if(NOT last_out MATCHES "inconclusive: the data cannot support a verdict.*1 machine\\(s\\) with data")
  message(FATAL_ERROR "single machine: want the inconclusive verdict and its reason:\n${last_out}")
endif()

# --metrics naming no metric of the input is refused with the metrics it has (it was skipped
# silently and the default order judged instead).
expect_error("error: --metrics: 'no_such_metric' is not a metric of the input \\(it has: .*gpu_util"
             ${TS_BAD}/bad_nan_inf.csv --metrics no_such_metric)

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
