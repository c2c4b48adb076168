# SPDX-License-Identifier: Apache-2.0
# One --strict rule for every command (issue 16 item 3, cli/command.h ApplyStrict): an input with
# a data_loss diagnostic passes without --strict and fails with it, exit 3, in one error line that
# names the diagnostic (never "see diagnostics"). Run with -DTS_BIN=<trainscope>
# -DTS_SRC=<source root> -DTS_TMP=<scratch dir>.
include(${CMAKE_CURRENT_LIST_DIR}/expect_rc.cmake)

set(BAD ${TS_SRC}/tests/data/bad)
set(MINDER_BAD ${TS_SRC}/tests/data/minder/bad)
set(KINETO_MISMATCH ${TS_SRC}/tests/data/whatif/kineto_mismatch)
file(MAKE_DIRECTORY ${TS_TMP})

# expect_strict(<diagnostic name> <exit code without --strict> <args>...): 3 with --strict,
# naming the diagnostic.
function(expect_strict name lenient_rc)
  expect_rc(${lenient_rc} --quiet ${ARGN})
  expect_rc(3 --strict ${ARGN})
  if(NOT last_err MATCHES "error: data loss in the input: data_loss: ${name} \\(.*--strict")
    message(FATAL_ERROR "--strict ${ARGN}: the error does not name ${name}:\n${last_err}")
  endif()
  if(last_err MATCHES "see diagnostics")
    message(FATAL_ERROR "--strict ${ARGN}: points elsewhere instead of naming:\n${last_err}")
  endif()
  string(REGEX MATCHALL "\n" lines "${last_err}")
  list(LENGTH lines line_count)
  if(NOT line_count EQUAL 1)
    message(FATAL_ERROR "--strict ${ARGN}: expected one error line, got:\n${last_err}")
  endif()
endfunction()

expect_strict(malformed_event 0 trace info ${BAD}/negative_dur.json)
expect_strict(malformed_event 0 trace export --perfetto ${TS_TMP}/export.json ${BAD}/negative_dur.json)
# (40 s cannot support a verdict: exit 5 without --strict)
expect_strict(machine_absent 5 minder detect ${MINDER_BAD}/bad_missing_machine.csv
              --machines m0,m1,m2,m3 --last 0)
expect_strict(collective_mismatch 0 report --trace ${KINETO_MISMATCH} --out ${TS_TMP}/report)

# Warnings and info never fail a command, even under --strict.
execute_process(COMMAND ${TS_BIN} --strict --quiet minder detect ${MINDER_BAD}/bad_nan_inf.csv --last 0
                RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(rc EQUAL 3)
  message(FATAL_ERROR "--strict failed on warnings only:\n${err}")
endif()
