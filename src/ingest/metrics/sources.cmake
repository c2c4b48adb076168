# SPDX-License-Identifier: Apache-2.0
# Metric readers (part of trainscope::ingest): long CSV, Prometheus query_range JSON and text.
list(APPEND TS_INGEST_SRCS ${CMAKE_CURRENT_LIST_DIR}/csv_reader.cc
     ${CMAKE_CURRENT_LIST_DIR}/prom_json_reader.cc ${CMAKE_CURRENT_LIST_DIR}/prom_text_reader.cc
     ${CMAKE_CURRENT_LIST_DIR}/load_metrics.cc)
ts_test(NAME metric_readers_test SRCS ${CMAKE_CURRENT_LIST_DIR}/metric_readers_test.cc
        DEPS trainscope::ingest LABELS fast)
ts_test(NAME metric_readers_data_test SRCS ${CMAKE_CURRENT_LIST_DIR}/metric_readers_data_test.cc
        DEPS trainscope::ingest LABELS data)
