# SPDX-License-Identifier: Apache-2.0
# Metric readers (part of trainscope::ingest): long CSV, Prometheus query_range JSON and text.
list(APPEND TS_INGEST_SRCS ${CMAKE_CURRENT_LIST_DIR}/csv_reader.cc ${CMAKE_CURRENT_LIST_DIR}/csv_rows.cc
     ${CMAKE_CURRENT_LIST_DIR}/prom_json_reader.cc ${CMAKE_CURRENT_LIST_DIR}/prom_text_reader.cc
     ${CMAKE_CURRENT_LIST_DIR}/load_metrics.cc)
ts_test(NAME metric_readers_test SRCS ${CMAKE_CURRENT_LIST_DIR}/metric_readers_test.cc
        DEPS trainscope::ingest LABELS fast)
# The long CSV read in chunks on threads against line by line, on tricky text.
ts_test(NAME csv_rows_test SRCS ${CMAKE_CURRENT_LIST_DIR}/csv_rows_test.cc
        DEPS trainscope::ingest LABELS fast)
ts_test(NAME metric_readers_data_test SRCS ${CMAKE_CURRENT_LIST_DIR}/metric_readers_data_test.cc
        DEPS trainscope::ingest LABELS data)
# Through the CLI: a NIC-level fault is named by its NIC (tests/data/metrics/nic_fault.csv.gz).
add_test(NAME minder_cli_nic_device COMMAND ${CMAKE_COMMAND} -DTS_BIN=$<TARGET_FILE:trainscope>
         -DTS_DATA=${CMAKE_SOURCE_DIR}/tests/data/metrics -P ${CMAKE_CURRENT_LIST_DIR}/nic_device_cli_test.cmake)
set_tests_properties(minder_cli_nic_device PROPERTIES LABELS fast)
# Through the CLI: peer groups from a `role` label (--group-label), a stalled machine named.
add_test(NAME minder_cli_group_label COMMAND ${CMAKE_COMMAND} -DTS_BIN=$<TARGET_FILE:trainscope>
         -DTS_DATA=${CMAKE_SOURCE_DIR}/tests/data/metrics
         -P ${CMAKE_SOURCE_DIR}/src/minder/group_label_cli_test.cmake)
set_tests_properties(minder_cli_group_label PROPERTIES LABELS fast)
