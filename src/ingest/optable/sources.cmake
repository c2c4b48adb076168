# SPDX-License-Identifier: Apache-2.0
# Op-table reader (what-if artifact CSV + meta YAML); included by src/ingest/CMakeLists.txt.
list(APPEND TS_INGEST_SRCS ${CMAKE_CURRENT_LIST_DIR}/op_table_reader.cc)

ts_test(NAME ingest_optable_test SRCS ${CMAKE_CURRENT_LIST_DIR}/op_table_reader_test.cc
  DEPS trainscope::ingest)
