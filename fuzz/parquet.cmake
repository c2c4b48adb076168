# SPDX-License-Identifier: Apache-2.0
# Flat Parquet reader (footer, pages, encodings, codecs) and the Parquet op table on arbitrary
# bytes.
ts_fuzzer(NAME parquet_fuzzer SRCS ${CMAKE_CURRENT_LIST_DIR}/parquet_fuzzer.cc
  DEPS trainscope::ingest CORPUS ${CMAKE_CURRENT_LIST_DIR}/parquet_corpus)
