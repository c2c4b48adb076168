# SPDX-License-Identifier: Apache-2.0
# Bad job configs (tests/data/workload/bad, see its README): `trainscope plan FILE` exits 3 with
# the file, the line:column and the reason; a byte order mark is accepted (issue 21 item 3).
# Usage: cmake -DTS_BIN=trainscope -DTS_BAD=tests/data/workload/bad -P bad_config_test.cmake
include(${CMAKE_CURRENT_LIST_DIR}/expect_rc.cmake)

function(expect_config_error regex file)
  expect_rc(3 plan ${TS_BAD}/${file})
  if(NOT last_err MATCHES "error: [^\n]*${file}: ${regex}")
    message(FATAL_ERROR "plan ${file}: stderr does not match '${regex}':\n${last_err}")
  endif()
endfunction()

expect_config_error("line 21:7: blocks\\[0\\].parallel.recompte: unknown key \\(did you mean recompute\\?\\)" unknown_key.yaml)
expect_config_error("line 25:3: cluster.gpus: given twice \\(first at line 24:3\\)" duplicate_key.yaml)
expect_config_error("line 9:1: illegal tab when looking for indentation" tab_indent.yaml)
expect_config_error("line 8:13: blocks\\[0\\].layers: 1e30 is out of range" layers_huge.yaml)
expect_config_error("line 23:8: cluster.gpu: unknown GPU 'Z900'" unknown_gpu.yaml)
expect_config_error("blocks\\[0\\] \\(llm\\).parallel.tp: 3 does not divide heads 16" tp_not_dividing.yaml)
expect_config_error("line 1: the document must be a mapping" list.yaml)
expect_config_error("training.global_batch: -4 is negative; a batch is a positive count" batch_negative.yaml)

expect_rc(0 --json plan ${TS_BAD}/bom.yaml)
string(JSON bom_step GET "${last_out}" step_time_s)
expect_rc(0 --json plan ${TS_BAD}/../small_pipeline.yaml)
string(JSON plain_step GET "${last_out}" step_time_s)
if(NOT bom_step STREQUAL plain_step)
  message(FATAL_ERROR "a byte order mark changed the plan: ${bom_step} vs ${plain_step}")
endif()

# --elementwise: a known name switches the elementwise model (and says so in --json); others exit 3.
expect_rc(3 plan --preset gpt3-175b --elementwise eager)
if(NOT last_err MATCHES "--elementwise: unknown elementwise 'eager' \\(expected one of: fused, hf_eager\\)")
  message(FATAL_ERROR "plan --elementwise eager: unexpected stderr:\n${last_err}")
endif()
expect_rc(0 --json plan --preset gpt3-175b --elementwise hf_eager)
string(JSON kind GET "${last_out}" elementwise)
string(JSON eager_step GET "${last_out}" step_time_s)
expect_rc(0 --json plan --preset gpt3-175b)
string(JSON fused_step GET "${last_out}" step_time_s)
if(NOT kind STREQUAL "hf_eager" OR NOT eager_step GREATER fused_step)
  message(FATAL_ERROR "--elementwise hf_eager: elementwise '${kind}', step ${eager_step} vs fused ${fused_step}")
endif()
