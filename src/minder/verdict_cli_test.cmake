# SPDX-License-Identifier: Apache-2.0
# `trainscope minder detect|replay` where the data cannot support a verdict (issue 15): the
# inconclusive verdict (exit 5) with its reason in the text and in --json, never "no faulty machine
# found"; bad option values are usage errors (exit 2). Run with -DTS_BIN=<trainscope>
# -DTS_DATA=<tests/data/minder> [-DTS_SHARED=<../shared/data>].
include(${CMAKE_CURRENT_LIST_DIR}/../../tests/cli/expect_rc.cmake)
set(V ${TS_DATA}/verdict)

function(expect_inconclusive reason_regex)
  expect_rc(5 minder detect ${ARGN})
  if(NOT last_out MATCHES "inconclusive: the data cannot support a verdict" OR NOT last_out MATCHES "${reason_regex}")
    message(FATAL_ERROR "minder detect ${ARGN}: want the inconclusive verdict with '${reason_regex}':\n${last_out}")
  endif()
  if(last_out MATCHES "no faulty machine found")
    message(FATAL_ERROR "minder detect ${ARGN}: inconclusive data reported as healthy:\n${last_out}")
  endif()
  expect_rc(5 --json minder detect ${ARGN})
  string(JSON verdict GET "${last_out}" verdict)
  string(JSON reason GET "${last_out}" inconclusive 0)
  if(NOT verdict STREQUAL "inconclusive" OR NOT reason MATCHES "${reason_regex}")
    message(FATAL_ERROR "minder detect --json ${ARGN}: verdict '${verdict}', reason '${reason}'")
  endif()
endfunction()

expect_inconclusive("2 machine\\(s\\) with data" ${V}/two_machines.csv --last 0)
expect_inconclusive("1 s of data" ${V}/one_second.csv --last 0)
expect_inconclusive("100 s of data: a fault must persist for 240 windows" ${TS_DATA}/gpu_job_fault.csv.gz --last 100)
expect_inconclusive("samples arrive every 15 s.*scrape_interval: 1s" ${V}/prom_step15.json --last 0)
expect_inconclusive("samples arrive every 30 s.*DCGM_EXPORTER_INTERVAL=1000" ${V}/prom_step30.json --last 0)
expect_inconclusive("nothing to compare" ${V}/no_usable_channel.csv --last 0)

# Replay: no call can be made on 1 s of data.
expect_rc(5 --json minder replay ${V}/one_second.csv)
string(JSON verdict GET "${last_out}" verdict)
if(NOT verdict STREQUAL "inconclusive")
  message(FATAL_ERROR "minder replay on 1 s: verdict '${verdict}'\n${last_out}")
endif()

# The same job with enough data is judged: the verdict names the machine (exit 0).
expect_rc(0 --json minder detect ${TS_DATA}/gpu_job_fault.csv.gz --last 0)
string(JSON verdict GET "${last_out}" verdict)
string(JSON machine GET "${last_out}" alerts 0 machine)
if(NOT verdict STREQUAL "faulty" OR NOT machine STREQUAL "m3")
  message(FATAL_ERROR "gpu_job_fault: verdict '${verdict}', machine '${machine}'\n${last_out}")
endif()

# Bad option values are usage errors.
foreach(bad "--threshold;nan" "--threshold;-3" "--threshold;inf" "--continuity;0" "--last;-5")
  expect_rc(2 minder detect ${TS_DATA}/gpu_job_fault.csv.gz ${bad})
endforeach()
expect_rc(2 minder replay ${TS_DATA}/gpu_job_fault.csv.gz --every 0)
expect_rc(2 minder replay ${TS_DATA}/gpu_job_fault.csv.gz --pull -1)

# A machine left ungrouped (not judged) and no alert: "no faulty machine found" covers the judged
# machines only, and says how many were not judged (it read as a verdict on all 8).
expect_rc(0 minder detect ${V}/one_ungrouped.csv --last 0 --continuity 5)
if(NOT last_out MATCHES "no faulty machine found among the 7 judged machine\\(s\\); 1 not judged")
  message(FATAL_ERROR "one ungrouped machine: the verdict does not name its scope:\n${last_out}")
endif()

# Real data (skipped without ../shared): a healthy 15-min Exathlon slice whose MEM_buffers is
# constant within every machine (3.3 on node6, 1.3 on the others) raises no alert, and says why
# the channel was skipped.
set(SLICE ${TS_SHARED}/metrics/exathlon-spark4/traces/9_0_100000_3.csv.gz)
if(TS_SHARED AND EXISTS ${SLICE})
  expect_rc(0 --json minder detect ${SLICE} --last 900)
  string(JSON n LENGTH "${last_out}" alerts)
  if(NOT n EQUAL 0)
    message(FATAL_ERROR "constant MEM_buffers slice: ${n} alert(s)\n${last_out}")
  endif()
  if(NOT last_out MATCHES "\"channel\":\"MEM_buffers\",\"group\":\"[^\"]*\",\"reason\":\"constant within every machine")
    message(FATAL_ERROR "constant MEM_buffers slice: MEM_buffers not reported as skipped\n${last_out}")
  endif()
else()
  message(STATUS "exathlon slice absent (${SLICE}): real-data check skipped")
endif()
