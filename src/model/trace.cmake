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
  ${CMAKE_CURRENT_LIST_DIR}/perfetto_export.cc)

ts_test(NAME model_trace_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/string_pool_test.cc ${CMAKE_CURRENT_LIST_DIR}/rank_builder_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/event_order_test.cc
  DEPS trainscope::model)
