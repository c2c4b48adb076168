# SPDX-License-Identifier: Apache-2.0
# expect_rc(<code> <args>...): runs ${TS_BIN} <args>, fails unless it exits <code>; leaves its
# stdout/stderr in last_out / last_err. Shared by the CLI-level test scripts.
function(expect_rc expected)
  execute_process(COMMAND ${TS_BIN} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL ${expected})
    message(FATAL_ERROR "trainscope ${ARGN}: exit ${rc}, expected ${expected}\n${out}\n${err}")
  endif()
  set(last_out "${out}" PARENT_SCOPE)
  set(last_err "${err}" PARENT_SCOPE)
endfunction()
