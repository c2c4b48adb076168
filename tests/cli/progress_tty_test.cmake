# SPDX-License-Identifier: Apache-2.0
# Progress on a terminal (issue 21 item 4): run under `script` (a pseudo-terminal on stderr),
# `minder eval` draws "scoring recordings: N% (i/n recordings, R/s, ETA T s)", `overlap bench`
# its timed runs with rate and ETA, `report` "what-if analysis: running, T s" (never a bare 0);
# --quiet, --json and a stderr that is not a terminal draw nothing.
# Usage: cmake -DTS_BIN=trainscope -DTS_OPTABLE=op-table.csv -DTS_TMP=scratch -P progress_tty_test.cmake
cmake_minimum_required(VERSION 3.25)
find_program(SCRIPT script)
if(NOT SCRIPT)
  message("SKIP: no `script` (bsdutils) to give the command a terminal")
  return()
endif()
file(MAKE_DIRECTORY ${TS_TMP})

# tty(<out-var> <command line>): the terminal's text, carriage returns as line breaks and the
# erase-line codes dropped.
function(tty out command)
  execute_process(COMMAND ${SCRIPT} -qec "${command}" /dev/null RESULT_VARIABLE rc
                  OUTPUT_VARIABLE text ERROR_VARIABLE text)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${command}: exit ${rc}\n${text}")
  endif()
  string(ASCII 27 esc)
  string(REPLACE "${esc}[K" "" text "${text}")
  string(REPLACE "\r" "\n" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

set(eval "${TS_BIN} minder eval --exathlon '' --smd '' --synthetic 16 --seeds 1")
tty(text "${eval} > /dev/null")
if(NOT text MATCHES "minder eval: scoring recordings: [0-9]+% \\([0-9]+/5 recordings, [0-9.]+/s, ETA [0-9]+ (s|min)")
  message(FATAL_ERROR "minder eval on a terminal: no progress with rate and ETA:\n${text}")
endif()
if(NOT text MATCHES "minder eval: evaluating variants: ")
  message(FATAL_ERROR "minder eval on a terminal: no progress over the variants:\n${text}")
endif()
set(bench "overlap bench --ranks-as-threads --m 256 --n 1024 --k 1024 --reps 20")
foreach(flag --quiet --json)
  tty(text "${TS_BIN} ${flag} ${bench} > /dev/null")
  if(text MATCHES "overlap bench: ")
    message(FATAL_ERROR "${bench} ${flag} drew progress:\n${text}")
  endif()
endforeach()
execute_process(COMMAND ${TS_BIN} minder eval --exathlon "" --smd "" --synthetic 16 --seeds 1
                OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR err MATCHES "scoring recordings|\r")
  message(FATAL_ERROR "minder eval into a pipe: exit ${rc}, progress drawn:\n${err}")
endif()

# About 2 s: long enough for a line with a rate (drawn once 0.5 s have passed).
tty(text "${TS_BIN} overlap bench --ranks-as-threads --m 256 --n 1024 --k 1024 --reps 40 > /dev/null")
if(NOT text MATCHES "overlap bench: [0-9]+% \\([0-9]+/[0-9]+ timed runs, [0-9.]+/s, ETA [0-9]+ (s|min)")
  message(FATAL_ERROR "overlap bench on a terminal: no progress with rate and ETA:\n${text}")
endif()

tty(text "${TS_BIN} report --trace ${TS_OPTABLE} --out ${TS_TMP}/report > /dev/null")
if(NOT text MATCHES "what-if analysis: running, [0-9]+ s" OR text MATCHES "what-if analysis: 0")
  message(FATAL_ERROR "report on a terminal: the what-if line does not say it runs:\n${text}")
endif()

# workload synth: the simulation (time spent), then the rank files counted (was time spent only).
tty(text "${TS_BIN} workload synth ${TS_SYNTH_CONFIG} --steps 3 --out ${TS_TMP}/synth > /dev/null")
if(NOT text MATCHES "workload synth: small-pipeline: simulating: running" OR
   NOT text MATCHES "workload synth: small-pipeline: [0-9]+% \\([0-9]+/16 rank files")
  message(FATAL_ERROR "workload synth on a terminal: no simulating line or rank-file count:\n${text}")
endif()
