# SPDX-License-Identifier: Apache-2.0
# Round trip of issue 6 item 6: synthesise small jobs (no fault, then each injected fault), read
# the op table back with `trainscope whatif`, and check that (a) the what-if replay of the
# synthetic trace matches its measured step time, (b) the synthetic step time matches the
# predictor's within 2%, (c) the what-if analysis attributes each injected fault to the right
# worker / stage / op type. Also: bad config -> exit 3 with file:line.
# Usage: cmake -DTS_BIN=... -DDATA=tests/data/workload -DOUT=dir -P roundtrip.cmake
set(job ${DATA}/small_pipeline.yaml)

function(run_json out_var)
  execute_process(COMMAND ${TS_BIN} --json ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN}: exit ${rc}: ${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

macro(fail msg)
  message(FATAL_ERROR "FAILED: ${msg}")
endmacro()

# (a) + (b): no fault.
file(REMOVE_RECURSE ${OUT})
run_json(s workload synth ${job} --steps 3 --out ${OUT}/clean --seed 7 --kernels per-op)
string(JSON mean GET "${s}" mean_step_s)
string(JSON predicted GET "${s}" predicted_step_s)
run_json(w whatif ${OUT}/clean)
string(JSON err_max GET "${w}" simulation_error max)
string(JSON replay GET "${w}" steps 0 replay_s)
string(JSON measured GET "${w}" steps 0 measured_s)
message(STATUS "clean: synthetic mean ${mean} s, predicted ${predicted} s, what-if replay ${replay} s "
               "(measured ${measured} s, replay error max ${err_max})")
# CMake has no float math: compare via a tiny expression evaluated with `math` on micro-units.
function(ratio_ok a b tol_pct name)
  execute_process(COMMAND python3 -c "import sys; a,b,t=map(float,sys.argv[1:4]); sys.exit(0 if abs(a/b-1)*100<=t else 1)"
                  ${a} ${b} ${tol_pct} RESULT_VARIABLE rc)
  if(NOT (rc EQUAL 0))
  fail("${name}: ${a} vs ${b} beyond ${tol_pct}%")
endif()
endfunction()
ratio_ok(${mean} ${predicted} 2 "synthetic step vs predicted")
ratio_ok(${replay} ${measured} 1 "what-if replay vs synthetic trace")
ratio_ok(${replay} ${predicted} 2 "what-if replay vs predicted")

# (c) faults. Ranks: rank = ((stage * dp + replica) * cp + cp_rank) * tp + tp_rank, tp 2, dp 2.
# rank 10 -> stage 2, replica 1 -> what-if worker rank 10.
run_json(s workload synth ${job} --steps 3 --out ${OUT}/straggler --seed 7 --kernels none
         --inject straggler:rank=11,factor=1.6)
run_json(w whatif ${OUT}/straggler)
file(WRITE ${OUT}/w.json "${w}")
execute_process(COMMAND python3 -c "import json,sys; w=json.load(open(sys.argv[1]))['workers']; print(max(w, key=lambda x: x['score'])['rank'], end='')"
                ${OUT}/w.json OUTPUT_VARIABLE top_rank)
string(JSON slowdown GET "${w}" slowdown)
message(STATUS "straggler: top worker rank ${top_rank}, S ${slowdown}")
if(NOT (top_rank EQUAL 10))
  fail("straggler on rank 11 attributed to worker rank ${top_rank}, want 10")
endif()

run_json(s workload synth ${job} --steps 3 --out ${OUT}/stage --seed 7 --kernels none
         --inject slow_stage:stage=1,factor=1.4)
run_json(w whatif ${OUT}/stage)
string(JSON pattern GET "${w}" cause pattern)
file(WRITE ${OUT}/w.json "${w}")
execute_process(COMMAND python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['by_stage']; print(max(s, key=lambda k: s[k] if isinstance(s[k], (int, float)) else s[k]['slowdown']), end='')"
                ${OUT}/w.json OUTPUT_VARIABLE top_stage)
string(JSON m_s_rem GET "${w}" m_s rem)
message(STATUS "slow stage: cause ${pattern}, slowest stage ${top_stage}, M_S rem ${m_s_rem}")
if(NOT (top_stage EQUAL 1))
  fail("slow stage 1 attributed to stage ${top_stage}")
endif()
if(NOT (pattern STREQUAL "stage_imbalance"))
  fail("slow stage classified as ${pattern}")
endif()

run_json(s workload synth ${job} --steps 3 --out ${OUT}/gc --seed 7 --kernels none
         --inject gc:rank=4,seconds=0.05,every=1)
run_json(w whatif ${OUT}/gc)
string(JSON gc_s GET "${w}" by_optype gc)
message(STATUS "gc: S_gc ${gc_s}")
execute_process(COMMAND python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 1.05 else 1)"
                ${gc_s} RESULT_VARIABLE rc)
if(NOT (rc EQUAL 0))
  fail("gc pauses not attributed to gc (S_gc ${gc_s})")
endif()

run_json(s workload synth ${job} --steps 3 --out ${OUT}/hang --seed 7 --kernels per-op
         --inject hang:rank=5,step=1)
file(READ ${OUT}/hang/labels.csv labels)
message(STATUS "hang labels: ${labels}")
if(NOT (labels MATCHES "node0000,hang,"))
  fail("hang label missing")
endif()

# Bad input: exit 3, message with file and line.
execute_process(COMMAND ${TS_BIN} plan ${DATA}/bad_type.yaml RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT (rc EQUAL 3))
  fail("bad config exit ${rc}")
endif()
if(NOT (err MATCHES "bad_type.yaml: line 5:"))
  fail("bad config message: ${err}")
endif()
message(STATUS "round trip OK")
