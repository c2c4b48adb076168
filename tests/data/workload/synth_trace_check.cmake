# SPDX-License-Identifier: Apache-2.0
# Issue 18 item 1: the Kineto traces `workload synth` writes pass `trainscope trace check` with
# zero violations: no two ops overlap on a rank's CUDA stream, the members of every collective
# overlap and end together, process groups agree with the layout. Run on a job with an injected
# straggler (its peers wait for it in every collective across workers).
# Usage: cmake -DTS_BIN=... -DOUT=dir -DJOB=<config or empty> -DPRESET=<preset or empty>
#        -DSTEPS=n -DINJECT=<fault> -DMIN_INSTANCES=n [-DEXACT=1] -P synth_trace_check.cmake
# EXACT=1 also checks with zero tolerances: the synthesiser ends members at the same nanosecond
# and queues ops on a stream back to back, so no rounding allowance is needed.
function(run expected_rc out_var)
  execute_process(COMMAND ${TS_BIN} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL ${expected_rc})
    message(FATAL_ERROR "trainscope ${ARGN}: exit ${rc}, expected ${expected_rc}\n${out}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${OUT})
if(PRESET)
  set(source --preset ${PRESET})
else()
  set(source ${JOB})
endif()
run(0 synth --quiet workload synth ${source} --steps ${STEPS} --seed 7 --inject ${INJECT}
    --no-metrics --out ${OUT})
run(0 check --json trace check --examples 3 ${OUT})
string(JSON violations GET "${check}" violations)
string(JSON instances GET "${check}" coverage collective_instances)
string(JSON gpu_ops GET "${check}" coverage gpu_ops)
string(JSON groups GET "${check}" coverage process_groups)
message(STATUS "${PRESET}${JOB} --steps ${STEPS} --inject ${INJECT}: ${violations} violations; "
               "${gpu_ops} GPU ops, ${instances} collective instances, ${groups} process groups")
# Something was checked: the job's collectives were matched across ranks.
if(NOT violations EQUAL 0 OR instances LESS ${MIN_INSTANCES})
  message(FATAL_ERROR "FAILED: ${check}")
endif()
if(EXACT)
  run(0 exact --json trace check --stream-tolerance-us 0 --end-tolerance-us 0
      --end-tolerance-share 0 ${OUT})
  string(JSON violations GET "${exact}" violations)
  if(NOT violations EQUAL 0)
    message(FATAL_ERROR "FAILED with zero tolerances: ${exact}")
  endif()
endif()
file(REMOVE_RECURSE ${OUT})
