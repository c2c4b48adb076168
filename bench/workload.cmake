# SPDX-License-Identifier: Apache-2.0
# Workload planner benchmark: layout-sweep throughput against single-config prediction.
ts_bench(NAME workload_bench SRCS ${CMAKE_CURRENT_LIST_DIR}/workload_bench.cc
  DEPS trainscope::workload)
