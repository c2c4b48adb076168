# SPDX-License-Identifier: Apache-2.0
# `mpirun -np N trainscope --json whatif PATH` prints exactly what one process prints (the
# replays are split over the MPI processes; only the first one writes). Run with
# -DTS_BIN=<trainscope> -DTS_MPIEXEC=<mpiexec> -DTS_NP=<N> -DTS_INPUTS=<path;path;...>.
# Inputs that do not exist (../shared/data absent) are skipped with a message.
foreach(input IN LISTS TS_INPUTS)
  if(NOT EXISTS "${input}")
    message(STATUS "skipped (not present): ${input}")
    continue()
  endif()
  execute_process(COMMAND ${TS_BIN} --json whatif ${input}
                  RESULT_VARIABLE rc1 OUTPUT_VARIABLE one ERROR_VARIABLE err1)
  execute_process(COMMAND ${TS_MPIEXEC} --oversubscribe --allow-run-as-root -np ${TS_NP}
                          ${TS_BIN} --json whatif ${input}
                  RESULT_VARIABLE rcn OUTPUT_VARIABLE many ERROR_VARIABLE errn)
  if(NOT rc1 EQUAL 0 OR NOT rcn EQUAL 0)
    message(FATAL_ERROR "whatif ${input}: exit ${rc1} (1 process) / ${rcn} (${TS_NP} "
                        "processes)\n${err1}\n${errn}")
  endif()
  if(NOT one STREQUAL many)
    message(FATAL_ERROR "whatif ${input}: ${TS_NP} processes print something else than one:\n"
                        "--- 1 process:\n${one}\n--- ${TS_NP} processes:\n${many}")
  endif()
  string(LENGTH "${one}" bytes)
  message(STATUS "identical (${bytes} bytes of JSON): ${input}")
endforeach()
