# SPDX-License-Identifier: Apache-2.0
# `mpirun -np N trainscope --json minder detect FILE` (and `minder replay`) prints exactly what
# `mpirun -np 1` prints (the pairwise distances are split over the MPI processes, bitwise the same
# for any count; only the first process writes) and names the same alerts (machine, metric, start,
# end) as the run without MPI (threaded distances: scores may differ in the last float bits),
# which are the injected fault of the labels file; bad input exits 3 under mpirun as without it.
# Run with -DTS_BIN=<trainscope> -DTS_MPIEXEC=<mpiexec> -DTS_NP=<N> -DTS_INPUT=<metrics>
# -DTS_LABELS=<machine,type,start,end CSV>.
set(args --json minder detect ${TS_INPUT} --last 0)
execute_process(COMMAND ${TS_BIN} ${args} RESULT_VARIABLE rc0 OUTPUT_VARIABLE plain ERROR_VARIABLE err0)
execute_process(COMMAND ${TS_MPIEXEC} --oversubscribe --allow-run-as-root -np 1 ${TS_BIN} ${args}
                RESULT_VARIABLE rc1 OUTPUT_VARIABLE one ERROR_VARIABLE err1)
execute_process(COMMAND ${TS_MPIEXEC} --oversubscribe --allow-run-as-root -np ${TS_NP} ${TS_BIN} ${args}
                RESULT_VARIABLE rcn OUTPUT_VARIABLE many ERROR_VARIABLE errn)
if(NOT rc0 EQUAL 0 OR NOT rc1 EQUAL 0 OR NOT rcn EQUAL 0)
  message(FATAL_ERROR "minder detect: exit ${rc0} (no MPI) / ${rc1} (mpirun -np 1) / ${rcn} "
                      "(mpirun -np ${TS_NP})\n${err0}\n${err1}\n${errn}")
endif()
if(NOT one STREQUAL many)
  message(FATAL_ERROR "${TS_NP} processes print something else than one:\n"
                      "--- 1 process:\n${one}\n--- ${TS_NP} processes:\n${many}")
endif()

# "machine metric start end" of every alert.
function(alert_keys json out)
  string(JSON count LENGTH "${json}" alerts)
  set(keys "")
  if(count GREATER 0)
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
      string(JSON machine GET "${json}" alerts ${i} machine)
      string(JSON metric GET "${json}" alerts ${i} metric)
      string(JSON start GET "${json}" alerts ${i} start)
      string(JSON end GET "${json}" alerts ${i} end)
      list(APPEND keys "${machine} ${metric} ${start} ${end}")
    endforeach()
  endif()
  set(${out} "${keys}" PARENT_SCOPE)
endfunction()
alert_keys("${plain}" plain_keys)
alert_keys("${one}" mpi_keys)
if(NOT plain_keys STREQUAL mpi_keys)
  message(FATAL_ERROR "alerts differ: without MPI '${plain_keys}', under mpirun '${mpi_keys}'")
endif()
# The alert is the labelled fault: its machine, over the fault interval.
file(STRINGS ${TS_LABELS} labels)
list(GET labels 1 label)
string(REPLACE "," ";" label "${label}")
list(GET label 0 victim)
list(GET label 2 fault_start)
list(GET label 3 fault_end)
list(LENGTH mpi_keys alerts)
if(NOT alerts EQUAL 1)
  message(FATAL_ERROR "expected one alert (machine ${victim}), got '${mpi_keys}'")
endif()
string(REPLACE " " ";" alert "${mpi_keys}")
list(GET alert 0 machine)
list(GET alert 2 start)
list(GET alert 3 end)
# An alert starts at its first window, which may begin up to 7 s (window 8 s) before the fault.
math(EXPR earliest "${fault_start} - 7")
if(NOT machine STREQUAL victim OR start LESS earliest OR start GREATER fault_end)
  message(FATAL_ERROR "alert '${mpi_keys}' is not the injected fault on ${victim} "
                      "(${fault_start}..${fault_end})")
endif()
# `minder replay` (two calls on the fixture) likewise.
execute_process(COMMAND ${TS_MPIEXEC} --oversubscribe --allow-run-as-root -np 1 ${TS_BIN} --json minder replay ${TS_INPUT}
                RESULT_VARIABLE rr1 OUTPUT_VARIABLE replay_one ERROR_VARIABLE rerr1)
execute_process(COMMAND ${TS_MPIEXEC} --oversubscribe --allow-run-as-root -np ${TS_NP} ${TS_BIN} --json minder replay ${TS_INPUT}
                RESULT_VARIABLE rrn OUTPUT_VARIABLE replay_many ERROR_VARIABLE rerrn)
if(NOT rr1 EQUAL 0 OR NOT rrn EQUAL 0 OR NOT replay_one STREQUAL replay_many)
  message(FATAL_ERROR "minder replay: exit ${rr1} / ${rrn}, output of 1 process:\n${replay_one}\n"
                      "--- ${TS_NP} processes:\n${replay_many}\n${rerr1}\n${rerrn}")
endif()
string(JSON calls GET "${replay_one}" calls)
if(calls LESS 2)
  message(FATAL_ERROR "minder replay: ${calls} call(s), 2 expected")
endif()
# Bad input (not a metrics file): the same exit code under mpirun as without it.
get_filename_component(dir ${TS_INPUT} DIRECTORY)
execute_process(COMMAND ${TS_BIN} minder detect ${dir}/README.md RESULT_VARIABLE bad0
                OUTPUT_QUIET ERROR_QUIET)
execute_process(COMMAND ${TS_MPIEXEC} --oversubscribe --allow-run-as-root -np ${TS_NP} ${TS_BIN}
                        minder detect ${dir}/README.md
                RESULT_VARIABLE badn OUTPUT_QUIET ERROR_VARIABLE bad_err)
if(NOT bad0 EQUAL 3 OR NOT badn EQUAL 3)
  message(FATAL_ERROR "bad input: exit ${bad0} without MPI, ${badn} under mpirun (3 expected)\n${bad_err}")
endif()
string(LENGTH "${one}" bytes)
message(STATUS "identical on 1 and ${TS_NP} processes (${bytes} bytes of JSON); alert ${mpi_keys} "
               "as without MPI, on the labelled machine")
