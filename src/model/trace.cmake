# SPDX-License-Identifier: Apache-2.0
# Trace tables of the model (trace.h and friends); included by src/model/CMakeLists.txt.
list(APPEND TS_MODEL_SRCS
  ${CMAKE_CURRENT_LIST_DIR}/string_pool.cc
  ${CMAKE_CURRENT_LIST_DIR}/trace.cc
  ${CMAKE_CURRENT_LIST_DIR}/event_order.cc
  ${CMAKE_CURRENT_LIST_DIR}/rank_builder.cc
  ${CMAKE_CURRENT_LIST_DIR}/rank_builder_passes.cc
  ${CMAKE_CURRENT_LIST_DIR}/clock_align.cc
  ${CMAKE_CURRENT_LIST_DIR}/collective_match.cc
  ${CMAKE_CURRENT_LIST_DIR}/trace_summary.cc
  ${CMAKE_CURRENT_LIST_DIR}/trace_check.cc
  ${CMAKE_CURRENT_LIST_DIR}/trace_check_collectives.cc
  ${CMAKE_CURRENT_LIST_DIR}/trace_check_report.cc
  ${CMAKE_CURRENT_LIST_DIR}/perfetto_export.cc)

ts_test(NAME model_trace_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/string_pool_test.cc ${CMAKE_CURRENT_LIST_DIR}/rank_builder_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/event_order_test.cc
  DEPS trainscope::model)

ts_test(NAME model_trace_check_test SRCS ${CMAKE_CURRENT_LIST_DIR}/trace_check_test.cc
  DEPS trainscope::model nlohmann_json::nlohmann_json)

# `trainscope trace check` through the CLI (the trainscope target is defined later, in src/cli;
# the generator expression resolves at generate time): fixtures, then the real traces.
add_test(NAME trace_check_cli COMMAND ${CMAKE_COMMAND} -DTS_BIN=$<TARGET_FILE:trainscope>
         -DTS_BAD=${CMAKE_SOURCE_DIR}/tests/data/bad -DTS_KINETO=${CMAKE_SOURCE_DIR}/tests/data/kineto
         -P ${CMAKE_SOURCE_DIR}/tests/cli/trace_check_cli_test.cmake)
set_tests_properties(trace_check_cli PROPERTIES LABELS fast)
add_test(NAME trace_check_real
         COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/cli/check_trace_check_real.py
                 $<TARGET_FILE:trainscope> ${TS_DATA_DIR}/traces)
set_tests_properties(trace_check_real PROPERTIES LABELS data SKIP_RETURN_CODE 77)
