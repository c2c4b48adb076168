# SPDX-License-Identifier: Apache-2.0
# GPU datasheets shared by the planner and the overlap presets (part of trainscope::model).
list(APPEND TS_MODEL_SRCS ${CMAKE_CURRENT_LIST_DIR}/gpu_datasheet.cc)
ts_test(NAME gpu_datasheet_test SRCS ${CMAKE_CURRENT_LIST_DIR}/gpu_datasheet_test.cc
        DEPS trainscope::model LABELS fast)
