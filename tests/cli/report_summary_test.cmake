# SPDX-License-Identifier: Apache-2.0
# `trainscope report`'s summary on stdout says 'inconclusive' where the Minder part could not judge
# (40 s of samples): it printed 'Faulty machine: none among 3 machines', a result the data cannot
# support, while the HTML and --json said inconclusive. Run with -DTS_BIN=<trainscope>
# -DTS_SRC=<source root> -DTS_TMP=<scratch dir>.
include(${CMAKE_CURRENT_LIST_DIR}/expect_rc.cmake)

file(REMOVE_RECURSE ${TS_TMP})
expect_rc(0 report --metrics ${TS_SRC}/tests/data/minder/bad/bad_missing_machine.csv
          --out ${TS_TMP}/report)
if(NOT last_out MATCHES "Faulty machine: inconclusive among 3 machines \\([0-9]+ s of data"
   OR last_out MATCHES "none among")
  message(FATAL_ERROR "report summary on an inconclusive Minder part:\n${last_out}")
endif()
