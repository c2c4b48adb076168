# SPDX-License-Identifier: Apache-2.0
# `trainscope minder eval` end to end on synthetic lock-step jobs (no shared data): the JSON has
# every variant of issue 5 item 7, full Minder finds the injected faults without a false alarm
# on the healthy recordings, and continuity off loses precision (the paper's expected shape).
# Usage: cmake -DTS_BIN=trainscope -DTS_MODELS=models/minder -P minder_eval_test.cmake
cmake_minimum_required(VERSION 3.25)
execute_process(COMMAND ${TS_BIN} --json minder eval --exathlon "" --smd "" --synthetic 16,32 --seeds 2
                        --models ${TS_MODELS}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "minder eval exited ${rc}:\n${err}")
endif()
string(JSON faults GET "${out}" faults_injected synthetic)
if(faults LESS 2)
  message(FATAL_ERROR "only ${faults} fault(s) injected")
endif()
string(JSON n LENGTH "${out}" variants)
math(EXPR last "${n} - 1")
set(seen "")
foreach(i RANGE ${last})
  string(JSON name GET "${out}" variants ${i} variant)
  string(JSON p GET "${out}" variants ${i} precision)
  string(JSON r GET "${out}" variants ${i} recall)
  string(JSON healthy GET "${out}" variants ${i} healthy_alerts)
  list(APPEND seen ${name})
  set(precision_${name} ${p})
  set(recall_${name} ${r})
  set(healthy_${name} ${healthy})
endforeach()
foreach(v minder raw_distance mahalanobis continuity_off minder_latent)
  if(NOT v IN_LIST seen)
    message(FATAL_ERROR "variant ${v} missing from ${seen}")
  endif()
endforeach()
# CMake compares numbers as doubles with LESS/GREATER.
if(recall_minder LESS 0.75 OR precision_minder LESS 0.75)
  message(FATAL_ERROR "minder P ${precision_minder} R ${recall_minder} on clean synthetic jobs")
endif()
if(NOT healthy_minder EQUAL 0)
  message(FATAL_ERROR "minder raised ${healthy_minder} alert(s) on the healthy recordings")
endif()
if(NOT precision_continuity_off LESS precision_minder)
  message(FATAL_ERROR "continuity off should lose precision: ${precision_continuity_off} vs ${precision_minder}")
endif()

# --profiles: a file with one fault type injects only that type; a malformed line is an error
# naming the file and line (exit 3).
set(prof ${CMAKE_CURRENT_BINARY_DIR}/minder_eval_unreachable.prof)
file(WRITE ${prof} "# only machines going dark\nunreachable,1,*,missing,0\n")
execute_process(COMMAND ${TS_BIN} --json minder eval --exathlon "" --smd "" --synthetic 16 --seeds 1
                        --models ${TS_MODELS} --profiles ${prof}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "minder eval --profiles exited ${rc}:\n${err}")
endif()
string(JSON faults GET "${out}" faults_injected synthetic)
string(JSON unreachable GET "${out}" variants 0 per_type unreachable faults)
if(faults LESS 1 OR NOT unreachable EQUAL faults)
  message(FATAL_ERROR "--profiles with one type: ${unreachable} unreachable of ${faults} faults")
endif()
file(WRITE ${prof} "unreachable,1,*,missing\n")
execute_process(COMMAND ${TS_BIN} minder eval --exathlon "" --smd "" --synthetic 16 --seeds 1
                        --models ${TS_MODELS} --profiles ${prof}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 3 OR NOT err MATCHES "minder_eval_unreachable.prof:1: expected type,weight,metric,effect,value")
  message(FATAL_ERROR "malformed profile: rc ${rc}, stderr:\n${err}")
endif()

# Sizes no evaluation can use are refused at once (exit 3): N = 1e9 ran past any timeout, and
# --seeds 0 printed precision and recall 0 over no fault as if they were results.
execute_process(COMMAND ${TS_BIN} minder eval --exathlon "" --smd "" --synthetic 1000000000
                        --seeds 1 --models ${TS_MODELS} TIMEOUT 20
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 3 OR NOT err MATCHES "--synthetic 1000000000: at most 4096 machines")
  message(FATAL_ERROR "--synthetic 1e9: rc ${rc}, stderr:\n${err}")
endif()
execute_process(COMMAND ${TS_BIN} minder eval --exathlon "" --smd "" --synthetic 16 --seeds 0
                        --models ${TS_MODELS}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 3 OR NOT err MATCHES "--seeds 0: at least 1 injection seed")
  message(FATAL_ERROR "--seeds 0: rc ${rc}, stderr:\n${err}")
endif()
