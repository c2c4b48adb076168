# SPDX-License-Identifier: Apache-2.0
# Op-table readers (what-if artifact CSV or Parquet + meta YAML); included by
# src/ingest/CMakeLists.txt.
list(APPEND TS_INGEST_SRCS
  ${CMAKE_CURRENT_LIST_DIR}/op_table_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/op_table_parquet.cc
  ${CMAKE_CURRENT_LIST_DIR}/parquet_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/internal/parquet_column.cc
  ${CMAKE_CURRENT_LIST_DIR}/internal/parquet_encoding.cc
  ${CMAKE_CURRENT_LIST_DIR}/internal/parquet_metadata.cc
  ${CMAKE_CURRENT_LIST_DIR}/internal/parquet_values.cc
  ${CMAKE_CURRENT_LIST_DIR}/internal/thrift_compact.cc)

# SNAPPY-compressed Parquet pages (the artifact's files): Debian's libsnappy-dev
# (scripts/install-deps.sh). GZIP pages use zlib, which ingest links already.
find_library(TS_SNAPPY_LIB NAMES snappy)
find_path(TS_SNAPPY_INCLUDE NAMES snappy.h)
if(NOT TS_SNAPPY_LIB OR NOT TS_SNAPPY_INCLUDE)
  message(FATAL_ERROR "libsnappy not found: install libsnappy-dev (scripts/install-deps.sh)")
endif()
if(NOT TS_SNAPPY_INCLUDE STREQUAL "/usr/include")  # -I/usr/include would break #include_next
  set_property(SOURCE ${CMAKE_CURRENT_LIST_DIR}/internal/parquet_encoding.cc APPEND
    PROPERTY INCLUDE_DIRECTORIES ${TS_SNAPPY_INCLUDE})
endif()
# trainscope_ingest is declared after this file is included: link it when the folder is done.
cmake_language(DEFER CALL target_link_libraries trainscope_ingest PRIVATE ${TS_SNAPPY_LIB})

ts_test(NAME ingest_optable_test SRCS ${CMAKE_CURRENT_LIST_DIR}/op_table_reader_test.cc
  DEPS trainscope::ingest)
ts_test(NAME ingest_optable_parquet_test SRCS ${CMAKE_CURRENT_LIST_DIR}/parquet_reader_test.cc
  DEPS trainscope::ingest)
ts_test(NAME ingest_optable_parquet_data_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/op_table_parquet_data_test.cc DEPS trainscope::ingest LABELS data)

# `trainscope whatif` on Parquet op tables: error fixtures exit 3 naming the place (fast); a
# folder holding only the artifact's trace-X.parquet + meta gives the CSV's --json (data).
set(TS_PARQUET_CHECK ${CMAKE_SOURCE_DIR}/tests/data/optable/parquet_whatif_check.py)
add_test(NAME optable_parquet_whatif_cli
  COMMAND python3 ${TS_PARQUET_CHECK} $<TARGET_FILE:trainscope> fast
          ${CMAKE_SOURCE_DIR}/tests/data/optable)
set_tests_properties(optable_parquet_whatif_cli PROPERTIES LABELS fast)
add_test(NAME optable_parquet_whatif_data
  COMMAND python3 ${TS_PARQUET_CHECK} $<TARGET_FILE:trainscope> data ${TS_DATA_DIR}
          ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(optable_parquet_whatif_data PROPERTIES LABELS data SKIP_RETURN_CODE 77)
