# SPDX-License-Identifier: Apache-2.0
# Kineto / Chrome trace-event JSON reader; included by src/ingest/CMakeLists.txt.
list(APPEND TS_INGEST_SRCS
  ${CMAKE_CURRENT_LIST_DIR}/event_scanner.cc
  ${CMAKE_CURRENT_LIST_DIR}/kineto_args.cc
  ${CMAKE_CURRENT_LIST_DIR}/event_sink.cc
  ${CMAKE_CURRENT_LIST_DIR}/event_parser.cc
  ${CMAKE_CURRENT_LIST_DIR}/stream_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/top_level.cc
  ${CMAKE_CURRENT_LIST_DIR}/rank_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/job_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/demo_trace_data.cc)

ts_test(NAME kineto_reader_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/kineto_reader_test.cc ${CMAKE_CURRENT_LIST_DIR}/event_scanner_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/bad_input_test.cc ${CMAKE_CURRENT_LIST_DIR}/kineto_args_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/guessed_batch_test.cc
  DEPS trainscope::ingest trainscope::model)

# CLI-level tests of `trainscope trace` / `demo` (the trainscope target is defined later, in
# src/cli; the generator expression resolves at generate time).
add_test(NAME cli_trace COMMAND ${CMAKE_COMMAND} -DTS_BIN=$<TARGET_FILE:trainscope>
         -DTS_BAD=${CMAKE_SOURCE_DIR}/tests/data/bad -DTS_KINETO=${CMAKE_SOURCE_DIR}/tests/data/kineto
         -DTS_TMP=${CMAKE_BINARY_DIR}/cli_trace_tmp -P ${CMAKE_SOURCE_DIR}/tests/cli/trace_cli_test.cmake)
set_tests_properties(cli_trace PROPERTIES LABELS fast)

ts_test(NAME kineto_real_traces_test SRCS ${CMAKE_CURRENT_LIST_DIR}/real_traces_test.cc
  DEPS trainscope::ingest trainscope::model LABELS data)
