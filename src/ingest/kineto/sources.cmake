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
  DEPS trainscope::ingest trainscope::model)
