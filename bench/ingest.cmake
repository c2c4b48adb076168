# SPDX-License-Identifier: Apache-2.0
# Kineto ingestion benchmark: streaming simdjson reader vs nlohmann-json SAX, same bytes and
# model. The generated trace goes to /tmp (TS_BENCH_GENERATED_BYTES overrides its size).
ts_bench(NAME ingest_bench
  SRCS ${CMAKE_CURRENT_LIST_DIR}/ingest_bench.cc ${CMAKE_CURRENT_LIST_DIR}/ingest_nlohmann.cc
       ${CMAKE_CURRENT_LIST_DIR}/ingest_trace_gen.cc
  DEPS trainscope::ingest trainscope::model nlohmann_json::nlohmann_json fmt::fmt ZLIB::ZLIB)
