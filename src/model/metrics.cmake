# SPDX-License-Identifier: Apache-2.0
# Metric table and Minder name mapping (part of trainscope::model).
list(APPEND TS_MODEL_SRCS ${CMAKE_CURRENT_LIST_DIR}/metric_table.cc
     ${CMAKE_CURRENT_LIST_DIR}/metric_names.cc)
ts_test(NAME metric_table_test SRCS ${CMAKE_CURRENT_LIST_DIR}/metric_table_test.cc
        DEPS trainscope::model LABELS fast)
