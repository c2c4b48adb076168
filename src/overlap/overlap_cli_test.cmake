# SPDX-License-Identifier: Apache-2.0
# CLI checks of `trainscope overlap`: predict reproduces the published H800 AG Flux total
# (0.957 ms, brief section 5) within 15% through the CLI, --json keys of the public interface,
# bad input exits 3 naming the flag, bench without mpirun says how to start it.
# Usage: cmake -DTS_BIN=path/to/trainscope -P overlap_cli_test.cmake
function(run_cli out_var rc_var err_var)
  execute_process(COMMAND ${TS_BIN} ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err
                  RESULT_VARIABLE rc)
  set(${out_var} "${out}" PARENT_SCOPE)
  set(${rc_var} "${rc}" PARENT_SCOPE)
  set(${err_var} "${err}" PARENT_SCOPE)
endfunction()

run_cli(out rc err --json overlap predict --gpu h800 --op ag --m 4096)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "predict failed (${rc}): ${err}")
endif()
string(JSON t_fused GET "${out}" t_fused_s)
execute_process(COMMAND python3 -c "import sys; t=float(sys.argv[1]); sys.exit(0 if abs(t/0.957e-3-1) < 0.15 else 1)" ${t_fused}
                RESULT_VARIABLE within)
if(NOT within EQUAL 0)
  message(FATAL_ERROR "predicted H800 AG T_f ${t_fused} s is not within 15% of 0.957 ms")
endif()
foreach(key t_gemm_s t_nonoverlap_s t_decomp_s efficiency_decomp efficiency_fused
            speedup_vs_nonoverlap)
  string(JSON value ERROR_VARIABLE missing GET "${out}" ${key})
  if(missing)
    message(FATAL_ERROR "predict --json lacks ${key}: ${out}")
  endif()
endforeach()

run_cli(out rc err overlap predict --op xy)
if(NOT rc EQUAL 3 OR NOT err MATCHES "--op xy")
  message(FATAL_ERROR "bad --op: expected exit 3 naming --op xy, got ${rc}: ${err}")
endif()

run_cli(out rc err overlap bench --op ag --m 64)
if(rc EQUAL 0 OR NOT err MATCHES "mpirun -np N trainscope overlap bench")
  message(FATAL_ERROR "bench without mpirun must fail and say how to start it: ${rc} ${err}")
endif()

# NaN fails every range comparison: --comm-share nan ran as no share at all (JSON
# target_comm_share null, exit 0); --comm-rows -5 read as 'not given' and ran the RS tuner.
foreach(bad "--comm-share;nan" "--link-gbps;nan" "--link-us;nan")
  list(GET bad 0 flag)
  run_cli(out rc err overlap bench --ranks-as-threads --tp 2 --op rs --m 32 --n 64 --k 64
          --reps 1 ${bad})
  if(NOT rc EQUAL 3 OR NOT err MATCHES "${flag} nan")
    message(FATAL_ERROR "bench ${bad}: expected exit 3 naming '${flag} nan', got ${rc}: ${err}")
  endif()
endforeach()
foreach(flag --comm-rows --tile-m --tile-n)
  run_cli(out rc err overlap bench --ranks-as-threads --tp 2 --op rs --m 32 --n 64 --k 64
          --reps 1 --comm-share 0.4 ${flag} -5)
  if(NOT rc EQUAL 2 OR NOT err MATCHES "${flag}")
    message(FATAL_ERROR "bench ${flag} -5: expected exit 2 naming ${flag}, got ${rc}: ${err}")
  endif()
endforeach()

run_cli(out rc err --json overlap bench --ranks-as-threads --tp 2 --op rs --m 32 --n 64 --k 64
        --reps 1 --comm-share 0.4 --link-us 1)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench --ranks-as-threads failed (${rc}): ${err}")
endif()
string(JSON kind GET "${out}" link kind)
if(NOT kind STREQUAL "emulated")
  message(FATAL_ERROR "expected an emulated link, got ${kind}")
endif()
foreach(key t_gemm_s t_nonoverlap_s t_decomp_s t_fused_s efficiency_decomp efficiency_fused
            speedup_vs_nonoverlap fusion_overhead)
  string(JSON value ERROR_VARIABLE missing GET "${out}" ${key})
  if(missing)
    message(FATAL_ERROR "bench --json lacks ${key}: ${out}")
  endif()
endforeach()
